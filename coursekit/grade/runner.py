"""Grading one submission: run the learner's cells, probe, and judge here.

The learner's notebook runs cell by cell in a sandboxed kernel.  Where the
solutions notebook has a graded test cell, the learner's copy of that cell
is *not* run; instead the grader sends a small probe (the check's probe
function and freshly generated cases, hidden ones included) and reads back
plain JSON data framed by a one-time nonce (``wire.py``).  ``reference`` and
``judge`` run in this process, never in the kernel.

A cell that times out, prints too much, runs out of memory or ends the
kernel costs only its exercise: the kernel is started again, the cells that
ran well before are replayed, and grading goes on.  Two rules keep that
fair:

* time is the kernel's own (kernel.py: a busy machine does not make a
  cell slower); a cell stopped by the wall-clock backstop instead, or
  where the kernel's clock cannot be read, is run once more, alone (no
  other worker runs a cell meanwhile) in a fresh kernel, and only a
  second timeout counts;
* when the kernel ends, the cell that ended it is found before anyone is
  blamed: the cells that ran well are replayed and the kernel watched for
  as long as it lived before.  A thread or process started in one exercise
  that ends the kernel later costs that exercise, not the one running when
  it struck; if no replayed cell ends the kernel, the cell that was
  running did.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..checks.core import Outcome, make_cases
from ..checks.messages import FAIL, format_outcome
from ..nbgrader_cells import nbgrader_meta
from . import nbjson, tamper, watch, wire
from .kernel import CellRun, Limits, SandboxedKernel
from .plan import GradedCell, Plan
from .report import rejected, result_record
from .turns import Turns
from .world import write_kernel_world

MAX_RESTARTS = 12
SETTLE_S = 0.3  # how long a replayed kernel is watched beyond the time it lived before


class GaveUp(RuntimeError):
    """The kernel had to be started again too often: the rest is not graded."""


def grading_seed(secret: str, learner: str, check_id: str, hidden: bool) -> int:
    """Each learner gets their own cases, fixed for the run, unknown to them."""
    text = f"{secret}|{learner}|{check_id}|{'hidden' if hidden else 'visible'}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


@dataclass
class Step:
    kind: str  # "code" or "probe"
    source: str = ""
    graded: GradedCell | None = None
    exercise: int | None = None  # the graded cell this step belongs to
    learners: bool = False  # the learner's own code (not a read-only cell run as released)


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
            steps.append(Step("code", cell["source"], learners=True))
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


def kernel_copy(nb, plan: Plan) -> bytes:
    """The notebook the kernel finds in its working directory: what the grader runs, no more.

    Only the code that runs, as it runs (read-only cells as released, each
    graded cell as its check call), so that every line the kernel can read
    from its own notebook has been through tamper.py: the learner's copies
    of check cells, markdown, outputs and metadata are left out (code hidden
    there and loaded from the file once got past the scan).
    """
    steps, _ = build_steps(nb, plan)
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": step.source if step.kind == "code" else f'check("{step.graded.check.id}")',
        }
        for step in steps
    ]
    meta = {"coursekit": {"chapter": plan.chapter}}
    copy = {"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 4}
    return nbjson.dumps(copy).encode()


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
        self.turns = Turns(job.get("turns_dir"))
        self.incidents: dict = {}  # exercise number -> reason
        self.loose_incidents: list = []  # incidents after the last exercise
        self.cell_errors: dict = {}  # exercise number -> exception names
        self.outcomes: dict = {}  # grade_id -> the check's Outcome (judged when probed)
        self.good: list = []  # code steps that ran to the end (replayed after a restart)
        self.used = 0.0  # seconds on the kernel's clock, replays included
        self.life_started = 0.0  # when the current kernel became ready (wall clock)
        self.restarts = 0
        self.kernel: SandboxedKernel | None = None
        self.tampering = ""  # why the notebook's code reached into the grading, and where
        self.tainted: set = set()  # grade ids checked after that code ran

    # -- helpers ------------------------------------------------------------
    def where(self, exercise) -> str:
        return f"in exercise {exercise}" if exercise else "after the last exercise"

    def remaining(self) -> float:
        return self.limits.notebook_s - self.used

    def incident(self, exercise, reason: str) -> None:
        if exercise is None:
            self.loose_incidents.append(reason)
        else:
            self.incidents.setdefault(exercise, reason)

    def describe(self, run: CellRun, exercise, *, checking: bool, notebook_cut: bool) -> str:
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
            return f"the kernel died {where} ({self.how_it_died(run.exit_code)})"
        if run.status == "garbled":
            return (
                f"the kernel sent messages that cannot be read {where} "
                "(was json or the kernel replaced?)"
            )
        return f"{run.status} {where}"

    def how_it_died(self, code) -> str:
        signum = (
            -code if code is not None and code < 0 else code - 128 if code and code > 128 else 0
        )
        if code is None:
            return "it was killed"
        if signum == signal.SIGXCPU:
            return f"killed by SIGXCPU: more than {self.limits.cpu_s} s of CPU time"
        if signum:
            how = f"killed by {_signal_name(signum)}"
            if signum in (signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS):
                how += f"; out of memory? the limit is {self.limits.memory_mb} MB"
            return how
        return f"exit code {code}, e.g. os._exit()"

    # -- the kernel ---------------------------------------------------------
    def execute(self, source: str, *, capture=False, store_history=True) -> tuple:
        """``(run, notebook_cut)``: one run of ``source`` within the notebook's time."""
        limit = min(self.limits.cell_s, self.remaining())
        with self.turns.side_by_side():
            run = self.kernel.run(source, limit, capture=capture, store_history=store_history)
        self.used += run.seconds
        return run, limit < self.limits.cell_s

    def start_again(self) -> None:
        self.restarts += 1
        if self.restarts > MAX_RESTARTS:
            raise GaveUp(f"the kernel had to be started again more than {MAX_RESTARTS} times")
        self.kernel.restart()
        self.life_started = time.monotonic()

    def replay(self, watch_for: float = 0.0):
        """Start a fresh kernel and replay the cells that ran well.

        Returns None, or ``(cell, died_after)`` when the kernel died during
        the replay or while watched for ``watch_for`` seconds (wall clock)
        from its start: the cell that ran last, and when after the start.
        """
        self.start_again()
        began = time.monotonic()
        for step in list(self.good):
            if self.remaining() <= 0:
                return None
            run, _ = self.execute(step.source)
            if run.status == "died":
                return step, time.monotonic() - began
            if run.kernel_lost:  # a replayed cell hit a limit it did not hit before
                self.good.remove(step)
                return self.replay(watch_for)
        waited = max(0.0, watch_for - (time.monotonic() - began)) + SETTLE_S
        if self.good and self.kernel.wait_until_dead(waited):
            return self.good[-1], time.monotonic() - began
        return None

    def find_crashing_cell(self, died_after: float):
        """Replay the good cells one at a time, watching the kernel after each:
        the first after which it dies ended it.  ``(cell, exit code)``, or None
        (then the kernel is alive, every good cell replayed).

        Each watch lasts twice as long as the crash took to come in the replay
        (``died_after``): a thread's timer that fires late on a busy machine
        must not go off during the next cell's watch, which would blame that cell.
        """
        self.start_again()
        for step in list(self.good):
            run, _ = self.execute(step.source)
            if run.status == "died" or self.kernel.wait_until_dead(2 * died_after + SETTLE_S):
                return step, self.kernel.exit_code()
        return None

    def recover(self, watch_for: float = 0.0) -> bool:
        """A fresh kernel with the good cells replayed.  A good cell that ends
        the kernel now (a thread or process it started does, later) is found,
        blamed and left out.  True if such a cell was found."""
        found = False
        while True:
            crashed = self.replay(watch_for)
            if crashed is None:
                return found
            culprit = self.find_crashing_cell(crashed[1])
            if culprit is None:
                return found
            step, exit_code = culprit
            self.incident(
                step.exercise,
                f"the kernel died {self.where(step.exercise)} ({self.how_it_died(exit_code)}): "
                "a thread or process its code started ended the kernel later",
            )
            self.good.remove(step)
            found = True
            watch_for = min(watch_for, crashed[1])  # enough to see another such cell

    def after_crash(self, step: Step, source: str, run: CellRun, **how) -> tuple:
        """The kernel died while ``step`` ran: find out which cell did it.

        The good cells are replayed in a fresh kernel, watched as long as the
        dead one lived: every crash a good cell sets off (at once or later)
        comes back within that time.  If one does, that cell pays and
        ``step`` runs again; if none does, the crash was ``step``'s own.
        """
        lived = time.monotonic() - self.life_started
        if self.recover(watch_for=lived):
            return self.execute(source, **how)
        run.kernel_lost = False  # recover() left a fresh kernel, the good cells replayed
        return run, False

    def run_step(self, step: Step, source: str, **how) -> tuple:
        """``(run, notebook_cut)`` for a step, after the rules in the module docstring."""
        run, notebook_cut = self.execute(source, **how)
        maybe_load = run.cut_by_wall or not self.kernel.clock.load_free
        if run.status == "timeout" and maybe_load and not notebook_cut:
            # Once more, alone and in a fresh kernel: a busy machine is not the learner's fault.
            self.recover()
            limit = min(self.limits.cell_s, self.remaining())
            with self.turns.alone():
                run = self.kernel.run(source, limit, **how)
            self.used += run.seconds
            notebook_cut = limit < self.limits.cell_s
        elif run.status == "died":
            run, notebook_cut = self.after_crash(step, source, run, **how)
        return run, notebook_cut

    def run_code(self, step: Step) -> None:
        run, notebook_cut = self.run_step(step, step.source)
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

    def look_for_tampering(self, step: Step) -> None:
        """Note the first cell of the learner's that reaches into the grading (tamper.py)."""
        found = tamper.find(step.source) if step.learners and not self.tampering else None
        if found:
            what, line, text = found
            self.tampering = (
                f"a cell {self.where(step.exercise)} {what} (its line {line}: `{text[:80]}`): "
                "the exercises checked after it score 0; the instructor may look at it"
            )

    def compare_with_snapshot(self, graded: GradedCell, data, salt: str) -> None:
        """What the probe relies on in the kernel must be what it was before the learner's
        first cell (watch.py): if not, this exercise and every one checked after it score 0."""
        if data is None:
            return  # no frame: the exercise fails as unreadable anyway
        digest, changed = wire.watch_report(data)
        if digest == watch.digest(salt, self.kernel.watch_ids):
            return
        if not self.tampering:
            what = "; ".join(changed) or "the snapshot's digest differs"
            self.tampering = (
                f"code run before exercise {graded.number} was checked changed what the "
                f"check relies on in the kernel ({what}): the exercises checked from then on "
                "score 0; the instructor may look at it"
            )
        self.tainted.add(graded.grade_id)

    def probe(self, step: Step) -> None:
        graded = step.graded
        if self.tampering:
            self.tainted.add(graded.grade_id)
        check = graded.check
        outcome = None
        tried = {False: 0, True: 0}  # cases passed, visible and hidden
        for call in graded.calls:
            seed = grading_seed(self.job["secret"], self.job["learner"], call.check_id, call.hidden)
            cases = make_cases(check, seed, call.hidden)
            salt = secrets.token_hex(16)
            code, opener, closer = wire.probe_snippet(check, cases, self.kernel.watch_holder, salt)
            if self.remaining() <= 0:
                outcome = Outcome(
                    check.id, "failed", "not checked: the notebook's time limit had run out"
                )
                break
            run, notebook_cut = self.run_step(step, code, capture=True, store_history=False)
            if run.status in ("ok", "error"):
                data = wire.read_frame(run.stdout, opener, closer)
                self.compare_with_snapshot(graded, data, salt)
                outcome = wire.judge_safely(check, data, cases, call.hidden)
                if data is None and run.status == "error":  # what stopped the probe, by name
                    outcome.message = (
                        f"your code raised {run.ename} while being checked, so the check "
                        "could not finish"
                    )
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
        self.outcomes[graded.grade_id] = outcome

    def cell_result(self, graded: GradedCell, outcome: Outcome | None) -> dict:
        """The cell's row, from its outcome and any incident in its exercise (found at any time:
        a crash may be traced to an exercise after that exercise was checked)."""
        incident = self.incidents.get(graded.number)
        if graded.grade_id in self.tainted:
            saw = format_outcome(graded.check, outcome) if outcome else "nothing"
            status = "tampered"
            message = (
                f"{FAIL} {graded.title}: not counted: {self.tampering}. (The check saw: {saw})"
            )
        elif incident:
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
        self.life_started = time.monotonic()
        stopped = None
        for step in steps:
            if self.remaining() <= 0:
                stopped = (
                    f"the notebook's time limit ({self.limits.notebook_s:g} s) "
                    f"ran out {self.where(step.exercise)}"
                )
                self.incident(step.exercise, stopped)
                break
            try:
                if step.kind == "code":
                    self.look_for_tampering(step)
                    self.run_code(step)
                else:
                    self.probe(step)
            except GaveUp as exc:
                stopped = f"{exc}; grading stopped {self.where(step.exercise)}"
                self.incident(step.exercise, stopped)
                break
        for graded in self.plan.graded:
            if graded.grade_id not in self.outcomes and graded.number not in self.incidents:
                self.incident(graded.number, f"not checked: {stopped or 'time ran out'}")
        cells = [self.cell_result(g, self.outcomes.get(g.grade_id)) for g in self.plan.graded]
        reasons = [self.incidents[n] for n in sorted(self.incidents)] + self.loose_incidents
        status = "incidents" if reasons else "modified" if modified else "ok"
        if self.tainted:  # (code that reaches in after every check changes no score)
            reasons.insert(0, self.tampering)
            status = "tampered"
        return result_record(
            self.job,
            self.plan,
            status,
            reasons + self.notes,
            cells,
            kernel_starts=kernel.starts,
            kernel_seconds=round(self.used, 2),
        )


def grade_job(job: dict) -> dict:
    """Grade one submission described by ``job`` (see cli.py); returns the result record."""
    from .plan import read_plan
    from .report import shown
    from .submissions import Rejected, load_notebook

    plan = read_plan(job["solutions"])
    data = Path(job["notebook"]).read_bytes()
    try:
        nb, notes = load_notebook(data)
    except Rejected as exc:
        return rejected(job, plan, str(exc))
    coursekit_meta = nb["metadata"].get("coursekit")
    chapter = coursekit_meta.get("chapter") if isinstance(coursekit_meta, dict) else None
    if chapter is not None and chapter != plan.chapter:
        if isinstance(chapter, str):
            return rejected(
                job, plan, f"this is the notebook of {shown(chapter, 80)}, not {plan.chapter}"
            )
        return rejected(job, plan, "its metadata names no chapter (coursekit.chapter is not text)")
    box = Path(tempfile.mkdtemp(prefix="sandbox-", dir=job.get("run_dir")))
    try:
        box.chmod(0o755)
        config = write_kernel_world(job, box, kernel_copy(nb, plan))
        kernel = SandboxedKernel(box, config, job["site_dir"], Limits(**job["limits"]))
        kernel.watch_imports = wire.probe_imports(graded.check for graded in plan.graded)
        grading = Grading(job, plan, nb, notes)
        try:
            return grading.run(kernel)
        finally:
            kernel.shutdown()
    finally:
        shutil.rmtree(box, ignore_errors=True)
