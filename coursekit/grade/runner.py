"""Grading one submission: run the learner's cells, probe, and judge here.

The learner's notebook runs cell by cell in a sandboxed kernel.  Where the
solutions notebook has a graded test cell, the learner's copy of that cell
is *not* run; instead the grader sends a small probe (the check's probe
function and freshly generated cases, hidden ones included) and reads back
plain JSON data framed by a one-time nonce.  ``reference`` and ``judge`` run
in this process, never in the kernel.

A cell that times out, prints too much, runs out of memory or ends the
kernel costs only its exercise: the kernel is started again, the cells that
ran well before are replayed, and grading goes on.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..checks.core import PROBES_SOURCE, Outcome, judge_all, make_cases
from ..checks.messages import FAIL, format_outcome, unreadable
from .kernel import Limits, SandboxedKernel
from .plan import GradedCell, Plan, nbgrader_meta

SLOT_UID_BASE = 1_900_000_000  # the kernels of worker slot k run as this + k (when root)
MAX_RESTARTS = 12
# Read-only views of the host a sandboxed kernel gets (plus the Python
# installation and the course packages).
SYSTEM_PATHS = (
    "/usr",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/ssl",
    "/etc/alternatives",
    "/etc/fonts",
    "/etc/mime.types",
)


def grading_seed(secret: str, learner: str, check_id: str, hidden: bool) -> int:
    """Each learner gets their own cases, fixed for the run, unknown to them."""
    text = f"{secret}|{learner}|{check_id}|{'hidden' if hidden else 'visible'}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def probe_snippet(check, cases: list) -> tuple:
    """``(code, opener, closer)``: what the kernel runs for one check call."""
    nonce = secrets.token_hex(16)
    opener, closer = f"<<coursekit:{nonce}>>", f"<</coursekit:{nonce}>>"
    code = f"""\
def _coursekit_probe_():
    ns = {{"__name__": "coursekit_probe"}}
    exec(compile({PROBES_SOURCE!r}, "<coursekit-probes>", "exec"), ns)
    exec(compile({check.probe_source!r}, "<coursekit-probe>", "exec"), ns)
    cases = ns["json"].loads({json.dumps(cases)!r})
    out = ns["run_probe"](ns[{check.probe.__name__!r}], {tuple(check.reads)!r}, cases, globals())
    ns["sys"].stdout.write({opener!r} + ns["dumps"](out) + {closer!r} + "\\n")
    ns["sys"].stdout.flush()
try:
    _coursekit_probe_()
finally:
    del _coursekit_probe_
"""
    return code, opener, closer


def read_frame(stdout: str, opener: str, closer: str):
    """The probe's data, or None if it is missing, forged (twice) or unreadable."""
    found = re.findall(re.escape(opener) + "(.*?)" + re.escape(closer), stdout, re.DOTALL)
    if len(found) != 1:
        return None
    try:
        return json.loads(found[0])
    except ValueError:
        return None


@dataclass
class Step:
    kind: str  # "code" or "probe"
    source: str = ""
    graded: GradedCell | None = None
    exercise: int | None = None  # the graded cell this step belongs to


def build_steps(nb, plan: Plan) -> tuple:
    """The learner's code cells, with a probe in place of each graded cell.

    Read-only cells are run as the solutions notebook has them.  A graded
    cell the learner deleted or renamed is probed at the end.
    """
    steps: list = []
    found: set = set()
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        grade_id = nbgrader_meta(cell).get("grade_id")
        graded = plan.cell(grade_id) if isinstance(grade_id, str) else None
        if graded is not None:
            if grade_id not in found:
                found.add(grade_id)
                steps.append(Step("probe", graded=graded))
        elif isinstance(grade_id, str) and grade_id in plan.locked_sources:
            steps.append(Step("code", plan.locked_sources[grade_id]))
        else:
            steps.append(Step("code", cell["source"]))
    missing = [g for g in plan.graded if g.grade_id not in found]
    steps.extend(Step("probe", graded=g) for g in missing)
    exercise = None
    for step in reversed(steps):
        if step.kind == "probe":
            exercise = step.graded.number
        step.exercise = exercise
    notes = []
    if missing:
        ids = ", ".join(g.grade_id for g in missing)
        notes.append(f"graded cells missing or renamed: {ids} (checked at the end of the notebook)")
    return steps, notes


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class Grading:
    """The grading of one learner's notebook in one sandboxed kernel."""

    def __init__(self, job: dict, plan: Plan, nb, notes: list):
        self.job = job
        self.plan = plan
        self.nb = nb
        self.notes = list(notes)
        self.limits = Limits(**job["limits"])
        self.incidents: dict = {}  # exercise number -> reason
        self.loose_incidents: list = []  # incidents after the last exercise
        self.cell_errors: dict = {}  # exercise number -> exception names
        self.results: dict = {}  # grade_id -> cell result
        self.good: list = []  # code steps that ran to the end (replayed after a restart)
        self.restarts = 0
        self.deadline = 0.0
        self.kernel: SandboxedKernel | None = None

    # -- helpers ------------------------------------------------------------
    def where(self, exercise) -> str:
        return f"in exercise {exercise}" if exercise else "after the last exercise"

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def incident(self, exercise, reason: str) -> None:
        if exercise is None:
            self.loose_incidents.append(reason)
        else:
            self.incidents.setdefault(exercise, reason)

    def budget(self) -> tuple:
        """``(seconds for the next cell, whether the notebook's limit is what cuts it)``."""
        remaining = self.remaining()
        return min(self.limits.cell_s, remaining), remaining < self.limits.cell_s

    def describe(self, run, exercise, *, checking: bool, notebook_cut: bool) -> str:
        where = self.where(exercise)
        if run.status == "timeout":
            if notebook_cut:
                return f"the notebook's time limit ({self.limits.notebook_s:g} s) ran out {where}"
            what = "while being checked (your function did not return)" if checking else ""
            return " ".join(
                filter(None, [f"timed out after {self.limits.cell_s:g} s", what, where])
            )
        if run.status == "output-cap":
            return f"printed more than {self.limits.output_mb:g} MB {where}"
        if run.status == "died":
            code = run.exit_code
            signum = (
                -code if code is not None and code < 0 else code - 128 if code and code > 128 else 0
            )
            if code is None:
                how = "it was killed"
            elif signum:
                how = f"killed by {_signal_name(signum)}"
                if signum in (signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS):
                    how += f"; out of memory? the limit is {self.limits.memory_mb} MB"
            else:
                how = f"exit code {code}, e.g. os._exit()"
            return f"the kernel died {where} ({how})"
        return f"{run.status} {where}"

    # -- the kernel ---------------------------------------------------------
    def recover(self) -> None:
        """Start a fresh kernel and replay the cells that ran well before."""
        while True:
            self.restarts += 1
            if self.restarts > MAX_RESTARTS:
                raise RuntimeError(f"the kernel had to be restarted more than {MAX_RESTARTS} times")
            self.kernel.restart()
            for step in list(self.good):
                if self.remaining() <= 0:
                    return
                run = self.kernel.run(step.source, min(self.limits.cell_s, self.remaining()))
                if run.kernel_lost:
                    self.good.remove(step)
                    break
            else:
                return

    def run_code(self, step: Step) -> None:
        seconds, notebook_cut = self.budget()
        run = self.kernel.run(step.source, seconds)
        if run.status in ("ok", "error"):
            self.good.append(step)
            if run.ename == "MemoryError":
                self.incident(
                    step.exercise,
                    f"ran out of memory (limit {self.limits.memory_mb} MB) "
                    f"{self.where(step.exercise)}",
                )
            elif run.status == "error":
                self.cell_errors.setdefault(step.exercise, []).append(run.ename)
        else:
            self.incident(
                step.exercise,
                self.describe(run, step.exercise, checking=False, notebook_cut=notebook_cut),
            )
        if run.kernel_lost:
            self.recover()

    def probe(self, step: Step) -> None:
        graded = step.graded
        check = graded.check
        outcome = None
        tried = {False: 0, True: 0}  # cases passed, visible and hidden
        for call in graded.calls:
            seed = grading_seed(self.job["secret"], self.job["learner"], call.check_id, call.hidden)
            cases = make_cases(check, seed, call.hidden)
            code, opener, closer = probe_snippet(check, cases)
            if self.remaining() <= 0:
                outcome = Outcome(
                    check.id, "failed", "not checked: the notebook's time limit had run out"
                )
                break
            seconds, notebook_cut = self.budget()
            run = self.kernel.run(code, seconds, capture=True, store_history=False)
            if run.status in ("ok", "error"):
                data = read_frame(run.stdout, opener, closer)
                if data is None:
                    outcome = Outcome(check.id, "failed", unreadable(), hidden=call.hidden)
                else:
                    outcome = judge_all(check, data, cases, hidden=call.hidden)
            else:
                reason = self.describe(run, graded.number, checking=True, notebook_cut=notebook_cut)
                self.incident(graded.number, reason)
                outcome = Outcome(check.id, "failed", reason, hidden=call.hidden)
            if run.kernel_lost:
                self.recover()
            if not outcome.passed:
                break
            tried[call.hidden] += outcome.cases
        if outcome is not None and outcome.passed and tried[True]:
            outcome.message = (
                f"all {tried[False] + tried[True]} cases pass "
                f"({tried[False]} visible, {tried[True]} hidden)"
            )
        self.results[graded.grade_id] = self.cell_result(graded, outcome)

    def cell_result(self, graded: GradedCell, outcome: Outcome | None) -> dict:
        incident = self.incidents.get(graded.number)
        if incident:
            status, message = "incident", f"{FAIL} {graded.title}: {incident}."
        elif outcome is None:
            status, message = "not-run", f"{FAIL} {graded.title}: not checked."
        else:
            status = outcome.status
            message = format_outcome(graded.check, outcome)
            errors = self.cell_errors.get(graded.number)
            if outcome.detail.get("missing") and errors:
                message += f" (a cell of this exercise raised {errors[0]})"
        passed = status == "passed"
        return {
            "grade_id": graded.grade_id,
            "number": graded.number,
            "title": graded.title,
            "kind": graded.check.kind,
            "max_points": graded.points,
            "points": graded.points if passed else 0,
            "status": status,
            "message": message,
        }

    # -- the whole notebook -------------------------------------------------
    def run(self, kernel: SandboxedKernel) -> dict:
        self.kernel = kernel
        steps, notes = build_steps(self.nb, self.plan)
        self.notes.extend(notes)
        modified = bool(notes)
        kernel.start()
        self.deadline = time.monotonic() + self.limits.notebook_s
        for step in steps:
            if self.remaining() <= 0:
                exercise = step.exercise
                self.incident(
                    exercise,
                    f"the notebook's time limit ({self.limits.notebook_s:g} s) "
                    f"ran out {self.where(exercise)}",
                )
                break
            if step.kind == "code":
                self.run_code(step)
            else:
                self.probe(step)
        for graded in self.plan.graded:
            if graded.grade_id not in self.results:
                if graded.number not in self.incidents:
                    self.incident(
                        graded.number,
                        f"not checked: the notebook's time limit "
                        f"({self.limits.notebook_s:g} s) had run out",
                    )
                self.results[graded.grade_id] = self.cell_result(graded, None)
        reasons = [self.incidents[n] for n in sorted(self.incidents)] + self.loose_incidents
        status = "incidents" if reasons else "modified" if modified else "ok"
        return result_record(
            self.job,
            self.plan,
            status,
            reasons + self.notes,
            [self.results[g.grade_id] for g in self.plan.graded],
            kernel_starts=kernel.starts,
        )


def result_record(
    job: dict, plan: Plan | None, status: str, reasons: list, cells: list, **extra
) -> dict:
    total = sum(c["points"] for c in cells)
    reason = "; ".join(dict.fromkeys(r for r in reasons if r))
    return {
        "learner": job["learner"],
        "source": job.get("source", ""),
        "sha256": job["sha256"],
        "config_key": job["config_key"],
        "status": status,
        "reason": reason if len(reason) <= 400 else reason[:397] + "...",
        "cells": cells,
        "total": total,
        "max": plan.max_points if plan else job.get("max_points", 0),
        "final": status != "error",
        **extra,
    }


def empty_cells(plan: Plan, message: str) -> list:
    return [
        {
            "grade_id": g.grade_id,
            "number": g.number,
            "title": g.title,
            "kind": g.check.kind,
            "max_points": g.points,
            "points": 0,
            "status": "not-run",
            "message": message,
        }
        for g in plan.graded
    ]


def sandbox_config(job: dict, box: Path) -> dict:
    """What the sandbox launcher builds for this submission (see sandbox.py)."""
    import os

    isolation = job["isolation"]
    paths = [*SYSTEM_PATHS, sys.base_prefix, sys.exec_prefix, sys.prefix, job["site_dir"]]
    ro_binds: list = []
    for path in sorted(set(paths), key=len):
        if not any(path == p or path.startswith(p.rstrip("/") + "/") for p in ro_binds):
            ro_binds.append(path)
    limits = job["limits"]
    as_root = os.geteuid() == 0 and isolation == "namespace"
    return {
        "isolation": isolation,
        "memory_mb": limits["memory_mb"],
        "file_mb": limits["file_mb"],
        "tmp_mb": limits["tmp_mb"],
        "nproc": 256 if as_root else None,
        "uid": SLOT_UID_BASE + int(job["slot"]) if as_root else None,
        "conn_dir": str(box / "conn"),
        "work_dir": str(box / "work"),
        "notebook": str(box / "submission.ipynb"),
        "new_root": str(box / "root"),
        "ro_binds": ro_binds,
        "hide": job.get("hide", []),
    }


def grade_job(job: dict) -> dict:
    """Grade one submission described by ``job`` (see cli.py); returns the result record."""
    from .plan import read_plan
    from .submissions import Rejected, load_notebook

    plan = read_plan(job["solutions"])
    data = Path(job["notebook"]).read_bytes()
    try:
        nb, notes = load_notebook(data)
    except Rejected as exc:
        return result_record(
            job, plan, "rejected", [str(exc)], empty_cells(plan, f"{FAIL} not graded: {exc}.")
        )
    coursekit_meta = nb["metadata"].get("coursekit")
    chapter = coursekit_meta.get("chapter") if isinstance(coursekit_meta, dict) else None
    if chapter is not None and chapter != plan.chapter:
        reason = f"this is the notebook of {chapter}, not {plan.chapter}"
        return result_record(
            job, plan, "rejected", [reason], empty_cells(plan, f"{FAIL} not graded: {reason}.")
        )
    box = Path(tempfile.mkdtemp(prefix="sandbox-", dir=job.get("run_dir")))
    try:
        box.chmod(0o755)
        (box / "root").mkdir()
        (box / "work").mkdir()
        (box / "submission.ipynb").write_bytes(data)
        config = sandbox_config(job, box)
        kernel = SandboxedKernel(box, config, job["site_dir"], Limits(**job["limits"]))
        grading = Grading(job, plan, nb, notes)
        try:
            return grading.run(kernel)
        finally:
            kernel.shutdown()
    finally:
        shutil.rmtree(box, ignore_errors=True)
