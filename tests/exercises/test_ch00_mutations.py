"""Chapter 00's checks reject plausible wrong work with a message that helps.

Each test runs learner code in a fresh namespace, as a notebook cell would,
then the check cell, and reads the one-line verdict (see
tests/unit/test_coursekit_checks.py for the framework itself).
"""

from __future__ import annotations

import pytest
from exercise_cells import run_after_setup
from piece_cells import setup_imports

# What the notebook imports (its setup cell), and numpy, which the learner code below uses.
PRELUDE = setup_imports("ch00", "import numpy as np")


def run(learner_code: str, call: str) -> str:
    """Run learner code and a check call as notebook cells; return PASSED or the failure."""
    return run_after_setup(PRELUDE, learner_code, call)


BUGGY_SLOPE = """
def slope(x0):
    x = mg.tensor(x0, requires_grad=True)
    y = x ** 2 + 2 * x
    y.backward()
    return x.grad.item()
"""

# Plausible wrong solutions of every exercise where the learner writes code, by check id.
# Each must fail in the notebook (the visible check) exactly as it fails in grading:
# test_checks_agree_with_the_grader.py grades them all and compares.
WRONG = {
    "ch00.numerical_slope": {
        "a one-sided difference": """
def numerical_slope(f, x, h=1e-5):
    return (f(x + h) - f(x)) / h
""",
        "dividing by h instead of 2h": """
def numerical_slope(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / h
""",
        "a precedence slip": """
def numerical_slope(f, x, h=1e-5):
    return f(x + h) - f(x - h) / 2 * h
""",
        "returning a pair": """
def numerical_slope(f, x, h=1e-5):
    return f(x - h), f(x + h)
""",
        "ignoring the h it is given": """
def numerical_slope(f, x, h=1e-5):
    return (f(x + 1e-5) - f(x - 1e-5)) / (2 * 1e-5)
""",
    },
    "ch00.slope": {
        "the buggy slope unchanged": BUGGY_SLOPE,
        "the value instead of the slope": """
def slope(x0):
    x = mg.tensor(float(x0), requires_grad=True)
    y = x ** 2 + 2 * x
    return y.item()
""",
    },
}


# -- 1. predict: a first gradient ---------------------------------------------------


def test_the_right_prediction_passes_and_ints_count_as_the_same_number():
    assert run("answer_y = 0\nanswer_grad = 8", 'check("ch00.first_gradient")') == "PASSED"


def test_giving_the_value_for_the_gradient_is_refused_with_a_hint_and_without_the_answer():
    result = run("answer_y = 0.0\nanswer_grad = 0.0", 'check("ch00.first_gradient")')
    assert result.startswith("FAILED ✗ predict")
    assert "`answer_grad`" in result and "that is the value of y" in result
    assert "8" not in result


def test_a_wrong_value_of_y_gets_a_hint_about_the_value_not_the_derivative():
    result = run("answer_y = 15.0\nanswer_grad = 8.0", 'check("ch00.first_gradient")')
    assert "`answer_y`, 15" in result and "y is the value itself" in result
    assert "the derivative of x ** 3" not in result  # the shared hint, about the gradient
    assert "0" not in result.split("Hint:")[1]  # the hint gives no answer away


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
    code = WRONG["ch00.numerical_slope"]["a one-sided difference"]
    result = run(code, f'check("ch00.numerical_slope", hidden={hidden})')
    assert result.startswith("FAILED ✗ numerical_slope(f, x, h): f(x) = ")
    assert "expected" in result and "one-sided difference" in result


def test_dividing_by_h_instead_of_2h_is_rejected_as_twice_the_slope():
    code = WRONG["ch00.numerical_slope"]["dividing by h instead of 2h"]
    result = run(code, 'check("ch00.numerical_slope")')
    assert "twice the slope" in result and "2h apart" in result


def test_a_precedence_slip_is_rejected_with_the_expected_slope_and_the_rule():
    code = WRONG["ch00.numerical_slope"]["a precedence slip"]
    result = run(code, 'check("ch00.numerical_slope")')
    assert "the slope is" in result and "Rule: the derivative is the limit" in result


def test_returning_a_pair_is_refused_as_not_one_number():
    code = WRONG["ch00.numerical_slope"]["returning a pair"]
    assert "must return one number" in run(code, 'check("ch00.numerical_slope")')


@pytest.mark.parametrize("hidden", [False, True])
def test_a_slope_that_ignores_its_h_is_rejected(hidden):
    code = WRONG["ch00.numerical_slope"]["ignoring the h it is given"]
    result = run(code, f'check("ch00.numerical_slope", hidden={hidden})')
    assert "with h = 0.01" in result and "use the h you are given (0.01)" in result


# -- 3. find the bug: slope(x0) ------------------------------------------------------


def test_the_unfixed_slope_is_rejected_with_the_error_it_raises_on_an_int():
    result = run(BUGGY_SLOPE, 'check("ch00.slope")')
    assert "your code raised RuntimeError: Only Tensors of floating point" in result
    assert "on x0 = 3 (an int)" in result
    assert "in its call to minigrad's `" in result  # raised inside minigrad, named as such


def test_the_fixed_slope_passes_visible_and_hidden_cases():
    fixed = BUGGY_SLOPE.replace("mg.tensor(x0,", "mg.tensor(float(x0),")
    assert run(fixed, 'check("ch00.slope")') == "PASSED"
    assert run(fixed, 'check("ch00.slope", hidden=True)') == "PASSED"


def test_a_fix_that_drops_requires_grad_is_told_what_the_error_means_in_one_sentence():
    code = BUGGY_SLOPE.replace("mg.tensor(x0, requires_grad=True)", "mg.tensor(x0)")
    result = run(code, 'check("ch00.slope")')
    assert "does not require grad" in result and "That means: nothing was recorded" in result
    assert "?." not in result  # a note that ends with a question mark gets no full stop


def test_a_fix_that_returns_the_value_instead_of_the_slope_is_rejected():
    code = WRONG["ch00.slope"]["the value instead of the slope"]
    assert "the slope is 5.25, expected 5" in run(code, 'check("ch00.slope")')
