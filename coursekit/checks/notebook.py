"""``check(...)``: what a check cell in an exercise notebook calls.

It reads the learner's names from the notebook (the caller's globals), runs
the check in the learner's own process, prints one line on success, and on
failure raises :class:`CheckFailed`, whose traceback IPython replaces by the
check's short message.  Raising keeps the notebook's semantics right: a
failed check is a failed cell, in Jupyter and in nbgrader alike.
"""

from __future__ import annotations

import sys

from ..progress import record as _record
from . import registry
from .core import run_in_notebook
from .messages import FAIL, format_outcome


class CheckFailed(AssertionError):
    """A check did not pass; IPython shows only its message, no traceback."""

    def _render_traceback_(self):
        return str(self).splitlines()


def check(check_id: str, *, hidden: bool = False) -> None:
    """Check the exercise ``check_id`` (e.g. ``"ch02.unbroadcast"``).

    ``hidden=True`` runs the extra cases kept for grading (it appears only
    in solutions/, inside the hidden-tests markers).
    """
    try:
        definition = registry.get(check_id)
    except registry.UnknownCheck as exc:
        raise CheckFailed(f"{FAIL} {exc}") from None
    namespace = sys._getframe(1).f_globals
    outcome = run_in_notebook(definition, namespace, hidden)
    _record(definition, outcome)
    line = format_outcome(definition, outcome)
    if not outcome.passed:
        raise CheckFailed(line)
    print(line)
