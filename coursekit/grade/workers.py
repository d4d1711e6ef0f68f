"""The worker processes of a class run: one per slot (``-j``), each grading one
submission after another (``worker.py --serve``).
"""

from __future__ import annotations

import json
import os
import queue
import select
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from .report import empty_cells, result_record
from .runner import MAX_RESTARTS
from .worker import write_atomic
from .world import PACKAGE_DIR


def read_result(path: Path):
    """A result file's record, or None if it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


class WorkerProcess:
    """One worker slot's process (``worker.py --serve``), started again if it dies or hangs."""

    def __init__(self, env: dict, cwd: Path):
        self.env, self.cwd = env, cwd
        self.process: subprocess.Popen | None = None

    def grade(self, job_path: Path, timeout: float) -> bool:
        """Have the worker grade one job; False if it died or hung (it is then killed)."""
        if self.process is None or self.process.poll() is not None:
            # A session of its own: Ctrl-C reaches only the grader, which stops the workers.
            self.process = subprocess.Popen(
                [sys.executable, "-m", "coursekit.grade.worker", "--serve"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,
            )
        process = self.process
        try:
            process.stdin.write(f"{job_path}\n".encode())
            process.stdin.flush()
            ready, _, _ = select.select([process.stdout], [], [], timeout)
            if ready and process.stdout.readline() == b"done\n":
                return True
        except OSError:  # the worker is gone (broken pipe)
            pass
        self.kill()
        return False

    def kill(self) -> None:
        process, self.process = self.process, None  # the main thread may call this too (Ctrl-C)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def stop(self) -> None:
        """Let the worker finish (end of its input), or kill it if it does not."""
        if self.process is None:
            return
        try:
            self.process.stdin.close()
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        self.process = None


def grade_all(todo: list, results: dict, *, jobs: int, state: Path, plan, limits):
    """Grade the jobs ``todo`` with ``jobs`` workers into ``results``; None if interrupted (Ctrl-C)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(PACKAGE_DIR.parent), env.get("PYTHONPATH")])
    )
    workers = [WorkerProcess(env, state) for _ in range(jobs)]
    slots: queue.Queue = queue.Queue()
    for slot in range(jobs):
        slots.put(slot)
    # A backstop only (on the wall clock): the worker keeps time itself.
    worker_timeout = 4 * limits.notebook_s + (MAX_RESTARTS + 2) * limits.startup_s + 120
    stopping = threading.Event()

    def grade(job: dict):
        """Have a worker grade ``job``; None if the run is being interrupted."""
        if stopping.is_set():
            return None
        slot = slots.get()
        try:
            job = {
                **job,
                "slot": slot,
                "log_path": str(state / "logs" / f"{job['learner']}.log"),
            }
            job_path = state / "jobs" / f"{slot}.json"
            write_atomic(job_path, json.dumps(job))
            os.chmod(job_path, 0o600)
            result_path = Path(job["result_path"])
            result_path.unlink(missing_ok=True)
            workers[slot].grade(job_path, worker_timeout)
            job_path.unlink(missing_ok=True)
            if stopping.is_set():
                return None  # no result file: the next run grades it
            result = read_result(result_path)
            if result is None:
                result = result_record(
                    job,
                    plan,
                    "error",
                    ["grader error: the worker stopped without a result"],
                    empty_cells(plan, "not graded: grader error"),
                )
                write_atomic(result_path, json.dumps(result, indent=1, sort_keys=True))
            return result
        finally:
            slots.put(slot)

    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = [pool.submit(grade, job) for job in todo]
        with tqdm(
            total=len(todo),
            desc=f"grading {plan.chapter}",
            unit="notebook",
            disable=not todo,
        ) as bar:
            for future in as_completed(futures):
                result = future.result()
                results[result["learner"]] = result
                bar.update(1)
    except KeyboardInterrupt:
        stopping.set()
        for worker in workers:
            worker.kill()
        pool.shutdown(wait=True, cancel_futures=True)
        for future in futures:
            if future.done() and not future.cancelled() and future.result() is not None:
                results[future.result()["learner"]] = future.result()
        return None
    finally:
        pool.shutdown(wait=True)
        for worker in workers:
            worker.stop()
    return results
