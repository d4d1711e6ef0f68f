"""Start one grading kernel inside a sandbox.

The grader never starts a learner's kernel directly: it runs
``python -I sandbox.py CONFIG.json -- KERNEL_CMD...``, and this launcher sets
the walls up before it becomes the kernel.  Two levels exist:

* ``"bwrap"`` (Linux): `bubblewrap <https://github.com/containers/bubblewrap>`_,
  the sandbox Flatpak uses, starts the kernel in new mount, PID, network,
  IPC and UTS namespaces.  Its world is a fresh tmpfs holding only what
  :func:`kernel_view` lists: read-only views of /usr, the Python
  installation, the course's Python environment (its libraries, at a
  neutral path) and a copy of minigrad and coursekit without the checks,
  each at a path that names nothing of the host; small private tmpfs
  mounts for /tmp, the working directory and the kernel's sockets; no
  /proc, no network.  As root the kernel also runs as a throw-away user
  id (one per submission), so it owns nothing of the host.
* ``"none"``: resource limits and a private working directory only, for
  submissions you trust (the grader refuses to run without a sandbox unless
  told ``--isolation none``).

Both apply the same resource limits (:func:`set_limits`).  The launcher runs
outside the sandbox and imports only the standard library.  It hands every
host file to bubblewrap as an open file descriptor and its arguments
through ``--args FD``: no host path appears in a command line the kernel
could read.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import tempfile

# Where things are inside the sandbox.  None of these names says anything
# about the host.
INSIDE_VENV = "/opt/coursekit/python"
INSIDE_SITE = "/opt/coursekit/site"
INSIDE_CONN = "/run/kernel"  # the connection file and the kernel's sockets
INSIDE_HOME = "/home/learner"  # the working directory
INSIDE_PYTHON = INSIDE_VENV + "/bin/python"
LEARNER_UID = 1000  # the kernel's user id as the kernel sees it (not as root)

# System files a Python kernel needs; anything else of /etc stays outside.
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/alternatives", "/etc/mime.types")
# Debian and friends: /bin -> usr/bin; elsewhere these are real folders.
TOP_LEVEL_SYSTEM = ("bin", "lib", "lib32", "lib64", "sbin")

# Becomes the kernel after dropping root (the grader runs as root: CI, containers).
DROP_ROOT = (
    "import os, sys; uid = int(sys.argv[1]); os.setgroups([]); "
    "os.setresgid(uid, uid, uid); os.setresuid(uid, uid, uid); os.execv(sys.argv[2], sys.argv[2:])"
)


def set_limits(limits: dict) -> None:
    """The resource limits every level applies (inherited by every process the kernel starts)."""
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if limits.get("memory_mb"):
        size = int(limits["memory_mb"]) * mb
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    if limits.get("file_mb"):
        size = int(limits["file_mb"]) * mb
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    if limits.get("cpu_s"):
        # CPU seconds of each process: SIGXCPU (which ends it) at the soft limit.
        seconds = int(limits["cpu_s"])
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    if limits.get("nproc"):
        count = int(limits["nproc"])
        resource.setrlimit(resource.RLIMIT_NPROC, (count, count))


def venv_config(base_prefix: str, version: str) -> str:
    """The ``pyvenv.cfg`` the kernel's Python environment gets (the real one names its folder)."""
    return f"home = {base_prefix}/bin\ninclude-system-site-packages = false\nversion = {version}\n"


def kernel_view(
    *,
    venv: str,
    base_prefix: str,
    python: str,
    site_dir: str,
    box: str,
    tmp_mb: int,
    cover: list,
) -> list:
    """What the kernel's world is made of: bubblewrap's mounts, in order.

    Each entry is ``(kind, source, target)``: ``ro`` binds a host folder
    read-only, ``data`` copies a host file in (read-only), ``file`` copies
    a host file in (writable), ``tmpfs`` is a fresh folder of ``source`` MB,
    ``symlink`` a link to ``source``, ``dir`` an empty folder, ``empty``
    an empty read-only file over ``target`` (hiding it), ``hide`` an empty
    read-only folder over ``target``.
    """
    view: list = [("ro", "/usr", "/usr")]
    for name in TOP_LEVEL_SYSTEM:
        host = "/" + name
        if os.path.islink(host):
            view.append(("symlink", os.readlink(host), host))
        elif os.path.isdir(host):
            view.append(("ro", host, host))
    for path in SYSTEM_FILES:
        if os.path.exists(path):
            view.append(("ro", path, path))
    for name in ("passwd", "group", "hosts"):
        view.append(("data", os.path.join(box, name), "/etc/" + name))
    if base_prefix != "/usr" and not base_prefix.startswith("/usr/"):
        view.append(("ro", base_prefix, base_prefix))
    if os.path.realpath(venv) != os.path.realpath(base_prefix):
        # The environment's libraries at a neutral path, its own Python
        # linked to the installation's, and a pyvenv.cfg that says only that.
        view += [
            ("ro", os.path.join(venv, "lib"), INSIDE_VENV + "/lib"),
            ("symlink", "lib", INSIDE_VENV + "/lib64"),
            ("dir", "", INSIDE_VENV + "/bin"),
            ("symlink", python, INSIDE_PYTHON),
            ("data", os.path.join(box, "pyvenv.cfg"), INSIDE_VENV + "/pyvenv.cfg"),
        ]
    else:  # not a virtual environment: the installation is the environment
        view.append(("symlink", python, INSIDE_PYTHON))
    view += [("ro", site_dir, INSIDE_SITE)]
    view += [("empty", "", path) for path in cover if not path.endswith("/")]
    view += [("hide", "", path.rstrip("/")) for path in cover if path.endswith("/")]
    view += [
        ("tmpfs", str(tmp_mb), "/tmp"),
        ("tmpfs", str(tmp_mb), INSIDE_HOME),
        ("file", os.path.join(box, "submission.ipynb"), INSIDE_HOME + "/submission.ipynb"),
        ("tmpfs", "1", INSIDE_CONN),
        ("data", os.path.join(box, "kernel.json"), INSIDE_CONN + "/kernel.json"),
    ]
    return view


def _parents(path: str) -> list:
    parts = path.strip("/").split("/")[:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


def bwrap_arguments(config: dict, open_file) -> list:
    """bubblewrap's arguments for ``config``; ``open_file(path)`` gives an fd to pass."""
    as_root = config.get("uid") is not None
    args = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    args += ["--unshare-cgroup-try", "--die-with-parent", "--hostname", "sandbox"]
    if as_root:
        # Privileged bubblewrap; the kernel then drops to its own user id (DROP_ROOT).
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-user", "--uid", str(LEARNER_UID), "--gid", str(LEARNER_UID)]
    made: set = set()
    bound: list = []  # folders bound from the host: what is inside them exists already
    for kind, source, target in config["view"]:
        for parent in _parents(target):
            if parent not in made and not any(parent.startswith(b + "/") for b in bound):
                args += ["--perms", "0755", "--dir", parent]
                made.add(parent)
        made.add(target)
        if kind == "ro":
            bound.append(target)
        mb = 1024 * 1024
        if kind == "ro":
            args += ["--ro-bind", source, target]
        elif kind == "data":
            args += ["--perms", "0444", "--ro-bind-data", str(open_file(source)), target]
        elif kind == "file":
            args += ["--perms", "0644", "--file", str(open_file(source)), target]
        elif kind == "tmpfs":
            args += ["--perms", "1777", "--size", str(int(source) * mb), "--tmpfs", target]
        elif kind == "symlink":
            args += ["--symlink", source, target]
        elif kind == "dir":
            args += ["--perms", "0755", "--dir", target]
        elif kind == "empty":
            args += ["--perms", "0444", "--ro-bind-data", str(open_file(os.devnull)), target]
        elif kind == "hide":
            args += ["--perms", "0555", "--size", "4096", "--tmpfs", target]
            args += ["--remount-ro", target]
        else:
            raise ValueError(f"unknown view entry {kind!r}")
    args += ["--dev", "/dev"]
    args += ["--perms", "1777", "--size", str(int(config["tmp_mb"]) * mb), "--tmpfs", "/dev/shm"]
    args += ["--clearenv"]
    for name, value in sorted(config["env"].items()):
        args += ["--setenv", name, value]
    args += ["--chdir", INSIDE_HOME]
    return args


def run_bwrap(config: dict, cmd: list) -> None:
    """Become bubblewrap, which becomes the kernel."""
    passed: list = []

    def open_file(path: str) -> int:
        fd = os.open(path, os.O_RDONLY)
        os.set_inheritable(fd, True)
        passed.append(fd)
        return fd

    info = os.open(config["info_file"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.set_inheritable(info, True)
    args = ["--info-fd", str(info), *bwrap_arguments(config, open_file)]
    uid = config.get("uid")
    if uid is not None:
        cmd = [INSIDE_PYTHON, "-I", "-S", "-c", DROP_ROOT, str(uid), *cmd]
    # bubblewrap's options travel in a file, not on the command line: a process
    # list (on the host) shows "coursekit-sandbox-TAG --args N -- KERNEL COMMAND".
    with tempfile.TemporaryFile() as options:
        options.write(b"".join(a.encode() + b"\0" for a in args))
        options.seek(0)
        fd = os.dup(options.fileno())
    os.set_inheritable(fd, True)
    set_limits(config["limits"])
    # Interrupts are for the kernel: bubblewrap and the namespace's first
    # process ignore them; ipykernel installs its own handler for each cell.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.execv(config["bwrap"], [config["name"], "--args", str(fd), "--", *cmd])


def run_plain(config: dict, cmd: list) -> None:
    """Resource limits and a private working directory, then the kernel."""
    work = config["work_dir"]
    os.chdir(work)
    with open(config["notebook"], "rb") as src, open("submission.ipynb", "wb") as dst:
        dst.write(src.read())
    set_limits(config["limits"])
    os.execv(cmd[0], cmd)


def main(argv: list | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -I sandbox.py CONFIG.json -- COMMAND...", file=sys.stderr)
        sys.exit(2)
    with open(argv[0], encoding="utf-8") as f:
        config = json.load(f)
    # The kernel must not think the grader is its parent: ipykernel would
    # exit when it cannot see that process.
    os.environ.pop("JPY_PARENT_PID", None)
    try:
        if config["isolation"] == "bwrap":
            run_bwrap(config, argv[2:])
        else:
            run_plain(config, argv[2:])
    except OSError as exc:
        print(f"coursekit sandbox: {exc}", file=sys.stderr, flush=True)
        sys.exit(111)


if __name__ == "__main__":
    main()
