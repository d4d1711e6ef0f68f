"""The sandbox: CPU bounded per process, a world of its own, and tests that say so
when bubblewrap is missing.

(The hostile class in classroom.py checks the rest with real grading: what a
kernel can see and touch -- host_paths, files_around, reads_hidden_tests,
kills_everything -- and that a CPU hog beside a slow learner costs nothing:
aa_cpu_hog, ab_slow_but_right.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path

import pytest

from coursekit.grade import sandbox
from coursekit.grade.kernel import SANDBOX_SCRIPT, Limits
from coursekit.grade.world import covered_in_environment, make_site, write_kernel_world

TESTS = Path(__file__).resolve().parents[1]


def _sandbox_command(run_dir: Path, command: list, cpu_s=None) -> list:
    """The launcher's command for ``command`` in the sandbox a kernel gets (its CPU
    seconds changed, if given), its files in ``run_dir``."""
    run_dir.mkdir()
    run_dir.chmod(0o755)
    site = make_site(run_dir)
    box = run_dir / "box"
    box.mkdir()
    box.chmod(0o755)
    job = {
        "isolation": "bwrap",
        "bwrap": shutil.which("bwrap"),
        "limits": asdict(Limits()),
        "slot": 0,
        "site_dir": str(site),
        "cover": covered_in_environment(),
    }
    config = write_kernel_world(job, box, b"{}")
    if cpu_s is not None:
        config["limits"]["cpu_s"] = cpu_s
    (box / "kernel.json").write_text("{}")
    (box / "sandbox.json").write_text(json.dumps(config))
    return [sys.executable, "-I", SANDBOX_SCRIPT, str(box / "sandbox.json"), "--", *command]


def _launch(tmp_path, command: list, cpu_s=None, name="run") -> subprocess.CompletedProcess:
    """Run ``command`` in the sandbox a kernel gets (its CPU seconds changed, if given)."""
    return subprocess.run(
        _sandbox_command(tmp_path / name, command, cpu_s),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.sandbox
def test_every_process_of_a_kernel_is_stopped_after_its_cpu_seconds(tmp_path):
    # Hole 12: a bound on CPU time, not only on the clock (a grading run gives
    # each process the notebook's limit plus a minute; here, 1 s).
    assert Limits(notebook_s=300).cpu_s == 360
    done = _launch(tmp_path, [sandbox.INSIDE_PYTHON, "-c", "while True: pass"], cpu_s=1)
    assert done.returncode == 128 + 24, (done.returncode, done.stderr[-2000:])  # SIGXCPU


@pytest.mark.sandbox
def test_the_kernel_sees_its_own_world_and_nothing_of_the_host(tmp_path):
    # Hole 11, directly: no /proc, no host path in what Python reports.
    program = textwrap.dedent(
        """
        import json, os, sys
        print(json.dumps({"root": sorted(os.listdir("/")), "prefix": sys.prefix,
                          "path": sys.path, "cwd": os.getcwd(), "home": os.listdir(".")}))
        """
    )
    done = _launch(tmp_path, [sandbox.INSIDE_PYTHON, "-c", program])
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert "proc" not in seen["root"]
    assert seen["prefix"] == sandbox.INSIDE_VENV
    assert seen["cwd"] == sandbox.INSIDE_HOME and seen["home"] == ["submission.ipynb"]
    assert sandbox.INSIDE_SITE in seen["path"]
    assert not any(str(TESTS.parent) in p or str(tmp_path) in p for p in seen["path"])


# Starts threads (each counts as a process) until the sandbox's budget is spent, says how
# many it got, and keeps them.
TAKE_EVERY_THREAD = """
import threading, time
threading.stack_size(256 * 1024)
started = 0
try:
    while started < 10_000:
        threading.Thread(target=time.sleep, args=(120,), daemon=True).start()
        started += 1
except RuntimeError:
    pass
print(started, flush=True)
time.sleep(120)
"""


@pytest.mark.sandbox
@pytest.mark.skipif(
    os.geteuid() != 0,
    reason="as a user, the kernel is the instructor's own user id in a user namespace, "
    "and the sandbox sets no process budget",
)
def test_a_sandbox_that_spent_its_process_budget_leaves_the_next_one_its_own(tmp_path):
    # Kernels of one worker slot shared a user id, whose processes Linux counts machine-wide:
    # under load a kernel could not start a thread (exit 134) for another sandbox's processes.
    greedy = subprocess.Popen(
        _sandbox_command(tmp_path / "greedy", [sandbox.INSIDE_PYTHON, "-c", TAKE_EVERY_THREAD]),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert 200 < int(greedy.stdout.readline()) < 256  # the whole budget, less its own
        threads = (
            "import threading; ts = [threading.Thread(target=id, args=(1,)) for _ in range(20)]"
        )
        threads += "; [t.start() for t in ts]; [t.join() for t in ts]; print('started 20')"
        done = _launch(tmp_path, [sandbox.INSIDE_PYTHON, "-c", threads], name="next")
        assert (done.returncode, done.stdout) == (0, "started 20\n"), done.stderr[-2000:]
    finally:
        greedy.kill()
        greedy.wait()


# Plugins these runs do not need: loading them takes seconds.
WITHOUT_PLUGINS = ["-p", "no:cacheprovider", "-p", "no:nbval", "-p", "no:hypothesispytest"]
MARKED = """
    import pytest

    @pytest.mark.sandbox
    def test_grades():
        pass
"""


def _pytest_with_our_conftest(tmp_path, env):
    shutil.copy(TESTS / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_marked.py").write_text(textwrap.dedent(MARKED))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", *WITHOUT_PLUGINS],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_a_grading_test_says_it_did_not_run_when_bubblewrap_is_missing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MINIGRAD_REQUIRE_ALL_TESTS"}
    env["PATH"] = str(tmp_path / "bin")  # no bwrap there
    (tmp_path / "bin").mkdir()
    done = _pytest_with_our_conftest(tmp_path, env)
    assert "1 skipped" in done.stdout, done.stdout
    assert "grading test not run: bubblewrap (bwrap) not found" in done.stdout
    assert "apt-get install bubblewrap" in done.stdout

    fake = tmp_path / "bin" / "bwrap"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    assert "1 passed" in _pytest_with_our_conftest(tmp_path, env).stdout

    fake.unlink()
    env["MINIGRAD_REQUIRE_ALL_TESTS"] = "1"  # CI: missing means failed, not skipped
    done = _pytest_with_our_conftest(tmp_path, env)
    assert "1 error" in done.stdout and "1 skipped" not in done.stdout, done.stdout
    assert "MINIGRAD_REQUIRE_ALL_TESTS=1: nothing may be skipped" in done.stdout
