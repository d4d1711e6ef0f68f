"""How long the grader takes for a class: 100 submissions, with 1 and 2 workers.

    python benchmarks/grading_bench.py [--learners 100] [--jobs 1 2]

The class is the demo chapter's (tests/grading/fixtures): a third of the
learners hand in the solution, a third the untouched exercise notebook, a
third half of the exercises solved.  Each run grades into a fresh folder
with the real command, exactly as an instructor would (in bubblewrap's
sandbox, unless --isolation none), and the table shows wall-clock time,
time per submission and the speed-up over one worker.  Timings vary with
the machine and its load (printed before and after): compare rows of one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "grading" / "fixtures"
SOLUTION = FIXTURES / "solutions" / "ch99_demo.ipynb"
EXERCISE = FIXTURES / "exercises" / "ch99_demo.ipynb"


def half_solved() -> bytes:
    """The exercise notebook with exercises 1 and 3 copied from the solution."""
    solution, exercise = json.loads(SOLUTION.read_text()), json.loads(EXERCISE.read_text())
    by_id = {c["metadata"].get("nbgrader", {}).get("grade_id"): c for c in solution["cells"]}
    for cell in exercise["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in ("ex1-impl", "ex3-answer"):
            cell["source"] = by_id[grade_id]["source"]
    return json.dumps(exercise).encode()


def build_class(folder: Path, learners: int) -> None:
    kinds = [SOLUTION.read_bytes(), EXERCISE.read_bytes(), half_solved()]
    for i in range(learners):
        (folder / f"learner{i:03d}.ipynb").write_bytes(kinds[i % 3])


def grade(submissions: Path, out: Path, jobs: int, isolation: str) -> tuple:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "coursekit.grade",
            "ch99",
            str(submissions),
            "--out",
            str(out),
            "--solutions",
            str(SOLUTION.parent),
            "-j",
            str(jobs),
            "--isolation",
            isolation,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"grading failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    return seconds, done.stdout.splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=100)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--isolation", choices=("bwrap", "none"), default="bwrap")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        submissions = Path(tmp) / "submissions"
        submissions.mkdir()
        build_class(submissions, args.learners)
        rows = []
        for jobs in args.jobs:
            seconds, first_line = grade(
                submissions, Path(tmp) / f"out-j{jobs}", jobs, args.isolation
            )
            rows.append((jobs, seconds))
            print(first_line, file=sys.stderr)
    base = rows[0][1]
    print(
        f"grading {args.learners} submissions of the demo chapter (cpu count {os.cpu_count()}, "
        f"isolation {args.isolation}, load average {load_before[0]:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after)"
    )
    print(f"{'workers':>7}  {'wall s':>7}  {'s/submission':>12}  {'speed-up':>8}")
    for jobs, seconds in rows:
        print(
            f"{jobs:>7}  {seconds:>7.1f}  {seconds / args.learners:>12.2f}  {base / seconds:>7.2f}x"
        )


if __name__ == "__main__":
    main()
