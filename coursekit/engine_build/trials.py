"""A piece's check: run its cases on the learner's engine and give a verdict.

A check runs small programs (``cases_*.py``) on the learner's engine with the
piece installed and minigrad's own code for it switched off (``BOARD.trial``).
Most programs are also run on minigrad's own engine, which is held to PyTorch
by the recorded parity tests, and the two runs must observe the same things;
a few judge the piece directly.

``check(piece_id, obj)`` returns a :class:`Verdict`; it never raises for
anything the learner's code does.
"""

from __future__ import annotations

import contextlib
import linecache
import sys
import traceback
import types
import warnings
from dataclasses import dataclass
from pathlib import Path

import minigrad as mg
from minigrad import grad_mode

from . import cases_graph, cases_tensors, cases_training, guard, pieces  # noqa: F401 - the cases
from .observe import CASES, Mismatch, difference
from .switchboard import BOARD


@dataclass(frozen=True)
class Verdict:
    """A check's result: ``status`` is passed, failed, not-implemented or refused."""

    piece_id: str
    status: str
    message: str
    cases: int = 0

    @property
    def passed(self) -> bool:
        return self.status == "passed"


_OUR_FOLDERS = tuple(str(Path(m.__file__).resolve().parent) for m in (mg, sys.modules["coursekit"]))


def _learner_line(exc):
    """Where in the learner's code an exception happened: ' (your line 3: `return x`)'."""
    found = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        try:
            resolved = str(Path(filename).resolve())
        except (OSError, ValueError):
            resolved = filename
        if resolved.startswith(_OUR_FOLDERS):
            continue
        found = (frame.f_code.co_name, line, filename)
    if found is None:
        return ""
    text = linecache.getline(found[2], found[1]).strip()
    return f" (in your {found[0]}, line {found[1]}: `{text}`)" if text else ""


def _shape_problem(piece, obj):
    if piece.kind == pieces.OP:
        if not isinstance(obj, type) or not all(
            callable(getattr(obj, m, None)) for m in ("forward", "backward")
        ):
            return f"{piece.name} must be a class with forward(ctx, ...) and backward(ctx, grad)"
    elif piece.kind == pieces.CLASS:
        if not isinstance(obj, type):
            return f"{piece.name} must be a class, got {type(obj).__name__}"
    elif not isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)) and not callable(obj):
        return f"{piece.name} must be a function, got {type(obj).__name__}"
    return None


@contextlib.contextmanager
def _grad_mode_kept():
    """Put this thread's grad-mode switches back after a program, whatever it did."""
    state = grad_mode._state
    before = (state.grad_enabled, state.inference_mode)
    try:
        yield
    finally:
        grad_mode._set_state(*before)


def check(piece_id: str, obj) -> Verdict:
    """Run every case of a piece's check on ``obj``; the first failure is the verdict."""
    piece = pieces.get(piece_id)
    reason = guard.refusal(piece_id, obj)
    if reason:
        return Verdict(piece_id, "refused", reason)
    problem = _shape_problem(piece, obj)
    if problem:
        return Verdict(piece_id, "failed", problem)
    cases = CASES[piece_id]
    with _grad_mode_kept(), BOARD.only({}), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # minigrad's own engine: what to expect
        expectations = [None if one.direct else one.program(None) for one in cases]
    tried = 0
    for one, expected in zip(cases, expectations):
        tried += 1
        try:
            with _grad_mode_kept(), BOARD.trial(piece_id, obj), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = one.program(obj)
        except NotImplementedError:
            return Verdict(piece_id, "not-implemented", f"{piece.name} is not written yet", tried)
        except Mismatch as mismatch:
            return Verdict(piece_id, "failed", f"{one.label}: {mismatch}", tried)
        except RecursionError:
            return Verdict(
                piece_id,
                "failed",
                f"{one.label}: your piece recursed too deeply (RecursionError)",
                tried,
            )
        except Exception as exc:  # noqa: BLE001 - anything the learner's code does is reported
            return Verdict(
                piece_id,
                "failed",
                f"{one.label}: raised {type(exc).__name__}: {exc}{_learner_line(exc)}",
                tried,
            )
        found = None if one.direct else difference(expected, got)
        if found:
            return Verdict(piece_id, "failed", f"{one.label}: {found}", tried)
    return Verdict(piece_id, "passed", f"{tried} cases passed", tried)
