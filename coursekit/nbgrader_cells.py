"""One cell of an exercise source, in nbgrader's format: its markers, its metadata,
and the learner's version of it.

Both ``release`` (which writes exercises/ from solutions/) and ``grade.plan``
(which reads what to grade from the same solutions notebook) need these
rules, so they live here, below both: release checks a notebook with the
grader's plan, and the plan runs read-only cells as release hands them out.

* in a solution cell, every region from a ``### BEGIN SOLUTION`` line to its
  ``### END SOLUTION`` line becomes the stub ``# YOUR CODE HERE`` /
  ``raise NotImplementedError()``, indented like the BEGIN line (in a
  markdown solution cell: ``YOUR ANSWER HERE``); a solution cell without
  markers is replaced whole.  A region at the top level of a code cell (a
  predict cell's answers) becomes ``answer_x = ...`` for each answer it
  assigns instead, so that the cell runs: a notebook as handed out runs to
  the end, and every check says "not implemented yet";
* in a graded test cell, the lines from ``### BEGIN HIDDEN TESTS`` to
  ``### END HIDDEN TESTS`` are removed;
* outputs and execution counts are cleared; cells are locked as nbgrader
  locks them (``deletable``/``editable``).
"""

from __future__ import annotations

import ast
import copy
import re

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
ANSWER_STUB_HEAD = "# YOUR ANSWER HERE: replace each ... by your answer"
TEXT_STUB = "YOUR ANSWER HERE"
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"


class ReleaseError(ValueError):
    """A solutions notebook cannot be released as it is."""


def nbgrader_meta(cell) -> dict:
    """The cell's ``metadata.nbgrader`` dict ({} when absent or not a dict)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def answer_stub(region: str) -> str:
    """The stub of a solution region at the top level of a cell (a predict answer).

    It must not raise, so that "Run All" on the notebook as handed out runs
    to the end: each answer the region assigns becomes ``name = ...``, the
    placeholder the checks read as "not implemented yet".
    """
    try:
        tree = ast.parse(region)
    except SyntaxError:
        tree = None
    names: list = []
    for node in tree.body if tree is not None else []:
        targets = node.targets if isinstance(node, ast.Assign) else []
        for target in targets:
            if isinstance(target, ast.Name) and target.id not in names:
                names.append(target.id)
    if not names:
        return ANSWER_STUB_HEAD
    return "\n".join([ANSWER_STUB_HEAD, *(f"{name} = ..." for name in names)])


def replace_solutions(source: str, stub: str) -> tuple:
    """``(new source, whether a region was replaced)``.

    A region indented inside a ``def`` becomes ``stub``; a region at the top
    level of a code cell becomes :func:`answer_stub` of its text.
    """
    lines, region, indent, replaced = [], None, "", False
    for line in source.split("\n"):
        if BEGIN_SOLUTION in line:
            if region is not None:
                raise ReleaseError("nested BEGIN SOLUTION")
            region, replaced = [], True
            indent = re.match(r"\s*", line).group(0)
        elif END_SOLUTION in line:
            if region is None:
                continue
            text = stub
            if stub == CODE_STUB and not indent:
                text = answer_stub("\n".join(region))
            lines.extend(indent + stub_line for stub_line in text.split("\n"))
            region = None
        elif region is not None:
            region.append(line)
        else:
            lines.append(line)
    if region is not None:
        raise ReleaseError("BEGIN SOLUTION without END SOLUTION")
    return "\n".join(lines), replaced


def remove_hidden_tests(source: str) -> str:
    lines, inside = [], False
    for line in source.split("\n"):
        if BEGIN_HIDDEN in line:
            if inside:
                raise ReleaseError("nested BEGIN HIDDEN TESTS")
            inside = True
        elif END_HIDDEN in line:
            inside = False
        elif not inside:
            lines.append(line)
    if inside:
        raise ReleaseError("BEGIN HIDDEN TESTS without END HIDDEN TESTS")
    return "\n".join(lines)


def release_cell(cell: dict) -> dict:
    """The learner's version of one cell (a new cell; the input is untouched)."""
    cell = copy.deepcopy(cell)
    meta = nbgrader_meta(cell)
    is_solution, is_grade = bool(meta.get("solution")), bool(meta.get("grade"))
    stub = CODE_STUB if cell["cell_type"] == "code" else TEXT_STUB
    source, replaced = replace_solutions(cell["source"], stub)
    if replaced and not is_solution:
        raise ReleaseError("a solution region in a cell that is not a solution cell")
    if is_solution and not replaced:
        source = stub
    if BEGIN_HIDDEN in source and not is_grade:
        raise ReleaseError("hidden tests in a cell that is not a graded test cell")
    cell["source"] = remove_hidden_tests(source)
    if cell["cell_type"] == "code":
        cell["outputs"] = []
        cell["execution_count"] = None
    metadata = cell.setdefault("metadata", {})
    for field in ("collapsed", "scrolled", "execution"):  # execution: nbclient timings
        metadata.pop(field, None)
    # Lock cells the way nbgrader's generate_assignment does.
    if meta:
        metadata["deletable"] = False
        if not is_solution and (is_grade or meta.get("locked")):
            metadata["editable"] = False
    return cell
