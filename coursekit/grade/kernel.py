"""A learner's kernel, started in a sandbox and driven one cell at a time.

This is the grader's thin layer over jupyter_client: it starts ipykernel
through the sandbox launcher (``sandbox.py``), sends code, and waits for the
result with a wall-clock limit and an output cap.  A cell that runs too long
is interrupted (and the kernel killed if the interrupt does not land); a
kernel that dies is reported, never waited for.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import zmq
from jupyter_client.manager import KernelManager

SANDBOX_SCRIPT = str(Path(__file__).with_name("sandbox.py"))

# Grace period for an interrupted cell to stop before the kernel is killed.
INTERRUPT_GRACE_S = 2.0

# Run once in every new kernel, before any learner code.  ipykernel sends a
# cell's output in batches every 0.2 s, so a print loop can pile up hundreds
# of megabytes before the grader sees any: this stops a cell in the kernel
# once its output passes the cap.  A learner who removes it only makes the
# grader stop the cell later (the grader counts too, and its sockets refuse
# oversized messages).
OUTPUT_LIMITER = """\
def _coursekit_limit_output_(cap):
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
_coursekit_limit_output_(%d)
del _coursekit_limit_output_
"""


@dataclass
class Limits:
    """The limits one submission runs under (see ``--help`` of the grader)."""

    cell_s: float = 30.0
    notebook_s: float = 300.0
    memory_mb: int = 2048
    output_mb: float = 10.0
    file_mb: int = 64
    tmp_mb: int = 256
    startup_s: float = 60.0


@dataclass
class CellRun:
    """What happened when one piece of code ran in the kernel.

    ``status`` is one of: ``ok``, ``error`` (the code raised), ``timeout``,
    ``output-cap`` (printed more than the cap), ``died`` (the kernel process
    ended).
    """

    status: str
    ename: str = ""
    evalue: str = ""
    stdout: str = ""
    seconds: float = 0.0
    exit_code: int | None = None
    kernel_lost: bool = False  # the kernel must be started again before the next cell
    notes: list = field(default_factory=list)


class _SandboxKernelManager(KernelManager):
    """A KernelManager whose kernel command goes through the sandbox launcher."""

    sandbox_config: dict | None = None

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        config = self.sandbox_config or {}
        uid = config.get("uid")
        if uid is not None:
            # The connection file is written by (root) jupyter_client with
            # mode 0600; the kernel runs as the slot's user and must read it.
            os.chown(self.connection_file, uid, config.get("gid", uid))
        # -I: the launcher itself ignores PYTHON* variables and the cwd.
        launcher = [sys.executable, "-I", SANDBOX_SCRIPT, json.dumps(config), "--"]
        return launcher + cmd


def kernel_env(site_dir: str, work_dir: str) -> dict:
    """A fresh environment for the kernel: nothing of the grader's leaks in."""
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


class SandboxedKernel:
    """One learner's kernel: start, run code with limits, restart, shut down."""

    def __init__(self, sandbox_dir: Path, sandbox_config: dict, site_dir: str, limits: Limits):
        self.sandbox_dir = Path(sandbox_dir)
        self.config = dict(sandbox_config)
        self.site_dir = site_dir
        self.limits = limits
        self.km: _SandboxKernelManager | None = None
        self.kc = None
        self.starts = 0

    # -- life cycle -------------------------------------------------------
    def start(self) -> None:
        conn_dir = Path(self.config["conn_dir"])
        if conn_dir.exists():
            shutil.rmtree(conn_dir)
        conn_dir.mkdir(parents=True)
        uid = self.config.get("uid")
        if uid is not None:
            os.chown(conn_dir, uid, self.config.get("gid", uid))
        os.chmod(conn_dir, 0o700)
        work_dir = self.config["work_dir"]
        Path(work_dir).mkdir(parents=True, exist_ok=True)
        km = _SandboxKernelManager(kernel_name="python3")
        km.sandbox_config = self.config
        km.transport = "ipc"
        km.ip = str(conn_dir / "kernel")
        km.connection_file = str(conn_dir / "kernel.json")
        km.autorestart = False
        # The kernel's own stdout/stderr never reach the grader's terminal; its
        # stderr is kept (size-capped by the sandbox's file limit) for diagnosis.
        self.stderr_path = self.sandbox_dir / "kernel-stderr.log"
        with open(self.stderr_path, "ab") as stderr:
            km.start_kernel(
                env=kernel_env(self.site_dir, work_dir),
                cwd=work_dir,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        self.km = km
        # Messages larger than this are refused by our sockets, whatever the kernel sends.
        context = zmq.Context()
        context.setsockopt(
            zmq.MAXMSGSIZE, max(64 << 20, int(4 * self.limits.output_mb * (1 << 20)))
        )
        self.context = context
        kc = km.client(context=context)
        kc.start_channels()
        self.kc = kc
        self.starts += 1
        try:
            kc.wait_for_ready(timeout=self.limits.startup_s)
        except RuntimeError as exc:
            code = self.exit_code()
            self.shutdown()
            tail = (
                self.stderr_path.read_text(errors="replace")[-2000:]
                if self.stderr_path.exists()
                else ""
            )
            print(tail, file=sys.stderr)
            raise RuntimeError(f"the kernel did not start ({exc}; exit code {code})") from None
        limiter = self.run(
            OUTPUT_LIMITER % int(self.limits.output_mb * (1 << 20)),
            self.limits.startup_s,
            store_history=False,
        )
        if limiter.status != "ok":
            raise RuntimeError(
                f"the kernel could not be prepared ({limiter.status} {limiter.ename})"
            )

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

    # -- running code -----------------------------------------------------
    def run(
        self,
        code: str,
        timeout: float,
        *,
        capture: bool = False,
        store_history: bool = True,
        capture_cap: int = 8 << 20,
    ) -> CellRun:
        """Run ``code``; never waits longer than ``timeout`` (+ a short grace)."""
        kc = self.kc
        start = time.monotonic()
        deadline = start + timeout
        msg_id = kc.execute(
            code, silent=False, store_history=store_history, allow_stdin=False, stop_on_error=False
        )
        out: list[str] = []
        captured = 0
        printed = 0
        output_cap = int(self.limits.output_mb * 1024 * 1024)
        reply = None
        reply_at = 0.0
        idle = False
        limit_hit = ""  # "timeout" or "output-cap"
        grace_until = None
        while True:
            now = time.monotonic()
            if reply is not None and (idle or now > reply_at + 1.0):
                break
            if not limit_hit and now > deadline:
                limit_hit = "timeout"
                grace_until = now + INTERRUPT_GRACE_S
                self._interrupt()
            if grace_until is not None and now > grace_until:
                self._kill()
                return CellRun(
                    "timeout" if limit_hit == "timeout" else limit_hit,
                    seconds=now - start,
                    kernel_lost=True,
                    stdout="".join(out),
                )
            try:
                msg = kc.get_iopub_msg(timeout=0.05)
            except queue.Empty:
                msg = None
            if msg is not None and msg.get("parent_header", {}).get("msg_id") == msg_id:
                kind = msg["msg_type"]
                content = msg["content"]
                if kind == "stream":
                    text = content.get("text", "")
                    printed += len(text)
                    if capture and captured < capture_cap:
                        out.append(text[: capture_cap - captured])
                        captured += len(out[-1])
                    if printed > output_cap and not limit_hit:
                        limit_hit = "output-cap"
                        grace_until = time.monotonic() + INTERRUPT_GRACE_S
                        self._interrupt()
                elif kind in ("display_data", "execute_result", "update_display_data"):
                    printed += len(json.dumps(content.get("data", {})))
                elif kind == "status" and content.get("execution_state") == "idle":
                    idle = True
            if reply is None:
                try:
                    shell = kc.get_shell_msg(timeout=0)
                except queue.Empty:
                    shell = None
                if shell is not None and shell.get("parent_header", {}).get("msg_id") == msg_id:
                    reply = shell["content"]
                    reply_at = time.monotonic()
            if msg is None and reply is None and not self.alive():
                return CellRun(
                    "died",
                    seconds=time.monotonic() - start,
                    exit_code=self.exit_code(),
                    kernel_lost=True,
                    stdout="".join(out),
                )
        seconds = time.monotonic() - start
        run = CellRun("ok", seconds=seconds, stdout="".join(out))
        if reply.get("status") == "error" and reply.get("ename") == "OutputLimitExceeded":
            run.status = "output-cap"
        elif reply.get("status") == "error":
            run.status = "error"
            run.ename = str(reply.get("ename", ""))[:200]
            run.evalue = str(reply.get("evalue", ""))[:500]
        elif reply.get("status") == "aborted":
            run.status = "error"
            run.ename = "Aborted"
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
