"""Chapter 00's checks reject plausible wrong work with a message that helps.

Each test runs learner code in a fresh namespace, as a notebook cell would,
then the check cell, and reads the one-line verdict (see
tests/unit/test_coursekit_checks.py for the framework itself).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from exercise_cells import run_cells

import minigrad as mg
from coursekit import check


def run(learner_code: str, call: str) -> str:
    """Run learner code and a check call as notebook cells; return PASSED or the failure."""
    namespace = {"check": check, "np": np, "mg": mg, "math": math}
    return run_cells(learner_code, call, namespace)


# -- 1. predict: a first gradient ---------------------------------------------------


def test_the_right_prediction_passes_and_ints_count_as_the_same_number():
    assert run("answer_y = 0\nanswer_grad = 8", 'check("ch00.first_gradient")') == "PASSED"


def test_giving_the_value_for_the_gradient_is_refused_with_a_hint_and_without_the_answer():
    result = run("answer_y = 0.0\nanswer_grad = 0.0", 'check("ch00.first_gradient")')
    assert result.startswith("FAILED ✗ predict")
    assert "`answer_grad`" in result and "that is the value of y" in result
    assert "8" not in result


def test_a_gradient_of_none_after_backward_is_refused():
    result = run("answer_y = 0.0\nanswer_grad = None", 'check("ch00.first_gradient")')
    assert "`answer_grad` is None" in result and "x.grad` holds a number" in result


# -- 2. implement: numerical_slope --------------------------------------------------

CENTRAL = """
def numerical_slope(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)
"""


@pytest.mark.parametrize("hidden", [False, True])
def test_the_central_difference_passes_visible_and_hidden_cases(hidden):
    assert run(CENTRAL, f'check("ch00.numerical_slope", hidden={hidden})') == "PASSED"


@pytest.mark.parametrize("hidden", [False, True])
def test_a_one_sided_difference_is_rejected_as_one_sided(hidden):
    code = """
    def numerical_slope(f, x, h=1e-5):
        return (f(x + h) - f(x)) / h
    """
    result = run(code, f'check("ch00.numerical_slope", hidden={hidden})')
    assert result.startswith("FAILED ✗ numerical_slope(f, x, h): f(x) = ")
    assert "expected" in result and "one-sided difference" in result


def test_dividing_by_h_instead_of_2h_is_rejected_as_twice_the_slope():
    code = """
    def numerical_slope(f, x, h=1e-5):
        return (f(x + h) - f(x - h)) / h
    """
    result = run(code, 'check("ch00.numerical_slope")')
    assert "twice the slope" in result and "2h apart" in result


def test_a_precedence_slip_is_rejected_with_the_expected_slope_and_the_rule():
    code = """
    def numerical_slope(f, x, h=1e-5):
        return f(x + h) - f(x - h) / 2 * h
    """
    result = run(code, 'check("ch00.numerical_slope")')
    assert "the slope is" in result and "Rule: the derivative is the limit" in result


def test_returning_a_pair_is_refused_as_not_one_number():
    code = """
    def numerical_slope(f, x, h=1e-5):
        return f(x - h), f(x + h)
    """
    assert "must return one number" in run(code, 'check("ch00.numerical_slope")')


# -- 3. find the bug: slope(x0) ------------------------------------------------------

BUGGY_SLOPE = """
def slope(x0):
    x = mg.tensor(x0, requires_grad=True)
    y = x ** 2 + 2 * x
    y.backward()
    return x.grad.item()
"""


def test_the_unfixed_slope_is_rejected_with_the_error_it_raises_on_an_int():
    result = run(BUGGY_SLOPE, 'check("ch00.slope")')
    assert "your code raised RuntimeError: Only Tensors of floating point" in result
    assert "on x0 = 3 (an int)" in result


def test_the_fixed_slope_passes_visible_and_hidden_cases():
    fixed = BUGGY_SLOPE.replace("mg.tensor(x0,", "mg.tensor(float(x0),")
    assert run(fixed, 'check("ch00.slope")') == "PASSED"
    assert run(fixed, 'check("ch00.slope", hidden=True)') == "PASSED"


def test_a_fix_that_returns_the_value_instead_of_the_slope_is_rejected():
    code = """
    def slope(x0):
        x = mg.tensor(float(x0), requires_grad=True)
        y = x ** 2 + 2 * x
        return y.item()
    """
    assert "the slope is 5.25, expected 5" in run(code, 'check("ch00.slope")')
