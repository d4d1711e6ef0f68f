"""Start one grading kernel inside a sandbox.

The grader never runs a learner's kernel directly: it runs
``python -m coursekit.grade.sandbox CONFIG_JSON -- KERNEL_CMD...`` and this
module sets the walls up before it becomes the kernel.  Two levels exist:

* ``"namespace"`` (Linux, as root or with unprivileged user namespaces): the
  kernel gets its own mount, PID, network, IPC and UTS namespaces.  Its root
  directory is a fresh tmpfs holding read-only views of the system and the
  Python installation only, so the course repository, the solutions, the
  grader's output and the other submissions do not exist in its world.  It
  has no network, its /tmp and working directory are small private tmpfs
  mounts, the directory of its sockets is sealed read-only once they exist,
  and when the grader runs as root the kernel also runs as a
  throw-away user id (one per worker slot), so it cannot signal or touch
  anything the grader owns.  Killing the sandbox's first process ends every
  process the submission started, daemons included.
* ``"none"``: resource limits and a private working directory only.  Use it
  where namespaces are not available, and only for submissions you trust.

Both levels apply the same resource limits: address space (memory), size of
any file written, no core dumps.  This file must only import the standard
library: it runs before anything else in the sandbox.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
import time

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MS_RELATIME = 0x200000

# statvfs() flag -> mount() flag: a read-only remount inside a user namespace
# must repeat the flags the kernel locked on the original mount.
_LOCKED_FLAGS = {
    0x2: MS_NOSUID,  # ST_NOSUID
    0x4: MS_NODEV,  # ST_NODEV
    0x8: MS_NOEXEC,  # ST_NOEXEC
    0x400: MS_NOATIME,  # ST_NOATIME
    0x800: MS_NODIRATIME,  # ST_NODIRATIME
    0x1000: MS_RELATIME,  # ST_RELATIME
}

PR_SET_PDEATHSIG = 1
DEVICES = ("null", "zero", "full", "random", "urandom")
KERNEL_SOCKETS = 5  # shell, iopub, stdin, control, heartbeat

_libc = None


class SandboxError(RuntimeError):
    """The sandbox could not be set up (the kernel was not started)."""


def _c():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise SandboxError(f"{what}: {os.strerror(errno)}")


def _unshare(flags: int) -> None:
    _check(_c().unshare(flags), "unshare")


def _mount(source, target, fstype, flags, data=None) -> None:
    def enc(s):
        return None if s is None else os.fsencode(s)

    _check(
        _c().mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
        f"mount {target}",
    )


def _die_with_parent() -> None:
    # If the process that started us dies, so do we (and, for the PID
    # namespace's first process, everything inside the namespace).
    if sys.platform.startswith("linux"):
        _c().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def set_limits(config: dict) -> None:
    """Apply the resource limits every sandbox level shares."""
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if config.get("memory_mb"):
        limit = int(config["memory_mb"]) * mb
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if config.get("file_mb"):
        limit = int(config["file_mb"]) * mb
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    if config.get("nproc"):
        n = int(config["nproc"])
        resource.setrlimit(resource.RLIMIT_NPROC, (n, n))


def _bind(source: str, target: str, *, read_only: bool, recursive: bool = True) -> None:
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            _write(target, "")
    _mount(source, target, None, MS_BIND | (MS_REC if recursive else 0))
    if read_only:
        locked = 0
        st_flags = os.statvfs(source).f_flag
        for st_flag, ms_flag in _LOCKED_FLAGS.items():
            if st_flags & st_flag:
                locked |= ms_flag
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | locked)


def _inside(root: str, path: str) -> str:
    return os.path.join(root, os.path.abspath(path).lstrip("/"))


def build_root(config: dict) -> None:
    """Populate the new root directory, chroot into it, and enter the work dir.

    Runs as the first process of the new PID and mount namespaces.
    """
    root = config["new_root"]
    # Nothing we mount from here on may leak back to the host's mount table.
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    notebook_bytes = b""
    if config.get("notebook"):
        with open(config["notebook"], "rb") as f:
            notebook_bytes = f.read()
    _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=755")

    # A private /tmp first: the grader's own directories usually live under
    # /tmp, and the views below may be mounted inside it.
    tmp_size = f"size={int(config.get('tmp_mb') or 256)}m"
    os.makedirs(_inside(root, "/tmp"))
    _mount("tmpfs", _inside(root, "/tmp"), "tmpfs", MS_NOSUID | MS_NODEV, tmp_size + ",mode=1777")
    for path in sorted(config["ro_binds"], key=len):
        if os.path.exists(path):
            _bind(path, _inside(root, path), read_only=True)
    for name in ("bin", "lib", "lib64", "lib32", "sbin"):
        # Debian and friends: /bin -> usr/bin; keep the links as they are.
        host = "/" + name
        if os.path.islink(host) and not os.path.lexists(_inside(root, host)):
            os.symlink(os.readlink(host), _inside(root, host))

    # The working directory is a fresh tmpfs; the connection directory is
    # the one host directory the kernel may write to: it holds the
    # connection file and the kernel's sockets.
    work = _inside(root, config["work_dir"])
    os.makedirs(work, exist_ok=True)
    _mount("tmpfs", work, "tmpfs", MS_NOSUID | MS_NODEV, tmp_size + ",mode=1777")
    _bind(config["conn_dir"], _inside(root, config["conn_dir"]), read_only=False, recursive=False)

    dev = _inside(root, "/dev")
    os.makedirs(dev, exist_ok=True)
    _mount("tmpfs", dev, "tmpfs", MS_NOSUID, "size=1m,mode=755")
    for name in DEVICES:
        _bind("/dev/" + name, os.path.join(dev, name), read_only=False)
    os.makedirs(os.path.join(dev, "shm"))
    _mount("tmpfs", os.path.join(dev, "shm"), "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777")

    proc = _inside(root, "/proc")
    os.makedirs(proc, exist_ok=True)
    _mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)

    if notebook_bytes:
        target = os.path.join(
            _inside(root, config["work_dir"]), os.path.basename(config["notebook"])
        )
        with open(target, "wb") as f:
            f.write(notebook_bytes)

    # Belt and braces: whatever must stay out of reach is covered, in case
    # it lies inside one of the read-only views.
    for path in config.get("hide", []):
        target = _inside(root, path)
        visible = any(path == p or path.startswith(p.rstrip("/") + "/") for p in config["ro_binds"])
        if visible and os.path.isdir(target):
            _mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=755")

    os.chroot(root)
    os.chdir(config["work_dir"])


def drop_privileges(config: dict) -> None:
    uid = config.get("uid")
    if uid is None:
        return
    gid = config.get("gid", uid)
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)


def _exit_status(status: int) -> int:
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return 1


def _seal_connection_dir(config: dict, kernel_pid: int) -> None:
    """Make the connection directory read-only once the kernel has made its sockets.

    It is the one host directory the kernel could write to; sealed, a
    submission cannot fill the grader's disk through it.  Connecting to the
    sockets still works: a read-only mount does not stop socket traffic.
    """
    conn = config["conn_dir"]
    deadline = time.monotonic() + float(config.get("startup_s") or 60)
    while time.monotonic() < deadline:
        try:
            sockets = [n for n in os.listdir(conn) if n.startswith("kernel-") and n[7:].isdigit()]
        except OSError:
            return
        if len(sockets) >= KERNEL_SOCKETS:
            break
        pid, status = os.waitpid(kernel_pid, os.WNOHANG)
        if pid:
            os._exit(_exit_status(status))
        time.sleep(0.01)
    locked = 0
    st_flags = os.statvfs(conn).f_flag
    for st_flag, ms_flag in _LOCKED_FLAGS.items():
        if st_flags & st_flag:
            locked |= ms_flag
    _mount(
        None,
        conn,
        None,
        MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | locked,
    )


def _run_init(kernel_pid: int) -> None:
    """PID 1 of the namespace: reap every child, leave when the kernel leaves."""
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(1)
        except InterruptedError:
            continue
        if pid == kernel_pid:
            os._exit(_exit_status(status))


def _exec(cmd: list[str], env: dict | None = None) -> None:
    os.execvpe(cmd[0], cmd, env if env is not None else os.environ)


def run_namespace(config: dict, cmd: list[str]) -> None:
    """Launcher -> namespace init -> kernel; see the module docstring."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts are for the kernel
    _die_with_parent()
    flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    as_root = os.geteuid() == 0
    uid, gid = os.geteuid(), os.getegid()
    if not as_root:
        flags |= CLONE_NEWUSER
    _unshare(flags)
    if not as_root:
        # Inside the new user namespace we keep our own uid, so the kernel
        # (started with execve) holds no capabilities at all.
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")

    init_pid = os.fork()
    if init_pid:
        # The launcher: the grader's handle on the whole sandbox.
        while True:
            try:
                _, status = os.waitpid(init_pid, 0)
                break
            except InterruptedError:
                continue
        os._exit(_exit_status(status))

    # PID 1 of the new namespace.
    _die_with_parent()
    try:
        build_root(config)
        if as_root and config.get("uid") is not None:
            for path in (config["work_dir"], "/tmp"):
                os.chown(path, config["uid"], config.get("gid", config["uid"]))
    except Exception as exc:  # noqa: BLE001 - reported through stderr and the exit code
        print(f"coursekit sandbox: {exc}", file=sys.stderr, flush=True)
        os._exit(111)
    kernel_pid = os.fork()
    if kernel_pid == 0:
        try:
            set_limits(config)
            drop_privileges(config)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            _exec(cmd)
        except Exception as exc:  # noqa: BLE001 - reported through stderr and the exit code
            print(f"coursekit sandbox: cannot start the kernel: {exc}", file=sys.stderr, flush=True)
        os._exit(112)
    try:
        _seal_connection_dir(config, kernel_pid)
    except SandboxError as exc:
        print(f"coursekit sandbox: {exc}", file=sys.stderr, flush=True)
        os.kill(kernel_pid, signal.SIGKILL)
    _run_init(kernel_pid)


def run_plain(config: dict, cmd: list[str]) -> None:
    """Resource limits and a private working directory, then the kernel."""
    _die_with_parent()
    os.chdir(config["work_dir"])
    if config.get("notebook"):
        with open(config["notebook"], "rb") as src:
            data = src.read()
        with open(os.path.basename(config["notebook"]), "wb") as dst:
            dst.write(data)
    set_limits(config)
    _exec(cmd)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) < 3 or argv[1] != "--":
        print("usage: python -m coursekit.grade.sandbox CONFIG_JSON -- COMMAND...", file=sys.stderr)
        sys.exit(2)
    config = json.loads(argv[0])
    cmd = argv[2:]
    # The kernel must not think the grader is its parent: in the namespace
    # its parent is the namespace's init, and ipykernel would exit at once.
    os.environ.pop("JPY_PARENT_PID", None)
    if config.get("isolation") == "namespace":
        run_namespace(config, cmd)
    else:
        run_plain(config, cmd)


if __name__ == "__main__":
    main()
