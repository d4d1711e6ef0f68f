"""Checks for chapter 05, detach (solutions/ch05_detach.ipynb).

1. predict what ``detach()`` shares (memory, version counter) and what ``.data`` does not
2. find the bug: a target computed from the model, not detached
3. find the bug: ``.data`` hides an in-place change, the gradient is silently wrong
   (a metric for the log: keeping it out of the graph is this exercise's skill, so an
   earlier ``mae`` exercise that asked for the same was retired)
4. predict the gradients of the seed example ``mm(w, x)`` with a detached copy
5. implement ``detach``, a piece of your engine (``piece.py``)

References: hand algebra in numpy, or (predict) the program run with minigrad.
"""

import numpy as np

from coursekit.checks import FIND_THE_BUG, PREDICT, Check
from coursekit.checks.ch04 import ATOL, RTOL, answer_value, run_program, same_values
from coursekit.checks.judges import arrays_close, as_array, same_answer
from coursekit.checks.messages import describe, error_text, number_text
from coursekit.checks.piece import piece_check


def numbers(rng, shape, low=-2.0, high=2.0):
    return np.round(rng.uniform(low, high, size=shape), 2).tolist()


def scalar_close(got, expected, what):
    """One number (a float, a 0-dim or 1-element array) against the expected number."""
    have = as_array(got)
    if have is None or have.size != 1:
        return False, f"{what} is {describe(got)}, expected one number"
    want = float(np.asarray(as_array(expected)).reshape(-1)[0])
    value = float(have.reshape(-1)[0])
    if np.isclose(value, want, rtol=RTOL, atol=ATOL):
        return True, "ok"
    return False, f"{what} is {number_text(value)}, expected {number_text(want)}"


# -- 1. predict: what detach shares ---------------------------------------------------------

SHARES_PROGRAM = """\
x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2
z = y * y
d = y.detach()
d[0] = 100.0
d.add_(1)
e = y.data
e[1] = -1.0
z.sum().backward()
"""


def shares_cases(rng, hidden):
    return [{"label": "the program above"}]


def shares_probe(learner, case):
    names = (
        "answer_d_requires_grad",
        "answer_d_is_leaf",
        "answer_y",
        "answer_versions",
        "answer_raises",
    )
    return {name: learner[name] for name in names}


def shares_reference(case):
    namespace, _, error = run_program(SHARES_PROGRAM)
    y, d, e = namespace["y"], namespace["d"], namespace["e"]
    return {
        "answer_d_requires_grad": d.requires_grad,
        "answer_d_is_leaf": d.is_leaf,
        "answer_y": y.tolist(),
        "answer_versions": [y._version, d._version, e._version],
        "answer_raises": error is not None,
    }


SHARES_HINTS = {
    "answer_y": "d and e see y's memory: follow every change in order",
    "answer_versions": "a detached tensor shares y's version counter; .data gets a counter of its own",
    "answer_raises": "z = y * y saved y; was y's version counter moved since?",
}


def shares_judge(got, expected, case):
    if not isinstance(got["answer_versions"], list) or len(got["answer_versions"]) != 3:
        return False, (
            f"`answer_versions` is {describe(got['answer_versions'])}; write the three "
            "versions as a tuple (y._version, d._version, e._version)"
        )
    for name, want in expected.items():
        compare = same_values if name == "answer_y" else same_answer
        passed, message = answer_value(
            got[name], want, name, "the program", compare=compare, hint=SHARES_HINTS.get(name)
        )
        if not passed:
            return False, message
    return True, "ok"


SHARES = Check(
    id="ch05.shares",
    kind=PREDICT,
    points=2,
    reads=(
        "answer_d_requires_grad",
        "answer_d_is_leaf",
        "answer_y",
        "answer_versions",
        "answer_raises",
    ),
    title="predict: what detach shares",
    cases=shares_cases,
    probe=shares_probe,
    reference=shares_reference,
    judge=shares_judge,
    rule="detach() returns a leaf without grad that shares the original's memory and version "
    "counter; .data shares the memory only",
    hint="draw one box for y's numbers and one counter, and point y, d and e at what they share",
)

# -- 2. find the bug: a target that is not detached -------------------------------------------------


def td_cases(rng, hidden):
    sizes = [(2, 3)] if not hidden else [(3, 5), (1, 8)]
    cases = []
    for n, steps in sizes:
        s = np.round(rng.uniform(0.5, 2.0, size=n), 2)
        s_next = np.round(s * rng.uniform(0.2, 1.0, size=n), 2)  # 0 < s_next < s: TD is stable
        r = np.round(rng.uniform(-1, 1, size=n), 2)
        transitions = [[float(a), float(b), float(c)] for a, b, c in zip(s, r, s_next)]
        cases.append(
            {
                "transitions": transitions,
                "gamma": 0.9,
                "lr": 0.1,
                "steps": steps,
                "label": f"{n} transition(s), {steps} steps",
            }
        )
    return cases


def td_probe(learner, case):
    transitions = [tuple(t) for t in case["transitions"]]
    return learner["fit_value"](transitions, case["gamma"], case["lr"], case["steps"])


def td_reference(case, detach=True, reset_grad=True):
    """v(s) = w s fitted to r + gamma v(s_next); loss mean((w s - target)^2), gradients by hand.

    ``reset_grad=False``: w.grad never set back to None, so each step adds all earlier ones."""
    s, r, s_next = (np.array(column, dtype=float) for column in zip(*case["transitions"]))
    w, gamma, grad = 0.5, case["gamma"], 0.0
    for _ in range(case["steps"]):
        error = w * s - (r + gamma * w * s_next)
        # detached target: d/dw = mean(2 error s); not detached: mean(2 error (s - gamma s_next))
        step_grad = np.mean(2 * error * (s if detach else s - gamma * s_next))
        grad = step_grad if reset_grad else grad + step_grad
        w -= case["lr"] * grad
    return w


def td_judge(got, expected, case):
    passed, message = scalar_close(got, expected, "the fitted w")
    if not passed and scalar_close(got, td_reference(case, detach=False), "")[0]:
        message += (
            ". Hint: this is what the buggy loop gives: the target still depends on w, so the "
            "gradient also flows through it and the update moves the target too"
        )
    elif not passed and scalar_close(got, td_reference(case, reset_grad=False), "")[0]:
        message += (
            ". Hint: this is the detached loop with w.grad never reset: backward() adds into "
            ".grad (chapter 4), so each update used the sum of all earlier gradients"
        )
    return passed, message


TD = Check(
    id="ch05.fit_value",
    kind=FIND_THE_BUG,
    points=2,
    reads=("fit_value",),
    title="find the bug: fit_value(transitions, gamma, lr, steps)",
    cases=td_cases,
    probe=td_probe,
    reference=td_reference,
    judge=td_judge,
    rule="a target computed by the model itself must be detached: it is a fixed number to move "
    "towards, and no gradient may flow through it",
    hint="compare the sign of w.grad with and without the target's history",
)

# -- 3. find the bug: .data hides an in-place change ---------------------------------------------------


def center_cases(rng, hidden):
    sizes = [3] if not hidden else [5, 2]
    return [
        {"xs": numbers(rng, n), "ws": numbers(rng, n, -1, 1), "label": f"{n} units"} for n in sizes
    ]


def center_probe(learner, case):
    try:
        result = learner["grads_and_centered"](list(case["xs"]), list(case["ws"]))
    except NotImplementedError:
        raise  # a stub: the check says "not implemented yet"
    except RuntimeError as error:  # the version error is part of this exercise
        return {"raised": str(error)}
    if type(result) not in (tuple, list) or len(result) != 2:
        return {"not a pair": True}
    # and whether the log entry carries a graph (it should be a plain value)
    return [*result, getattr(result[1], "requires_grad", False) is True]


def center_reference(case, through_data=False):
    """loss = sum(h * h), h = tanh(w x): dloss/dw = 2 h (1 - h^2) x.

    Through .data the saved h is centred before backward, so both MulBackward0 and
    TanhBackward0 use the centred values: the buggy (silent) gradient.
    """
    x, w = np.array(case["xs"], dtype=float), np.array(case["ws"], dtype=float)
    h = np.tanh(w * x)
    centered = h - h.mean()
    used = centered if through_data else h
    return [2 * used * (1 - used**2) * x, centered]


def center_judge(got, expected, case):
    if isinstance(got, dict) and isinstance(got.get("raised"), str):
        message = f"your function raised RuntimeError: {error_text(got['raised'])}"
        if "modified by an inplace operation" in got["raised"]:
            message += (
                " (the version check saw the in-place change: h.detach() shares h's memory and "
                "version counter, so centering it in place changes what backward saved). Hint: "
                "make the centred values a new tensor, and leave h alone"
            )
        return False, message
    if not isinstance(got, list):
        return False, "grads_and_centered must return a pair: (w.grad, centered)"
    passed, message = arrays_close(got[1], expected[1], what="centered", rtol=RTOL, atol=ATOL)
    if not passed:
        return False, message
    if got[0] is None:
        return False, "w.grad is None: no gradient reached w. Hint: was loss.backward() called?"
    passed, message = arrays_close(got[0], expected[0], what="w.grad", rtol=RTOL, atol=ATOL)
    if (
        not passed
        and arrays_close(
            got[0], center_reference(case, through_data=True)[0], rtol=RTOL, atol=ATOL
        )[0]
    ):
        message += (
            ". Hint: this is the buggy gradient: centering through .data changed h, which "
            "backward had saved, and .data's changes are invisible to the version check"
        )
    if passed and len(got) > 2 and got[2] is True:
        return False, (
            "centered requires grad: it was computed from h itself, so the log entry carries "
            "h's graph (and keeps it alive, chapter 5). Hint: compute it from h.detach(), a "
            "value out of the graph, into a new tensor"
        )
    return passed, message


CENTER = Check(
    id="ch05.grads_and_centered",
    kind=FIND_THE_BUG,
    points=2,
    reads=("grads_and_centered",),
    title="find the bug: grads_and_centered(xs, ws)",
    cases=center_cases,
    probe=center_probe,
    reference=center_reference,
    judge=center_judge,
    rule=".data and detach() share memory with the tensor; an in-place change through them changes "
    "what backward saved (detach() at least makes backward raise)",
    hint="make the centred values a new tensor, computed out of the graph, and change nothing "
    "in place",
)

# -- 4. predict: the seed example, a detached copy of mm(w, x) ------------------------------------------

METRIC_PROGRAM = """\
x = mg.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0], [2.0, 0.0, 1.0]], requires_grad=True)
w = mg.ones(3, 3, requires_grad=True)
yy = mg.mm(w, x)
detach_yy = yy.detach()
mg.sum(yy).backward()
"""


def metric_cases(rng, hidden):
    return [{"label": "the program above"}]


def metric_probe(learner, case):
    names = (
        "answer_x_grad",
        "answer_w_grad",
        "answer_detach_grad",
        "answer_detach_backward_raises",
    )
    return {name: learner[name] for name in names}


def metric_reference(case):
    namespace, _, error = run_program(METRIC_PROGRAM)
    if error is not None:
        raise error
    _, _, then = run_program(METRIC_PROGRAM + "detach_yy.sum().backward()\n")
    return {
        "answer_x_grad": namespace["x"].grad.tolist(),
        "answer_w_grad": namespace["w"].grad.tolist(),
        "answer_detach_grad": namespace["detach_yy"].grad,
        "answer_detach_backward_raises": then is not None,
    }


METRIC_HINTS = {
    "answer_x_grad": "yy[i, j] = sum over k of w[i, k] x[k, j]: in how many entries of yy does x[k, j] "
    "appear, and multiplied by what?",
    "answer_w_grad": "d sum(yy) / d w[i, k] = sum over j of x[k, j]",
    "answer_detach_grad": "is detach_yy in the graph that backward walked?",
    "answer_detach_backward_raises": "does detach_yy require grad, does it have a grad_fn?",
}


def metric_judge(got, expected, case):
    for name, want in expected.items():
        compare = same_answer if name == "answer_detach_backward_raises" else same_values
        if name in ("answer_x_grad", "answer_w_grad"):
            have = as_array(got[name])
            if have is None or have.shape != (3, 3):
                return False, f"`{name}` is {describe(got[name])}; write it as a 3 x 3 nested list"
        passed, message = answer_value(
            got[name], want, name, "the program", compare=compare, hint=METRIC_HINTS[name]
        )
        if not passed:
            return False, message
    return True, "ok"


METRIC = Check(
    id="ch05.detach_metric",
    kind=PREDICT,
    points=2,
    reads=("answer_x_grad", "answer_w_grad", "answer_detach_grad", "answer_detach_backward_raises"),
    title="predict: a detached copy of mm(w, x)",
    cases=metric_cases,
    probe=metric_probe,
    reference=metric_reference,
    judge=metric_judge,
    rule="a detached tensor is outside the graph: it gets no gradient, and cannot start a backward; "
    "the graph it was copied from works as before",
    hint="write yy = w @ x entry by entry and differentiate sum(yy) by one entry of x and of w",
)

# -- 5. detach, a piece of your engine --------------------------------------------------

DETACH = piece_check(
    "ch05.detach", 3, hint="the same array and the same version counter, and no grad_fn"
)

CHECKS = [SHARES, TD, CENTER, METRIC, DETACH]
