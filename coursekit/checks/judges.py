"""Ready-made comparisons for a check's ``judge`` (they run in the trusted process).

Each takes plain data -- what a probe returned and what ``reference``
computed, both already through JSON -- and returns ``(passed, message)``.
A judge may call them and then add a sharper message when it recognises a
typical mistake.
"""

from __future__ import annotations

import math

import numpy as np

from .messages import describe, form_note, number_text, shape_text


def as_array(value):
    """Plain data as a float numpy array, or None if it is not numeric data."""
    shape = None
    if isinstance(value, dict) and "__ndarray__" in value:
        value, shape = value["__ndarray__"], value.get("shape")
    if isinstance(value, (bool, str, dict)) or value is None:
        return None
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError):
        return None
    if isinstance(shape, list) and array.size == int(np.prod(shape)):
        array = array.reshape(shape)  # keeps empty arrays' shapes, e.g. (0, 3)
    return array


def arrays_close(
    got, expected, *, what: str = "your result", rtol: float = 1e-6, atol: float = 1e-9
):
    """Same shape and values within tolerance; the message names the first difference."""
    want = as_array(expected)
    have = as_array(got)
    if have is None:
        return (
            False,
            f"{what} is {describe(got)}, expected an array of shape {shape_text(want.shape)}"
            + _tensors_note(got),
        )
    if have.shape != want.shape:
        return (
            False,
            f"{what} has shape {shape_text(have.shape)}, expected shape {shape_text(want.shape)}",
        )
    close = np.isclose(have, want, rtol=rtol, atol=atol, equal_nan=True)
    if close.all():
        return True, "ok"
    index = tuple(int(i) for i in np.argwhere(~close)[0])
    at = f" at index {shape_text(index)}" if index else ""
    if want.size <= 12:
        return False, f"{what} is {describe(got)}, expected {describe(expected)}"
    return (
        False,
        f"{what} is wrong{at}: got {number_text(float(have[index]))}, expected {number_text(float(want[index]))}",
    )


def _tensors_note(got) -> str:
    """Why a list of tensors (or arrays) is not the array expected, and what to return."""
    if not isinstance(got, list) or not got:
        return ""
    if not all(isinstance(item, dict) and "__ndarray__" in item for item in got):
        return ""
    if all(item.get("shape") == [] for item in got):
        return (
            "; its items are 0-dim tensors (or arrays): make each a number with .item() "
            "(a tensor kept in a list also keeps its graph alive)"
        )
    return "; its items are tensors (or arrays): join them into one (mg.cat or mg.stack)"


def same_answer(got, expected) -> bool:
    """Strict equality of plain data: True is not 1, but 2 equals 2.0."""
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(got) is type(expected) and got == expected
    if isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        return got == expected or (math.isnan(got) and math.isnan(expected))
    if isinstance(expected, list) and isinstance(got, list):
        return len(got) == len(expected) and all(same_answer(g, e) for g, e in zip(got, expected))
    if isinstance(expected, dict) and isinstance(got, dict):
        return got.keys() == expected.keys() and all(
            same_answer(got[k], expected[k]) for k in expected
        )
    return type(got) is type(expected) and got == expected


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def which_differ(got, expected, names=None, same=None) -> str:
    """Which items of a list answer are wrong, e.g. ``"the 3rd item is wrong"``.

    ``names`` names the items (``["A1", "A2", ...]``); ``same`` compares two
    items (default :func:`same_answer`).  Empty when the answer is not a list
    of the expected length.
    """
    if not isinstance(got, list) or not isinstance(expected, list) or len(got) != len(expected):
        return ""
    same = same or same_answer
    wrong = [i for i, (g, e) in enumerate(zip(got, expected)) if not same(g, e)]
    if not wrong or len(expected) < 2:
        return ""
    if names:
        listed = [str(names[i]) for i in wrong]
    else:
        listed = [_ordinal(i + 1) for i in wrong]
    text = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " and " + listed[-1]
    verb = "is" if len(wrong) == 1 else "are"
    if names:
        return f"the value{'' if len(wrong) == 1 else 's'} at {text} {verb} wrong"
    kind = "row" if all(isinstance(e, list) for e in expected) else "item"
    return f"the {text} {kind}{'' if len(wrong) == 1 else 's'} {verb} wrong"


def prediction(
    got,
    expected,
    *,
    what: str = "your prediction",
    program: str = "the program",
    names=None,
    ordered: bool = True,
):
    """For predict exercises: right or wrong, never revealing the right answer.

    A list answer says which of its items are wrong (by position, or by
    ``names``), not what they should be; ``ordered=False`` for a list whose
    order means nothing (it is then only right or wrong).
    """
    if same_answer(got, expected):
        return True, "ok"
    message = f"{what}, {describe(got)}, is not what {program} gives" + form_note(got, expected)
    if isinstance(expected, list) and isinstance(got, str):
        return False, message + f"; answer with a list, like {_list_example(expected)}"
    if isinstance(expected, list) and isinstance(got, list):
        notes = [form_note(g, e) for g, e in zip(got, expected)]
        note = next((n for n in notes if n), "")
        if len(got) != len(expected):
            return False, message + f": the number of items ({len(got)}) is wrong" + note
        if note:
            return False, message + note
    wrong = which_differ(got, expected, names) if ordered else ""
    return False, message + (f": {wrong}" if wrong else "")


def _list_example(expected) -> str:
    """The form of a list answer, not its values: ``['...', '...']`` or ``[0, 0]``."""
    kinds = {type(item) for item in expected}
    if kinds == {str}:
        return (
            "['AddBackward0', 'AccumulateGrad']"
            if any("Backward" in item for item in expected)
            else "['a', 'b']"
        )
    return "[1, 2]"
