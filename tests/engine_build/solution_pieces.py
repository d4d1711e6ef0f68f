"""The pieces of the build as the solutions notebooks write them: one source for the tests.

solutions/src is where every piece is written (``coursekit.notebooks`` builds it
into solutions/*.ipynb, and ``coursekit.release`` turns that into the exercise
notebooks). The tests take the pieces from there instead of keeping copies: a
piece is the solution cell that defines the name its exercise asks for, run as
the notebook runs it, after the notebook's imports. A piece that ``uses`` another
(``run_backward`` calls ``topological_order``) runs after the other's cell, as
it does in the notebook.

Each cell's text is kept in linecache under a name of its own, as IPython keeps a
cell's, so that checks can read a piece's source and save it in my_engine/.

    >>> PIECES["ch03.unbroadcast"].__name__
    'unbroadcast'
"""

from __future__ import annotations

import ast
import functools
import linecache
from pathlib import Path

from coursekit.engine_build import pieces
from coursekit.grade import nbjson
from coursekit.nbgrader_cells import nbgrader_meta

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"


@functools.cache
def notebook(chapter: str) -> dict:
    """The chapter's solutions notebook (built from solutions/src)."""
    path = next(SOLUTIONS.glob(f"{chapter}_*.ipynb"))
    return nbjson.parse(path.read_text(encoding="utf-8"))


def _top_level(source: str) -> list:
    try:
        return ast.parse(source).body
    except SyntaxError:  # a cell with IPython magics: no piece there
        return []


def imports(chapter: str) -> str:
    """The import statements of the chapter's code cells: what a piece's cell can use."""
    lines = []
    for code_cell in notebook(chapter)["cells"]:
        if code_cell["cell_type"] == "code":
            for node in _top_level(code_cell["source"]):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    lines.append(ast.get_source_segment(code_cell["source"], node))
    return "\n".join(lines) + "\n"


def source(piece_id: str) -> str:
    """The text of the solution cell that defines the piece."""
    piece = pieces.get(piece_id)
    found = []
    for code_cell in notebook(piece.chapter)["cells"]:
        if code_cell["cell_type"] != "code" or not nbgrader_meta(code_cell).get("solution"):
            continue
        defined = [
            node.name
            for node in _top_level(code_cell["source"])
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))
        ]
        if piece.name in defined:
            found.append(code_cell["source"])
    if len(found) != 1:
        raise LookupError(f"{piece_id}: {len(found)} solution cells define {piece.name}")
    return found[0] + "\n"


def cell(piece_id: str, text: str) -> str:
    """A cell that runs on its own, in a fresh kernel, and defines the piece as ``text`` (the
    piece's own cell, right or wrong) writes it: the notebook's imports, the cells of the
    pieces it uses, then ``text``."""
    piece = pieces.get(piece_id)
    used = [source(other) for other in piece.uses]
    return "\n\n".join([imports(piece.chapter), *used, text])


def load(piece_id: str, text: str, label: str = "solution"):
    """The object that ``cell(piece_id, text)`` defines under the piece's name, run in a
    fresh namespace (a new kernel)."""
    namespace = {"__name__": "__main__"}
    code = cell(piece_id, text)
    filename = f"<{piece_id} {label}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    exec(compile(code, filename, "exec"), namespace)  # noqa: S102 - the course's own solution
    return namespace[pieces.get(piece_id).name]


PIECES = {piece.id: load(piece.id, source(piece.id)) for piece in pieces.PIECES}
