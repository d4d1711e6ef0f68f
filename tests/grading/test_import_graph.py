"""coursekit's modules import each other in one direction only.

Function-level imports included: a cycle hidden inside a function still
means two modules that cannot be read (or changed) one without the other.
Once, ``release`` imported ``grade.plan`` inside a function and ``grade.plan``
imported ``release`` inside another; the rules both need now live below
both, in ``nbgrader_cells``.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "coursekit"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, known: set) -> set:
    """The coursekit modules ``path`` imports, at any level of its code."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        found |= {t for t in targets if t in known and t != name}
    return found


def import_graph() -> dict:
    paths = sorted(PACKAGE.rglob("*.py"))
    known = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, known) for p in paths}


def find_cycle(graph: dict, through: str = ""):
    """One import cycle (module names) with a module whose name starts with ``through``, or None."""
    state: dict = {}
    stack: list = []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycle = stack[stack.index(nxt) :] + [nxt]
                if any(m.startswith(through) for m in cycle):
                    return cycle
                continue
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert "coursekit.grade.plan" in graph["coursekit.release"]
    assert "coursekit.nbgrader_cells" in graph["coursekit.grade.plan"]


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle(graph, through="d") is None


def test_release_and_the_grader_are_in_no_import_cycle():
    # A package importing its own modules (coursekit.grade.cli -> coursekit.grade)
    # is the normal shape of a package, not a cycle between two modules.
    graph = import_graph()
    for name, targets in graph.items():
        graph[name] = {t for t in targets if not name.startswith(t + ".")}
    assert find_cycle(graph, through="coursekit.release") is None
    assert find_cycle(graph, through="coursekit.grade") is None
