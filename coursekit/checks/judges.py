"""Ready-made comparisons for a check's ``judge`` (they run in the trusted process).

Each takes plain data -- what a probe returned and what ``reference``
computed, both already through JSON -- and returns ``(passed, message)``.
A judge may call them and then add a sharper message when it recognises a
typical mistake.
"""

from __future__ import annotations

import math

import numpy as np

from .messages import describe, number_text, shape_text


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
            f"{what} is {describe(got)}, expected an array of shape {shape_text(want.shape)}",
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


def prediction(got, expected, *, what: str = "your prediction", program: str = "the program"):
    """For predict exercises: right or wrong, never revealing the right answer."""
    if same_answer(got, expected):
        return True, "ok"
    return False, f"{what}, {describe(got)}, is not what {program} gives"
