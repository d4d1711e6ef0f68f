"""SandboxedKernel.run on a scripted jupyter client: a cell's verdict does not depend on
when its messages arrive.

A cell's output and its "idle" travel on the kernel's output channel, its reply on
another; on a busy machine the output can arrive well after the reply.  The grader
used to stop listening 1 s after the reply (losing a probe's frame: "could not
read") and kept the cell's time limit running meanwhile (a cell that had finished
at 2.9 s of 3 s was timed out).  Here time itself is scripted: it moves only when
the grader waits for a message, so each rule holds exactly, however busy the
machine that runs the test.
"""

from __future__ import annotations

import queue
from types import SimpleNamespace

import pytest

from coursekit.grade import kernel as kernel_module
from coursekit.grade.kernel import IDLE_WAIT_S, Limits, SandboxedKernel

CHANNEL_WAIT_S = kernel_module.CHANNEL_WAIT_S


class Clock:
    """Seconds that pass only when the grader waits for a message (and for as long)."""

    def __init__(self):
        self.t = 0.0
        self.load_free = True

    def now(self) -> float:
        return self.t


def _message(parent: str, kind: str, **content) -> dict:
    return {"parent_header": {"msg_id": parent}, "msg_type": kind, "content": content}


class ScriptedClient:
    """The output channel delivers in order, each message at its time (seconds after the
    cell was sent); the reply comes at ``reply_at``.  A ping's "idle" comes after
    everything before it, unless the channel is ``cut``."""

    def __init__(self, clock: Clock, outputs: list, reply_at: float, cut: bool = False):
        self.clock = clock
        self.outputs = outputs  # [(seconds, kind, content)] of the cell
        self.reply_at = reply_at
        self.cut = cut
        self.channel: list = []  # [(when, message)], in the order sent
        self.reply = None

    def execute(self, code, **options) -> str:
        now = self.clock.t
        if self.reply is None:  # the cell
            self.channel += [
                (now + at, _message("cell", kind, **content)) for at, kind, content in self.outputs
            ]
            self.reply = (now + self.reply_at, _message("cell", "execute_reply", status="ok"))
            return "cell"
        if not self.cut:  # a ping: its "idle" follows whatever the channel still holds
            last = max([now, *(when for when, _ in self.channel)])
            self.channel.append((last + 0.01, _message("ping", "status", execution_state="idle")))
        return "ping"

    def get_iopub_msg(self, timeout: float):
        if self.channel and self.channel[0][0] <= self.clock.t:
            return self.channel.pop(0)[1]
        self.clock.t += timeout
        raise queue.Empty

    def get_shell_msg(self, timeout: float = 0):
        if self.reply is not None and self.reply[0] <= self.clock.t:
            reply, self.reply = self.reply[1], (float("inf"), None)
            return reply
        raise queue.Empty


class Alive:
    def is_alive(self) -> bool:
        return True

    def interrupt_kernel(self) -> None:
        pass


class ChannelEvents:
    def __init__(self, dropped: bool):
        self.dropped = dropped

    def poll(self, timeout: int) -> int:
        return int(self.dropped)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(kernel_module, "time", SimpleNamespace(monotonic=clock.now))
    return clock


def _run(clock, outputs, reply_at, limit=5.0, cut=False, dropped=None, **how):
    kernel = SandboxedKernel("/nonexistent", {}, "", Limits(output_mb=1))
    kernel.kc = ScriptedClient(clock, outputs, reply_at, cut)
    kernel.km, kernel.clock = Alive(), clock
    kernel.iopub_events = ChannelEvents(cut if dropped is None else dropped)
    kernel._kill = lambda: None
    return kernel.run("cell()", limit, **how)


def test_output_that_arrives_long_after_the_reply_is_all_read(clock):
    frame = "<<coursekit:1>>[1, 2]<</coursekit:1>>\n"
    outputs = [
        (0.0, "stream", {"name": "stdout", "text": "first "}),
        (20.0, "stream", {"name": "stdout", "text": frame}),  # 20 s after the reply
        (20.1, "status", {"execution_state": "idle"}),
    ]
    run = _run(clock, outputs, reply_at=0.0, capture=True)
    assert (run.status, run.stdout, run.kernel_lost) == ("ok", "first " + frame, False)


def test_output_that_arrives_after_the_ping_asked_for_it_is_read_too(clock):
    # The cell's own "idle" never comes (a message lost); the ping's comes after the frame.
    outputs = [(IDLE_WAIT_S + 5, "stream", {"name": "stdout", "text": "late"})]
    run = _run(clock, outputs, reply_at=0.0, capture=True)
    assert (run.status, run.stdout) == ("ok", "late")


def test_a_cell_that_replied_within_its_limit_is_not_timed_out_while_its_output_lags(clock):
    run = _run(clock, [(10.0, "status", {"execution_state": "idle"})], reply_at=2.5, limit=3.0)
    assert run.status == "ok"
    assert 2.5 <= run.seconds < 2.6  # its time ends with its reply, not with the late "idle"


def test_a_cell_still_running_at_its_limit_is_timed_out(clock):
    run = _run(clock, [(10.0, "status", {"execution_state": "idle"})], reply_at=3.5, limit=3.0)
    assert run.status == "timeout"


@pytest.mark.parametrize("dropped", [True, False])
def test_a_cut_output_channel_is_the_cell_printing_too_much(clock, dropped):
    # A message over the sockets' size limit drops the channel: the socket's monitor says
    # so at once; without it, a ping's "idle" that never comes says so after CHANNEL_WAIT_S.
    run = _run(clock, [], reply_at=0.0, cut=True, dropped=dropped)
    assert (run.status, run.kernel_lost) == ("output-cap", True)
    assert (clock.t < CHANNEL_WAIT_S) == dropped
