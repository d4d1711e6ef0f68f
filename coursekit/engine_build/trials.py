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
import dis
import linecache
import sys
import traceback
import types
import warnings
from dataclasses import dataclass
from pathlib import Path

import minigrad as mg
from coursekit.checks.messages import known_error_note
from minigrad import grad_mode

from . import cases_graph, cases_tensors, cases_training, guard, pieces  # noqa: F401 - the cases
from .observe import CASES, Mismatch, difference
from .plugs import PLUGS
from .switchboard import BOARD, copies_of


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


def _returns_nothing(function) -> bool:
    """Does ``function`` end without ever returning a value (a forgotten ``return``)? A stub
    that raises (NotImplementedError) does not count."""
    code = getattr(function, "__code__", None)
    if code is None:
        return False
    previous = None
    returns_none = False
    for instruction in dis.get_instructions(code):
        if instruction.opname == "RAISE_VARARGS":
            return False
        if instruction.opname == "RETURN_CONST":
            if instruction.argval is not None:
                return False
            returns_none = True
        elif instruction.opname == "RETURN_VALUE":
            if previous is None or previous.opname != "LOAD_CONST" or previous.argval is not None:
                return False
            returns_none = True
        previous = instruction
    return returns_none


def shape_problem(piece, obj):
    """Why ``obj`` is not of the piece's form (a class with forward and backward...), or None."""
    if piece.kind == pieces.OP:
        if not isinstance(obj, type) or not all(
            callable(getattr(obj, m, None)) for m in ("forward", "backward")
        ):
            return f"{piece.name} must be a class with forward(ctx, ...) and backward(ctx, grad)"
        for method in ("forward", "backward"):
            if _returns_nothing(getattr(obj, method)):
                what = "its result" if method == "forward" else "one gradient per input"
                return (
                    f"{piece.name}.{method} never returns anything (is `return` missing?): "
                    f"it must return {what}"
                )
    elif piece.kind == pieces.CLASS:
        if not isinstance(obj, type):
            return f"{piece.name} must be a class, got {type(obj).__name__}"
    elif not isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)) and not callable(obj):
        return f"{piece.name} must be a function, got {type(obj).__name__}"
    return None


# A piece that uses the very operation it stands for calls itself through the engine.
_CALLS_ITSELF = {
    "ch10.ReLU": "x.relu(), mg.relu and F.relu run your ReLU while it is tried, so a forward "
    "that calls one of them calls itself: compute the result with other operations "
    "(mg.where)",
}


def _recursed(piece_id):
    """What a RecursionError in a piece most likely means."""
    said = "your piece recursed too deeply (RecursionError)"
    if piece_id in _CALLS_ITSELF:
        return f"{said}. Hint: {_CALLS_ITSELF[piece_id]}"
    return said


@contextlib.contextmanager
def _grad_mode_kept():
    """Put this thread's grad-mode switches back after a program, whatever it did."""
    state = grad_mode._state
    before = (state.grad_enabled, state.inference_mode)
    try:
        yield
    finally:
        grad_mode.set_modes(*before)


def _plain(value):
    """An observation as JSON data (tuples become lists), as it crosses to the grader."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _cases(piece_id, only):
    cases = CASES[piece_id]
    return cases if only is None else cases[only : only + 1]


def expect(piece_id: str, only: int | None = None) -> list:
    """What each case (or case number ``only``) observes on minigrad's own engine (None
    for a direct case)."""
    with _grad_mode_kept(), BOARD.only({}), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [None if one.direct else _plain(one.program(None)) for one in _cases(piece_id, only)]


def observe(piece_id: str, obj, only: int | None = None) -> dict:
    """Run the piece's cases on the learner's engine; stop at the first that goes wrong.

    Plain data: ``{"refused": why}``, ``{"failed": why}``, ``{"not-implemented": True}``
    or ``{"cases": [...]}``, one entry per case tried: ``{"ok": observation}``, or
    ``{"wrong": why}`` for what went wrong in it. In grading this runs in the
    learner's kernel (the probe); :func:`judge` runs in the grader's process.
    """
    piece = pieces.get(piece_id)
    reason = guard.refusal(piece_id, obj)
    if reason:
        return {"refused": reason}
    problem = shape_problem(piece, obj)
    if problem:
        return {"failed": problem}
    tried = []
    copies = copies_of(PLUGS[piece_id].references())  # switched off with the references
    for one in _cases(piece_id, only):
        try:
            with _grad_mode_kept(), BOARD.trial(piece_id, obj, copies), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = one.program(obj)
        except NotImplementedError:
            return {"not-implemented": True}
        except Mismatch as mismatch:
            return {"cases": [*tried, {"wrong": str(mismatch)}]}
        except RecursionError:
            return {"cases": [*tried, {"wrong": _recursed(piece_id)}]}
        except Exception as exc:  # noqa: BLE001 - anything the learner's code does is reported
            wrong = f"raised {type(exc).__name__}: {exc}{_learner_line(exc)}"
            note = known_error_note(str(exc), type(exc).__name__).rstrip(".")
            if note:
                wrong = wrong.rstrip(".") + "." + note
            return {"cases": [*tried, {"wrong": wrong}]}
        tried.append({"ok": None if one.direct else _plain(got)})
    return {"cases": tried}


def judge(piece_id: str, observed: dict, expected: list, only: int | None = None) -> Verdict:
    """The verdict on what :func:`observe` saw, against :func:`expect`'s observations."""
    piece = pieces.get(piece_id)
    if "refused" in observed:
        return Verdict(piece_id, "refused", str(observed["refused"]))
    if "failed" in observed:
        return Verdict(piece_id, "failed", str(observed["failed"]))
    if "not-implemented" in observed:
        return Verdict(piece_id, "not-implemented", f"{piece.name} is not written yet")
    cases, tried = _cases(piece_id, only), observed.get("cases")
    if not isinstance(tried, list) or len(tried) > len(cases):
        return Verdict(piece_id, "failed", "the check could not read what your piece did")
    for n, (one, want, result) in enumerate(zip(cases, expected, tried), start=1):
        if not isinstance(result, dict) or not ("ok" in result or "wrong" in result):
            return Verdict(piece_id, "failed", "the check could not read what your piece did", n)
        if "wrong" in result:
            return Verdict(piece_id, "failed", f"{one.label}: {result['wrong']}", n)
        found = None if one.direct else difference(want, result["ok"])
        if found:
            return Verdict(piece_id, "failed", f"{one.label}: {found}", n)
    if len(tried) < len(cases):
        return Verdict(piece_id, "failed", "the check could not read what your piece did")
    return Verdict(piece_id, "passed", f"{len(cases)} cases passed", len(cases))


def check(piece_id: str, obj) -> Verdict:
    """Run every case of a piece's check on ``obj``; the first failure is the verdict."""
    observed = observe(piece_id, obj)
    if "cases" not in observed:
        return judge(piece_id, observed, [])
    return judge(piece_id, observed, expect(piece_id))
