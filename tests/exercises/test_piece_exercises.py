"""Every piece of the learner's engine is an implement exercise whose check cell passes the
right piece, fails every wrong one, and refuses minigrad's own answer; a piece's check cell
saves it in my_engine/ and records the exercise's points there.

(test_checks_agree_with_the_grader.py grades the same wrong and imported pieces with
``python -m coursekit.grade``: importing the answer earns 0 points there too.)
"""

from __future__ import annotations

import linecache

import pytest
from exercise_cells import run_cells
from piece_cells import REFERENCE, piece_wrongs, right, setup_imports, wrong_pieces

from coursekit import check
from coursekit.checks import registry
from coursekit.engine_build import pieces, store

RENAMED = {"ch06.SavedTensor": "ch06.saved_tensor", "ch07.GradMode": "ch07.grad_mode"}


def check_id(piece_id):
    return RENAMED.get(piece_id, piece_id)


def run(code, piece_id):
    """The piece's cell, then its check cell; the cell's source is findable as a notebook's
    is (IPython keeps every cell in linecache), so the check can save it."""
    namespace = {"check": check}
    exec(setup_imports(pieces.get(piece_id).chapter), namespace)  # noqa: S102 - the setup cell's
    name = f"<cell {piece_id}>"
    linecache.cache[name] = (len(code), None, code.splitlines(keepends=True), name)
    exec(compile(code, name, "exec"), namespace)  # noqa: S102 - the test's learner code
    return run_cells("", f'check("{check_id(piece_id)}")', namespace)


@pytest.mark.parametrize("piece_id", list(pieces.BY_ID))
def test_the_right_piece_passes_and_is_saved_with_the_points(piece_id):
    assert run(right(piece_id), piece_id) == "PASSED"
    assert store.pieces()[piece_id]["status"] == "passed"
    definition = registry.get(check_id(piece_id))
    assert store.exercises()[definition.id] == {
        "status": "passed",
        "points": definition.points,
        "of": definition.points,
    }


WRONG = [
    (piece_id, what, code)
    for chapter in sorted({p.chapter for p in pieces.PIECES})
    for piece_id, found in piece_wrongs(chapter).items()
    for what, code in found.items()
]


@pytest.mark.parametrize("piece_id, what, code", WRONG, ids=[f"{w[0]}: {w[1]}" for w in WRONG])
def test_a_wrong_or_imported_piece_fails_and_earns_nothing(piece_id, what, code):
    verdict = run(code, piece_id)
    assert verdict.startswith("FAILED"), verdict
    assert store.exercises()[check_id(piece_id)]["points"] == 0
    if what == "imports minigrad's own":
        assert "this is minigrad's own" in verdict, verdict
    else:  # says what is wrong, not only that something is
        assert wrong_pieces.named(piece_id, what).in_notebook in verdict, verdict


def test_every_piece_has_an_import_of_minigrads_answer_that_is_refused():
    assert sorted(REFERENCE) == sorted(pieces.BY_ID)


def test_a_piece_that_cannot_be_saved_is_still_checked_and_told_why():
    """A lambda, or one kept in a dict, has no def of its own to save: the check says so
    (it raised SyntaxError from the saving before)."""
    for code in (
        "parameters = lambda module: []\n",
        "helpers = {\n    'p': lambda module: [],\n}\nparameters = helpers['p']\n",
    ):
        verdict = run(code, "ch08.parameters")
        assert verdict.startswith("FAILED"), verdict
        assert "Not saved in my_engine/: its source could not be saved" in verdict, verdict


def test_a_piece_of_the_wrong_form_is_told_its_form_first():
    verdict = run("sgd_momentum_step = {'lr': 0.1}\n", "ch08.sgd_momentum_step")
    assert "your sgd_momentum_step: sgd_momentum_step must be a function, got dict" in verdict
