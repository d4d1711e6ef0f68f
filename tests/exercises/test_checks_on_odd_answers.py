"""No check trips over what a learner may leave in a name: every check, given odd values
(a set, a class, a lambda that returns a dict, a generator function, a Function whose
forward returns a string, NaN...), prints a failure that says what it got; it never
raises, never passes, and never falls back to "not of the expected form" (the message
of a judge that did not foresee the value)."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

import minigrad as mg
from coursekit import check
from coursekit.checks import registry


def _generator_function(*args, **kwargs):
    yield 1


class _ForwardGivesAString(mg.autograd.Function):
    @staticmethod
    def forward(ctx, *inputs):
        return "a string"

    @staticmethod
    def backward(ctx, grad):
        return grad


class _NotAFunction:
    def __init__(self, *args, **kwargs):
        pass


ODD = {
    "a set": {1, 2},
    "a dict": {"a": 1},
    "NaN": float("nan"),
    "a long string": "x" * 500,
    "a class of its own": _NotAFunction,
    "a lambda returning a dict": lambda *args, **kwargs: {"x": 1},
    "a lambda returning NaN": lambda *args, **kwargs: float("nan"),
    "a function that raises": lambda *args, **kwargs: 1 / 0,
    "a generator function": _generator_function,
    "a Function whose forward returns a string": _ForwardGivesAString,
    "a numpy array": np.zeros((2, 2)),
}
CHECKS = [cid for n in range(1, 12) for cid in registry.load_chapter(f"ch{n:02d}")]


@pytest.mark.parametrize("check_id", CHECKS)
def test_odd_values_get_a_failure_that_says_what_they_are(check_id):
    definition = registry.get(check_id)
    for what, value in ODD.items():
        namespace = {"check": check, "mg": mg, "__name__": "__main__"}
        namespace.update({name: value for name in definition.reads})
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            exec(f"check({check_id!r})", namespace)  # noqa: S102 - the check cell
        printed = out.getvalue() + err.getvalue()
        assert printed.startswith("✗"), (what, printed)
        assert "not of the expected form" not in printed, (what, printed)
        assert "could not read what" not in printed, (what, printed)
