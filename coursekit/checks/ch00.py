"""Checks for chapter 00, welcome (solutions/ch00_welcome.ipynb).

Three gentle exercises that show how a check cell works:

1. predict the value and the gradient of ``y = x**3 - 4*x`` at ``x = 2``;
2. implement ``numerical_slope(f, x, h)``, the central difference that
   later chapters use to test backward formulas;
3. find the bug: ``slope(x0)`` fails when ``x0`` is an integer.
"""

import math

import numpy as np

from coursekit.checks import FIND_THE_BUG, IMPLEMENT, PREDICT, Check
from coursekit.checks.judges import as_array, prediction

# -- 1. predict a gradient -------------------------------------------------------

FIRST_PROGRAM = "x = mg.tensor(2.0, requires_grad=True); y = x ** 3 - 4 * x; y.backward()"


def first_gradient_cases(rng, hidden):
    # One case: the program of the exercise. The truth is computed by running it.
    return [{"x": 2.0, "label": "y = x ** 3 - 4 * x at x = 2"}]


def first_gradient_probe(learner, case):
    import minigrad as mg

    def plain(value):
        # A tensor or an array answer is compared by its number(s).
        return value.tolist() if isinstance(value, (mg.Tensor, np.ndarray)) else value

    return [plain(learner["answer_y"]), plain(learner["answer_grad"])]


def first_gradient_reference(case):
    import minigrad as mg

    x = mg.tensor(case["x"], requires_grad=True)
    y = x**3 - 4 * x
    y.backward()
    return [y.item(), x.grad.item()]


def first_gradient_judge(got, expected, case):
    for name, program, have, want in zip(
        ("answer_y", "answer_grad"), ("y.item()", "x.grad.item()"), got, expected
    ):
        if (
            isinstance(have, (int, float))
            and not isinstance(have, bool)
            and math.isclose(have, want)
        ):
            continue  # 8 and 8.0 are the same number
        if have is None and name == "answer_grad":
            return False, (
                "`answer_grad` is None, but `y.backward()` has run and `x` requires grad, "
                "so `x.grad` holds a number. Hint: differentiate x ** 3 - 4 * x by hand"
            )
        passed, message = prediction(
            have, want, what=f"`{name}`", program=f"{program} after that program"
        )
        if not passed:
            if (
                name == "answer_grad"
                and isinstance(have, (int, float))
                and math.isclose(have, expected[0])
            ):
                message += ". Hint: that is the value of y; the gradient is the slope dy/dx"
            elif name == "answer_y":  # the shared hint is about the gradient: this one is not
                message += (
                    ". Hint: y is the value itself, x ** 3 - 4 * x with x = 2 put in; "
                    "backward() changes x.grad, not y"
                )
            return False, message
    return True, "ok"


FIRST_GRADIENT = Check(
    id="ch00.first_gradient",
    kind=PREDICT,
    points=1,
    reads=("answer_y", "answer_grad"),
    title="predict: the value and the gradient of x ** 3 - 4 * x",
    cases=first_gradient_cases,
    probe=first_gradient_probe,
    reference=first_gradient_reference,
    judge=first_gradient_judge,
    rule="after y.backward(), x.grad holds dy/dx evaluated at the value x has",
    hint="the derivative of x ** 3 - 4 * x is 3 * x ** 2 - 4; evaluate it at x = 2",
)

# -- 2. implement numerical_slope --------------------------------------------------

# (function, its derivative written out by hand, where to evaluate it). The points are
# chosen where the second derivative is far from 0, so that a one-sided difference is
# measurably less accurate than the central one.
FUNCTIONS = {
    "cubic": ("x ** 3 - 4 * x", "3 * x ** 2 - 4", (1.0, 2.5)),
    "sine": ("math.sin(x)", "math.cos(x)", (0.3, 1.2)),
    "inverse": ("1 / x", "-1 / x ** 2", (0.5, 2.0)),
    "bell": ("math.exp(-x * x)", "-2 * x * math.exp(-x * x)", (-0.4, 0.4)),
    "x_log_x": ("x * math.log(x)", "math.log(x) + 1", (0.3, 2.0)),
    "root": ("math.sqrt(x)", "0.5 / math.sqrt(x)", (0.2, 3.0)),
    "tanh3": ("math.tanh(3 * x)", "3 * (1 - math.tanh(3 * x) ** 2)", (0.1, 0.5)),
}
H = 1e-5
WIDE_H = 0.01  # a case's own h: the central difference is then 1e-4 off the slope
TOLERANCE = 1e-7  # a central difference with h = 1e-5 is this close; a one-sided one is not


def slope_cases(rng, hidden):
    # Every function, in the notebook and in grading; grading evaluates them at other points.
    cases = []
    for name in FUNCTIONS:
        text, _, (low, high) = FUNCTIONS[name]
        x = round(float(rng.uniform(low, high)), 3)
        cases.append({"f": text, "x": x, "h": H, "label": f"f(x) = {text} at x = {x}"})
    # One case passes its own h: its answer is that h's central difference, not the slope.
    text, x = FUNCTIONS["cubic"][0], round(float(rng.uniform(1.0, 2.5)), 3)
    label = f"f(x) = {text} at x = {x}, with h = {WIDE_H}"
    cases.append({"f": text, "x": x, "h": WIDE_H, "label": label})
    return cases


def slope_probe(learner, case):
    f = eval("lambda x: " + case["f"], {"math": math})  # the check's own formula, not the learner's
    return learner["numerical_slope"](f, case["x"], case["h"])


def _derivative(case):
    derivative = next(d for f, d, _ in FUNCTIONS.values() if f == case["f"])
    return eval("lambda x: " + derivative, {"math": math})(case["x"])


def slope_reference(case):
    if case["h"] != H:  # the central difference with that h, computed as the exercise says
        f, x, h = eval("lambda x: " + case["f"], {"math": math}), case["x"], case["h"]
        return (f(x + h) - f(x - h)) / (2 * h)
    return _derivative(case)


def slope_judge(got, expected, case):
    have = as_array(got)
    if have is None or have.shape != ():
        return (
            False,
            f"numerical_slope must return one number, it returned {type(got).__name__} data",
        )
    have = float(have)
    if math.isclose(have, expected, rel_tol=TOLERANCE, abs_tol=TOLERANCE):
        return True, "ok"
    message = f"the slope is {have:.10g}, expected {expected:.10g} (to within {TOLERANCE:g})"
    f = eval("lambda x: " + case["f"], {"math": math})
    x, h = case["x"], case["h"]
    one_sided = {(f(x + h) - f(x)) / h, (f(x) - f(x - h)) / h}
    if any(math.isclose(have, s, rel_tol=1e-9) for s in one_sided):
        message += (
            ". Hint: that is a one-sided difference, accurate only to about h; "
            "use the neighbours on both sides of x"
        )
    elif math.isclose(have, 2 * expected, rel_tol=1e-6):
        message += ". Hint: twice the slope: the two points x - h and x + h are 2h apart"
    elif h != H and math.isclose(have, _derivative(case), rel_tol=1e-6):
        message += f". Hint: that is the slope with a tiny h; use the h you are given ({h})"
    return False, message


NUMERICAL_SLOPE = Check(
    id="ch00.numerical_slope",
    kind=IMPLEMENT,
    points=2,
    reads=("numerical_slope",),
    title="numerical_slope(f, x, h)",
    cases=slope_cases,
    probe=slope_probe,
    reference=slope_reference,
    judge=slope_judge,
    rule="the derivative is the limit of (f(x + h) - f(x - h)) / 2h; the central difference errs by about h²",
    hint="evaluate f at x + h and at x - h, subtract, and divide by the distance between the two points",
)

# -- 3. find the bug: an integer input ----------------------------------------------


def slope_fix_cases(rng, hidden):
    points = (
        [1.5, 3]
        if not hidden
        else [-2, 0, round(float(rng.uniform(-3, 3)), 2), int(rng.integers(5, 20))]
    )
    return [
        {"x0": x0, "label": f"x0 = {x0!r} ({'an int' if type(x0) is int else 'a float'})"}
        for x0 in points
    ]


def slope_fix_probe(learner, case):
    return learner["slope"](case["x0"])


def slope_fix_reference(case):
    import minigrad as mg

    x = mg.tensor(float(case["x0"]), requires_grad=True)
    y = x**2 + 2 * x
    y.backward()
    return x.grad.item()


def slope_fix_judge(got, expected, case):
    have = as_array(got)
    if have is None or have.size != 1:
        return (
            False,
            f"slope must return one number (x.grad.item()), it returned {type(got).__name__} data",
        )
    have = float(have.reshape(()))
    if math.isclose(have, expected, rel_tol=1e-6, abs_tol=1e-6):
        return True, "ok"
    return False, f"the slope is {have:.6g}, expected {expected:.6g}"


SLOPE_FIX = Check(
    id="ch00.slope",
    kind=FIND_THE_BUG,
    points=1,
    reads=("slope",),
    title="find the bug: slope(x0)",
    cases=slope_fix_cases,
    probe=slope_fix_probe,
    reference=slope_fix_reference,
    judge=slope_fix_judge,
    rule="only floating-point tensors can require gradients; mg.tensor(3) holds an int64",
    hint="read the error message of the buggy call, then make sure the tensor is created from a float",
)

CHECKS = [FIRST_GRADIENT, NUMERICAL_SLOPE, SLOPE_FIX]
