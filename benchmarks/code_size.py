"""How big minigrad is, in code lines: per module, the engine, the whole package.

A code line is a line with code on it: blank lines, comment lines and
docstrings (a module's, a class's or a function's first string) do not count;
a statement spread over three lines counts three. The targets (issue 13): the
engine (minigrad without nn/ and optim/) at most 2,000 code lines, the
whole package at most 3,500, no module over 400 and no function over 50 (a
function's count includes the functions nested in it). tests/unit/test_code_size.py
enforces the module and function limits.

    python benchmarks/code_size.py          # the table
"""

from __future__ import annotations

import ast
import io
import pathlib
import sys
import tokenize

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "minigrad"
NOT_ENGINE = ("nn", "optim")  # the training layer
MODULE_LIMIT, FUNCTION_LIMIT = 400, 50
ENGINE_TARGET, ENGINE_GOAL, PACKAGE_TARGET = 2000, 1500, 3500

_NOT_CODE = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}


def docstring_lines(tree):
    """The line numbers of every docstring in a parsed module."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                lines.update(range(first.lineno, first.end_lineno + 1))
    return lines


def code_lines(source):
    """The numbers of the lines of ``source`` that hold code."""
    docstrings = docstring_lines(ast.parse(source))
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in _NOT_CODE or token.type == tokenize.ENDMARKER:
            continue
        lines.update(n for n in range(token.start[0], token.end[0] + 1) if n not in docstrings)
    return lines


def measure(package=PACKAGE):
    """{module path: code lines}, and [(code lines, module, function)] for every function."""
    modules, functions = {}, []
    for path in sorted(package.rglob("*.py")):
        source = path.read_text()
        lines = code_lines(source)
        name = path.relative_to(package.parent).as_posix()
        modules[name] = len(lines)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inside = sum(1 for n in lines if node.lineno <= n <= node.end_lineno)
                functions.append((inside, name, node.name))
    return modules, functions


def is_engine(module):
    return module.split("/")[1] not in NOT_ENGINE


def main():
    modules, functions = measure()
    engine = sum(n for m, n in modules.items() if is_engine(m))
    total = sum(modules.values())
    print(f"{'code lines':>10}  module")
    for module, n in sorted(modules.items(), key=lambda item: -item[1]):
        print(f"{n:10d}  {module}{'  (over the limit)' if n > MODULE_LIMIT else ''}")
    print(f"\nengine (without {', '.join(NOT_ENGINE)}): {engine} code lines", end="")
    print(f" (target {ENGINE_TARGET}, goal {ENGINE_GOAL})")
    print(f"whole package: {total} code lines (target {PACKAGE_TARGET})")
    longest = sorted(functions, reverse=True)[:5]
    print("longest functions: " + ", ".join(f"{m}:{f} {n}" for n, m, f in longest))
    over = [(n, m, f) for n, m, f in functions if n > FUNCTION_LIMIT]
    print(f"functions over {FUNCTION_LIMIT} lines: {over or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
