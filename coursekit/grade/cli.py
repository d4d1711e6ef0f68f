"""The grading command: a class of notebooks in, a gradebook and feedback out.

    python -m coursekit.grade ch02 submissions/ --out grades/ch02 -j 2

``-j`` worker processes (``worker.py``) grade submissions side by side, each
in its own sandboxed kernel.  Every result is written to
``OUT/.coursekit-grade/results/<learner>.json`` as soon as it is known, so a
run that is interrupted resumes where it stopped, and a re-run with nothing
changed grades nothing and writes the same files.

Without a working sandbox the command refuses to grade, unless the
instructor says ``--isolation none``.
"""

from __future__ import annotations

import argparse
import compileall
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from . import sandbox
from .kernel import Limits
from .plan import PlanError, read_plan
from .report import feedback_html, gradebook_csv, ignored_csv, rejected, summary_text
from .submissions import MB, Rejected, collect
from .worker import write_atomic
from .workers import grade_all, read_result
from .world import PACKAGE_DIR, detect_isolation, make_site, run_tag

STATE = ".coursekit-grade"

DESCRIPTION = """\
Grade a class's notebooks for one chapter.

Runs every submission (one .ipynb per learner, named by learner id, in a
folder or a zip) in its own sandboxed kernel, applies the checks of the
chapter's solutions notebook -- hidden cases included -- and writes to OUT:
gradebook.csv, feedback/<learner>.html, summary.txt and ignored.csv (files
found that are not submissions, and why).  Re-running is idempotent and
resumes an interrupted run; the input is never modified.
"""


EPILOG = """\
example:
  python -m coursekit.grade ch02 submissions/ --out grades/ch02 -j 2

status column of gradebook.csv:
  ok         graded
  incidents  graded; cells that hit a limit or ended the kernel cost their exercise
  modified   graded; graded cells were deleted or renamed (checked at the end)
  tampered   graded; a cell reached into the grading: the exercises checked after
             it score 0 (the reason names the line)
  rejected   not gradable (empty, not a notebook, wrong chapter, a link, too large): 0 points
  error      the grader itself failed on it: 0 points, retried by the next run

time limits are on the kernel's own clock: seconds it computed, slept or
waited, not seconds it waited for a CPU on a busy machine.  A cell that
times out is run once more, alone, before it counts.

exit status:
  0    the gradebook is written; every row has its verdict (whatever the
       learners' code did)
  1    the gradebook is written, but the grader itself failed on some
       submissions (status error); run the command again to retry them
  2    nothing graded: wrong arguments, no solutions notebook, no sandbox
       (see --isolation), or another grader is writing to OUT
  130  interrupted; finished results are kept and the next run resumes
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
        help="time limit per cell, seconds on the kernel's clock (default: 30)",
    )
    parser.add_argument(
        "--timeout-notebook",
        type=float,
        default=300.0,
        metavar="S",
        help="time limit per notebook, seconds on the kernel's clock (default: 300)",
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
        "--max-total-mb",
        type=int,
        default=2048,
        metavar="M",
        help="the submissions together may take this much disk, MB (default: 2048); "
        f"one notebook at most {50} MB",
    )
    parser.add_argument(
        "--isolation",
        choices=("bwrap", "none"),
        default="bwrap",
        help="bwrap (default): each kernel in a bubblewrap sandbox; the grader refuses to "
        "run if it cannot make one.  none: no sandbox, for submissions you trust "
        "(see coursekit/README.md)",
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
    out = args.out
    state = out / STATE
    for folder in (state / "results", state / "jobs", state / "logs", out / "feedback"):
        folder.mkdir(parents=True, exist_ok=True)
    os.chmod(state, 0o700)
    with open(state / "lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            print(f"error: another grader is writing to {out}", file=sys.stderr)
            return 2
        # Everything this run creates outside OUT lives here and goes at the end,
        # sandboxes of interrupted workers included.
        run_dir = Path(tempfile.mkdtemp(prefix="coursekit-run-"))
        try:
            run_dir.chmod(0o755)
            return ClassRun(args, plan, solutions, state, run_dir).grade()
        except SystemExit as exc:
            print(exc, file=sys.stderr)
            return 2
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)


class ClassRun:
    """One run of the command over a class: collect, grade what is new, report."""

    def __init__(self, args, plan, solutions: Path, state: Path, run_dir: Path):
        self.args, self.plan, self.solutions = args, plan, solutions
        self.state, self.run_dir = state, run_dir
        self.limits = Limits(
            cell_s=args.timeout_cell,
            notebook_s=args.timeout_notebook,
            memory_mb=args.memory_mb,
            output_mb=args.output_mb,
        )

    def secret(self) -> str:
        secret_file = self.state / "secret"
        if not secret_file.exists():
            write_atomic(secret_file, secrets.token_hex(32))
            os.chmod(secret_file, 0o600)
        return secret_file.read_text().strip()

    def grade(self) -> int:
        args, plan, state = self.args, self.plan, self.state
        inbox = state / "inbox"
        shutil.rmtree(inbox, ignore_errors=True)
        inbox.mkdir()
        try:
            submissions, ignored = collect(
                args.submissions, inbox, max_total=args.max_total_mb * MB
            )
        except Rejected as exc:
            raise SystemExit(f"error: {exc}") from None
        site = make_site(self.run_dir)
        isolation, isolation_note, fields = detect_isolation(
            args.isolation, site, self.run_dir, self.limits
        )
        # Compiled once here, not in every kernel (minigrad alone takes a third of a
        # second); named as the kernel sees them.
        inside = sandbox.INSIDE_SITE if isolation == "bwrap" else None
        compileall.compile_dir(str(site), quiet=1, ddir=inside)
        key = config_key(plan, self.limits, isolation)
        secret = self.secret()
        results: dict = {}
        todo: list = []
        reused = 0
        for sub in submissions:
            result_path = state / "results" / f"{sub.learner}.json"
            job = {
                "learner": sub.learner,
                "source": sub.source,
                "sha256": sub.sha256 or sub.problem,
                "config_key": key,
                "result_path": str(result_path),
                "max_points": plan.max_points,
                "isolation": isolation,
            }
            cached = None if args.regrade else read_result(result_path)
            if (
                cached
                and cached.get("final")
                and all(cached.get(k) == job[k] for k in ("sha256", "config_key", "source"))
            ):
                results[sub.learner] = cached
                reused += 1
                continue
            if sub.problem:
                results[sub.learner] = rejected(job, plan, sub.problem)
                write_atomic(
                    result_path, json.dumps(results[sub.learner], indent=1, sort_keys=True)
                )
                continue
            job.update(
                notebook=str(sub.path),
                solutions=str(self.solutions.resolve()),
                limits=asdict(self.limits),
                secret=secret,
                site_dir=str(site),
                run_dir=str(self.run_dir),
                turns_dir=str(self.run_dir),
                run_tag=run_tag(args.out),
                **fields,
            )
            todo.append(job)
        started = time.monotonic()
        finished = grade_all(
            todo, results, jobs=args.jobs, state=state, plan=plan, limits=self.limits
        )
        if finished is None:
            print(
                f"\ninterrupted: {len(results)} results kept in {state / 'results'}; "
                "run the same command again to grade the rest",
                file=sys.stderr,
            )
            return 130
        return self.report(submissions, ignored, results, todo, reused, started, isolation_note)

    def report(self, submissions, ignored, results, todo, reused, started, isolation_note) -> int:
        out, plan = self.args.out, self.plan
        rows = [results[s.learner] for s in submissions if s.learner in results]
        write_atomic(out / "gradebook.csv", gradebook_csv(plan, rows))
        write_atomic(out / "ignored.csv", ignored_csv(ignored))
        for row in rows:
            write_atomic(out / "feedback" / f"{row['learner']}.html", feedback_html(plan, row))
        summary = summary_text(
            plan,
            rows,
            graded=len(rows) - reused,
            reused=reused,
            seconds=time.monotonic() - started,
            workers=self.args.jobs,
            isolation=isolation_note,
            ignored=ignored,
        )
        write_atomic(out / "summary.txt", summary)
        print(summary, end="")
        print(f"gradebook: {out / 'gradebook.csv'}  feedback: {out / 'feedback'}/")
        return 1 if any(r["status"] == "error" for r in rows) else 0
