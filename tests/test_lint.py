"""The code is linted and formatted: ``ruff check`` and ``ruff format --check``.

One configuration (pyproject.toml, ``[tool.ruff]``) covers every .py file and
every notebook. To fix what these tests report: ``ruff check --fix .`` and
``ruff format .`` (then rebuild any notebook whose source changed).
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def ruff(*args):
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    "command",
    [["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]],
    ids=["ruff-check", "ruff-format"],
)
def test_ruff(command):
    result = ruff(*command)
    assert result.returncode == 0, f"ruff {' '.join(command)}:\n{result.stdout}{result.stderr}"


def test_ruff_reads_the_notebooks_too():
    listed = ruff("check", "--no-cache", "--show-files", ".").stdout
    assert "course/ch01_graph.ipynb" in listed
    assert "solutions/ch01_graph.ipynb" in listed
