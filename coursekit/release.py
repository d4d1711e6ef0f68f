"""Make exercises/ from solutions/: ``python -m coursekit.release [--check]``.

The rule is nbgrader's ``generate_assignment``, written out so the course
needs no nbgrader database to release:

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
* outputs and execution counts are cleared; nbgrader metadata is kept, and
  cells are locked as nbgrader locks them (``deletable``/``editable``).

Unlike nbgrader, no ``checksum`` is added to the metadata: the grader
identifies cells by ``grade_id`` and never trusts a learner's test cells.
``--check`` exits with status 1 if exercises/ differs from what this would
write now, listing the notebooks that drifted.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
from pathlib import Path

from .grade import nbjson

CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
ANSWER_STUB_HEAD = "# YOUR ANSWER HERE: replace each ... by your answer"
TEXT_STUB = "YOUR ANSWER HERE"
BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"


class ReleaseError(ValueError):
    """A solutions notebook cannot be released as it is."""


def _meta(cell) -> dict:
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
    meta = _meta(cell)
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


def release_notebook(nb: dict) -> dict:
    """The exercise notebook for a solutions notebook."""
    nb = copy.deepcopy(nb)
    nb["metadata"].pop("celltoolbar", None)
    cells = []
    for index, cell in enumerate(nb["cells"]):
        try:
            cells.append(release_cell(cell))
        except ReleaseError as exc:
            raise ReleaseError(f"cell {index}: {exc}") from None
        if "id" not in cells[-1] and nb.get("nbformat_minor", 0) >= 5:
            cells[-1]["id"] = f"cell-{index}"  # deterministic, unlike nbformat's random ids
    nb["cells"] = cells
    return nb


def release_text(solution_path) -> str:
    """The exact bytes (as text) exercises/<name> must hold."""
    from .grade.plan import PlanError, read_plan

    path = Path(solution_path)
    try:
        read_plan(path)  # refuse a solutions notebook the grader could not use
    except PlanError as exc:
        raise ReleaseError(str(exc)) from None
    nb = nbjson.parse(path.read_text(encoding="utf-8"))
    try:
        released = release_notebook(nb)
    except ReleaseError as exc:
        raise ReleaseError(f"{path.name}: {exc}") from None
    return nbjson.dumps(released)


def solution_notebooks(solutions: Path, chapters=()) -> list:
    found = sorted(p for p in Path(solutions).glob("*.ipynb") if not p.name.startswith("."))
    if chapters:
        found = [p for p in found if any(p.name.startswith(c) for c in chapters)]
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.release",
        description="Generate exercises/ from solutions/ (solution regions stubbed, hidden tests removed).",
    )
    parser.add_argument("chapters", nargs="*", help="only these chapters, e.g. ch02 (default: all)")
    parser.add_argument(
        "--solutions", default="solutions", type=Path, help="source folder (default: solutions)"
    )
    parser.add_argument(
        "--exercises", default="exercises", type=Path, help="output folder (default: exercises)"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if exercises/ is out of date"
    )
    args = parser.parse_args(argv)

    notebooks = solution_notebooks(args.solutions, args.chapters)
    if not notebooks:
        print(f"no notebooks in {args.solutions}", file=sys.stderr)
        return 2
    drift = []
    for source in notebooks:
        target = args.exercises / source.name
        try:
            text = release_text(source)
        except ReleaseError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if args.check:
            drift.append(
                f"{target} {'is missing' if current is None else 'differs from ' + str(source)}"
            )
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
    if args.check and not args.chapters and args.exercises.is_dir():
        sources = {p.name for p in notebooks}
        for stray in sorted(args.exercises.glob("*.ipynb")):
            if stray.name not in sources:
                drift.append(f"{stray} has no source in {args.solutions}")
    if drift:
        print("exercises/ is out of date; run `python -m coursekit.release`:", file=sys.stderr)
        for line in drift:
            print(f"  {line}", file=sys.stderr)
        return 1
    if args.check:
        print(f"{len(notebooks)} exercise notebook(s) up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
