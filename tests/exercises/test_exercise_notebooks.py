"""The exercise notebooks as a whole: generated from solutions/, failing as handed out,
covering every seed item, and graded full / zero by the instructor's command.

(Each chapter's own file, test_chNN_mutations.py, shows its checks reject wrong work;
nbval over solutions/ shows every check passes on the solved notebooks.)
"""

import json
import os
import pathlib
import re
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from coursekit import seedtable
from coursekit.seed_items import SEED_ITEMS

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHAPTERS = [f"ch{n:02d}" for n in range(11)]
# Chapter 11, "your engine", is the last notebook: it runs the pieces of the others
# (coursekit/BUILD.md) and has one exercise; the chapters' rules below are for ch00-ch10.
YOUR_ENGINE = "ch11"
EXERCISES = sorted(p for p in (ROOT / "exercises").glob("ch*.ipynb") if p.name[:4] != YOUR_ENGINE)
SOLUTIONS = sorted(p for p in (ROOT / "solutions").glob("ch*.ipynb") if p.name[:4] != YOUR_ENGINE)


def _graded_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def test_every_chapter_has_a_solutions_and_an_exercise_notebook():
    assert [p.name[:4] for p in SOLUTIONS] == CHAPTERS
    assert [p.name for p in EXERCISES] == [p.name for p in SOLUTIONS]
    for folder in ("solutions", "exercises"):
        assert [p.name for p in (ROOT / folder).glob(f"{YOUR_ENGINE}_*.ipynb")] == [
            "ch11_your_engine.ipynb"
        ]


def test_exercises_are_what_release_generates_from_solutions_now():
    result = subprocess.run(
        [sys.executable, "-m", "coursekit.release", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_exercise_kind_appears_and_chapters_05_06_07_have_four_exercises_or_more():
    kinds = set()
    for path in SOLUTIONS:
        nb = nbformat.read(str(path), as_version=4)
        headings = [
            c.source
            for c in nb.cells
            if c.cell_type == "markdown"
            and re.match(r"## Exercise \d+ \((implement|predict|find the bug)\)", c.source)
        ]
        kinds |= {re.match(r"## Exercise \d+ \(([^)]+)\)", h).group(1) for h in headings}
        assert len(_graded_cells(nb)) == len(headings) >= 3, path.name
        if path.name[:4] in ("ch05", "ch06", "ch07"):
            assert len(headings) >= 4, path.name
    assert kinds == {"implement", "predict", "find the bug"}


def test_every_seed_item_is_exercised_somewhere():
    tagged = seedtable.tagged_cells(ROOT / "solutions")  # cells tagged seed:<item>
    assert sorted(set(SEED_ITEMS) - set(tagged)) == []
    assert sorted(set(tagged) - set(SEED_ITEMS)) == []


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.stem)
def test_exercise_run_as_handed_out_runs_to_the_end_and_every_check_says_not_implemented(path):
    """Run All on the notebook as handed out: no cell raises (so Run All reaches the
    end), every check cell prints ✗ "not implemented yet", and progress shows 0 of N."""
    nb = nbformat.read(str(path), as_version=4)
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env_path) if p)
    NotebookClient(  # allow_errors=False: a cell that raises stops the run and fails the test
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "exercises")}},
    ).execute()
    graded, points = 0, 0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            graded += 1
            points += meta["points"]
            assert {o.output_type for o in cell.outputs} == {"stream"}, meta["grade_id"]
            assert {o.name for o in cell.outputs} == {"stderr"}, meta["grade_id"]
            printed = "".join(o.text for o in cell.outputs)
            assert printed.startswith("✗") and "not implemented yet" in printed, printed
    progress = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "progress"]
    shown = progress[0].outputs[0]["data"]["text/plain"]
    assert f"0 of {graded} exercises passed, 0 of {points} points" in shown
    assert graded >= 3


@pytest.mark.sandbox
def test_grading_a_solved_and_a_blank_notebook_gives_full_and_zero_marks(tmp_path):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "solved.ipynb").write_bytes(
        next((ROOT / "solutions").glob("ch06_*.ipynb")).read_bytes()
    )
    (submissions / "blank.ipynb").write_bytes(
        next((ROOT / "exercises").glob("ch06_*.ipynb")).read_bytes()
    )
    out = tmp_path / "grades"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "coursekit.grade",
            "ch06",
            str(submissions),
            "--out",
            str(out),
            "-j",
            "2",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    import csv

    rows = {r["learner"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    assert rows["solved"]["total"] == rows["solved"]["max"] and float(rows["solved"]["max"]) > 0
    assert float(rows["blank"]["total"]) == 0
    assert json.dumps(rows)  # plain data
    _wait_for_sandboxes_to_exit()


def _wait_for_sandboxes_to_exit(timeout=30):
    """The grader's kernels may take a moment to exit after it returns; tests that
    check for leftover processes (tests/grading) must not see ours."""
    import time

    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = []
        for proc in psutil.process_iter(["cmdline"]):
            try:
                if " ".join(proc.info["cmdline"] or []).startswith("coursekit-sandbox"):
                    alive.append(proc)
            except psutil.Error:
                continue
        if not alive:
            return
        time.sleep(0.5)


def test_your_engine_as_handed_out_runs_to_the_end_on_minigrads_own_engine():
    """Chapter 11 before any exercise is done: every piece is minigrad's, the notebook still
    runs (digits, parity, the picture), and its one check says not implemented."""
    nb = nbformat.read(str(ROOT / "exercises" / "ch11_your_engine.ipynb"), as_version=4)
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env_path) if p)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    shown = {c.get("id"): c.outputs for c in nb.cells if c.cell_type == "code"}
    assert "0 of 18 pieces are yours" in shown["setup"][0]["text"]
    assert "test accuracy on your engine: 0.9" in shown["digits"][0]["text"]
    assert "not implemented yet" in "".join(o.get("text", "") for o in shown["ex1-check"])
