"""Make exercises/ from solutions/: ``python -m coursekit.release [--check]``.

The rule is nbgrader's ``generate_assignment``, written out so the course
needs no nbgrader database to release; the rule for one cell is in
``nbgrader_cells.py`` (solution regions become stubs, a predict cell's
answers ``answer_x = ...``, hidden tests go, outputs are cleared, cells are
locked), and nbgrader metadata is kept.  A notebook as handed out runs to
the end, and every check says "not implemented yet".

Unlike nbgrader, no ``checksum`` is added to the metadata: the grader
identifies cells by ``grade_id`` and never trusts a learner's test cells.
``--check`` exits with status 1 if exercises/ differs from what this would
write now, listing the notebooks that drifted.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

from .grade import nbjson
from .grade.plan import PlanError, read_plan
from .nbgrader_cells import ReleaseError, release_cell


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
