"""The graded class, built and graded once per test session.

``graded_class`` writes the class of ``classroom.py`` into a temporary
folder, copies the demo's solutions next to it (the hostile submissions
try to delete that copy, never the repository), runs the real command in a
subprocess with two workers, and hands the tests everything they inspect.
It needs bubblewrap: the tests that use it are marked ``sandbox``, and say
so when it is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(Path(__file__).parent))
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # coursekit, when the project is not pip-installed

import classroom  # noqa: E402  (found through the sys.path entry above)
from classroom import read_gradebook, run_grader, tree_hashes  # noqa: E402


@dataclass
class GradedClass:
    folder: Path
    submissions: Path
    solutions: Path
    out: Path
    marker: Path
    expected: dict
    process: subprocess.CompletedProcess
    seconds: float
    input_before: dict
    solutions_before: dict

    @property
    def gradebook(self) -> dict:
        return read_gradebook(self.out / "gradebook.csv")

    def result(self, learner: str) -> dict:
        return json.loads(
            (self.out / ".coursekit-grade" / "results" / f"{learner}.json").read_text()
        )

    def grader_args(self, out: Path, *extra) -> list:
        return [
            "ch99",
            self.submissions,
            "--out",
            out,
            "--solutions",
            self.solutions,
            *COMMON_ARGS,
            *extra,
        ]


COMMON_ARGS = [
    "--timeout-cell",
    classroom.CELL_S,
    "--timeout-notebook",
    60,
    "--output-mb",
    classroom.OUTPUT_MB,
    "--memory-mb",
    classroom.MEMORY_MB,
]


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory) -> GradedClass:
    folder = tmp_path_factory.mktemp("class")
    submissions, solutions, out = folder / "submissions", folder / "solutions", folder / "out"
    submissions.mkdir()
    shutil.copytree(classroom.SOLUTIONS.parent, solutions)
    marker = folder / "planted-by-a-submission"
    expected = classroom.build(
        submissions, {"out": out, "submissions": submissions, "solutions": solutions}, marker
    )
    input_before, solutions_before = tree_hashes(submissions), tree_hashes(solutions)
    started = time.monotonic()
    process = run_grader(
        "ch99", submissions, "--out", out, "--solutions", solutions, "-j", 2, *COMMON_ARGS
    )
    return GradedClass(
        folder,
        submissions,
        solutions,
        out,
        marker,
        expected,
        process,
        time.monotonic() - started,
        input_before,
        solutions_before,
    )
