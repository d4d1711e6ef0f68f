"""The rules of runner.Grading, on a scripted kernel: who pays for a crash, when a
timeout is run again, and that a learner can never make the grader itself fail.

The class in classroom.py shows the same rules with real kernels; here each
rule is pinned down in milliseconds, with outcomes a real kernel could only
give by luck (a wall-clock cut, a crash that never comes back).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict
from types import SimpleNamespace

import classroom

from coursekit.grade import watch
from coursekit.grade.kernel import CellRun, Limits
from coursekit.grade.plan import read_plan
from coursekit.grade.runner import MAX_RESTARTS, Grading, Step
from coursekit.grade.turns import Turns

PLAN = read_plan(classroom.SOLUTIONS)


class ScriptedKernel:
    """A kernel that runs cells by what their source says.

    ``exit`` ends the kernel at once; ``bomb`` ends it two cells later (or
    while the grader waits); ``slow-once`` is cut by the wall clock the
    first time only; ``loop`` always times out on the kernel's clock.
    A probe reports every name missing, and the kernel as its snapshot found it, until a
    cell says ``patch`` (it then reports ``minigrad.scalar.Add`` replaced).
    """

    watch_holder, watch_ids = "_coursekit_watch_0", [11, 12]

    def __init__(self, load_free=True):
        self.patched = False
        self.starts = 0
        self.ran: list = []
        self.alone: list = []
        self.armed = None  # cells until a bomb goes off
        self.dead = False
        self.slow_seen = False
        self.clock = SimpleNamespace(load_free=load_free)

    def start(self):
        self.starts += 1
        self.dead, self.armed, self.patched = False, None, False

    def restart(self):
        self.start()

    def shutdown(self):
        pass

    def exit_code(self):
        return 7 if self.dead else None

    def wait_until_dead(self, seconds):
        if self.armed is not None:
            self.dead = True
        return self.dead

    def run(self, code, limit, **how):
        self.ran.append(code)
        if self.armed is not None:
            self.armed -= 1
            if self.armed <= 0:
                self.dead = True
                return CellRun("died", exit_code=7, kernel_lost=True)
        if "exit" in code:
            self.dead = True
            return CellRun("died", exit_code=3, kernel_lost=True)
        if "bomb" in code:
            self.armed = 2
        if "loop" in code:
            return CellRun("timeout", seconds=limit)
        if "slow-once" in code and not self.slow_seen:
            self.slow_seen = True
            return CellRun("timeout", seconds=1.0, cut_by_wall=True)
        self.patched = self.patched or "patch" in code
        nonce = re.search(r"<<coursekit:([0-9a-f]+)>>", code)
        if nonce:
            salt = re.search(r"\"report\"\]\('_coursekit_watch_0', '([0-9a-f]+)'\)", code)[1]
            ids, changed = (
                ([11, 13], ["minigrad.scalar.Add (replaced)"])
                if self.patched
                else (self.watch_ids, [])
            )
            seen = {"digest": watch.digest(salt, ids), "changed": changed}
            frame = json.dumps({"missing": ["x"], "watch": seen})
            opener, closer = f"<<coursekit:{nonce[1]}>>", f"<</coursekit:{nonce[1]}>>"
            return CellRun("ok", stdout=opener + frame + closer, seconds=0.01)
        return CellRun("ok", seconds=0.01)


class RecordingTurns(Turns):
    def __init__(self, kernel):
        super().__init__(None)
        self.kernel = kernel

    def alone(self):
        self.kernel.alone.append(self.kernel.ran[-1] if self.kernel.ran else None)
        return super().alone()


def grading(kernel, good=(), nb=None):
    job = {
        "limits": asdict(Limits(cell_s=5, notebook_s=60)),
        "secret": "s",
        "learner": "x",
        "sha256": "",
        "config_key": "",
    }
    g = Grading(job, PLAN, nb or {"cells": []}, [])
    g.kernel = kernel
    g.turns = RecordingTurns(kernel)
    g.good = [Step("code", source, exercise=ex) for source, ex in good]
    kernel.start()
    return g


def test_a_cell_that_ends_the_kernel_pays_when_no_replayed_cell_ends_it():
    kernel = ScriptedKernel()
    g = grading(kernel, good=[("a = 1", 1)])
    g.run_code(Step("code", "os.exit()", exercise=3))
    assert g.incidents == {3: "the kernel died in exercise 3 (exit code 3, e.g. os._exit())"}
    assert [s.source for s in g.good] == ["a = 1"]


def test_a_crash_that_strikes_later_is_traced_to_the_cell_that_set_it_off():
    kernel = ScriptedKernel()
    g = grading(kernel, good=[("bomb = 1", 1), ("a = 1", 2)])
    kernel.armed = 1  # the bomb, set off before, goes off during the next cell
    g.run_code(Step("code", "b = 1", exercise=3))
    assert g.incidents == {
        1: "the kernel died in exercise 1 (exit code 7, e.g. os._exit()): "
        "a thread or process its code started ended the kernel later"
    }
    assert [s.source for s in g.good] == ["a = 1", "b = 1"]
    assert g.notes == []


def test_after_a_crash_grading_goes_on_in_one_fresh_kernel_with_the_good_cells_replayed():
    kernel = ScriptedKernel()
    g = grading(kernel, good=[("a = 1", 1)])
    g.run_code(Step("code", "os.exit()", exercise=2))
    assert kernel.starts == 2  # the first kernel, and one replayed (and watched) after the crash
    assert kernel.ran == ["os.exit()", "a = 1"]
    g.run_code(Step("code", "c = 1", exercise=3))
    assert kernel.starts == 2 and kernel.ran[-1] == "c = 1"


def test_a_timeout_on_the_wall_clock_runs_once_more_alone_and_counts_only_if_it_repeats():
    kernel = ScriptedKernel()
    g = grading(kernel)
    g.run_code(Step("code", "slow-once", exercise=1))
    assert g.incidents == {}
    assert kernel.alone == ["slow-once"]
    g.run_code(Step("code", "loop", exercise=2))  # its own clock ran out: no second run
    assert g.incidents == {2: "timed out after 5 s in exercise 2"}
    assert kernel.alone == ["slow-once"]


def test_without_a_load_free_clock_every_timeout_runs_once_more_alone():
    kernel = ScriptedKernel(load_free=False)
    g = grading(kernel)
    g.run_code(Step("code", "loop", exercise=2))
    assert kernel.alone == ["loop"]
    assert g.incidents == {2: "timed out after 5 s in exercise 2"}


def test_a_kernel_ended_again_and_again_stops_grading_with_incidents_not_an_error():
    nb = classroom.load(classroom.SOLUTIONS)
    crash = {"cell_type": "code", "metadata": {}, "source": "import os; os.exit(1)"}
    nb["cells"] = [crash] * (MAX_RESTARTS + 1) + nb["cells"]
    kernel = ScriptedKernel()
    result = grading(kernel, nb=nb).run(kernel)
    assert result["status"] == "incidents"
    assert result["final"] is True and result["total"] == 0
    assert f"the kernel had to be started again more than {MAX_RESTARTS} times" in result["reason"]


def test_a_cell_waiting_to_run_alone_waits_for_running_cells_and_holds_new_ones(tmp_path):
    turns, events = Turns(tmp_path), []
    running, release = threading.Event(), threading.Event()

    def side_by_side(name, first=False):
        with turns.side_by_side():
            events.append(f"{name} runs")
            if first:
                running.set()
                release.wait(60)

    def alone():
        with turns.alone():
            events.append("alone runs")

    first = threading.Thread(target=side_by_side, args=("first", True))
    first.start()
    running.wait(60)
    lonely = threading.Thread(target=alone)
    lonely.start()
    lonely.join(0.5)  # however busy the machine, it cannot run while "first" runs
    assert events == ["first runs"]
    release.set()
    for thread in (first, lonely):
        thread.join(60)
    assert events == ["first runs", "alone runs"]


def test_a_kernel_changed_since_its_snapshot_scores_0_from_the_exercise_checked_next():
    # What a probe relies on is compared with the snapshot taken before the learner's first
    # cell (watch.py), whatever the cell that changed it says: this one says nothing the
    # source scan looks for.
    nb = classroom.solved(["ex1-impl", "ex2-impl", "ex3-answer", "ex4-fix"])
    classroom.cell(nb, "ex2-impl")["source"] += "\npatch = 1\n"
    kernel = ScriptedKernel()
    result = grading(kernel, nb=nb).run(kernel)
    statuses = {c["grade_id"]: c["status"] for c in result["cells"]}
    assert statuses == {
        "ex1-check": "not-implemented",  # (every name missing: what this scripted kernel says)
        "ex2-check": "tampered",
        "ex3-check": "tampered",
        "ex4-check": "tampered",
    }
    assert result["status"] == "tampered"
    assert result["reason"].startswith(
        "code run before exercise 2 was checked changed what the check relies on in the "
        "kernel (minigrad.scalar.Add (replaced)): the exercises checked from then on score 0"
    )
