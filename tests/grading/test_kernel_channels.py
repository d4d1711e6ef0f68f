"""SandboxedKernel.run on a scripted jupyter client: a cell's verdict does not depend on
when its messages arrive.

A cell's output and its "idle" travel on the kernel's output channel, its reply on
another; on a busy machine the output can arrive well after the reply.  The grader
used to stop listening 1 s after the reply (losing a probe's frame: "could not
read") and kept the cell's time limit running meanwhile (a cell that had finished
at 2.9 s of 3 s was timed out).  Here the delays are scripted, so each rule holds
in milliseconds and by construction, not by luck.
"""

from __future__ import annotations

import queue
import time

import pytest

from coursekit.grade import kernel as kernel_module
from coursekit.grade.clock import KernelClock
from coursekit.grade.kernel import Limits, SandboxedKernel


def _message(parent: str, kind: str, **content) -> dict:
    return {"parent_header": {"msg_id": parent}, "msg_type": kind, "content": content}


class ScriptedClient:
    """The output channel delivers in order, each message at its time (seconds after the
    cell was sent); the reply comes at ``reply_at``.  A ping's "idle" comes after
    everything before it, unless the channel is ``cut``."""

    def __init__(self, outputs: list, reply_at: float, cut: bool = False):
        self.outputs = outputs  # [(seconds, kind, content)] of the cell
        self.reply_at = reply_at
        self.cut = cut
        self.channel: list = []  # [(when, message)], in the order sent
        self.reply = None
        self.sent = 0.0

    def execute(self, code, **options) -> str:
        now = time.monotonic()
        if self.reply is None:  # the cell
            self.sent = now
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
        if self.channel and self.channel[0][0] <= time.monotonic():
            return self.channel.pop(0)[1]
        time.sleep(timeout)
        raise queue.Empty

    def get_shell_msg(self, timeout: float = 0):
        if self.reply is not None and self.reply[0] <= time.monotonic():
            reply, self.reply = self.reply[1], (float("inf"), None)
            return reply
        raise queue.Empty


class Alive:
    def is_alive(self) -> bool:
        return True

    def interrupt_kernel(self) -> None:
        pass


class ChannelEvents:
    def __init__(self, cut: bool):
        self.cut = cut

    def poll(self, timeout: int) -> int:
        return int(self.cut)


def _kernel(client: ScriptedClient) -> SandboxedKernel:
    kernel = SandboxedKernel("/nonexistent", {}, "", Limits(output_mb=1))
    kernel.kc, kernel.km, kernel.clock = client, Alive(), KernelClock(None)  # the wall clock
    kernel.iopub_events = ChannelEvents(client.cut)
    kernel._kill = lambda: None
    return kernel


@pytest.fixture(autouse=True)
def _quick_waits(monkeypatch):
    monkeypatch.setattr(kernel_module, "IDLE_WAIT_S", 0.05)
    monkeypatch.setattr(kernel_module, "CHANNEL_WAIT_S", 3.0)


def test_output_that_arrives_long_after_the_reply_is_all_read():
    frame = "<<coursekit:1>>[1, 2]<</coursekit:1>>\n"
    client = ScriptedClient(
        [
            (0.0, "stream", {"name": "stdout", "text": "first "}),
            (1.2, "stream", {"name": "stdout", "text": frame}),  # 1.2 s after the reply
            (1.25, "status", {"execution_state": "idle"}),
        ],
        reply_at=0.0,
    )
    run = _kernel(client).run("probe()", 5.0, capture=True)
    assert (run.status, run.stdout) == ("ok", "first " + frame)
    assert not run.kernel_lost


def test_output_that_arrives_after_the_ping_asked_for_it_is_read_too():
    # The cell's own "idle" never comes (a message lost); the ping's comes after the frame.
    client = ScriptedClient([(1.2, "stream", {"name": "stdout", "text": "late"})], reply_at=0.0)
    run = _kernel(client).run("probe()", 5.0, capture=True)
    assert (run.status, run.stdout) == ("ok", "late")


def test_a_cell_that_replied_within_its_limit_is_not_timed_out_while_its_output_lags():
    client = ScriptedClient([(0.6, "status", {"execution_state": "idle"})], reply_at=0.2)
    run = _kernel(client).run("work()", 0.3)
    assert run.status == "ok"
    assert 0.2 <= run.seconds < 0.3  # its time ends with its reply, not with the late "idle"


def test_a_cell_still_running_at_its_limit_is_timed_out():
    client = ScriptedClient([(0.6, "status", {"execution_state": "idle"})], reply_at=0.5)
    assert _kernel(client).run("work()", 0.3).status == "timeout"


@pytest.mark.parametrize("seen_dropped", [True, False])
def test_a_cut_output_channel_is_the_cell_printing_too_much(seen_dropped, monkeypatch):
    # A message over the sockets' size limit drops the channel: the socket's monitor says
    # so at once; without it, a ping's "idle" that never comes says so after CHANNEL_WAIT_S.
    monkeypatch.setattr(kernel_module, "CHANNEL_WAIT_S", 0.5)
    client = ScriptedClient([], reply_at=0.0, cut=True)
    kernel = _kernel(client)
    kernel.iopub_events = ChannelEvents(seen_dropped)
    started = time.monotonic()
    run = kernel.run("display(huge)", 5.0)
    assert (run.status, run.kernel_lost) == ("output-cap", True)
    assert (time.monotonic() - started < 0.4) == seen_dropped
