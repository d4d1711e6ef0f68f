"""Where checks are found: ``"ch02.unbroadcast"`` lives in ``coursekit/checks/ch02.py``.

A chapter's checks module lists its checks, in exercise order, in a
module-level ``CHECKS`` list.  The registry imports the module the first
time one of its checks is asked for.
"""

from __future__ import annotations

import importlib
import re

from .core import Check, CheckDefinitionError

CHAPTER = re.compile(r"^ch\d\d$")
_chapters: dict = {}


class UnknownCheck(LookupError):
    """No check with this id exists (a typo in the notebook, or a missing module)."""


def chapter_of(check_id: str) -> str:
    return str(check_id).split(".")[0]


def load_chapter(chapter: str) -> dict:
    """The chapter's checks as ``{id: Check}``, in the module's order."""
    if chapter in _chapters:
        return _chapters[chapter]
    if not CHAPTER.match(str(chapter)):
        raise UnknownCheck(f"{chapter!r} is not a chapter name like 'ch02'")
    try:
        module = importlib.import_module(f"coursekit.checks.{chapter}")
    except ModuleNotFoundError as exc:
        if exc.name == f"coursekit.checks.{chapter}":
            raise UnknownCheck(f"there are no checks for chapter {chapter}") from None
        raise
    checks = getattr(module, "CHECKS", None)
    if not isinstance(checks, (list, tuple)) or not all(isinstance(c, Check) for c in checks):
        raise CheckDefinitionError(
            f"coursekit/checks/{chapter}.py must define CHECKS = [Check(...), ...]"
        )
    found: dict = {}
    for check in checks:
        if check.chapter != chapter:
            raise CheckDefinitionError(f"{check.id} is listed in coursekit/checks/{chapter}.py")
        if check.id in found:
            raise CheckDefinitionError(f"two checks are called {check.id}")
        found[check.id] = check
    _chapters[chapter] = found
    return found


def get(check_id: str) -> Check:
    """The check called ``check_id``; raises :class:`UnknownCheck`."""
    checks = load_chapter(chapter_of(check_id))
    if check_id not in checks:
        known = ", ".join(checks) or "none"
        raise UnknownCheck(f"no check called {check_id!r} (this chapter has: {known})")
    return checks[check_id]
