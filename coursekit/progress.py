"""``progress()``: the last cell of an exercise notebook.

Every ``check(...)`` records its verdict here; ``progress()`` shows the
chapter's exercises with what passed, and the points so far -- as an HTML
table in Jupyter, as aligned text elsewhere.  Nothing is stored on disk:
the table reflects the checks run since the kernel started.
"""

from __future__ import annotations

import html

_results: dict = {}  # check id -> {"visible": Outcome, "hidden": Outcome}
_last_chapter: list = []


def record(check, outcome) -> None:
    """Remember a check's verdict (called by ``check``)."""
    _results.setdefault(check.id, {})["hidden" if outcome.hidden else "visible"] = outcome
    _last_chapter[:] = [check.chapter]


def reset() -> None:
    """Forget every verdict (used by tests)."""
    _results.clear()
    _last_chapter.clear()


def _state(check_id: str) -> str:
    outcomes = list(_results.get(check_id, {}).values())
    if not outcomes:
        return "not checked yet"
    if any(o.status == "failed" for o in outcomes):
        return "failed"
    if any(o.status == "not-implemented" for o in outcomes):
        return "not implemented yet"
    return "passed"


SYMBOL = {"passed": "✓", "failed": "✗", "not implemented yet": "✗", "not checked yet": "·"}


class Progress:
    """The chapter's table; Jupyter shows ``_repr_html_``, Python ``repr``."""

    def __init__(self, chapter: str, rows: list, note: str = ""):
        self.chapter = chapter
        self.rows = rows  # (number, title, kind, points earned, points, state)
        self.note = note

    @property
    def passed(self) -> int:
        return sum(1 for row in self.rows if row[5] == "passed")

    @property
    def points(self) -> int:
        return sum(row[3] for row in self.rows)

    @property
    def max_points(self) -> int:
        return sum(row[4] for row in self.rows)

    def headline(self) -> str:
        if self.note:
            return self.note
        return (
            f"Chapter {self.chapter[2:]}: {self.passed} of {len(self.rows)} exercises passed, "
            f"{self.points} of {self.max_points} points"
        )

    def __repr__(self) -> str:
        lines = [self.headline()]
        if self.rows:
            width = max(len(row[1]) for row in self.rows)
            for number, title, kind, earned, points, state in self.rows:
                lines.append(
                    f"  {number:>2}  {title:<{width}}  {kind:<12}  {earned}/{points} pts  {SYMBOL[state]} {state}"
                )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        cells = []
        for number, title, kind, earned, points, state in self.rows:
            colour = {"passed": "#1a7f37", "not checked yet": "#6e7781"}.get(state, "#cf222e")
            cells.append(
                f"<tr><td>{number}</td><td><code>{html.escape(title)}</code></td><td>{kind}</td>"
                f"<td>{earned}/{points}</td><td style='color:{colour}'>{SYMBOL[state]} {state}</td></tr>"
            )
        head = "<tr><th>#</th><th>exercise</th><th>kind</th><th>points</th><th>result</th></tr>"
        table = f"<table>{head}{''.join(cells)}</table>" if cells else ""
        return f"<p><b>{html.escape(self.headline())}</b></p>{table}"


def progress(chapter: str | None = None) -> Progress:
    """The table of this chapter's exercises (the chapter of the last check run by default)."""
    from .checks import registry

    chapter = chapter or (_last_chapter[0] if _last_chapter else None)
    if chapter is None:
        return Progress(
            "", [], "No check has run yet: run the exercise cells and their check cells first."
        )
    try:
        checks = registry.load_chapter(chapter)
    except registry.UnknownCheck as exc:
        return Progress(chapter, [], f"No progress to show: {exc}.")
    rows = []
    for number, check in enumerate(checks.values(), start=1):
        state = _state(check.id)
        earned = check.points if state == "passed" else 0
        rows.append((number, check.title, check.kind, earned, check.points, state))
    return Progress(chapter, rows)


if __name__ == "__main__":
    # ``python -m coursekit.progress [--dir D]``: the whole course's progress, from the
    # learner's my_engine/ folder (coursekit/engine_build/progress.py). Run by name: this
    # module is imported by the checks, which coursekit.engine_build.progress reads.
    import runpy

    runpy.run_module("coursekit.engine_build.progress", run_name="__main__")
