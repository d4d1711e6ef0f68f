"""The grading command itself: help, re-runs, resuming, zips, limits, refusals."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import classroom
import pytest
from classroom import ROOT, read_gradebook, run_grader, tree_hashes


def _copy_of_results(graded_class, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded_class.out, out)
    return out


def test_help_lists_every_option_and_what_the_exit_status_means():
    process = run_grader("--help")
    assert process.returncode == 0
    for option in (
        "--out",
        "-j",
        "--timeout-cell",
        "--timeout-notebook",
        "--memory-mb",
        "--max-total-mb",
        "--isolation",
        "--solutions",
    ):
        assert option in process.stdout
    text = " ".join(process.stdout.split())
    assert "exit status: 0 the gradebook is written; every row has its verdict" in text
    assert "1 the gradebook is written, but the grader itself failed" in text


@pytest.mark.sandbox
def test_a_rerun_grades_nothing_and_writes_the_same_files(graded_class, tmp_path):
    out = _copy_of_results(graded_class, tmp_path)
    before = tree_hashes(out / "feedback")
    process = run_grader(*graded_class.grader_args(out))
    assert process.returncode == 0, process.stderr[-2000:]
    assert f"(0 graded now, {len(graded_class.expected)} from an earlier run)" in process.stdout
    assert (out / "gradebook.csv").read_bytes() == (graded_class.out / "gradebook.csv").read_bytes()
    assert tree_hashes(out / "feedback") == before


@pytest.mark.sandbox
def test_an_interrupted_run_resumes_with_the_submissions_it_had_not_finished(
    graded_class, tmp_path
):
    out = _copy_of_results(graded_class, tmp_path)
    # What an interruption leaves: some results written, others not, no gradebook yet.
    for learner in ("full", "partial"):
        (out / ".coursekit-grade" / "results" / f"{learner}.json").unlink()
    (out / "gradebook.csv").unlink()
    process = run_grader(*graded_class.grader_args(out, "-j", 2))
    assert process.returncode == 0, process.stderr[-2000:]
    assert f"(2 graded now, {len(graded_class.expected) - 2} from an earlier run)" in process.stdout
    assert read_gradebook(out / "gradebook.csv") == graded_class.gradebook


@pytest.mark.sandbox
def test_ctrl_c_stops_the_workers_keeps_finished_results_and_the_next_run_resumes(tmp_path):
    submissions, out = tmp_path / "submissions", tmp_path / "out"
    submissions.mkdir()
    shutil.copy(classroom.SOLUTIONS, submissions / "a.ipynb")
    shutil.copy(classroom.EXERCISES, submissions / "b.ipynb")
    slow = classroom.edited(
        classroom.load(classroom.SOLUTIONS), "ex1-impl", before="import time\ntime.sleep(60)"
    )
    (submissions / "c.ipynb").write_bytes(classroom.dump(slow))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [
        "ch99",
        submissions,
        "--out",
        out,
        "--solutions",
        classroom.SOLUTIONS.parent,
        "--timeout-cell",
        120,
    ]
    grader = subprocess.Popen(
        [sys.executable, "-m", "coursekit.grade", *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as in a terminal, even when these tests run in the background (a shell
        # starts background jobs with SIGINT ignored, and the grader would inherit that).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    results = out / ".coursekit-grade" / "results"
    deadline = time.monotonic() + 600  # generous: a busy machine only makes this wait longer
    while (
        not ((results / "a.json").exists() and (results / "b.json").exists())
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    time.sleep(1)  # c is now starting its kernel or sleeping in it: not finished either way
    grader.send_signal(signal.SIGINT)
    _, stderr = grader.communicate(timeout=30)
    assert grader.returncode == 130
    assert "interrupted: 2 results kept" in stderr
    assert sorted(p.name for p in results.glob("*.json")) == ["a.json", "b.json"]

    (submissions / "c.ipynb").write_bytes(classroom.SOLUTIONS.read_bytes())
    process = run_grader(*args)
    assert "(1 graded now, 2 from an earlier run)" in process.stdout
    assert {k: v["total"] for k, v in read_gradebook(out / "gradebook.csv").items()} == {
        "a": "10",
        "b": "0",
        "c": "10",
    }


@pytest.mark.sandbox
def test_a_changed_submission_is_graded_again(graded_class, tmp_path):
    out = _copy_of_results(graded_class, tmp_path)
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(classroom.EXERCISES, submissions / "full.ipynb")  # "full" now hands in nothing
    process = run_grader("ch99", submissions, "--out", out, "--solutions", graded_class.solutions)
    assert "(1 graded now, 0 from an earlier run)" in process.stdout
    assert read_gradebook(out / "gradebook.csv")["full"]["total"] == "0"


@pytest.mark.sandbox
def test_the_notebook_time_limit_fails_the_exercise_it_ran_out_in_and_the_rest(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    slow = classroom.edited(
        classroom.load(classroom.SOLUTIONS), "ex3-answer", before="import time\ntime.sleep(120)"
    )
    (submissions / "slow.ipynb").write_bytes(classroom.dump(slow))
    run_grader(
        "ch99",
        submissions,
        "--out",
        tmp_path / "out",
        "--solutions",
        classroom.SOLUTIONS.parent,
        "--timeout-cell",
        240,
        # Exercises 1 and 2 take a second or two of the kernel's clock; 15 s leaves them
        # room on a busy machine (the kernel's clock also counts its waits for the disk).
        "--timeout-notebook",
        15,
    )
    row = read_gradebook(tmp_path / "out" / "gradebook.csv")["slow"]
    assert [row[g] for g in classroom.POINTS] == ["3", "3", "0", "0"]
    assert row["status"] == "incidents"
    assert "the notebook's time limit (15 s) ran out in exercise 3" in row["reason"]


def test_the_output_folder_may_not_be_inside_the_submissions(tmp_path):
    (tmp_path / "subs").mkdir()
    process = run_grader(
        "ch99",
        tmp_path / "subs",
        "--out",
        tmp_path / "subs" / "out",
        "--solutions",
        classroom.SOLUTIONS.parent,
    )
    assert process.returncode == 2
    assert "must not be inside the submissions folder" in process.stderr
    assert not (tmp_path / "subs" / "out").exists()


def test_an_unknown_chapter_is_an_error_that_says_so(tmp_path):
    (tmp_path / "subs").mkdir()
    process = run_grader(
        "ch42",
        tmp_path / "subs",
        "--out",
        tmp_path / "out",
        "--solutions",
        classroom.SOLUTIONS.parent,
    )
    assert process.returncode == 2
    assert "no solutions notebook for ch42" in process.stderr


def test_with_isolation_none_the_grader_grades_restarts_dead_kernels_and_says_so(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(classroom.SOLUTIONS, submissions / "full.ipynb")
    shutil.copy(classroom.EXERCISES, submissions / "zero.ipynb")
    dies = classroom.edited(
        classroom.load(classroom.SOLUTIONS), "ex3-answer", after="import os\nos._exit(3)"
    )
    (submissions / "dies.ipynb").write_bytes(classroom.dump(dies))
    process = run_grader(
        "ch99",
        submissions,
        "--out",
        tmp_path / "out",
        "--solutions",
        classroom.SOLUTIONS.parent,
        "--isolation",
        "none",
        "-j",
        2,
    )
    assert process.returncode == 0, process.stderr[-2000:]
    assert "WARNING: graded WITHOUT a sandbox (--isolation none)" in process.stdout
    rows = read_gradebook(tmp_path / "out" / "gradebook.csv")
    assert {k: (v["total"], v["status"]) for k, v in rows.items()} == {
        "full": ("10", "ok"),
        "zero": ("0", "ok"),
        "dies": ("8", "incidents"),
    }
    for learner in rows:
        page = (tmp_path / "out" / "feedback" / f"{learner}.html").read_text()
        assert "graded WITHOUT a sandbox (--isolation none)" in page


def test_without_bubblewrap_the_grader_refuses_unless_told_isolation_none(tmp_path):
    # Issue 16, hole 10: with no sandbox at hand, the grader used to fall back
    # to none, and this notebook read the hidden tests as the instructor.
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    reads = classroom.edited(
        classroom.load(classroom.SOLUTIONS),
        "ex1-impl",
        before=f"print(open({str(classroom.CHECKS_MODULE)!r}).read()[:100])",
    )
    (submissions / "reads.ipynb").write_bytes(classroom.dump(reads))
    no_bwrap = tmp_path / "bin"
    no_bwrap.mkdir()
    (no_bwrap / "python3").symlink_to(sys.executable)
    env = {**os.environ, "PATH": str(no_bwrap)}
    process = run_grader(
        "ch99",
        submissions,
        "--out",
        tmp_path / "out",
        "--solutions",
        classroom.SOLUTIONS.parent,
        env=env,
    )
    assert process.returncode == 2
    assert "no sandbox: bubblewrap (bwrap) is not installed" in process.stderr
    assert "--isolation none" in process.stderr
    assert not (tmp_path / "out" / "gradebook.csv").exists()
