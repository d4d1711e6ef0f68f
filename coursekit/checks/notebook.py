"""``check(...)``: what a check cell in an exercise notebook calls.

It reads the learner's names from the notebook (the caller's globals), runs
the check in the learner's own process and prints its verdict: ``✓`` and one
line on success, ``✗`` and what is wrong on failure.  A failure is printed
(on stderr, which Jupyter shows on a red background), not raised: "Run All"
on a half-done notebook runs every cell to the end, so every check reports
and ``progress()`` shows the whole chapter.
"""

from __future__ import annotations

import sys

from ..progress import record as _record
from . import registry
from .core import Outcome, run_in_notebook
from .messages import FAIL, format_outcome
from .piece import PIECE_OF


def check(check_id: str, *, hidden: bool = False) -> None:
    """Check the exercise ``check_id`` (e.g. ``"ch02.unbroadcast"``) and print the verdict.

    ``hidden=True`` runs the extra cases kept for grading (it appears only
    in solutions/, inside the hidden-tests markers).
    """
    try:
        definition = registry.get(check_id)
    except registry.UnknownCheck as exc:
        print(f"{FAIL} {exc}", file=sys.stderr)
        return
    namespace = sys._getframe(1).f_globals
    outcome = run_in_notebook(definition, namespace, hidden)
    tampering = _tampering(namespace)
    if tampering:  # as the grader will count it (coursekit/grade/tamper.py)
        outcome = Outcome(
            definition.id,
            "failed",
            f"{tampering}. (The check saw: {format_outcome(definition, outcome)})",
        )
    _record(definition, outcome)
    line = format_outcome(definition, outcome)
    if not hidden:
        line += _keep_on_disk(definition, outcome, namespace)
    print(line, file=sys.stdout if outcome.passed else sys.stderr)


def _tampering(namespace) -> str:
    """Why the grader will not count this check: a cell run before it reaches into the grading.

    The cells come from IPython's input history (``In``); without one (a
    script, or the grader's sandbox, which has no grader) there is nothing to say.
    """
    history = namespace.get("In")
    try:
        from ..grade import tamper
    except ImportError:
        return ""
    for source in history if isinstance(history, list) else ():
        found = tamper.find(source)
        if found:
            what, _, line = found
            return (
                f"not counted: a cell you ran {what} (`{line[:80]}`), and when your notebook "
                "is graded every exercise checked after it scores 0"
            )
    return ""


def _keep_on_disk(definition, outcome, namespace) -> str:
    """Course progress and, for a piece of your engine, the piece itself (my_engine/)."""
    from ..engine_build import assemble, pieces, progress

    progress.record_exercise(definition.id, outcome.status, definition.points)
    piece = pieces.BY_ID.get(PIECE_OF.get(definition.id))
    if piece is None or outcome.status == "not-implemented":
        return ""
    obj = namespace.get(piece.name)
    if obj is None:
        return ""
    problem = assemble.save_piece(piece, obj, outcome.status, outcome.message)
    if problem:
        return f" Not saved in my_engine/: {problem}."
    if outcome.passed:
        return " Saved in my_engine/: your engine runs on it from the next chapter on."
    return " Saved in my_engine/ as failing: minigrad's own code stands in for it."
