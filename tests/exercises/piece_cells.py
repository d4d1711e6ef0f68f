"""The pieces of the learner's engine (coursekit/BUILD.md) as notebook cells, for the tests.

The right and wrong pieces of ``tests/engine_build`` written as the source a
learner would put in an exercise's cell, under the name the exercise asks for,
and, for every piece, a cell that imports minigrad's own answer instead.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine_build"))

import build_learner_pieces as learner  # noqa: E402  (found through the sys.path entry above)
import build_wrong_pieces as wrong  # noqa: E402

from coursekit.engine_build import pieces  # noqa: E402

# What the cells below need besides each chapter's own setup cell.
PIECE_PRELUDE = """\
import functools
import inspect
import math
import threading

import minigrad as mg
from minigrad import grad_mode
from minigrad.tensor import _wrap
"""

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


def cell(piece_id: str, obj) -> str:
    """``obj``'s source, under the name the exercise asks for."""
    piece = pieces.get(piece_id)
    name, source = piece.name, inspect.getsource(obj)
    for used in piece.uses:  # the earlier exercise's piece, as the notebook has it
        source = f"{inspect.getsource(learner.PIECES[used])}\n\n{source}"
    for base in getattr(obj, "__bases__", ()):
        if base.__module__ == learner.__name__:  # a wrong piece built on the right one
            source = f"{inspect.getsource(base)}\n\n{source}"
    return source if obj.__name__ == name else f"{source}\n\n{name} = {obj.__name__}\n"


def right(piece_id: str) -> str:
    return cell(piece_id, learner.PIECES[piece_id])


def piece_wrongs(chapter: str, skip=()) -> dict:
    """``{piece id: {what is wrong: cell}}`` for a chapter: the wrong pieces (but those of
    the pieces in ``skip``, whose exercise has its own), and the import of minigrad's own."""
    found = {}
    for piece_id, what, obj, _ in wrong.WRONG:
        if piece_id.startswith(chapter + ".") and piece_id not in skip:
            found.setdefault(piece_id, {})[what] = cell(piece_id, obj)
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
