"""Issue 15's "done when": a learner plays the course with the solutions, notebook by notebook.

Each solutions notebook runs top to bottom in one process, as a learner's kernels would,
with one my_engine/ folder for the whole course: every chapter's setup cell must find the
pieces of the chapters before it (and print that they are the learner's), and chapter 11's
engine, all of it the learner's, must reproduce exactly as many recorded PyTorch behaviours
as minigrad's own engine. A second learner's ch03 piece is wrong: chapter 04 says minigrad's
stands in for it and still passes, and chapter 11 names the ch03 piece.
"""

from __future__ import annotations

import contextlib
import io
import linecache
from pathlib import Path

import pytest
from piece_cells import wrong  # a wrong piece's cell (tests/engine_build/wrong_pieces.py)

from coursekit.engine_build import parity, pieces
from coursekit.engine_build.switchboard import BOARD
from coursekit.grade import nbjson
from minigrad import grad_mode

ROOT = Path(__file__).resolve().parents[2]


def notebook(chapter):
    path = next((ROOT / "solutions").glob(f"{chapter}_*.ipynb"))
    return nbjson.parse(path.read_text(encoding="utf-8"))


def run_notebook(nb, replace=None):
    """Run the code cells in order in a fresh namespace (a new kernel); cell id -> what it
    printed. ``replace`` = {cell id: source} changes cells first (a learner's own answer).
    Every cell's source is kept in linecache, as IPython keeps it, so checks can save it."""
    namespace = {"__name__": "__main__"}
    printed = {}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = (replace or {}).get(cell["id"], cell["source"])
        name = f"<{cell['id']} {id(nb)}>"
        linecache.cache[name] = (len(source), None, source.splitlines(keepends=True), name)
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            exec(compile(source, name, "exec"), namespace)  # noqa: S102 - the course's notebook
        printed[cell["id"]] = out.getvalue()
    grad_mode.reset()
    return printed, namespace


@pytest.fixture(autouse=True)
def agg(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")  # the notebooks draw; nothing is shown
    BOARD.remove_all()
    yield
    BOARD.remove_all()


def reference_figure():
    with BOARD.only({}):
        report = parity.compare_with_pytorch()
    return report.passed, report.total


def yours(chapter):
    n = len(pieces.before(chapter))
    return f"{n} of {n} pieces are yours" if n else "runs on minigrad's own engine"


@pytest.mark.slow
def test_a_learner_plays_the_course_with_the_solutions_on_their_own_engine():
    for chapter in [f"ch{n:02d}" for n in range(11)]:
        printed, _ = run_notebook(notebook(chapter))
        assert yours(chapter) in printed["setup"], printed["setup"]
        assert "✗" not in "".join(printed.values()), chapter
    printed, namespace = run_notebook(notebook("ch11"))
    assert yours("all") in printed["setup"]
    assert "test accuracy on your engine: 0.9" in printed["digits"]
    assert set(BOARD.installed) == set(pieces.BY_ID)  # the engine is all the learner's
    report = namespace["parity"].compare_with_pytorch()
    assert report.rows == [] and report.stand_ins == []
    assert (report.passed, report.total) == reference_figure()


def test_a_learner_whose_ch03_piece_is_wrong_is_told_in_ch04_and_in_chapter_11():
    for chapter in ("ch01", "ch02"):
        run_notebook(notebook(chapter))
    cell = wrong("ch03.unbroadcast", "drops the size-1 dimensions")
    printed, _ = run_notebook(notebook("ch03"), replace={"ex2-impl": cell})
    assert "✗" in printed["ex2-check"]

    printed, _ = run_notebook(notebook("ch04"))
    setup = printed["setup"]
    line = next(line for line in setup.splitlines() if "ch03.unbroadcast" in line)
    assert "minigrad's" in line and "failing its check" in line, setup
    assert "✗" not in "".join(printed.values())  # chapter 04 still works, on minigrad's piece

    printed, namespace = run_notebook(notebook("ch11"), replace={"parity": "", "seeds": ""})
    report = namespace["parity"].compare_with_pytorch(["seed_001_mm_sum_grad"])
    assert ("ch03.unbroadcast", "failing its check") in report.stand_ins
    assert "minigrad's own code ran for ch03.unbroadcast" in repr(report)
