"""minigrad stays readable in size: no module over 400 code lines, no function over 50.

The counter is benchmarks/code_size.py (which also prints the engine's and the
package's totals); the first tests check that it counts what it says it counts.
"""

import importlib.util
import pathlib

import pytest

_PATH = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "code_size.py"
_spec = importlib.util.spec_from_file_location("code_size", _PATH)
code_size = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(code_size)

SAMPLE = '''"""A module docstring,
on two lines."""

import os  # a comment after code counts as code


def f(x):
    """A docstring."""
    # a comment line
    y = (
        x + 1
    )

    return y
'''


def test_blank_lines_comments_and_docstrings_are_not_code():
    # import, def, the three lines of y = (...), return: six lines.
    assert sorted(code_size.code_lines(SAMPLE)) == [4, 7, 10, 11, 12, 14]


def test_a_function_counts_its_own_code_lines(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text(SAMPLE)
    modules, functions = code_size.measure(package)
    assert modules == {"pkg/m.py": 6}
    assert functions == [(5, "pkg/m.py", "f")]


_MODULES, _FUNCTIONS = code_size.measure()


@pytest.mark.parametrize("module", sorted(_MODULES))
def test_no_module_is_over_400_code_lines(module):
    assert _MODULES[module] <= code_size.MODULE_LIMIT


def test_no_function_is_over_50_code_lines():
    over = [(n, m, f) for n, m, f in _FUNCTIONS if n > code_size.FUNCTION_LIMIT]
    assert over == []
