"""What a chapter's solutions notebook says about grading.

The solutions notebook is the single source: its graded test cells (nbgrader
metadata ``"grade": true``) give the ids, the points and -- in their source
-- which checks run, visible and hidden.  :func:`read_plan` reads that once,
and refuses a notebook an author got wrong (unknown check, points that do
not match the check, unbalanced markers), so mistakes surface at release
time, not while grading a class.
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..checks import registry
from ..checks.core import Check
from ..nbgrader_cells import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    ReleaseError,
    nbgrader_meta,
    release_cell,
)
from . import nbjson

CHAPTER_FROM_NAME = re.compile(r"^(ch\d\d)[_.-]")


class PlanError(ValueError):
    """The solutions notebook is not a valid exercise source."""


@dataclass(frozen=True)
class CheckCall:
    check_id: str
    hidden: bool


@dataclass
class GradedCell:
    """One graded test cell: its id, points, and the check calls it makes."""

    grade_id: str
    points: int
    number: int  # 1-based exercise number, in notebook order
    calls: list
    check: Check

    @property
    def title(self) -> str:
        return self.check.title


@dataclass
class Plan:
    chapter: str
    path: Path
    graded: list
    locked_sources: dict = field(default_factory=dict)  # read-only cells, as released
    sha256: str = ""

    @property
    def max_points(self) -> int:
        return sum(cell.points for cell in self.graded)

    def cell(self, grade_id: str) -> GradedCell | None:
        return next((c for c in self.graded if c.grade_id == grade_id), None)


def chapter_of_notebook(nb: dict, path: Path) -> str:
    chapter = nb["metadata"].get("coursekit", {}).get("chapter")
    match = CHAPTER_FROM_NAME.match(path.name)
    if chapter is None:
        raise PlanError(
            f"{path.name}: notebook metadata needs {{'coursekit': {{'chapter': 'chNN'}}}}"
        )
    if match and match.group(1) != chapter:
        raise PlanError(
            f"{path.name}: metadata says chapter {chapter}, the file name says {match.group(1)}"
        )
    return chapter


def _marker_lines(source: str, begin: str, end: str) -> list:
    """Line numbers inside begin/end regions; raises on unbalanced markers."""
    inside, open_ = [], False
    for number, line in enumerate(source.split("\n")):
        if begin in line:
            if open_:
                raise PlanError(f"nested '{begin}'")
            open_ = True
        elif end in line:
            if not open_:
                raise PlanError(f"'{end}' without '{begin}'")
            open_ = False
        elif open_:
            inside.append(number + 1)  # ast line numbers start at 1
    if open_:
        raise PlanError(f"'{begin}' without '{end}'")
    return inside


def check_calls(source: str) -> list:
    """``(check_id, hidden, line)`` for every ``check("...")`` call in ``source``."""
    calls = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = (
            func.id
            if isinstance(func, ast.Name)
            else func.attr
            if isinstance(func, ast.Attribute)
            else ""
        )
        if name != "check":
            continue
        if (
            len(node.args) != 1
            or not isinstance(node.args[0], ast.Constant)
            or not isinstance(node.args[0].value, str)
        ):
            raise PlanError(
                'call check with the check id as its only positional argument: check("ch02.name")'
            )
        hidden = False
        for keyword in node.keywords:
            if keyword.arg != "hidden" or not isinstance(keyword.value, ast.Constant):
                raise PlanError("check takes one keyword argument only: hidden=True")
            hidden = bool(keyword.value.value)
        calls.append((node.args[0].value, hidden, node.lineno))
    return calls


def read_plan(path) -> Plan:
    """Read and validate a chapter's solutions notebook."""
    path = Path(path)
    raw = path.read_bytes()
    nb = nbjson.parse(raw.decode("utf-8"))
    chapter = chapter_of_notebook(nb, path)
    checks = registry.load_chapter(chapter)
    graded: list = []
    locked: dict = {}
    seen_ids: set = set()
    used_checks: set = set()
    for index, cell in enumerate(nb["cells"]):
        meta = nbgrader_meta(cell)
        where = f"{path.name}, cell {index}"
        source = cell["source"]
        try:
            _marker_lines(source, BEGIN_SOLUTION, END_SOLUTION)
            hidden_lines = _marker_lines(source, BEGIN_HIDDEN, END_HIDDEN)
        except PlanError as exc:
            raise PlanError(f"{where}: {exc}") from None
        if not meta:
            if BEGIN_SOLUTION in source or BEGIN_HIDDEN in source:
                raise PlanError(f"{where}: markers in a cell without nbgrader metadata")
            continue
        grade_id = meta.get("grade_id")
        if not grade_id:
            raise PlanError(f"{where}: nbgrader metadata without a grade_id")
        if grade_id in seen_ids:
            raise PlanError(f"{where}: grade_id {grade_id!r} is used twice")
        seen_ids.add(grade_id)
        is_grade, is_solution = bool(meta.get("grade")), bool(meta.get("solution"))
        if is_grade and is_solution:
            raise PlanError(
                f"{where}: autograded-answer cells are not supported; split answer and test"
            )
        if BEGIN_SOLUTION in source and not is_solution:
            raise PlanError(f"{where}: a solution region outside a solution cell")
        if BEGIN_HIDDEN in source and not is_grade:
            raise PlanError(f"{where}: hidden tests outside a graded test cell")
        if not is_grade:
            if meta.get("locked") and not is_solution:
                try:  # run as the learner's copy has it
                    locked[grade_id] = release_cell(cell)["source"]
                except ReleaseError as exc:
                    raise PlanError(f"{where}: {exc}") from None
            continue
        if cell["cell_type"] != "code":
            raise PlanError(f"{where}: graded cells must be code cells")
        try:
            calls = check_calls(source)
        except (SyntaxError, PlanError) as exc:
            raise PlanError(f"{where}: {exc}") from None
        if not calls:
            raise PlanError(f'{where}: a graded cell must call check("{chapter}.name")')
        ids = {call[0] for call in calls}
        if len(ids) != 1:
            raise PlanError(f"{where}: one graded cell checks one exercise, found {sorted(ids)}")
        check_id = calls[0][0]
        try:
            check = checks[check_id] if check_id in checks else registry.get(check_id)
        except registry.UnknownCheck as exc:
            raise PlanError(f"{where}: {exc}") from None
        for _, hidden, line in calls:
            if hidden != (line in hidden_lines):
                raise PlanError(
                    f"{where}: check(..., hidden=True) belongs inside the hidden-tests markers, and only there"
                )
        if calls[0][1]:
            raise PlanError(f"{where}: the first check call must be the visible one")
        points = meta.get("points")
        if points != check.points:
            raise PlanError(
                f"{where}: the cell gives {points} points, {check_id} says {check.points}"
            )
        if check_id in used_checks:
            raise PlanError(f"{where}: {check_id} is graded twice")
        used_checks.add(check_id)
        graded.append(
            GradedCell(
                grade_id,
                int(points),
                len(graded) + 1,
                [CheckCall(c[0], c[1]) for c in calls],
                check,
            )
        )
    unused = [cid for cid in checks if cid not in used_checks]
    if unused:
        raise PlanError(f"{path.name}: checks never graded: {', '.join(unused)}")
    if not graded:
        raise PlanError(f"{path.name}: no graded cells")
    return Plan(chapter, path, graded, locked, hashlib.sha256(raw).hexdigest())
