"""Every test file under tests/ is collected by the README's test command.

A test that is never collected never fails, so it proves nothing: once, a
``norecursedirs`` entry meant for the top-level ``exercises/`` also matched
``tests/exercises/`` and 239 tests silently stopped running. This module asks
pytest itself what the README's command (``make test``, which is
``python -m pytest`` with the settings in pyproject.toml) collects, and fails
for every ``test_*.py`` file under tests/ that contributes no test.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def collected_node_ids(root, *args):
    """The test ids ``python -m pytest --collect-only`` lists, run in ``root``."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    ids = [line for line in result.stdout.splitlines() if "::" in line and " " not in line]
    return ids, result


def files_named_like_tests(root):
    """Files pytest's default ``python_files`` patterns name as test modules."""
    tests = Path(root) / "tests"
    found = set(tests.rglob("test_*.py")) | set(tests.rglob("*_test.py"))
    return sorted(p.relative_to(root).as_posix() for p in found)


def uncollected(root, node_ids):
    """The test files under ``root``/tests that no collected test comes from."""
    files_with_tests = {node_id.split("::")[0] for node_id in node_ids}
    return [f for f in files_named_like_tests(root) if f not in files_with_tests]


@pytest.fixture(scope="module")
def readme_collection():
    return collected_node_ids(ROOT)


def test_every_test_file_is_collected_by_the_readme_test_command(readme_collection):
    node_ids, result = readme_collection
    assert node_ids, f"pytest collected nothing:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    missing = uncollected(ROOT, node_ids)
    assert not missing, (
        "these test files are not collected by `python -m pytest` (make test); check "
        "norecursedirs, collect_ignore and import errors:\n  "
        + "\n  ".join(missing)
        + f"\n\npytest said:\n{result.stdout[-3000:]}"
    )


def test_the_readme_test_command_collects_without_errors(readme_collection):
    _, result = readme_collection
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_the_exercise_notebooks_as_handed_out_are_not_validated(readme_collection):
    node_ids, _ = readme_collection
    assert not [i for i in node_ids if i.startswith("exercises/")]
    # ...yet tests/exercises/, which runs them on purpose, is collected.
    assert [i for i in node_ids if i.startswith("tests/exercises/")]


def test_a_test_file_hidden_by_a_norecursedirs_pattern_is_reported(tmp_path):
    """The guard on a small project with the old mistake: ``exercises`` in norecursedirs."""
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [tool.pytest.ini_options]
            testpaths = ["tests"]
            norecursedirs = ["exercises"]
            """
        )
    )
    for folder in ("tests", "tests/exercises"):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / "test_something.py").write_text("def test_it():\n    pass\n")
    (tmp_path / "tests" / "test_empty.py").write_text("# no tests here\n")

    node_ids, _ = collected_node_ids(tmp_path)

    assert node_ids == ["tests/test_something.py::test_it"]
    assert uncollected(tmp_path, node_ids) == [
        "tests/exercises/test_something.py",
        "tests/test_empty.py",
    ]
