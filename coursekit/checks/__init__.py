"""The course's checks: define them (``Check``) and run them (``check``).

``coursekit.checks.chNN`` holds chapter NN's checks; ``core`` is the
machinery shared by the notebook and the grader; ``probes`` is the part
that runs in the learner's kernel; ``judges`` and ``messages`` help write
checks that say precisely what is wrong.  See coursekit/AUTHORING.md.
"""

from .core import FIND_THE_BUG, IMPLEMENT, KINDS, PREDICT, Check, CheckDefinitionError, Outcome
from .notebook import check
from .registry import UnknownCheck

__all__ = [
    "FIND_THE_BUG",
    "IMPLEMENT",
    "KINDS",
    "PREDICT",
    "Check",
    "CheckDefinitionError",
    "Outcome",
    "UnknownCheck",
    "check",
]
