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
from .core import run_in_notebook
from .messages import FAIL, format_outcome


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
    _record(definition, outcome)
    line = format_outcome(definition, outcome)
    print(line, file=sys.stdout if outcome.passed else sys.stderr)
