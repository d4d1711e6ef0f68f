"""Course-wide progress, read from disk: exercises, points, and the pieces of your engine."""

import os
import subprocess
import sys

import wrong_pieces
from solution_pieces import PIECES

from coursekit.checks import registry
from coursekit.engine_build import assemble, pieces, progress, store


def test_progress_counts_exercises_points_and_pieces_from_disk(capsys):
    ch03 = registry.load_chapter("ch03")
    unbroadcast = ch03["ch03.unbroadcast"]
    progress.record_exercise("ch03.unbroadcast", "passed", unbroadcast.points)
    progress.record_exercise("ch03.dtypes", "failed", ch03["ch03.dtypes"].points)
    assemble.check_piece("ch03.unbroadcast", PIECES["ch03.unbroadcast"])
    assemble.check_piece("ch03.Mul", wrong_pieces.named("ch03.Mul", "saves both inputs always").obj)

    report = progress.course_progress()  # read back from the files, as a new process would
    row = next(r for r in report.chapters if r.chapter == "ch03")
    assert (row.exercises_passed, row.exercises) == (1, len(ch03))
    assert row.points == unbroadcast.points
    assert row.max_points == sum(c.points for c in ch03.values())
    assert (row.pieces_yours, row.pieces) == (1, 3)
    states = {r.piece_id: r.state for r in report.pieces}
    assert states["ch03.unbroadcast"] == "yours, passing"
    assert states["ch03.Mul"] == "failing its check"
    assert states["ch01.Add"] == "not written yet"
    assert len(report.chapters) == 11 and len(report.pieces) == len(pieces.PIECES)
    text = repr(report)
    assert f"{unbroadcast.points} of {report.max_points} points" in text
    assert "1 of 18 pieces of your engine are yours and pass" in text
    assert "<table>" in report._repr_html_()


def test_a_not_implemented_verdict_does_not_erase_an_earlier_one():
    progress.record_exercise("ch02.topological_order", "passed", 4)
    progress.record_exercise("ch02.topological_order", "not-implemented", 4)
    assert store.exercises()["ch02.topological_order"] == {"status": "passed", "points": 4, "of": 4}
    progress.record_exercise("ch02.topological_order", "failed", 4)
    assert store.exercises()["ch02.topological_order"]["points"] == 0


def test_the_command_prints_the_progress(capsys, fresh_engine):
    progress.record_exercise("ch01.fit_step", "passed", 2)
    assert progress.main(["--dir", str(fresh_engine)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Course progress: 2 of ")
    assert f"ch01      1 of {len(registry.load_chapter('ch01'))}" in out


def test_python_m_coursekit_progress_prints_the_course_progress(fresh_engine):
    progress.record_exercise("ch01.fit_step", "passed", 2)
    env = {**os.environ, "MINIGRAD_MY_ENGINE": str(fresh_engine)}
    done = subprocess.run(
        [sys.executable, "-m", "coursekit.progress"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Course progress: 2 of ")
    assert done.stderr == ""
