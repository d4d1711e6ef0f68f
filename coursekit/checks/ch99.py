"""DEMO chapter 99 -- not part of the course.

The checks of ``tests/grading/fixtures/solutions/ch99_demo.ipynb``, a small
exercise notebook on plain numpy that proves the check framework, the
release command and the grader before the real chapters exist.  It is also
the worked example for coursekit/AUTHORING.md: one check of each kind.

1. implement ``unbroadcast(grad, shape)``
2. implement ``mul_backward(a, b, grad_out)`` (uses exercise 1)
3. predict two broadcast shapes
4. find the bug: a training loop that never resets its gradient
"""

import numpy as np

from coursekit.checks import FIND_THE_BUG, IMPLEMENT, PREDICT, Check
from coursekit.checks.judges import arrays_close, as_array, prediction
from coursekit.checks.messages import shape_text

# -- 1. unbroadcast -------------------------------------------------------------


def unbroadcast_cases(rng, hidden):
    """(grad shape, target shape) pairs: leading dims added, size-1 dims stretched, both,
    nothing to do, a scalar.  The notebook's check tries every kind of pair grading tries, so
    a ✓ means full marks; the hidden cases are the same pairs with other numbers."""
    pairs = [
        ((2, 3), (3,)),
        ((2, 3), (2, 1)),
        ((4,), (4,)),
        ((5, 4, 3), (4, 1)),
        ((3,), ()),
        ((2, 1, 3), (1, 1, 3)),
        ((2, 3, 4), (1, 3, 1)),
    ]
    return [
        {
            "grad": np.round(rng.normal(size=grad_shape), 3).tolist(),
            "shape": list(shape),
            "label": f"a grad of shape {shape_text(grad_shape)} for a tensor of shape {shape_text(shape)}",
        }
        for grad_shape, shape in pairs
    ]


def unbroadcast_probe(learner, case):
    grad = np.array(case["grad"], dtype=float)
    return learner["unbroadcast"](grad, tuple(case["shape"]))


def unbroadcast_reference(case):
    grad, shape = np.array(case["grad"], dtype=float), tuple(case["shape"])
    # Broadcasting prepended len(grad.shape) - len(shape) dims: sum them away.
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    # Dims where the tensor had size 1 were stretched: sum them, keep the dim.
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad


def unbroadcast_judge(got, expected, case):
    passed, message = arrays_close(got, expected, what="the gradient")
    have = as_array(got)
    if not passed and have is not None and list(have.shape) == list(np.shape(case["grad"])):
        message += ". Hint: you returned the incoming shape; sum over the broadcast dims"
    elif not passed and have is not None and have.size == as_array(expected).size:
        message += ". Hint: keep the size-1 dims (keepdims=True)"
    return passed, message


UNBROADCAST = Check(
    id="ch99.unbroadcast",
    kind=IMPLEMENT,
    points=3,
    reads=("unbroadcast",),
    title="unbroadcast(grad, shape)",
    cases=unbroadcast_cases,
    probe=unbroadcast_probe,
    reference=unbroadcast_reference,
    judge=unbroadcast_judge,
    rule="a tensor's gradient has the tensor's shape; every dim broadcasting created or stretched is summed",
    hint="first sum over the leading dims that broadcasting added, then over dims of size 1 with keepdims=True",
)

# -- 2. mul_backward --------------------------------------------------------------


def mul_backward_cases(rng, hidden):
    # The same shapes in the notebook and in grading (with other values).
    shapes = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 4)), ((4, 2, 3), (2, 1)), ((), (2, 2))]
    cases = []
    for a_shape, b_shape in shapes:
        out_shape = np.broadcast_shapes(a_shape, b_shape)
        cases.append(
            {
                "a": np.round(rng.normal(size=a_shape), 3).tolist(),
                "b": np.round(rng.normal(size=b_shape), 3).tolist(),
                "grad_out": np.round(rng.normal(size=out_shape), 3).tolist(),
                "label": f"a of shape {shape_text(a_shape)} times b of shape {shape_text(b_shape)}",
            }
        )
    return cases


def mul_backward_probe(learner, case):
    a, b = np.array(case["a"], dtype=float), np.array(case["b"], dtype=float)
    grads = learner["mul_backward"](a, b, np.array(case["grad_out"], dtype=float))
    if type(grads) not in (tuple, list) or len(grads) != 2:
        return {"not a pair": True}
    return list(grads)


def mul_backward_reference(case, swap_inputs=False):
    a, b = np.array(case["a"], dtype=float), np.array(case["b"], dtype=float)
    grad_out = np.array(case["grad_out"], dtype=float)
    # swap_inputs=True computes a typical mistake: multiplying by the same input.
    grad_a = grad_out * (a if swap_inputs else b)
    grad_b = grad_out * (b if swap_inputs else a)
    return [
        unbroadcast_reference({"grad": grad_a.tolist(), "shape": list(a.shape)}),
        unbroadcast_reference({"grad": grad_b.tolist(), "shape": list(b.shape)}),
    ]


def mul_backward_judge(got, expected, case):
    if isinstance(got, dict):
        return False, "mul_backward must return a pair of gradients: (grad_a, grad_b)"
    mistake = mul_backward_reference(case, swap_inputs=True)
    for i, (name, other) in enumerate((("grad_a", "b"), ("grad_b", "a"))):
        passed, message = arrays_close(got[i], expected[i], what=name)
        if not passed:
            if arrays_close(got[i], mistake[i])[0]:
                message += (
                    f". Hint: d(a*b)/d{name[-1]} is {other}: multiply grad_out by the other input"
                )
            return False, message
    return True, "ok"


MUL_BACKWARD = Check(
    id="ch99.mul_backward",
    kind=IMPLEMENT,
    points=3,
    reads=("mul_backward",),
    title="mul_backward(a, b, grad_out)",
    cases=mul_backward_cases,
    probe=mul_backward_probe,
    reference=mul_backward_reference,
    judge=mul_backward_judge,
    rule="the chain rule: each input's gradient is grad_out times the other input, "
    "unbroadcast to that input's shape",
    hint="compute both products, then call your unbroadcast on each",
)

# -- 3. predict broadcast shapes ------------------------------------------------


def broadcast_cases(rng, hidden):
    # One case: the program the learner predicts.  The truth is computed by
    # running it (in reference), never written down where a learner can read it.
    return [{"shapes": [[2, 1, 3], [4, 1]], "label": "the shapes (2, 1, 3) and (4, 1)"}]


def broadcast_probe(learner, case):
    return [learner["answer_shape"], learner["answer_grad_shape"]]


def broadcast_reference(case):
    first, second = (tuple(s) for s in case["shapes"])
    out = np.broadcast_shapes(first, second)
    grad_for_second = unbroadcast_reference({"grad": np.ones(out).tolist(), "shape": list(second)})
    return [list(out), list(grad_for_second.shape)]


def broadcast_judge(got, expected, case):
    names = ("answer_shape", "answer_grad_shape")
    programs = ("np.broadcast_shapes((2, 1, 3), (4, 1))", "unbroadcast for the (4, 1) operand")
    for name, program, have, want in zip(names, programs, got, expected):
        passed, message = prediction(have, want, what=f"`{name}`", program=program)
        if not passed:
            return False, message
    return True, "ok"


BROADCAST_SHAPES = Check(
    id="ch99.broadcast_shapes",
    kind=PREDICT,
    points=2,
    reads=("answer_shape", "answer_grad_shape"),
    title="predict: broadcast shapes",
    cases=broadcast_cases,
    probe=broadcast_probe,
    reference=broadcast_reference,
    judge=broadcast_judge,
    rule="shapes align from the right; a dim of size 1 (or a missing dim) stretches to match",
    hint="write both shapes right-aligned, one above the other, and compare dim by dim",
)

# -- 4. find the bug: a gradient that is never reset ------------------------------


def train_cases(rng, hidden):
    sizes = [(4, 3)] if not hidden else [(6, 5), (3, 1)]
    cases = []
    for n, steps in sizes:
        xs = np.round(rng.uniform(-1, 1, size=n), 3)
        cases.append(
            {
                "xs": xs.tolist(),
                "ys": np.round(3 * xs + rng.normal(scale=0.1, size=n), 3).tolist(),
                "steps": steps,
                "lr": 0.1,
                "label": f"{n} data points and {steps} steps",
            }
        )
    return cases


def train_probe(learner, case):
    return learner["train"](list(case["xs"]), list(case["ys"]), case["steps"], case["lr"])


def train_reference(case, reset_gradient=True):
    w, grad = 0.0, 0.0
    for _ in range(case["steps"]):
        if reset_gradient:
            grad = 0.0
        for x, y in zip(case["xs"], case["ys"]):
            grad += 2 * (w * x - y) * x / len(case["xs"])
        w -= case["lr"] * grad
    return w


def train_judge(got, expected, case):
    passed, message = arrays_close(got, expected, what="the trained w")
    if not passed and arrays_close(got, train_reference(case, reset_gradient=False))[0]:
        message += (
            ". Hint: this is what the buggy loop gives: the gradient still accumulates "
            "across steps, like forgetting optimizer.zero_grad()"
        )
    return passed, message


TRAIN = Check(
    id="ch99.train",
    kind=FIND_THE_BUG,
    points=2,
    reads=("train",),
    title="find the bug: train(xs, ys, steps, lr)",
    cases=train_cases,
    probe=train_probe,
    reference=train_reference,
    judge=train_judge,
    rule="gradients add up until they are reset; each step must start from a zero gradient",
    hint="compare the gradient on the first and second step of the buggy loop",
)

CHECKS = [UNBROADCAST, MUL_BACKWARD, BROADCAST_SHAPES, TRAIN]
