"""The grading command: a class of notebooks in, a gradebook and feedback out.

    python -m coursekit.grade ch02 submissions/ --out grades/ch02 -j 2

Each submission is graded by its own worker process (``worker.py``) in its
own sandboxed kernel; ``-j`` workers run side by side.  Every result is
written to ``OUT/.coursekit-grade/results/<learner>.json`` as soon as it is
known, so a run that is interrupted resumes where it stopped, and a re-run
with nothing changed grades nothing and writes the same files.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import importlib.util
import json
import os
import queue
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from .kernel import SANDBOX_SCRIPT, Limits
from .plan import PlanError, read_plan
from .report import feedback_html, gradebook_csv, summary_text
from .runner import empty_cells, result_record
from .submissions import collect
from .worker import write_atomic

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # coursekit/
STATE = ".coursekit-grade"
# Never copied into a kernel's view of coursekit: the checks (they hold the
# reference solutions), the grader and the release tool.
NOT_FOR_KERNELS = re.compile(r"^(grade|release\.py|.*\.md|__pycache__|ch\d\d.*\.py)$")

DESCRIPTION = """\
Grade a class's notebooks for one chapter.

Runs every submission (one .ipynb per learner, named by learner id, in a
folder or a zip) in its own sandboxed kernel, applies the checks of the
chapter's solutions notebook -- hidden cases included -- and writes to OUT:
gradebook.csv, feedback/<learner>.html and summary.txt.  Re-running is
idempotent and resumes an interrupted run; the input is never modified.
"""


EPILOG = """\
example:
  python -m coursekit.grade ch02 submissions/ --out grades/ch02 -j 2

status column of gradebook.csv:
  ok         graded
  incidents  graded; cells that hit a limit or ended the kernel cost their exercise
  modified   graded; graded cells were deleted or renamed (checked at the end)
  rejected   not gradable (empty, not a notebook, wrong chapter): 0 points
  error      the grader failed on it: 0 points, retried by the next run
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.grade",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("chapter", help="chapter to grade, e.g. ch02")
    parser.add_argument("submissions", type=Path, help="folder or .zip of submitted notebooks")
    parser.add_argument("--out", type=Path, required=True, help="output folder (created if needed)")
    parser.add_argument(
        "--solutions",
        type=Path,
        default=Path("solutions"),
        help="folder of solutions notebooks (default: ./solutions)",
    )
    parser.add_argument(
        "-j", "--jobs", type=int, default=1, help="submissions graded at once (default: 1)"
    )
    parser.add_argument(
        "--timeout-cell",
        type=float,
        default=30.0,
        metavar="S",
        help="wall-clock limit per cell, seconds (default: 30)",
    )
    parser.add_argument(
        "--timeout-notebook",
        type=float,
        default=300.0,
        metavar="S",
        help="wall-clock limit per notebook, seconds (default: 300)",
    )
    parser.add_argument(
        "--memory-mb",
        type=int,
        default=1024,
        metavar="M",
        help="memory (address space) limit of a kernel, MB (default: 1024)",
    )
    parser.add_argument(
        "--output-mb",
        type=float,
        default=10.0,
        metavar="M",
        help="output a cell may print before it is stopped, MB (default: 10)",
    )
    parser.add_argument(
        "--isolation",
        choices=("auto", "namespace", "none"),
        default="auto",
        help="sandbox level (default: auto = namespace where Linux allows it)",
    )
    parser.add_argument("--regrade", action="store_true", help="ignore results of earlier runs")
    return parser


def find_solutions(chapter: str, folder: Path) -> Path:
    found = sorted(folder.glob(f"{chapter}_*.ipynb")) + sorted(folder.glob(f"{chapter}.ipynb"))
    if not found:
        raise PlanError(f"no solutions notebook for {chapter} in {folder}")
    if len(found) > 1:
        raise PlanError(
            f"several solutions notebooks for {chapter}: {', '.join(p.name for p in found)}"
        )
    return found[0]


def detect_isolation(requested: str) -> tuple:
    """``(mode, note)``: try the namespace sandbox once, fall back if allowed."""
    if requested == "none":
        return "none", "resource limits only (--isolation none)"
    box = Path(tempfile.mkdtemp(prefix="coursekit-probe-"))
    try:
        for name in ("conn", "work", "root"):
            (box / name).mkdir()
        config = {
            "isolation": "namespace",
            "conn_dir": str(box / "conn"),
            "work_dir": str(box / "work"),
            "new_root": str(box / "root"),
            "ro_binds": ["/usr", sys.base_prefix, sys.prefix],
            "memory_mb": 1024,
        }
        cmd = [
            sys.executable,
            "-I",
            SANDBOX_SCRIPT,
            json.dumps(config),
            "--",
            sys.executable,
            "-c",
            "pass",
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
        ok, why = (
            done.returncode == 0,
            done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"],
        )
    except (OSError, subprocess.SubprocessError) as exc:
        ok, why = False, [str(exc)]
    finally:
        shutil.rmtree(box, ignore_errors=True)
    if ok:
        who = (
            "as root: kernels run as per-slot user ids"
            if os.geteuid() == 0
            else "in a user namespace"
        )
        return "namespace", f"namespaces (mount, pid, net, ipc), {who}"
    if requested == "namespace":
        raise SystemExit(f"error: the namespace sandbox is not available here: {why[0]}")
    return "none", f"resource limits only: the namespace sandbox is not available ({why[0]})"


def make_site(run_dir: Path) -> Path:
    """The packages a kernel may import: minigrad and coursekit without checks or grader."""
    site = run_dir / "site"
    site.mkdir()
    shutil.copytree(
        PACKAGE_DIR,
        site / "coursekit",
        ignore=lambda d, names: [n for n in names if NOT_FOR_KERNELS.match(n)],
    )
    spec = importlib.util.find_spec("minigrad")
    if spec is not None and spec.submodule_search_locations:
        shutil.copytree(
            next(iter(spec.submodule_search_locations)),
            site / "minigrad",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    for path in [site, *site.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return site


def config_key(plan, limits: Limits, isolation: str) -> str:
    """Results of an earlier run are reused only if all of this is unchanged."""
    digest = hashlib.sha256()
    digest.update(json.dumps([plan.sha256, asdict(limits), isolation], sort_keys=True).encode())
    for path in sorted((PACKAGE_DIR / "checks").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _read_result(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.jobs < 1:
        print("error: -j must be at least 1", file=sys.stderr)
        return 2
    try:
        solutions = find_solutions(args.chapter, args.solutions)
        plan = read_plan(solutions)
    except PlanError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.submissions.exists():
        print(f"error: {args.submissions} does not exist", file=sys.stderr)
        return 2
    if args.submissions.is_dir() and _inside(args.out, args.submissions):
        print(
            "error: --out must not be inside the submissions folder (it is never written to)",
            file=sys.stderr,
        )
        return 2
    submissions, ignored = collect(args.submissions)

    out = args.out
    state = out / STATE
    for folder in (
        state / "results",
        state / "jobs",
        state / "inbox",
        state / "logs",
        out / "feedback",
    ):
        folder.mkdir(parents=True, exist_ok=True)
    os.chmod(state, 0o700)
    with open(state / "lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            print(f"error: another grader is writing to {out}", file=sys.stderr)
            return 2
        return _grade_class(args, plan, solutions, submissions, ignored, state)


def _grade_class(args, plan, solutions, submissions, ignored, state) -> int:
    out = args.out
    secret_file = state / "secret"
    if not secret_file.exists():
        write_atomic(secret_file, secrets.token_hex(32))
        os.chmod(secret_file, 0o600)
    secret = secret_file.read_text().strip()

    isolation, isolation_note = detect_isolation(args.isolation)
    limits = Limits(
        cell_s=args.timeout_cell,
        notebook_s=args.timeout_notebook,
        memory_mb=args.memory_mb,
        output_mb=args.output_mb,
    )
    key = config_key(plan, limits, isolation)
    hide = sorted(
        {str(p.resolve()) for p in (PACKAGE_DIR.parent, args.solutions, out, args.submissions)}
    )

    results: dict = {}
    todo: list = []
    for sub in submissions:
        sha = hashlib.sha256(sub.data).hexdigest() if not sub.too_large else "too-large"
        result_path = state / "results" / f"{sub.learner}.json"
        job = {
            "learner": sub.learner,
            "source": sub.source,
            "sha256": sha,
            "config_key": key,
            "result_path": str(result_path),
            "max_points": plan.max_points,
        }
        cached = None if args.regrade else _read_result(result_path)
        if (
            cached
            and cached.get("final")
            and cached.get("sha256") == sha
            and cached.get("config_key") == key
        ):
            results[sub.learner] = cached
            continue
        if sub.too_large:
            reason = "file larger than 50 MB"
            results[sub.learner] = result_record(
                job, plan, "rejected", [reason], empty_cells(plan, reason)
            )
            write_atomic(result_path, json.dumps(results[sub.learner], indent=1, sort_keys=True))
            continue
        inbox = state / "inbox" / f"{sub.learner}.ipynb"
        inbox.write_bytes(sub.data)
        job.update(
            {
                "notebook": str(inbox),
                "solutions": str(solutions.resolve()),
                "limits": asdict(limits),
                "isolation": isolation,
                "secret": secret,
                "hide": hide,
            }
        )
        todo.append(job)
    reused = len(results)

    started = time.monotonic()
    # Everything this run creates outside OUT lives here and goes at the end,
    # sandboxes of interrupted workers included.
    run_dir = Path(tempfile.mkdtemp(prefix="coursekit-run-"))
    run_dir.chmod(0o755)
    site = make_site(run_dir) if todo else None
    slots: queue.Queue = queue.Queue()
    for slot in range(args.jobs):
        slots.put(slot)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(PACKAGE_DIR.parent), env.get("PYTHONPATH")])
    )
    worker_timeout = (
        limits.notebook_s + limits.startup_s + 120
    )  # a backstop; the worker keeps time itself

    stopping = threading.Event()
    running: set = set()
    lock = threading.Lock()

    def grade(job: dict):
        """Run one worker process; None if the run is being interrupted."""
        if stopping.is_set():
            return None
        slot = slots.get()
        try:
            job = {**job, "slot": slot, "site_dir": str(site), "run_dir": str(run_dir)}
            job_path = state / "jobs" / f"{job['learner']}.json"
            write_atomic(job_path, json.dumps(job))
            os.chmod(job_path, 0o600)
            result_path = Path(job["result_path"])
            result_path.unlink(missing_ok=True)
            with open(state / "logs" / f"{job['learner']}.log", "w") as log:
                # A session of its own: Ctrl-C reaches only the grader, which stops the workers.
                worker = subprocess.Popen(
                    [sys.executable, "-m", "coursekit.grade.worker", str(job_path)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=state,
                    start_new_session=True,
                )
                with lock:
                    running.add(worker)
                try:
                    worker.wait(timeout=worker_timeout)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
                finally:
                    with lock:
                        running.discard(worker)
            job_path.unlink(missing_ok=True)
            if stopping.is_set():
                return None  # no result file: the next run grades it
            result = _read_result(result_path)
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

    pool = ThreadPoolExecutor(max_workers=args.jobs)
    try:
        futures = [pool.submit(grade, job) for job in todo]
        with tqdm(
            total=len(todo), desc=f"grading {plan.chapter}", unit="notebook", disable=not todo
        ) as bar:
            for future in as_completed(futures):
                result = future.result()
                results[result["learner"]] = result
                bar.update(1)
    except KeyboardInterrupt:
        stopping.set()
        with lock:
            for worker in running:
                worker.kill()
        pool.shutdown(wait=True, cancel_futures=True)
        done = sum(1 for f in futures if f.done() and not f.cancelled() and f.result() is not None)
        print(
            f"\ninterrupted: {reused + done} results kept in {state / 'results'}; "
            "run the same command again to grade the rest",
            file=sys.stderr,
        )
        return 130
    finally:
        pool.shutdown(wait=True)
        shutil.rmtree(run_dir, ignore_errors=True)

    rows = [results[s.learner] for s in submissions if s.learner in results]
    write_atomic(out / "gradebook.csv", gradebook_csv(plan, rows))
    for row in rows:
        write_atomic(out / "feedback" / f"{row['learner']}.html", feedback_html(plan, row))
    summary = summary_text(
        plan,
        rows,
        graded=len(todo),
        reused=reused,
        seconds=time.monotonic() - started,
        workers=args.jobs,
        isolation=isolation_note,
    )
    if ignored:
        summary += f"ignored (not .ipynb): {', '.join(ignored[:10])}{' ...' if len(ignored) > 10 else ''}\n"
    write_atomic(out / "summary.txt", summary)
    print(summary, end="")
    print(f"gradebook: {out / 'gradebook.csv'}  feedback: {out / 'feedback'}/")
    return 1 if any(r["status"] == "error" for r in rows) else 0
