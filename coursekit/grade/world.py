"""The kernel's world: what each sandbox is built from, on the grader's side.

``sandbox.py`` is the launcher (standard library only, run as a script);
this module prepares what it needs: the copy of minigrad and coursekit the
kernels may import (:func:`make_site`), the files of the Python environment
to cover (:func:`covered_in_environment`), one sandbox's configuration
(:func:`write_kernel_world`), and the check that a sandbox can be made here
at all (:func:`detect_isolation`), which is what makes the grader fail
closed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import asdict
from pathlib import Path

from . import sandbox
from .kernel import SANDBOX_SCRIPT, Limits, kernel_env
from .report import NO_ISOLATION

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # coursekit/
# As root, each submission's kernels run as a user id drawn from these (far above the
# ids a system hands out to its users).
SANDBOX_UID_BASE, SANDBOX_UIDS = 1_900_000_000, 100_000_000
# Never copied into a kernel's view of coursekit: the checks (they hold the
# reference solutions), the grader and the release tool.
NOT_FOR_KERNELS = re.compile(r"^(grade|release\.py|.*\.md|__pycache__|ch\d\d.*\.py)$")
INSTALL_BWRAP = (
    "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install "
    "bubblewrap), or grade without a sandbox with --isolation none, only for submissions "
    "you trust"
)


def covered_in_environment() -> list:
    """Files of the Python environment that name the course's checkout, as the kernel sees them.

    An editable install (``pip install -e .``, what ``make`` does) leaves a
    ``.pth`` file, a finder module and ``direct_url.json`` that name the
    checkout; a plain install leaves a copy of coursekit, checks included.
    The sandbox covers each with something empty.
    """
    checkout = str(PACKAGE_DIR.parent)
    venv = sys.prefix != sys.base_prefix
    found: set = set()
    for key in ("purelib", "platlib"):
        folder = Path(sysconfig.get_paths()[key])
        if not folder.is_dir():
            continue
        for path in folder.iterdir():
            candidates = [path]
            if path.name.endswith(".dist-info"):
                candidates = [path / "direct_url.json"]
            for file in candidates:
                if file.name == "coursekit" and file.is_dir():
                    found.add(str(file) + "/")
                elif file.name.startswith("__editable__") and file.is_file():
                    found.add(str(file))
                elif file.is_file() and file.suffix in (".pth", ".json", ".py", ".egg-link"):
                    try:
                        if checkout in file.read_text(encoding="utf-8", errors="replace"):
                            found.add(str(file))
                    except OSError:
                        continue
    inside = []
    for path in sorted(found):
        if venv and path.startswith(sys.prefix + "/"):
            path = sandbox.INSIDE_VENV + path[len(sys.prefix) :]
        inside.append(path)
    return inside


def detect_isolation(requested: str, site: Path, run_dir: Path, limits: Limits) -> tuple:
    """``(mode, note, job fields)``; raises SystemExit when the sandbox cannot be made."""
    if requested == "none":
        return "none", f"none: {NO_ISOLATION}", {}
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SystemExit(f"error: no sandbox: bubblewrap (bwrap) is not installed; {INSTALL_BWRAP}")
    fields = {"bwrap": bwrap, "cover": covered_in_environment()}
    box = Path(tempfile.mkdtemp(prefix="probe-", dir=run_dir))
    box.chmod(0o755)
    job = {
        "isolation": "bwrap",
        "limits": asdict(limits),
        "slot": 0,
        "site_dir": str(site),
        **fields,
    }
    config = write_kernel_world(job, box, b"{}")
    (box / "kernel.json").write_text("{}")
    (box / "sandbox.json").write_text(json.dumps(config))
    check = f"import sys; sys.exit(sys.prefix != {sandbox.INSIDE_VENV!r} and {sys.prefix != sys.base_prefix})"
    cmd = [sys.executable, "-I", SANDBOX_SCRIPT, str(box / "sandbox.json"), "--"]
    cmd += [sandbox.INSIDE_PYTHON, "-I", "-c", check]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        ok, why = done.returncode == 0, (done.stderr.strip().splitlines() or [""])[-1]
        why = why or f"exit code {done.returncode}"
    except (OSError, subprocess.SubprocessError) as exc:
        ok, why = False, str(exc)
    finally:
        shutil.rmtree(box, ignore_errors=True)
    if not ok:
        raise SystemExit(
            f"error: no sandbox: bubblewrap cannot start one here ({why}); it needs user "
            "namespaces (open to ordinary users on most Linux systems; on Ubuntu 24.04 "
            "through AppArmor's bwrap profile) or root. Or grade without a sandbox with "
            "--isolation none, only for submissions you trust"
        )
    who = (
        "each submission's kernels run as a user id of their own"
        if os.geteuid() == 0
        else "in a user namespace"
    )
    return "bwrap", f"bubblewrap sandbox (namespaces: mount, pid, network, ipc, uts; {who})", fields


def run_tag(out: Path) -> str:
    """Named by the grader's sandboxes in a process list: which OUT they grade into."""
    return hashlib.sha256(str(Path(out).resolve()).encode()).hexdigest()[:12]


def make_site(run_dir: Path) -> Path:
    """The packages a kernel may import: minigrad and coursekit without checks or grader."""
    site = run_dir / "site"
    site.mkdir()
    shutil.copytree(
        PACKAGE_DIR,
        site / "coursekit",
        ignore=lambda d, names: [n for n in names if NOT_FOR_KERNELS.match(n)],
    )
    spec = importlib.util.find_spec("minigrad")
    if spec is not None and spec.submodule_search_locations:
        shutil.copytree(
            next(iter(spec.submodule_search_locations)),
            site / "minigrad",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    for path in [site, *site.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return site


def sandbox_uid() -> int:
    """A throw-away user id for one submission's kernels (when the grader runs as root).

    The sandbox bounds the processes (threads too) of that user id, and Linux
    counts them machine-wide.  One id per worker slot was shared by every
    grading running at once and by a sandbox still ending while the slot's
    next one started: under load a kernel could not start a thread (exit 134)
    for processes that were not its own.  Drawn from a hundred million ids,
    two sandboxes alive at the same time almost never share one.
    """
    return SANDBOX_UID_BASE + secrets.randbelow(SANDBOX_UIDS)


def write_kernel_world(job: dict, box: Path, data: bytes) -> dict:
    """Write what the sandbox copies in (see sandbox.kernel_view); return its configuration."""
    limits = Limits(**job["limits"])
    isolation = job["isolation"]
    as_root = os.geteuid() == 0 and isolation == "bwrap"
    uid = sandbox_uid() if as_root else sandbox.LEARNER_UID
    (box / "submission.ipynb").write_bytes(data)
    config = {
        "isolation": isolation,
        "limits": {
            "memory_mb": limits.memory_mb,
            "file_mb": limits.file_mb,
            "cpu_s": limits.cpu_s,
            "nproc": 256 if as_root else None,
        },
        "notebook": str(box / "submission.ipynb"),
        "work_dir": str(box / "work"),
    }
    if isolation != "bwrap":
        return config
    files = {
        "passwd": f"learner:x:{uid}:{uid}:learner:{sandbox.INSIDE_HOME}:/bin/sh\n",
        "group": f"learner:x:{uid}:\n",
        "hosts": "127.0.0.1 localhost sandbox\n",
        "pyvenv.cfg": sandbox.venv_config(
            sys.base_prefix, ".".join(map(str, sys.version_info[:3]))
        ),
    }
    for name, text in files.items():
        (box / name).write_text(text, encoding="utf-8")
    config.update(
        name=f"coursekit-sandbox-{job.get('run_tag', 'probe')}",
        bwrap=job["bwrap"],
        uid=uid if as_root else None,
        tmp_mb=limits.tmp_mb,
        info_file=str(box / "info.json"),
        env=kernel_env({"isolation": "bwrap"}, job["site_dir"], ""),
        view=sandbox.kernel_view(
            venv=sys.prefix,
            base_prefix=sys.base_prefix,
            python=os.path.realpath(sys.executable),
            site_dir=job["site_dir"],
            box=str(box),
            tmp_mb=limits.tmp_mb,
            cover=job.get("cover", []),
        ),
    )
    return config
