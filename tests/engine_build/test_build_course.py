"""A learner plays through the course: each chapter's setup runs on the pieces of the
chapters before it; the last engine is compared with PyTorch's recorded behaviour."""

import numpy as np
import pytest
import solution_pieces
import wrong_pieces
from solution_pieces import PIECES

import minigrad as mg
from coursekit.engine_build import assemble, parity, pieces, store
from coursekit.engine_build.switchboard import BOARD

CHAPTERS = [f"ch{n:02d}" for n in range(1, 11)]
UNBROADCAST_WITHOUT_KEEPDIMS = wrong_pieces.named("ch03.unbroadcast", "drops the size-1 dimensions")


@pytest.fixture(scope="module")
def reference_figure():
    """P of N of minigrad's own engine (every piece minigrad's)."""
    BOARD.remove_all()
    report = parity.compare_with_pytorch()
    assert report.total == len(parity._parity_modules()[2].PROGRAMS)
    return report.passed, report.total


def play_the_course(learners_pieces, capsys):
    """Chapter by chapter: set up the engine, then do the chapter's implement exercises."""
    reports = {}
    for chapter in CHAPTERS:
        reports[chapter] = assemble.assemble(chapter)
        for piece in pieces.PIECES:
            if piece.chapter == chapter:
                assemble.check_piece(piece.id, learners_pieces[piece.id])
    reports["all"] = assemble.assemble("all")
    capsys.readouterr()
    return reports


def every_chapter_ran_on_the_learners_own_pieces(reports):
    """What a learner with every piece right sees: from each chapter on, the pieces of the
    chapters before are theirs, and the last engine is all theirs."""
    for chapter in CHAPTERS:
        report = reports[chapter]
        expected = [p.id for p in pieces.PIECES if p.chapter < chapter]
        assert [row.piece.id for row in report.rows] == expected
        assert report.yours == expected, repr(report)
    assert reports["all"].yours == list(pieces.BY_ID)
    assert set(BOARD.installed) == set(pieces.BY_ID)


def test_a_learner_with_every_piece_right_runs_the_course_on_their_own_engine(
    capsys, reference_figure
):
    reports = play_the_course(PIECES, capsys)
    every_chapter_ran_on_the_learners_own_pieces(reports)
    # the engine is the learner's: e.g. Tensor.detach runs their function
    assert mg.Tensor.detach is not BOARD._undo["ch05.detach"][0][2]
    report = parity.compare_with_pytorch()
    assert (report.passed, report.total) == reference_figure
    assert report.rows == [] and report.stand_ins == []


def one_wrong_version_of_each_piece():
    found = {}
    for wrong in wrong_pieces.WRONG:
        found.setdefault(wrong.piece_id, wrong)
    return list(found.values())


@pytest.mark.parametrize(
    "wrong", one_wrong_version_of_each_piece(), ids=lambda w: f"{w.piece_id}: {w.what}"
)
def test_the_play_through_sees_any_wrong_piece(capsys, wrong):
    """The right play-through's assertions fail when one piece is a wrong one: the course
    test can fail, and the learner is told which piece stands in."""
    with_a_mistake = dict(PIECES)
    with_a_mistake[wrong.piece_id] = wrong.obj
    reports = play_the_course(with_a_mistake, capsys)
    with pytest.raises(AssertionError):
        every_chapter_ran_on_the_learners_own_pieces(reports)
    row = reports["all"].whose(wrong.piece_id)
    assert row.whose == assemble.MINIGRADS and row.why.startswith("failing its check"), row
    assert reports["all"].yours == [p for p in pieces.BY_ID if p != wrong.piece_id]


def test_a_learner_whose_ch03_piece_is_wrong_gets_minigrads_piece_and_is_told(
    capsys, reference_figure
):
    pieces_with_a_mistake = dict(PIECES)
    pieces_with_a_mistake["ch03.unbroadcast"] = UNBROADCAST_WITHOUT_KEEPDIMS.obj
    reports = play_the_course(pieces_with_a_mistake, capsys)

    assert store.pieces()["ch03.unbroadcast"]["status"] == "failed"
    row = reports["ch04"].whose("ch03.unbroadcast")
    assert row.whose == assemble.MINIGRADS
    # what went wrong stays in view, the case's long label dropped to make room
    assert row.why == (
        "failing its check: a grad of shape (2, 3) for a tensor of shape (2, 1): "
        "your result has shape (2,), expected shape (2, 1)"
    )
    assert len(reports["ch04"].yours) == len(reports["ch04"].rows) - 1
    assert "ch03.unbroadcast" in repr(reports["ch04"])
    # chapter 4's pieces passed their checks in that engine: the course went on
    assert store.pieces()["ch04.accumulate_grad"]["status"] == "passed"

    # the final engine: every piece the learner's but ch03.unbroadcast, and it works
    final = reports["all"]
    assert final.yours == [p for p in pieces.BY_ID if p != "ch03.unbroadcast"]
    x = mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    w = mg.tensor([[1.0], [2.0]], requires_grad=True)
    (x * w).sum().backward()
    assert np.allclose(w.grad.numpy(), [[6.0], [15.0]])  # sums of the rows of x
    report = parity.compare_with_pytorch()
    assert (report.passed, report.total) == reference_figure
    assert report.stand_ins == [("ch03.unbroadcast", "failing its check")]
    assert "minigrad's own code ran for ch03.unbroadcast" in repr(report)


def test_a_wrong_piece_that_got_into_the_engine_is_named_by_the_parity_report(reference_figure):
    for piece_id, obj in PIECES.items():
        BOARD.install(piece_id, obj)
    BOARD.install("ch03.unbroadcast", UNBROADCAST_WITHOUT_KEEPDIMS.obj)  # as if unchecked
    report = parity.compare_with_pytorch()
    assert report.passed < reference_figure[0]
    assert report.total == reference_figure[1]
    assert report.rows and all(row.revisit == ["ch03.unbroadcast"] for row in report.rows)
    assert report.to_revisit == ["ch03.unbroadcast"]
    assert "your engine stopped with RuntimeError" in report.rows[0].first_difference


def test_a_missing_piece_is_minigrads_and_says_not_written_yet(capsys):
    assemble.check_piece("ch01.Add", PIECES["ch01.Add"])
    report = assemble.assemble("ch02")
    assert report.whose("ch01.Add").whose == assemble.YOURS
    assert report.whose("ch01.Mul").why == "not written yet"
    assert report.whose("ch01.Mul").whose == assemble.MINIGRADS


def test_setup_prints_the_table_and_can_run_twice(capsys):
    assemble.check_piece("ch01.Add", PIECES["ch01.Add"])
    capsys.readouterr()
    assemble.setup("ch02")
    assemble.setup("ch02")
    out = capsys.readouterr().out
    assert out.count("Your engine for this notebook: 1 of 3 pieces are yours") == 2
    assert "✓ ch01.Add" in out and "· ch01.Tanh" in out
    assert list(BOARD.installed) == ["ch01.Add"]


def test_a_stub_run_later_does_not_erase_a_saved_piece(capsys):
    assemble.check_piece("ch03.unbroadcast", PIECES["ch03.unbroadcast"])

    def unbroadcast(grad, shape):
        raise NotImplementedError

    verdict = assemble.check_piece("ch03.unbroadcast", unbroadcast)
    assert verdict.status == "not-implemented"
    assert store.pieces()["ch03.unbroadcast"]["status"] == "passed"
    assert solution_pieces.source("ch03.unbroadcast").strip() in store.source("ch03.unbroadcast")


def test_a_saved_file_broken_by_hand_falls_back_with_the_reason(capsys):
    assemble.check_piece("ch03.unbroadcast", PIECES["ch03.unbroadcast"])
    path = store.piece_file("ch03.unbroadcast")
    path.write_text(path.read_text() + "\ndef (\n", encoding="utf-8")
    row = assemble.assemble("ch04").whose("ch03.unbroadcast")
    assert row.whose == assemble.MINIGRADS
    assert row.why.startswith("could not be loaded: SyntaxError")


def test_a_saved_file_made_wrong_by_hand_is_checked_again_and_refused(capsys):
    assemble.check_piece("ch03.unbroadcast", PIECES["ch03.unbroadcast"])
    path = store.piece_file("ch03.unbroadcast")
    path.write_text(path.read_text().replace("keepdims=True", "keepdims=False"), encoding="utf-8")
    row = assemble.assemble("ch04").whose("ch03.unbroadcast")
    assert row.why.startswith("failing its check")
    assert store.pieces()["ch03.unbroadcast"]["status"] == "failed"


def test_the_learners_engine_trains_the_digits_mlp_as_minigrads_does():
    """Chapter 08's digits MLP, once on minigrad's own engine and once on the learner's."""
    from coursekit.data import load_digits, train_test_split
    from coursekit.training import fit

    def test_accuracy():
        X, y = load_digits()
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
        mg.manual_seed(0)
        mlp = mg.nn.Sequential(mg.nn.Linear(64, 64), mg.nn.ReLU(), mg.nn.Linear(64, 10))
        optimizer = mg.optim.SGD(mlp.parameters(), lr=0.1, momentum=0.9)
        history = fit(
            mlp,
            mg.nn.CrossEntropyLoss(),
            optimizer,
            (X_train, y_train),
            epochs=6,
            test_data=(X_test, y_test),
            seed=0,
            progress=False,
        )
        return history.test_accuracy[-1]

    minigrads = test_accuracy()
    for piece_id, obj in PIECES.items():
        BOARD.install(piece_id, obj)
    yours = test_accuracy()
    assert yours > 0.9
    assert yours == pytest.approx(minigrads, abs=1e-9)
