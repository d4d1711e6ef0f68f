"""The pieces of the learner's engine (coursekit/BUILD.md) as notebook cells, for the tests.

The right pieces (the solutions notebooks' cells) and the wrong ones (those cells
changed, ``tests/engine_build/wrong_pieces.py``), each as a cell that runs on its
own, and, for every piece, a cell that imports minigrad's own answer instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine_build"))

import solution_pieces  # noqa: E402  (found through the sys.path entry above)
import wrong_pieces  # noqa: E402


def setup_imports(chapter: str, *also: str) -> str:
    """What the chapter's exercise notebook imports (its setup cell), then the import lines
    in ``also``: the namespace the tests run a learner's cells in."""
    return "\n".join([solution_pieces.imports(chapter), *also]) + "\n"


# Where minigrad keeps its own answer: importing it must earn nothing.
REFERENCE = {
    "ch01.Add": "from minigrad.scalar import Add",
    "ch01.Mul": "from minigrad.scalar import Mul",
    "ch01.Tanh": "from minigrad.scalar import Tanh",
    "ch02.topological_order": "from minigrad.scalar import topological_order",
    "ch02.run_backward": "from minigrad.scalar import run_backward",
    "ch03.Mul": "from minigrad.ops.elementwise import Mul",
    "ch03.unbroadcast": "from minigrad.function import unbroadcast",
    "ch03.Mm": "from minigrad.ops.matrix import Mm",
    "ch04.accumulate_grad": "from minigrad.engine import accumulate_grad",
    "ch04.store_retained_grad": "from minigrad.engine import store_retained_grad",
    "ch05.detach": "from minigrad.tensor import detach",
    "ch06.bump_version": "from minigrad.function import bump_version",
    "ch06.SavedTensor": "from minigrad.graph import SavedTensor",
    "ch07.GradState": "from minigrad.grad_mode import _GradState as GradState",
    "ch07.GradMode": "from minigrad.grad_mode import no_grad as GradMode",
    "ch08.parameters": "parameters = mg.nn.Module.parameters",
    "ch08.sgd_momentum_step": "from minigrad.optim.sgd import SGD\nsgd_momentum_step = SGD._update",
    "ch10.ReLU": "from minigrad.ops.elementwise import Relu as ReLU",
}


def right(piece_id: str) -> str:
    return solution_pieces.cell(piece_id, solution_pieces.source(piece_id))


def wrong(piece_id: str, what: str) -> str:
    return solution_pieces.cell(piece_id, wrong_pieces.named(piece_id, what).text)


def piece_wrongs(chapter: str, skip=()) -> dict:
    """``{piece id: {what is wrong: cell}}`` for a chapter: the wrong pieces (but those of
    the pieces in ``skip``, whose exercise has its own), and the import of minigrad's own."""
    found = {}
    for mistake in wrong_pieces.WRONG:
        piece_id = mistake.piece_id
        if piece_id.startswith(chapter + ".") and piece_id not in skip:
            found.setdefault(piece_id, {})[mistake.what] = wrong(piece_id, mistake.what)
    for piece_id, line in REFERENCE.items():
        if piece_id.startswith(chapter + "."):
            found.setdefault(piece_id, {})["imports minigrad's own"] = line + "\n"
    return found


def merged(wrong_cells: dict, chapter: str, renamed: dict | None = None, skip=()) -> dict:
    """A chapter's WRONG with its pieces' cells added (a piece checked under another
    exercise's id: ``renamed`` = {piece id: check id})."""
    result = {key: dict(value) for key, value in wrong_cells.items()}
    for piece_id, cells in piece_wrongs(chapter, skip).items():
        check_id = (renamed or {}).get(piece_id, piece_id)
        result.setdefault(check_id, {}).update(cells)
    return result
