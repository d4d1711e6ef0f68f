"""A learner's kernel, started in a sandbox and driven one cell at a time.

This is the grader's thin layer over jupyter_client: it starts ipykernel
through the sandbox launcher (``sandbox.py``), sends code, and waits for the
result with a time limit and an output cap.  A cell that runs too long is
interrupted (and the kernel killed if the interrupt does not land); a
kernel that dies is reported, never waited for.

Time is measured on the kernel's own clock (:class:`KernelClock`): the
seconds since the cell started, less the seconds the kernel spent waiting
for a CPU while other programs used it.  A cell's verdict therefore does
not depend on how busy the machine is.  A wall-clock limit, several times
longer, is only a backstop.

Everything that comes back from the kernel is data of unknown shape: the
learner's code can send any message the kernel can.  Fields of the wrong
type are ignored, never trusted.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import zmq
from jupyter_client.manager import KernelManager

from . import sandbox, wire
from .clock import KernelClock, child_pid

SANDBOX_SCRIPT = str(Path(__file__).with_name("sandbox.py"))

# Grace period for an interrupted cell to stop before the kernel is killed.
INTERRUPT_GRACE_S = 2.0
# The wall-clock backstop of a cell: this many times its limit, plus this many seconds.
WALL_FACTOR, WALL_EXTRA_S = 4, 30.0
# After a cell's reply: how long its "idle" may lag before a ping asks the kernel
# for one, and how long the ping's may take before the output channel counts as cut.
IDLE_WAIT_S, CHANNEL_WAIT_S = 1.0, 30.0

# Run once in every new kernel, before any learner code.  ipykernel sends a
# cell's output in batches every 0.2 s, so a print loop can pile up hundreds
# of megabytes before the grader sees any: this stops a cell in the kernel
# once its output passes the cap.  A learner who removes it only makes the
# grader stop the cell later (the grader counts too, and its sockets refuse
# oversized messages).
OUTPUT_LIMITER = """\
def _coursekit_limit_output_(cap):
    import json
    import sys

    class OutputLimitExceeded(BaseException):
        pass

    state = {"written": 0, "depth": 0}
    installed = {}  # id(stream) -> the write function IPython put on it, if any

    def reset(*args):
        state["written"] = 0

    def limited(call):
        def write(text, *args, **kwargs):
            if state["depth"] == 0 and isinstance(text, str):
                state["written"] += len(text)
                if state["written"] > cap:
                    raise OutputLimitExceeded(f"a cell may print at most {cap} characters")
            state["depth"] += 1
            try:
                return call(text, *args, **kwargs)
            finally:
                state["depth"] -= 1
        write.coursekit_inner = call
        return write

    # IPython re-wraps stream.write on the instance for every cell, so the
    # limit sits on the class as a property that wraps whatever is installed.
    stream_class = type(sys.stdout)
    plain = stream_class.write
    stream_class.write = property(
        lambda self: limited(installed.get(id(self)) or plain.__get__(self)),
        lambda self, value: installed.__setitem__(id(self), getattr(value, "coursekit_inner", value)),
        lambda self: installed.pop(id(self), None),
    )
    get_ipython().events.register("pre_execute", reset)

    # A display or a cell's result counts too: one of hundreds of MB would
    # otherwise be built, serialised and sent before anything could count it.
    def size_of(data):
        if not isinstance(data, dict):
            return 0
        size = 0
        for value in data.values():
            if isinstance(value, str):
                size += len(value)
            else:
                try:
                    size += len(json.dumps(value, default=str))
                except Exception:
                    pass
        return size

    def counted(send):
        def send_counted(data, *args, **kwargs):
            state["written"] += size_of(data)
            if state["written"] > cap:
                raise OutputLimitExceeded(f"a cell may print at most {cap} characters")
            return send(data, *args, **kwargs)
        return send_counted

    shell = get_ipython()
    shell.display_pub.publish = counted(shell.display_pub.publish)
    shell.displayhook.write_format_data = counted(shell.displayhook.write_format_data)
_coursekit_limit_output_(%d)
del _coursekit_limit_output_
"""


@dataclass
class Limits:
    """The limits one submission runs under (see ``--help`` of the grader).

    ``cell_s`` and ``notebook_s`` are seconds on the kernel's clock
    (:class:`KernelClock`); ``cpu_s`` bounds each process of the kernel in
    CPU seconds, whatever the clock says.
    """

    cell_s: float = 30.0
    notebook_s: float = 300.0
    memory_mb: int = 2048
    output_mb: float = 10.0
    file_mb: int = 64
    tmp_mb: int = 256
    startup_s: float = 120.0

    @property
    def cpu_s(self) -> int:
        return int(self.notebook_s + 60)


@dataclass
class CellRun:
    """What happened when one piece of code ran in the kernel.

    ``status`` is one of: ``ok``, ``error`` (the code raised), ``timeout``,
    ``output-cap`` (printed more than the cap), ``died`` (the kernel process
    ended), ``garbled`` (the kernel sent a message that cannot be read).  ``seconds`` is on the kernel's clock; ``wall`` on the wall clock.
    """

    status: str
    ename: str = ""
    stdout: str = ""
    seconds: float = 0.0
    wall: float = 0.0
    exit_code: int | None = None
    kernel_lost: bool = False  # the kernel must be started again before the next cell
    cut_by_wall: bool = False  # stopped by the wall-clock backstop, not by the kernel's clock
    notes: list = field(default_factory=list)


class _SandboxKernelManager(KernelManager):
    """A KernelManager whose kernel command goes through the sandbox launcher."""

    sandbox_config: dict | None = None
    config_path: str = ""

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        config = self.sandbox_config or {}
        if config.get("isolation") == "bwrap":
            # The kernel's own view: its Python and its connection file at the sandbox's paths.
            cmd = [sandbox.INSIDE_PYTHON, "-m", "ipykernel_launcher", "-f"]
            cmd.append(sandbox.INSIDE_CONN + "/kernel.json")
        Path(self.config_path).write_text(json.dumps(config), encoding="utf-8")
        # -I: the launcher itself ignores PYTHON* variables and the cwd.
        return [sys.executable, "-I", SANDBOX_SCRIPT, self.config_path, "--", *cmd]

    def cleanup_ipc_files(self) -> None:
        """The sockets live in the sandbox's own tmpfs: nothing on the host to remove."""


def kernel_env(config: dict, site_dir: str, work_dir: str) -> dict:
    """A fresh environment for the kernel: nothing of the grader's leaks in."""
    if config.get("isolation") == "bwrap":
        bin_dir, site_dir, work_dir = (
            sandbox.INSIDE_VENV + "/bin",
            sandbox.INSIDE_SITE,
            sandbox.INSIDE_HOME,
        )
    else:
        bin_dir = str(Path(sys.executable).parent)
    return {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": work_dir,
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONPATH": site_dir,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": os.path.join(work_dir, ".matplotlib"),
        "IPYTHONDIR": os.path.join(work_dir, ".ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "JUPYTER_CONFIG_DIR": os.path.join(work_dir, ".jupyter"),
        "JUPYTER_RUNTIME_DIR": os.path.join(work_dir, ".jupyter-runtime"),
        # One thread each: workers run side by side, and results stay repeatable.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
        "COURSEKIT_GRADING": "1",
    }


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


class SandboxedKernel:
    """One learner's kernel: start, run code with limits, restart, shut down."""

    def __init__(self, box: Path, sandbox_config: dict, site_dir: str, limits: Limits):
        self.box = Path(box)
        self.config = dict(sandbox_config)
        self.site_dir = site_dir
        self.limits = limits
        self.km: _SandboxKernelManager | None = None
        self.kc = None
        self.context = None
        self.clock = KernelClock(None)
        self.starts = 0
        self.watch_imports: list = []  # what the probes import (wire.probe_imports)
        self.watch_holder = ""  # the module in the kernel that keeps the snapshot (watch.py)
        self.watch_ids: list = []  # what the snapshot found, taken before any learner code

    @property
    def isolated(self) -> bool:
        return self.config.get("isolation") == "bwrap"

    # -- life cycle -------------------------------------------------------
    def start(self) -> None:
        env = kernel_env(self.config, self.site_dir, self.config.get("work_dir", ""))
        if self.isolated:
            (self.box / "info.json").unlink(missing_ok=True)
        else:
            work = Path(self.config["work_dir"])
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
        km = _SandboxKernelManager(kernel_name="python3")
        km.sandbox_config = self.config
        km.config_path = str(self.box / "sandbox.json")
        km.transport = "ipc"
        # The kernel makes its sockets in its own world: a 1 MB tmpfs (sandbox)
        # or a folder of the grader's (no sandbox).
        km.ip = (
            sandbox.INSIDE_CONN + "/kernel" if self.isolated else str(self.box / "conn" / "kernel")
        )
        if not self.isolated:
            (self.box / "conn").mkdir(exist_ok=True)
        km.connection_file = str(self.box / "kernel.json")
        km.autorestart = False
        # The kernel's own stdout/stderr never reach the grader's terminal; its
        # stderr is kept (size-capped by the sandbox's file limit) for diagnosis.
        self.stderr_path = self.box / "kernel-stderr.log"
        with open(self.stderr_path, "ab") as stderr:
            km.start_kernel(
                env=env,
                cwd=str(self.box),
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        self.km = km
        self.starts += 1
        started = time.monotonic()
        kernel_pid = km.provisioner.process.pid  # type: ignore[union-attr]
        ip = km.ip
        if self.isolated:
            init_pid = self._sandbox_pid(started)
            # The sockets are in the sandbox's tmpfs; the host reaches them
            # through the sandbox's root as /proc shows it.
            ip = f"/proc/{init_pid}/root{sandbox.INSIDE_CONN}/kernel"
        # Messages larger than this are refused by our sockets, whatever the kernel sends.
        self.context = zmq.Context()
        self.context.setsockopt(
            zmq.MAXMSGSIZE, max(64 << 20, int(4 * self.limits.output_mb * (1 << 20)))
        )
        kc = km.client(context=self.context)
        kc.ip = ip
        kc.start_channels()
        self.kc = kc
        # Says when the output channel is dropped (a message over the size limit does it).
        self.iopub_events = kc.iopub_channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        try:
            kc.wait_for_ready(timeout=self.limits.startup_s)
        except RuntimeError as exc:
            self._failed_to_start(f"{exc}; exit code {self.exit_code()}")
        if self.isolated:
            kernel_pid = child_pid(init_pid)
        self.clock = KernelClock(kernel_pid)
        limiter = self.run(
            OUTPUT_LIMITER % int(self.limits.output_mb * (1 << 20)),
            self.limits.startup_s,
            store_history=False,
        )
        if limiter.status != "ok":
            self._failed_to_start(f"it could not be prepared: {limiter.status} {limiter.ename}")
        self._take_snapshot()

    def _take_snapshot(self) -> None:
        """Before any learner code: what the grading relies on, for the probes to compare
        (``watch.py``).  The ids it found stay here, in the grader's process."""
        self.watch_holder = f"_coursekit_watch_{secrets.token_hex(8)}"
        code, opener, closer = wire.watch_snippet(self.watch_holder, self.watch_imports)
        run = self.run(code, self.limits.startup_s, capture=True, store_history=False)
        ids = wire.snapshot_ids(wire.read_frame(run.stdout, opener, closer))
        if run.status != "ok" or ids is None:
            self._failed_to_start(f"its snapshot could not be taken: {run.status} {run.ename}")
        self.watch_ids = ids

    def _sandbox_pid(self, started: float) -> int:
        """The host's process id of the sandbox's first process (bubblewrap reports it)."""
        info = self.box / "info.json"
        while time.monotonic() - started < self.limits.startup_s:
            try:
                return int(json.loads(info.read_text(encoding="utf-8"))["child-pid"])
            except (OSError, ValueError, KeyError, TypeError):
                if not self.alive():
                    break
                time.sleep(0.02)
        self._failed_to_start(f"the sandbox did not start (exit code {self.exit_code()})")

    def _failed_to_start(self, why: str):
        self.shutdown()
        tail = (
            self.stderr_path.read_text(errors="replace")[-2000:]
            if self.stderr_path.exists()
            else ""
        )
        print(tail, file=sys.stderr)
        raise RuntimeError(f"the kernel did not start ({why})")

    def shutdown(self) -> None:
        if self.kc is not None:
            try:
                self.kc.stop_channels()
                self.context.destroy(linger=0)
            except Exception:  # noqa: BLE001, S110 - best effort: the kernel may be long gone
                pass
            self.kc = None
        if self.km is not None:
            try:
                if self.km.has_kernel:
                    self.km.shutdown_kernel(now=True)
            except Exception:  # noqa: BLE001 - whatever went wrong, the sandbox must go
                self._kill()
            try:
                self.km.cleanup_resources()
            except Exception:  # noqa: BLE001, S110 - best effort: files may be gone
                pass
            self.km = None

    def restart(self) -> None:
        self.shutdown()
        self.start()

    def alive(self) -> bool:
        return self.km is not None and self.km.is_alive()

    def exit_code(self) -> int | None:
        try:
            proc = self.km.provisioner.process  # type: ignore[union-attr]
            return None if proc is None else proc.poll()
        except Exception:  # noqa: BLE001 - no process, no exit code
            return None

    def _kill(self) -> None:
        try:
            proc = self.km.provisioner.process  # type: ignore[union-attr]
            if proc is not None and proc.poll() is None:
                os.killpg(os.getpgid(proc.pid), signal.SIGKILL)
        except Exception:  # noqa: BLE001, S110 - already gone is fine
            pass

    def wait_until_dead(self, seconds: float) -> bool:
        """True if the kernel ends within ``seconds`` (wall clock) of doing nothing."""
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            if not self.alive():
                return True
            time.sleep(0.02)
        return not self.alive()

    # -- running code -----------------------------------------------------
    def run(
        self,
        code: str,
        limit: float,
        *,
        capture: bool = False,
        store_history: bool = True,
        capture_cap: int = 8 << 20,
    ) -> CellRun:
        """Run ``code`` for at most ``limit`` seconds on the kernel's clock."""
        kc = self.kc
        clock = self.clock
        start, wall_start = clock.now(), time.monotonic()
        wall_limit = limit * WALL_FACTOR + WALL_EXTRA_S
        msg_id = kc.execute(
            code, silent=False, store_history=store_history, allow_stdin=False, stop_on_error=False
        )
        out: list[str] = []
        captured = 0
        printed = 0
        output_cap = int(self.limits.output_mb * 1024 * 1024)
        reply = None
        ended = None  # the kernel's clock when the reply came: the cell's time ends there
        reply_at = 0.0
        ping_id, ping_at = None, 0.0
        idle = False  # everything the cell sent has arrived
        limit_hit = ""  # "timeout" or "output-cap"
        grace_until = None
        cut_by_wall = False

        def finished(status: str, **extra) -> CellRun:
            return CellRun(
                status,
                seconds=(clock.now() if ended is None else ended) - start,
                wall=time.monotonic() - wall_start,
                stdout="".join(out),
                cut_by_wall=cut_by_wall,
                **extra,
            )

        while True:
            now = time.monotonic()
            if reply is not None:
                # The cell is over: no limit on time applies any more.  What it
                # printed may still be on its way (output and reply travel on
                # different channels): it has all arrived once the channel says
                # "idle", the cell's or, if that is late, a ping's (the kernel
                # sends both in order).  A channel that stays silent was cut by
                # a message over the sockets' size limit.
                if idle or not self.alive():
                    break
                if ping_id is None and now > reply_at + IDLE_WAIT_S:
                    ping_id = kc.execute("", silent=True, store_history=False, allow_stdin=False)
                    ping_at = now
                if ping_id is not None and (
                    self.iopub_events.poll(0) or now > ping_at + CHANNEL_WAIT_S
                ):
                    break
            elif not limit_hit and (clock.now() - start > limit or now - wall_start > wall_limit):
                limit_hit = "timeout"
                cut_by_wall = clock.now() - start <= limit
                grace_until = now + INTERRUPT_GRACE_S
                self._interrupt()
            if grace_until is not None and now > grace_until and reply is None:
                self._kill()
                return finished(limit_hit, kernel_lost=True)
            try:
                msg = kc.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                msg = None
            except Exception:  # noqa: BLE001 - a message the kernel's code garbled
                self._kill()
                return finished("garbled", kernel_lost=True)
            parent = _dict(msg.get("parent_header")).get("msg_id") if msg is not None else None
            if parent is not None and parent == ping_id:
                content = _dict(msg.get("content"))
                idle = msg.get("msg_type") == "status" and content.get("execution_state") == "idle"
            elif parent is not None and parent == msg_id:
                kind = msg.get("msg_type")
                content = _dict(msg.get("content"))
                if kind == "stream":
                    text = content.get("text", "")
                    text = text if isinstance(text, str) else ""
                    printed += len(text)
                    if capture and captured < capture_cap:
                        out.append(text[: capture_cap - captured])
                        captured += len(out[-1])
                    if printed > output_cap and not limit_hit:
                        limit_hit = "output-cap"
                        grace_until = time.monotonic() + INTERRUPT_GRACE_S
                        self._interrupt()
                elif kind in ("display_data", "execute_result", "update_display_data"):
                    printed += len(json.dumps(_dict(content.get("data"))))
                elif kind == "status" and content.get("execution_state") == "idle":
                    idle = True
            if reply is None:
                try:
                    shell = kc.get_shell_msg(timeout=0)
                except queue.Empty:
                    shell = None
                except Exception:  # noqa: BLE001 - a message the kernel's code garbled
                    self._kill()
                    return finished("garbled", kernel_lost=True)
                if shell is not None and _dict(shell.get("parent_header")).get("msg_id") == msg_id:
                    reply = _dict(shell.get("content"))
                    ended, reply_at = clock.now(), time.monotonic()
            if msg is None and reply is None and not self.alive():
                return finished("died", exit_code=self.exit_code(), kernel_lost=True)
        run = finished("ok")
        status, ename = reply.get("status"), reply.get("ename")
        if status == "error" and ename == "OutputLimitExceeded":
            run.status = "output-cap"
        elif status == "error":
            run.status = "error"
            run.ename = ename[:200] if isinstance(ename, str) else "an exception"
        elif status == "aborted":
            run.status = "error"
            run.ename = "Aborted"
        if not idle and not limit_hit and self.alive():
            # A message over the sockets' size limit (a display or a result of
            # hundreds of MB) cut the kernel's output channel: nothing the
            # kernel prints arrives any more, the probes' frames included.
            # (A kernel that died meanwhile is found, and charged, by the next cell.)
            limit_hit = "output-cap"
        if limit_hit:
            run.status = limit_hit
            if limit_hit == "output-cap":
                # The kernel's own limit was bypassed: its output buffers may
                # be wrecked, so it is replaced before the next cell.
                self._kill()
                run.kernel_lost = True
        return run

    def _interrupt(self) -> None:
        try:
            self.km.interrupt_kernel()
        except Exception:  # noqa: BLE001 - cannot interrupt: stop it the hard way
            self._kill()
