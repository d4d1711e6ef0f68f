"""A ✓ in the notebook means full marks: the notebook's check and the grader agree.

The grader tests other inputs than the notebook (a secret seed per learner, and
hidden cases), so a check could pass in the notebook and fail in grading when
its visible cases miss a requirement the exercise states. Two tests keep that
from happening:

* every hidden case is a visible case with other numbers (its label, digits
  masked, is a visible case's label), and the visible cases have the same shape
  for every seed: the grader's visible call tests what the notebook's tests;
* every wrong solution of the mutation tests (``WRONG`` in each
  test_chNN_mutations.py: every exercise where the learner writes code) gets
  the same verdict in the notebook, run cell by cell as "Run All" would, and
  from ``python -m coursekit.grade`` on that very notebook. One notebook per
  "learner" holds one wrong solution of every exercise of the chapter (the
  solution where an exercise has fewer wrong ones), and a chapter's learners
  are graded in one run of the grader.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import importlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

from coursekit.checks import FIND_THE_BUG, IMPLEMENT, registry
from coursekit.checks.core import make_cases, notebook_seed
from coursekit.grade import nbjson
from coursekit.grade.plan import nbgrader_meta, read_plan
from coursekit.progress import reset as reset_progress
from coursekit.release import release_cell
from minigrad import grad_mode

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = [f"ch{n:02d}" for n in range(11)]
NUMBER = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")
OTHER_SEEDS = (1, 2024, 987654321)


def masked(label: str) -> str:
    """A case's label with its numbers masked: what the case tests, not its inputs."""
    return NUMBER.sub("#", label)


def all_checks():
    """Every chapter's checks, and the demo chapter's (the example coursekit/AUTHORING.md shows)."""
    return [c for chapter in [*CHAPTERS, "ch99"] for c in registry.load_chapter(chapter).values()]


@pytest.mark.parametrize("check", all_checks(), ids=lambda c: c.id)
def test_every_hidden_case_is_a_visible_case_with_other_numbers(check):
    visible = [
        masked(c.get("label", "")) for c in make_cases(check, notebook_seed(check.id, False), False)
    ]
    for seed in OTHER_SEEDS:  # the grader's visible call: another seed, the same cases
        other = [masked(c.get("label", "")) for c in make_cases(check, seed, False)]
        assert other == visible, (check.id, seed)
        hidden = [masked(c.get("label", "")) for c in make_cases(check, seed, True)]
        assert [label for label in hidden if label not in visible] == [], check.id


# -- no hint quotes the solution --------------------------------------------------------------


def _region_lines(source: str) -> list:
    lines, inside = [], False
    for line in source.split("\n"):
        if "BEGIN SOLUTION" in line:
            inside = True
        elif "END SOLUTION" in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def _pieces(line: str) -> list:
    """The parts of a solution line a hint must not contain: the line, and what it assigns."""
    code = re.split(r"\s#", line)[0].strip()
    if not code or code.startswith("#"):
        return []
    code = code.removeprefix("return ").strip()
    found = [code] + ([code.split(" = ", 1)[1]] if " = " in code else [])
    return [piece for piece in found if len(piece) >= 12]


def solution_pieces(chapter: str) -> dict:
    """check id -> the pieces of its solution that the exercise does not show anyway (in its
    text or its given code, e.g. the buggy program of a find-the-bug exercise)."""
    path = next((ROOT / "solutions").glob(f"{chapter}_*.ipynb"))
    nb = nbjson.parse(path.read_text(encoding="utf-8"))
    plan = read_plan(path)
    found, text, lines = {}, [], []
    for cell in nb["cells"]:
        meta = nbgrader_meta(cell)
        if cell["cell_type"] == "markdown" or not (meta.get("solution") or meta.get("grade")):
            text.append(cell["source"])
        elif meta.get("solution"):
            lines += _region_lines(cell["source"])
        elif meta.get("grade"):
            shown = "\n".join(text)
            pieces = {p for line in lines for p in _pieces(line) if p not in shown}
            found[plan.cell(meta["grade_id"]).check.id] = pieces
            text, lines = [], []
    return found


def quoted(text: str, pieces) -> list:
    return sorted(piece for piece in pieces if piece in text)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_rule_or_hint_quotes_the_solution(chapter):
    for check_id, pieces in solution_pieces(chapter).items():
        check = registry.get(check_id)
        assert quoted(check.rule + "\n" + check.hint, pieces) == [], check_id


# -- the wrong solutions, as notebooks ----------------------------------------------------


def wrong_solutions(chapter: str) -> tuple:
    """``(prelude, {check id: [(name, code), ...]})`` from test_chNN_mutations.py."""
    module = importlib.import_module(f"test_{chapter}_mutations")
    wrong = {check_id: list(found.items()) for check_id, found in module.WRONG.items()}
    return module.PRELUDE, wrong


def solution_cells(nb: dict) -> dict:
    """grade_id of each graded cell -> index of the solution cell of its exercise."""
    found, pending = {}, None
    for index, cell in enumerate(nb["cells"]):
        meta = nbgrader_meta(cell)
        if meta.get("solution") and cell["cell_type"] == "code":
            pending = index
        elif meta.get("grade"):
            found[meta["grade_id"]] = pending
            pending = None
    return found


def learner_notebooks(chapter: str) -> list:
    """``[(learner, notebook, {grade_id: name of the wrong solution})]`` for a chapter."""
    path = next((ROOT / "solutions").glob(f"{chapter}_*.ipynb"))
    solved = nbjson.parse(path.read_text(encoding="utf-8"))
    plan = read_plan(path)
    prelude, wrong = wrong_solutions(chapter)
    code_checks = {g.check.id for g in plan.graded if g.check.kind in (IMPLEMENT, FIND_THE_BUG)}
    assert sorted(wrong) == sorted(code_checks), "WRONG must list every exercise with code"
    cells = solution_cells(solved)
    learners = []
    for j in range(max(len(found) for found in wrong.values())):
        nb, chosen = copy.deepcopy(solved), {}
        for graded in plan.graded:
            found = wrong.get(graded.check.id, [])
            if j < len(found):
                name, code = found[j]
                nb["cells"][cells[graded.grade_id]]["source"] = prelude + "\n" + code
                chosen[graded.grade_id] = name
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"], cell["execution_count"] = [], None
        learners.append((f"{chapter}-learner{j + 1}", nb, chosen))
    return learners


def notebook_verdicts(nb: dict) -> dict:
    """Run the notebook's cells in order, as "Run All" would (test cells as released,
    a cell that raises does not stop the run); grade_id -> the line its check printed."""
    reset_progress()
    grad_mode.reset()
    namespace: dict = {"__name__": "__main__"}
    verdicts = {}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        meta = nbgrader_meta(cell)
        source = release_cell(cell)["source"] if meta.get("grade") else cell["source"]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                exec(compile(source, "<cell>", "exec"), namespace)  # noqa: S102 - the test's notebook
            except Exception as exc:  # noqa: BLE001 - a learner's cell may raise; Run All goes on
                print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        if meta.get("grade"):
            printed = out.getvalue() + err.getvalue()
            verdicts[meta["grade_id"]] = printed[
                printed.find("✓") if "✓" in printed else printed.find("✗") :
            ]
    grad_mode.reset()
    reset_progress()
    return verdicts


def _run_grader(chapter: str, submissions: Path, out: Path, env: dict):
    return subprocess.run(
        [sys.executable, "-m", "coursekit.grade", chapter, str(submissions), "--out", str(out)]
        + ["--solutions", str(ROOT / "solutions"), "-j", "2"]
        # Limits far above what any cell needs, so that a busy machine changes no verdict.
        + ["--timeout-cell", "600", "--timeout-notebook", "3600"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=3600,
        check=False,
    )


def _wait_for_processes_mentioning(text: str, seconds: float = 60) -> None:
    """A sandbox may take a moment to end after the grader returns; the tests that look
    for leftover processes (tests/grading) must not see ours."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = []
        for proc in psutil.process_iter(["cmdline"]):
            with contextlib.suppress(psutil.Error, TypeError):
                if text in " ".join(proc.info["cmdline"] or []):
                    alive.append(proc.pid)
        if not alive:
            return
        time.sleep(0.5)


def grade(chapter: str, learners: list, tmp_path: Path) -> dict:
    """Grade the learners' notebooks with the instructor's command, in one run.

    Returns learner -> {"status", "reason", "row", "messages"}: the learner's row of
    gradebook.csv (points per grade_id, status, reason), and each graded cell's feedback
    message (for the diagnostics and the quoting test) from the grader's stored results.
    """
    submissions, out = tmp_path / "submissions", tmp_path / "grades"
    submissions.mkdir()
    for learner, nb, _ in learners:
        (submissions / f"{learner}.ipynb").write_text(nbjson.dumps(nb), encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # The grader's run folder (its sandboxes' sockets live there: keep the path short) in a
    # folder of our own, so that we can wait for our sandboxes, and only ours, to end.
    scratch = Path(tempfile.mkdtemp(prefix="agree-"))
    env["TMPDIR"] = str(scratch)
    try:
        result = _run_grader(chapter, submissions, out, env)
    finally:
        _wait_for_processes_mentioning(str(scratch))
        shutil.rmtree(scratch, ignore_errors=True)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as f:
        rows = {row["learner"]: row for row in csv.DictReader(f)}
    graded = {}
    for learner, _, _ in learners:
        messages = {}
        stored = out / ".coursekit-grade" / "results" / f"{learner}.json"
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            cells = json.loads(stored.read_text(encoding="utf-8"))["cells"]
            messages = {cell["grade_id"]: cell["message"] for cell in cells}
        row = rows[learner]
        graded[learner] = {
            "status": row["status"],
            "reason": row["reason"],
            "row": row,
            "messages": messages,
        }
    return graded


@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_wrong_solution_gets_the_same_verdict_in_the_notebook_and_from_the_grader(
    chapter, tmp_path
):
    learners = learner_notebooks(chapter)
    verdicts = {learner: notebook_verdicts(nb) for learner, nb, _ in learners}
    graded = grade(chapter, learners, tmp_path)
    plan = read_plan(next((ROOT / "solutions").glob(f"{chapter}_*.ipynb")))
    pieces = solution_pieces(chapter)
    disagreements, passing_wrong, quoting = [], [], []
    for learner, _, chosen in learners:
        result = graded[learner]
        assert result["status"] == "ok", (learner, result["reason"])
        for cell in plan.graded:
            grade_id = cell.grade_id
            shown = verdicts[learner][grade_id]
            in_notebook = shown.startswith("✓")
            points = float(result["row"][grade_id])
            full_marks = points == cell.points
            message = result["messages"].get(grade_id, "")
            what = chosen.get(grade_id, "the solution")
            if in_notebook != full_marks:
                disagreements.append(
                    f"{learner} {grade_id} ({what}): notebook {shown[:300]!r}; "
                    f"grader {points:g}/{cell.points} {message[:1500]!r}"
                )
            elif grade_id in chosen and in_notebook:
                passing_wrong.append(f"{learner} {grade_id} ({what}) passes: not a wrong solution")
            elif grade_id not in chosen and not in_notebook:
                passing_wrong.append(f"{learner} {grade_id}: the solution fails: {shown[:300]!r}")
            for text in (shown, message):
                found = quoted(text, pieces[cell.check.id])
                if found:
                    quoting.append(f"{learner} {grade_id} ({what}) quotes {found}")
    assert disagreements == [], "\n".join(disagreements)  # whole, for the diagnosis
    assert passing_wrong == []
    assert quoting == []  # no message quotes the solution either
