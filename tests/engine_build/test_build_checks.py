"""Each piece's check: the learner's right answer passes, plausible wrong answers fail,
and checking leaves minigrad exactly as it was."""

import inspect
import re
from pathlib import Path

import numpy as np
import pytest
import solution_pieces
from solution_pieces import PIECES
from wrong_pieces import WRONG, Answer, Replace, Wrong

import minigrad as mg
from coursekit.engine_build import pieces, plugs, trials
from coursekit.engine_build.switchboard import BOARD

ROOT = Path(__file__).resolve().parents[2]


def test_the_build_has_at_least_15_pieces_across_chapters_01_to_10():
    assert len(pieces.PIECES) >= 15
    chapters = {p.chapter for p in pieces.PIECES}
    assert chapters <= {f"ch{n:02d}" for n in range(1, 11)}
    assert {"ch01", "ch02", "ch03", "ch04", "ch05", "ch06", "ch07", "ch08", "ch10"} <= chapters


def test_every_piece_has_a_plug_and_a_check_and_is_in_build_md():
    text = (ROOT / "coursekit" / "BUILD.md").read_text(encoding="utf-8")
    for piece in pieces.PIECES:
        assert piece.id in plugs.PLUGS, piece.id
        assert len(trials.CASES[piece.id]) >= 2, piece.id
        assert f"`{piece.id}`" in text, f"coursekit/BUILD.md does not list {piece.id}"
    assert set(plugs.PLUGS) == set(pieces.BY_ID) == set(trials.CASES)


def test_the_solutions_write_every_piece():
    assert set(PIECES) == set(pieces.BY_ID)


@pytest.mark.parametrize("piece_id", list(PIECES))
def test_a_right_piece_passes_its_check(piece_id):
    verdict = trials.check(piece_id, PIECES[piece_id])
    assert verdict.passed, verdict.message
    assert verdict.cases == len(trials.CASES[piece_id])


@pytest.mark.parametrize("wrong", WRONG, ids=[f"{w.piece_id}: {w.what}" for w in WRONG])
def test_a_wrong_piece_fails_its_check_saying_what_is_wrong(wrong):
    verdict = trials.check(wrong.piece_id, wrong.obj)
    assert verdict.status == "failed", verdict
    assert wrong.phrase in verdict.message
    case_labels = [c.label for c in trials.CASES[wrong.piece_id]]
    # it names the case that went wrong, or the piece whose form is wrong before any case ran
    starts = [*case_labels, pieces.get(wrong.piece_id).name + "."]
    assert any(verdict.message.startswith(start) for start in starts), verdict.message


def test_every_piece_has_a_wrong_version_that_its_check_rejects():
    assert {w.piece_id for w in WRONG} == set(pieces.BY_ID)


def test_a_wrong_piece_is_its_solution_cell_changed():
    for wrong in WRONG:
        right = solution_pieces.source(wrong.piece_id)
        assert wrong.text != right, (wrong.piece_id, wrong.what)
        assert wrong.obj is not PIECES[wrong.piece_id]
        assert wrong.obj.__name__ == PIECES[wrong.piece_id].__name__


def test_a_change_that_no_longer_fits_the_solution_is_an_error_not_a_right_piece():
    gone = Wrong("ch03.unbroadcast", "a line the solution no longer has", (Replace("xyz", ""),), "")
    with pytest.raises(LookupError, match="0 times"):
        solution_pieces.load(gone.piece_id, gone.text)
    with pytest.raises(LookupError, match="not 9"):
        Answer(8, "pass").apply(solution_pieces.source("ch03.unbroadcast"))


def test_an_answer_replaces_only_its_solution_region_keeping_the_indent():
    text = Answer(1, "return self.tensor").apply(solution_pieces.source("ch06.SavedTensor"))
    first, second = text.split("### BEGIN SOLUTION")[1:]
    assert "self.version = tensor._version" in first  # region 0 untouched
    assert second.split("### END SOLUTION")[0].strip() == "return self.tensor"
    assert "\n        return self.tensor\n" in text


def test_a_stub_is_reported_as_not_written_yet():
    def unbroadcast(grad, shape):
        raise NotImplementedError("ch03.unbroadcast: sum the gradient down to shape")

    verdict = trials.check("ch03.unbroadcast", unbroadcast)
    assert verdict.status == "not-implemented"


def test_an_error_in_the_learners_code_names_their_line():
    def unbroadcast(grad, shape):
        return grad.summ(axis=0)

    verdict = trials.check("ch03.unbroadcast", unbroadcast)
    assert verdict.status == "failed"
    assert "AttributeError" in verdict.message
    assert "in your unbroadcast, line" in verdict.message
    assert "grad.summ(axis=0)" in verdict.message


def _snapshot():
    """Every site a piece may replace, and the code of every reference object."""
    sites = {}
    for plug in plugs.PLUGS.values():
        for reference in plug.references():
            for owner, attribute in plugs.bindings(reference):
                sites[(id(owner), attribute)] = getattr(owner, attribute)
    for owner in (mg.Tensor, mg.Scalar, mg.nn.Module, mg.optim.SGD, mg.graph.AccumulateGrad):
        for name, value in list(vars(owner).items()):
            sites[(id(owner), name)] = value
    codes = {}
    for plug in plugs.PLUGS.values():
        for reference in plug.references():
            members = (
                [reference] if inspect.isfunction(reference) else list(vars(reference).values())
            )
            for member in members:
                member = getattr(member, "__func__", member)
                if inspect.isfunction(member):
                    codes[id(member)] = member.__code__
    return sites, codes, mg.grad_mode._state


def test_checking_every_piece_right_and_wrong_leaves_minigrad_as_it_was():
    before = _snapshot()
    for piece_id, obj in PIECES.items():
        trials.check(piece_id, obj)
    for wrong in WRONG:
        trials.check(wrong.piece_id, wrong.obj)
    assert BOARD.installed == {}
    assert _snapshot() == before
    # minigrad's own engine still works, all of it
    x = mg.tensor([[1.0, -2.0]], requires_grad=True)
    y = (mg.mm(x, mg.tensor([[1.0], [2.0]])).relu() * x + x.tanh()).sum()
    y.backward()
    assert np.allclose(x.grad.numpy(), 1 - np.tanh([[1.0, -2.0]]) ** 2)


def test_the_readme_explains_the_build_in_four_sentences():
    """Issue 15: four sentences, with the number of pieces, where they are kept, what each
    setup cell says, chapter 11's figure, the progress command and the design's file."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### The build: your engine, chapter by chapter\n", 1)[1]
    text = " ".join(section.split("\n#", 1)[0].split())
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text)
    assert len(sentences) == 4, sentences
    number = {15: "Fifteen", 16: "Sixteen", 17: "Seventeen", 18: "Eighteen", 19: "Nineteen"}
    assert text.startswith(f"{number[len(pieces.PIECES)]} of the exercises are the pieces")
    for needed in ("`my_engine/`", "setup cell", "Chapter 11", "coursekit.progress", "BUILD.md"):
        assert needed in text, needed
