"""The learner's engine, assembled: check a piece and save it; load the pieces so far.

Two calls, one per kind of notebook cell:

* ``check_piece("ch03.unbroadcast", unbroadcast)`` in an exercise's check
  cell: runs the piece's check, prints one line, and saves the piece to
  ``my_engine/`` (with the verdict: a failing piece is recorded as failing);
* ``setup("ch04")`` in an exercise notebook's setup cell: loads the pieces of
  chapters 01 to 03 from ``my_engine/``, installs the ones that passed their
  check into minigrad (a file changed since its check is checked again), and
  prints which pieces are the learner's and which are minigrad's own, and why.
"""

from __future__ import annotations

import html
import inspect
import sys
from dataclasses import dataclass

from . import capture, pieces, plugs, store, trials
from .switchboard import BOARD

YOURS = "yours"
MINIGRADS = "minigrad's"

HEADER = (
    "# Your piece {id}: {signature}\n"
    "# Saved by its check in the chapter {chapter} exercises; the engine runs on it from the\n"
    "# next chapter on. Edit it here or in the notebook; it is checked again when loaded.\n"
)


def _caller_namespace():
    frame = inspect.currentframe()
    try:
        while frame is not None and frame.f_globals.get("__name__", "").startswith(__package__):
            frame = frame.f_back
        return frame.f_globals if frame is not None else vars(sys.modules["__main__"])
    finally:
        del frame


def check_piece(piece_id: str, obj=None, *, save: bool = True) -> trials.Verdict:
    """Check the learner's piece, print the verdict, and keep it in ``my_engine/``.

    ``obj`` defaults to the name the exercise asks for, in the caller's
    namespace (the notebook). A piece not written yet is not saved; a failing
    one is saved with its verdict, and the engine will not use it.
    """
    piece = pieces.get(piece_id)
    if obj is None:
        obj = _caller_namespace().get(piece.name)
    if obj is None:
        verdict = trials.Verdict(piece_id, "not-implemented", f"define {piece.name} first")
    else:
        verdict = trials.check(piece_id, obj)
    if save and obj is not None and verdict.status != "not-implemented":
        save_piece(piece, obj, verdict.status, verdict.message)
    mark = "✓" if verdict.passed else "✗"
    end = " Saved: your engine uses it from now on." if verdict.passed and save else ""
    print(f"{mark} {piece_id}: {verdict.message}.{end}")
    return verdict


def save_piece(piece, obj, status, message) -> str | None:
    """Keep the learner's piece in ``my_engine/`` with its check's verdict; returns why it
    could not be kept (its source was not found), or None."""
    header = HEADER.format(id=piece.id, signature=piece.signature, chapter=piece.chapter[2:])
    try:
        text = capture.capture(obj, piece, header)
    except SyntaxError:  # the source found is not a whole statement
        why = "its source could not be saved (write the piece as a def or class of its own)"
        store.save_piece(piece.id, "failed", why, None)
        return why
    except capture.SourceNotFound as problem:
        why = f"its source could not be saved ({problem})"
        store.save_piece(piece.id, "failed", why, None)
        return why
    store.save_piece(piece.id, status, message, text)
    return None


@dataclass(frozen=True)
class Row:
    piece: pieces.Piece
    whose: str  # YOURS or MINIGRADS
    why: str


@dataclass(frozen=True)
class EngineReport:
    """Which pieces of the engine are the learner's, for one chapter's notebook."""

    chapter: str
    rows: tuple

    @property
    def yours(self) -> list:
        return [row.piece.id for row in self.rows if row.whose == YOURS]

    def whose(self, piece_id: str) -> Row:
        return next(row for row in self.rows if row.piece.id == piece_id)

    def headline(self) -> str:
        if not self.rows:
            return (
                f"Chapter {self.chapter[2:]} runs on minigrad's own engine (no pieces before it)."
            )
        mine = len(self.yours)
        rest = "" if mine == len(self.rows) else "; minigrad's own code stands in for the rest"
        return f"Your engine for this notebook: {mine} of {len(self.rows)} pieces are yours{rest}."

    def __repr__(self) -> str:
        lines = [self.headline()]
        width = max((len(row.piece.id) for row in self.rows), default=0)
        for row in self.rows:
            mark = "✓" if row.whose == YOURS else "·"
            lines.append(f"  {mark} {row.piece.id:<{width}}  {row.whose:<10}  {row.why}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><td><code>{html.escape(r.piece.id)}</code></td><td>{html.escape(r.whose)}</td>"
            f"<td>{html.escape(r.why)}</td></tr>"
            for r in self.rows
        )
        head = "<tr><th>piece</th><th>whose</th><th>why</th></tr>"
        return f"<p><b>{html.escape(self.headline())}</b></p><table>{head}{cells}</table>"


def _first_line(text, limit=110):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _what_went_wrong(message, limit=110):
    """A check's message in one short line: without its hint and, when too long, without
    the case's label before the first colon, so that what went wrong stays in view."""
    text = " ".join(str(message).split()).split(" Hint: ")[0]
    if len(text) > limit and ": " in text:
        text = text.split(": ", 1)[1]
    return _first_line(text, limit)


def assemble(chapter: str) -> EngineReport:
    """Install the learner's passing pieces of the chapters before ``chapter``; report."""
    BOARD.remove_all()
    statuses = store.pieces()
    in_engine = {}  # piece id -> the object the engine now has, for pieces that use it
    rows = []
    for piece in pieces.before(chapter):
        why = _load(piece, statuses.get(piece.id), in_engine)
        if isinstance(why, str):
            rows.append(Row(piece, MINIGRADS, why))
            continue
        BOARD.install(piece.id, why)
        in_engine[piece.id] = why
        rows.append(Row(piece, YOURS, "passed its check"))
    return EngineReport(chapter, tuple(rows))


def _load(piece, status, in_engine):
    """The learner's piece, restored and checked again; or why minigrad's stands in."""
    text = store.source(piece.id)
    if status is None or text is None:
        return "not written yet"
    if status.get("status") != "passed":
        return f"failing its check: {_what_went_wrong(status.get('message', ''))}"
    others = {}
    for used in piece.uses:
        stand_in = in_engine.get(used) or plugs.reference_shape(used)
        others[pieces.get(used).name] = stand_in
    try:
        obj = capture.restore(text, str(store.piece_file(piece.id)), piece, others)
    except Exception as exc:  # noqa: BLE001 - a saved file the learner may have edited
        return f"could not be loaded: {type(exc).__name__}: {_first_line(exc)}"
    if status.get("source") == store.fingerprint(text):
        return obj  # exactly the code that passed its check
    verdict = trials.check(piece.id, obj)  # the file changed since: check it again
    store.save_piece(piece.id, verdict.status, verdict.message, None)
    if not verdict.passed:
        return f"failing its check: {_what_went_wrong(verdict.message)}"
    return obj


def setup(chapter: str) -> None:
    """The setup cell of chapter ``chapter``'s exercise notebook: assemble and print."""
    print(repr(assemble(chapter)))
