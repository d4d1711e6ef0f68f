"""Course-wide progress, kept on disk: every chapter's exercises and your engine's pieces.

``course_progress()`` reads ``my_engine/`` (see ``store.py``): the last
verdict of every exercise check (``exercises.json``) and of every piece
(``pieces.json``), and lists, chapter by chapter, the exercises passed, the
points earned, and which pieces of the engine are the learner's and pass.

    python -m coursekit.engine_build.progress            # from the course folder
    python -m coursekit.engine_build.progress --dir exercises/my_engine

``record_exercise`` is what a check cell calls to keep its verdict.
"""

from __future__ import annotations

import argparse
import html
import os
from dataclasses import dataclass

from . import pieces, store

EXERCISE_CHAPTERS = tuple(f"ch{n:02d}" for n in range(11))


def record_exercise(check_id: str, status: str, points: int) -> None:
    """Keep an exercise check's verdict on disk (the notebook's ``check`` calls this).

    A verdict of "not implemented" does not replace an earlier one: running a
    fresh copy of a notebook must not erase what was done.
    """
    previous = store.exercises().get(check_id)
    if status == "not-implemented" and previous is not None:
        return
    earned = points if status == "passed" else 0
    store.save_exercise(check_id, status, earned, points)


@dataclass(frozen=True)
class ChapterRow:
    chapter: str
    exercises_passed: int
    exercises: int
    points: int
    max_points: int
    pieces_yours: int
    pieces: int


@dataclass(frozen=True)
class PieceRow:
    piece_id: str
    state: str  # "yours, passing" / "failing its check" / "not written yet"
    message: str


@dataclass(frozen=True)
class CourseProgress:
    chapters: tuple
    pieces: tuple

    @property
    def points(self) -> int:
        return sum(row.points for row in self.chapters)

    @property
    def max_points(self) -> int:
        return sum(row.max_points for row in self.chapters)

    def headline(self) -> str:
        yours = sum(1 for row in self.pieces if row.state == "yours, passing")
        return (
            f"Course progress: {self.points} of {self.max_points} points; "
            f"{yours} of {len(self.pieces)} pieces of your engine are yours and pass."
        )

    def __repr__(self) -> str:
        lines = [self.headline(), "  chapter  exercises  points    pieces yours"]
        for row in self.chapters:
            pieces_text = f"{row.pieces_yours} of {row.pieces}" if row.pieces else "-"
            lines.append(
                f"  {row.chapter}     {row.exercises_passed:>2} of {row.exercises:<2}   "
                f"{row.points:>2} of {row.max_points:<3}  {pieces_text}"
            )
        lines.append("  your engine:")
        for row in self.pieces:
            mark = "✓" if row.state == "yours, passing" else "·"
            note = f": {row.message}" if row.state == "failing its check" else ""
            lines.append(f"    {mark} {row.piece_id:<26} {row.state}{note}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        chapter_rows = "".join(
            f"<tr><td>{r.chapter}</td><td>{r.exercises_passed} of {r.exercises}</td>"
            f"<td>{r.points} of {r.max_points}</td>"
            f"<td>{f'{r.pieces_yours} of {r.pieces}' if r.pieces else '-'}</td></tr>"
            for r in self.chapters
        )
        piece_rows = "".join(
            f"<tr><td><code>{html.escape(r.piece_id)}</code></td><td>{html.escape(r.state)}</td>"
            f"<td>{html.escape(r.message)}</td></tr>"
            for r in self.pieces
        )
        return (
            f"<p><b>{html.escape(self.headline())}</b></p><table><tr><th>chapter</th>"
            f"<th>exercises passed</th><th>points</th><th>pieces yours</th></tr>{chapter_rows}"
            f"</table><table><tr><th>piece</th><th>state</th><th>check</th></tr>{piece_rows}</table>"
        )


def _exercise_checks(chapter):
    from ..checks import registry

    try:
        return list(registry.load_chapter(chapter).values())
    except registry.UnknownCheck:
        return []


def _piece_state(record):
    if record is None:
        return "not written yet", ""
    if record.get("status") == "passed":
        return "yours, passing", record.get("message", "")
    return "failing its check", record.get("message", "")


def course_progress() -> CourseProgress:
    """Every chapter's exercises and points, and every piece's state, from disk."""
    verdicts, piece_records = store.exercises(), store.pieces()
    chapters = []
    for chapter in EXERCISE_CHAPTERS:
        checks = _exercise_checks(chapter)
        passed = [c for c in checks if verdicts.get(c.id, {}).get("status") == "passed"]
        own = [p for p in pieces.PIECES if p.chapter == chapter]
        yours = [p for p in own if (piece_records.get(p.id) or {}).get("status") == "passed"]
        chapters.append(
            ChapterRow(
                chapter,
                len(passed),
                len(checks),
                sum(c.points for c in passed),
                sum(c.points for c in checks),
                len(yours),
                len(own),
            )
        )
    rows = tuple(PieceRow(p.id, *_piece_state(piece_records.get(p.id))) for p in pieces.PIECES)
    return CourseProgress(tuple(chapters), rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.progress",
        description="Your progress through the course, read from your my_engine/ folder.",
    )
    parser.add_argument("--dir", help="the my_engine folder (default: found from here)")
    args = parser.parse_args(argv)
    if args.dir:
        os.environ[store.ENVIRONMENT] = args.dir
    print(repr(course_progress()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
