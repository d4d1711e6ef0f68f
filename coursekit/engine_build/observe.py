"""What a piece's check observes, and how two observations are compared.

A check's programs (``cases_*.py``) register themselves with ``@case``; each
returns plain data (numbers, lists, strings, dicts), so that the run on the
learner's engine can be compared item by item with the run on minigrad's own.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import minigrad as mg

RTOL, ATOL = 1e-5, 1e-6


class Mismatch(Exception):
    """A direct program found the piece wrong; the message says how."""


@dataclass(frozen=True)
class Case:
    label: str
    program: object  # program(piece) -> plain data, or raises Mismatch (direct)
    direct: bool = False


CASES: dict = {}  # piece id -> [Case, ...], in the order they run


def case(piece_id, label, direct=False):
    """Register a program as one case of a piece's check.

    ``direct=False``: the program runs on minigrad's own engine and on the
    learner's, and the two results must agree. ``direct=True``: it judges the
    piece itself and raises :class:`Mismatch` (a topological order has many
    right answers).
    """

    def register(program):
        CASES.setdefault(piece_id, []).append(Case(label, program, direct))
        return program

    return register


def node_names(node, depth=3):
    """``['MulBackward0', [['AccumulateGrad'], None]]``: a node and where its edges go."""
    if node is None:
        return None
    name = node.name().rsplit("::", 1)[-1]
    if depth == 0:
        return [name]
    return [name, [node_names(child, depth - 1) for child, _ in node.next_functions]]


def graph_text(node, depth=3):
    """``'MulBackward0(None, AccumulateGrad)'``: a node and, in brackets, where its edges go
    (``None`` for an input that needs no gradient), as one line a message can show."""
    if node is None:
        return "None"
    name = node.name().rsplit("::", 1)[-1]
    if depth == 0 or not node.next_functions:
        return name
    inside = ", ".join(graph_text(child, depth - 1) for child, _ in node.next_functions)
    return f"{name}({inside})"


def facts(t):
    """What a tensor shows: values, dtype, shape, requires_grad, is_leaf, grad_fn."""
    return {
        "value": t.tolist(),
        "dtype": str(t.dtype),
        "shape": list(t.shape),
        "requires_grad": t.requires_grad,
        "is_leaf": t.is_leaf,
        "grad_fn": node_names(t.grad_fn, 2),
    }


def grad(t):
    """``t.grad`` as values (None if none), without the warning for non-leaves."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = t.grad
    return None if g is None else g.tolist()


def error(fn):
    """``[type, message]`` of what ``fn()`` raises, or None."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the error is the observation
        return [type(exc).__name__, str(exc)]
    return None


def saved_names(node):
    return sorted(n for n in dir(node) if n.startswith("_saved_"))


def leaf(values, dtype=None):
    return mg.tensor(values, dtype=dtype, requires_grad=True)


def _is_scalar(value):
    return value is None or isinstance(value, (bool, int, float, str))


def _is_error(value):
    """Is this what :func:`error` observed when something raised (``[type, message]``)?"""
    return (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, str) for v in value)
        and value[0].isidentifier()
        and value[0].endswith(("Error", "Exception", "Warning"))
    )


def _error_text(error_seen):
    """``RuntimeError: the message``, without PyTorch's closing hint about anomaly mode."""
    kind, message = error_seen
    text = f"{kind}: {message.split(' Hint: enable anomaly detection')[0].rstrip('. ')}"
    return text if len(text) <= 260 else text[:257] + "..."


def _errors_differ(expected, got, where):
    """The words for an error where none was expected, or none where one was."""
    said = f"{where}: " if where else ""
    if expected is None:
        return f"{said}raised {_error_text(got)}; PyTorch raises no error here"
    if got is None:
        return f"{said}no error was raised; PyTorch raises {_error_text(expected)}"
    return f"{said}raised {_error_text(got)}; PyTorch raises {_error_text(expected)}"


def _shape(value):
    """The shape of a nested list of numbers (a tensor's values), or None if it is not one."""
    if not isinstance(value, (list, tuple)):
        return () if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    shapes = {_shape(v) for v in value}
    if len(shapes) > 1 or None in shapes:
        return None
    return (len(value), *(shapes.pop() if shapes else ()))


def _shape_text(shape):
    return f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"


def difference(expected, got, where=""):
    """The first place two observations differ, in words; None if they agree.

    A list of numbers (a tensor's values) is shown whole; in other lists and
    in dicts the first differing item is named (``at seen[3]``). An error seen
    by :func:`error` is named with its type and message; a missing gradient is
    called one.
    """
    at = f" at {where}" if where else ""
    if (_is_error(expected) or expected is None) and (_is_error(got) or got is None):
        return None if expected == got or expected is got else _errors_differ(expected, got, where)
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in expected:
            if key not in got:
                return f"{key!r} is missing{at}"
            found = difference(expected[key], got[key], _path(where, key))
            if found:
                return found
        return None
    if got is None and expected is not None and where.endswith("grad"):
        return f"{where} is None, expected {_short(expected)}: no gradient reached it"
    if isinstance(expected, (list, tuple)) and isinstance(got, (list, tuple)):
        whole = f"expected {_short(expected)}, got {_short(got)}{at}"
        want, have = _shape(expected), _shape(got)
        if want and have is not None and want != have:
            what = where or "the result"
            return f"{what} has shape {_shape_text(have)}, expected {_shape_text(want)}: {whole}"
        if len(expected) != len(got):
            return whole
        if all(_is_scalar(e) for e in expected):
            if not any(difference(e, g) for e, g in zip(expected, got)):
                return None
            return whole + _none_reached(expected, got, where)
        for i, (e, g) in enumerate(zip(expected, got)):
            found = difference(e, g, f"{where}[{i}]")
            if found:
                return found
        return None
    if isinstance(expected, bool) or isinstance(got, bool) or expected is None or got is None:
        return None if expected is got else f"expected {_short(expected)}, got {_short(got)}{at}"
    if isinstance(expected, float) and isinstance(got, (int, float)):
        if math.isnan(expected) and math.isnan(got):
            return None
        if abs(got - expected) <= ATOL + RTOL * abs(expected):
            return None
        return f"expected {_short(expected)}, got {_short(got)}{at}"
    if type(expected) is not type(got) or expected != got:
        return f"expected {_short(expected)}, got {_short(got)}{at}"
    return None


def _none_reached(expected, got, where):
    """``: b.grad is None, no gradient reached it`` when ``where`` names the items of a
    list of gradients (``[a.grad, b.grad]``) and one that should hold a number is None."""
    names = where.strip("[]").split(", ") if where.startswith("[") else []
    if len(names) != len(got) or not all(name.endswith(".grad") for name in names):
        return ""
    missing = [n for n, e, g in zip(names, expected, got) if g is None and e is not None]
    return f": {missing[0]} is None, no gradient reached it" if missing else ""


def _path(where, key):
    """``a`` + ``grad`` -> ``a.grad``; keys that are phrases are joined with commas."""
    if not where:
        return str(key)
    return f"{where}, {key}" if " " in str(key) or " " in where else f"{where}.{key}"


def _rounded(value):
    """Floats to 6 significant digits, for messages (0.6347395899824584 -> 0.63474)."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.6g}")
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _short(value, limit=160):
    text = repr(_rounded(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."
