"""The sandbox: time that does not depend on the machine's load, CPU bounded per
process, and tests that say so when bubblewrap is missing.

(What a kernel can see and touch is checked by the hostile class in
classroom.py: host_paths, files_around, reads_hidden_tests, kills_everything.)
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

import classroom
import pytest
from classroom import read_gradebook, run_grader

from coursekit.grade import sandbox
from coursekit.grade.cli import covered_in_environment, make_site
from coursekit.grade.kernel import SANDBOX_SCRIPT, Limits
from coursekit.grade.runner import write_kernel_world

TESTS = Path(__file__).resolve().parents[1]


@pytest.mark.sandbox
def test_a_cpu_hog_in_one_submission_does_not_time_out_another_graded_beside_it(tmp_path):
    # Issue 16, hole 12: with -j 2, one learner's CPU hog slowed another's
    # legitimate 3 s cell past the 5 s limit ("timed out"; "ok" with -j 1).
    # Time is now the kernel's own: waiting for a CPU does not count.
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    sol = classroom.load(classroom.SOLUTIONS)
    hog = classroom.replaced(
        sol,
        {
            "ex1-impl": "import subprocess, sys\n"
            "hogs = [subprocess.Popen([sys.executable, '-c', 'while True: pass'])"
            " for _ in range(4)]\n" + classroom.cell(sol, "ex1-impl")["source"],
            **{
                grade_id: "import time\ntime.sleep(3)\n" + classroom.cell(sol, grade_id)["source"]
                for grade_id in ("ex2-impl", "ex3-answer", "ex4-fix")
            },
        },
    )
    slow = classroom.replaced(
        sol,
        {
            "ex1-impl": "import time\ntime.sleep(1)\n" + classroom.cell(sol, "ex1-impl")["source"],
            "ex2-impl": "start = time.process_time()\n"
            "while time.process_time() - start < 3:  # 3 s of honest computing\n"
            "    pass\n" + classroom.cell(sol, "ex2-impl")["source"],
        },
    )
    (submissions / "a_hog.ipynb").write_bytes(classroom.dump(hog))
    (submissions / "b_slow.ipynb").write_bytes(classroom.dump(slow))
    out = tmp_path / "out"
    process = run_grader(
        "ch99",
        submissions,
        "--out",
        out,
        "--solutions",
        classroom.SOLUTIONS.parent,
        "-j",
        2,
        "--timeout-cell",
        5,
        "--timeout-notebook",
        60,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    rows = read_gradebook(out / "gradebook.csv")
    assert {k: (v["total"], v["status"], v["reason"]) for k, v in rows.items()} == {
        "a_hog": ("10", "ok", ""),
        "b_slow": ("10", "ok", ""),
    }


def _launch(tmp_path, command: list, cpu_s=None) -> subprocess.CompletedProcess:
    """Run ``command`` in the sandbox a kernel gets (its CPU seconds changed, if given)."""
    run_dir = tmp_path / "run"
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
    return subprocess.run(
        [sys.executable, "-I", SANDBOX_SCRIPT, str(box / "sandbox.json"), "--", *command],
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
