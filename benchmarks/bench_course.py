"""Course: how long validating every notebook takes, and grading a class.

Validation is what ``make test`` does for the notebooks: pytest with nbval
runs every notebook of course/ and solutions/ and compares each cell's output
with the stored one. It runs here as a subprocess, and the time per notebook
comes from its JUnit report. Grading runs benchmarks/grading_bench.py (the
real grading command on a generated class) when that script exists.
Skipped with --quick: the notebooks alone take minutes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict

from harness import ROOT, Section, fmt_seconds, heading, print_table

NAME = "course"
TITLE = "course: validating the notebooks (nbval) and grading a class"
LEARNERS = 12  # a small class: grading takes several seconds per submission


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def validate_notebooks(folders):
    """(wall seconds, {notebook: seconds}, summary line, return code) of one nbval run."""
    with tempfile.TemporaryDirectory(prefix="bench-nbval-") as tmp:
        report = os.path.join(tmp, "junit.xml")
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                *folders,
                "-q",
                "-p",
                "no:cacheprovider",
                f"--junitxml={report}",
            ],
            cwd=ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        per_notebook = defaultdict(float)
        if os.path.exists(report):
            for case in ET.parse(report).iter("testcase"):
                # One test case per cell; its class name is the notebook's path
                # written with dots ("course.ch01_graph.ipynb").
                where = case.get("file") or case.get("classname", "")
                if where.endswith(".ipynb") and "/" not in where:
                    where = where[: -len(".ipynb")].replace(".", "/") + ".ipynb"
                if where.endswith(".ipynb"):
                    per_notebook[where] += float(case.get("time", 0))
    lines = done.stdout.strip().splitlines()
    return wall, dict(per_notebook), (lines[-1] if lines else done.stderr[-300:]), done.returncode


def grading(learners):
    """(rows of (workers, wall seconds), raw output) from grading_bench.py, or None."""
    script = ROOT / "benchmarks" / "grading_bench.py"
    if not script.exists():
        return None, "benchmarks/grading_bench.py does not exist"
    done = subprocess.run(
        [sys.executable, str(script), "--learners", str(learners), "--jobs", "1", "2"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None, f"grading_bench.py failed: {(done.stdout + done.stderr)[-500:]}"
    rows = [
        (int(m.group(1)), float(m.group(2)))
        for m in re.finditer(
            r"^\s*(\d+)\s+([\d.]+)\s+[\d.]+\s+[\d.]+x\s*$", done.stdout, re.MULTILINE
        )
    ]
    return rows, done.stdout


def run(settings):
    heading(TITLE)
    section = Section(NAME, TITLE)
    if settings.quick:
        section.note("skipped with --quick (validating the notebooks takes minutes)")
        return section
    folders = [name for name in ("course", "solutions") if (ROOT / name).is_dir()]
    for missing in sorted({"course", "solutions"} - set(folders)):
        section.note(f"{missing}/ does not exist yet")
    if folders:
        wall, per_notebook, summary, code = validate_notebooks(folders)
        rows = [[name, fmt_seconds(seconds)] for name, seconds in sorted(per_notebook.items())]
        rows.append(["all notebooks (wall clock, pytest included)", fmt_seconds(wall)])
        print_table(["notebook", "validation time"], rows)
        section.rows.append(
            {
                "case": "nbval",
                "folders": folders,
                "wall_s": wall,
                "per_notebook_s": per_notebook,
                "pytest_summary": summary,
                "returncode": code,
            }
        )
        section.note(f"pytest: {summary}")
        if code != 0:
            section.note(
                "some notebooks did not validate (see the summary above); the "
                "times are still those of the run"
            )
    rows, output = grading(LEARNERS)
    if rows is None:
        section.note(f"grading not measured: {output}")
    else:
        print(f"  grading a class of {LEARNERS} (benchmarks/grading_bench.py)")
        base = rows[0][1] if rows else None
        print_table(
            ["workers", "wall", "per submission", "speed-up"],
            [
                [jobs, fmt_seconds(s), fmt_seconds(s / LEARNERS), f"{base / s:.2f}x"]
                for jobs, s in rows
            ],
        )
        for jobs, seconds in rows:
            section.rows.append(
                {"case": "grading", "learners": LEARNERS, "workers": jobs, "wall_s": seconds}
            )
    return section
