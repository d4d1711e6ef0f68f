"""Checks for chapter 03, tensors (solutions/ch03_tensors.ipynb).

1. predict the dtypes of mixed operations;
2. implement ``unbroadcast(grad, shape)`` on minigrad tensors, then use it as the
   backward of a broadcasting addition;
3. predict ``x.grad`` and ``y.grad`` for ``z = sum(mm(x, y))`` (seed item s001-mm-sum);
4. find the bug: the same program with an integer ``arange``;
5, 6. implement ``Mul`` and ``Mm``, the tensor operations of your engine (``piece.py``).
   ``Mm`` is where the matrix product's backward is written (an earlier ``mm_backward``
   exercise asked for the same formula and was retired for it).
"""

import numpy as np

from coursekit.checks import FIND_THE_BUG, IMPLEMENT, PREDICT, Check
from coursekit.checks.judges import arrays_close, as_array, prediction
from coursekit.checks.messages import describe, shape_text
from coursekit.checks.piece import piece_check, with_piece

RTOL, ATOL = 1e-5, 1e-6  # learners compute in float32, the references in float64

# -- 1. predict: dtypes ---------------------------------------------------------------------

DTYPE_PROGRAMS = {
    "answer_a": "mg.tensor([1, 2]) * 2",
    "answer_b": "mg.tensor([1, 2]) / 2",
    "answer_c": "mg.tensor([1, 2]) + 0.5",
    "answer_d": "mg.tensor([1.0, 2.0], dtype=mg.float64) + mg.tensor([1.0, 2.0])",
    "answer_e": "mg.tensor([1.0, 2.0]) * mg.tensor(3.0, dtype=mg.float64)",
}
DTYPE_HINTS = {
    "answer_b": "/ is true division: dividing integers gives floating-point numbers",
    "answer_c": "an integer tensor combined with a float number becomes the default float dtype",
    "answer_d": "two tensors with dimensions: the wider float dtype wins",
    "answer_e": (
        "a 0-dimensional tensor takes part in promotion like a Python number: it changes the "
        "dtype only when it is of a higher kind (float over int), not a wider float"
    ),
}


def dtypes_cases(rng, hidden):
    return [{"label": "the five results a to e"}]


def dtypes_probe(learner, case):
    import minigrad as mg

    out = []
    for name in ("answer_a", "answer_b", "answer_c", "answer_d", "answer_e"):
        value = learner[name]
        if isinstance(value, type):  # float, int: Python's types, not dtypes
            value = f"<the Python type {value.__name__}>"
        out.append(str(value) if isinstance(value, type(mg.float32)) else value)
    return out


def dtypes_reference(case):
    import minigrad as mg

    results = [
        mg.tensor([1, 2]) * 2,
        mg.tensor([1, 2]) / 2,
        mg.tensor([1, 2]) + 0.5,
        mg.tensor([1.0, 2.0], dtype=mg.float64) + mg.tensor([1.0, 2.0]),
        mg.tensor([1.0, 2.0]) * mg.tensor(3.0, dtype=mg.float64),
    ]
    return [str(t.dtype).split(".")[-1] for t in results]


# PyTorch's other names of the same dtypes (torch.float is torch.float32, and so on).
DTYPE_ALIASES = {
    "float": "float32",
    "double": "float64",
    "long": "int64",
    "int": "int32",
    "half": "float16",
}


def dtypes_judge(got, expected, case):
    for (name, program), have, want in zip(DTYPE_PROGRAMS.items(), got, expected):
        if not isinstance(have, str):
            return (
                False,
                f"`{name}` is {describe(have)}; answer with a dtype name such as 'int32'",
            )
        if have.startswith("<the Python type"):
            return False, (
                f"`{name}` is {have[1:-1]}, not a dtype; answer with a dtype name such as 'int32'"
            )
        short = have.strip().split(".")[-1]  # 'minigrad.float32', 'torch.float32' -> 'float32'
        short = DTYPE_ALIASES.get(short, short)  # torch.float is float32, torch.long int64...
        if short.endswith("Tensor"):
            return False, (
                f"`{name}`, {have!r}, names a tensor type (what t.type() gives), not a dtype; "
                "answer with the dtype's name, as t.dtype prints it, such as 'int32'"
            )
        passed, message = prediction(short, want, what=f"`{name}`", program=f"({program}).dtype")
        if not passed:
            return False, message + (f". Hint: {DTYPE_HINTS[name]}" if name in DTYPE_HINTS else "")
    return True, "ok"


DTYPES = Check(
    id="ch03.dtypes",
    kind=PREDICT,
    points=2,
    reads=tuple(DTYPE_PROGRAMS),
    title="predict: the dtypes of mixed operations",
    cases=dtypes_cases,
    probe=dtypes_probe,
    reference=dtypes_reference,
    judge=dtypes_judge,
    rule=(
        "float data gives float32, integers int64; an op's result takes the higher kind "
        "(bool < int < float) and, among tensors with dimensions, the wider dtype"
    ),
    hint="decide the kind first (integer or float), then the width",
)

# -- 2. implement unbroadcast ---------------------------------------------------------------


def unbroadcast_cases(rng, hidden):
    # The same shapes in the notebook and in grading (with other values): leading dims added,
    # size-1 dims stretched, both at once, nothing to do, and a 0-dim tensor.
    pairs = [
        ((2, 3), (3,)),
        ((2, 3), (2, 1)),
        ((4,), (4,)),
        ((5, 4, 3), (4, 1)),
        ((3,), ()),
        ((2, 1, 3), (1, 1, 3)),
        ((2, 3, 4), (1, 3, 1)),
    ]
    uses = [((2, 3), (3,), (2, 1)), ((3, 4), (1, 4), (3, 1)), ((2, 2), (), (2, 2))]
    cases = [
        {
            "kind": "direct",
            "grad": np.round(rng.normal(size=g), 3).tolist(),
            "shape": list(s),
            "label": f"a grad of shape {shape_text(g)} for a tensor of shape {shape_text(s)}",
        }
        for g, s in pairs
    ]
    for x_shape, w_shape, b_shape in uses:
        cases.append(
            {
                "kind": "use",
                "x": np.round(rng.normal(size=x_shape), 3).tolist(),
                "w": np.round(rng.normal(size=w_shape), 3).tolist(),
                "b": np.round(rng.normal(size=b_shape), 3).tolist(),
                "c": np.round(rng.normal(size=x_shape), 3).tolist(),
                "label": (
                    f"your unbroadcast as the backward of x + w + b, with shapes {shape_text(x_shape)}, "
                    f"{shape_text(w_shape)} and {shape_text(b_shape)}"
                ),
            }
        )
    return cases


def unbroadcast_probe(learner, case):
    if "piece" in case:  # the cases of the piece of your engine (coursekit/checks/piece.py)
        from coursekit.checks.piece import piece_probe

        return piece_probe(learner, case)
    import minigrad as mg

    unbroadcast = learner["unbroadcast"]
    if case["kind"] == "direct":
        out = unbroadcast(mg.tensor(case["grad"]), tuple(case["shape"]))
        # A gradient must be a tensor (the engine refuses anything else), so say it here.
        return out if isinstance(out, mg.Tensor) else {"returned": type(out).__name__}

    class BroadcastAdd(mg.autograd.Function):
        """a + b, whose backward is the learner's unbroadcast."""

        @staticmethod
        def forward(ctx, a, b):
            ctx.shapes = (tuple(a.shape), tuple(b.shape))
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return unbroadcast(grad, ctx.shapes[0]), unbroadcast(grad, ctx.shapes[1])

    x, w, b = (mg.tensor(case[k], requires_grad=True) for k in ("x", "w", "b"))
    out = BroadcastAdd.apply(BroadcastAdd.apply(x, w), b)
    (out * mg.tensor(case["c"])).sum().backward()
    return {"x.grad": x.grad, "w.grad": w.grad, "b.grad": b.grad}


def _unbroadcast(grad, shape):
    grad = np.asarray(grad, dtype=float)
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad


def unbroadcast_reference(case):
    if case["kind"] == "direct":
        return _unbroadcast(case["grad"], tuple(case["shape"]))
    import minigrad as mg

    # The same program on minigrad's own addition (its backward unbroadcasts).
    x, w, b = (mg.tensor(case[k], requires_grad=True) for k in ("x", "w", "b"))
    ((x + w + b) * mg.tensor(case["c"])).sum().backward()
    return {"x.grad": x.grad, "w.grad": w.grad, "b.grad": b.grad}


def unbroadcast_judge(got, expected, case):
    if case["kind"] == "use":
        if not isinstance(got, dict):
            return False, "the check could not read the gradients"
        for name in ("x.grad", "w.grad", "b.grad"):
            passed, message = arrays_close(
                got.get(name), expected[name], what=name, rtol=RTOL, atol=ATOL
            )
            if not passed:
                return False, message
        return True, "ok"
    if isinstance(got, dict) and "returned" in got:
        return False, (
            f"unbroadcast returned a {got['returned']}; return a minigrad tensor, as grad is "
            "(use the tensor's own sum, not numpy's)"
        )
    passed, message = arrays_close(got, expected, what="the gradient", rtol=RTOL, atol=ATOL)
    have = as_array(got)
    if passed or have is None:
        return passed, message
    want = as_array(expected)
    grad_shape = list(np.shape(case["grad"]))
    if list(have.shape) == grad_shape:
        message += ". Hint: you returned the incoming shape; sum over the dims broadcasting added or stretched"
    elif have.size == want.size:
        message += ". Hint: keep the size-1 dims (keepdims=True) and drop only the leading ones"
    elif have.shape == () and want.shape != ():
        message += ". Hint: sum only over the broadcast dims, not over everything"
    return False, message


UNBROADCAST = Check(
    id="ch03.unbroadcast",
    kind=IMPLEMENT,
    points=3,
    reads=("unbroadcast",),
    title="unbroadcast(grad, shape)",
    cases=unbroadcast_cases,
    probe=unbroadcast_probe,
    reference=unbroadcast_reference,
    judge=unbroadcast_judge,
    rule="a tensor's gradient has the tensor's shape; every dim broadcasting added or stretched is summed",
    hint=(
        "first sum over the leading dims broadcasting added, then over the dims where shape has a 1 "
        "(keepdims=True); write the sums with numpy's names, axis= and keepdims=, which tensors take too"
    ),
)

# -- 3. predict: z = sum(mm(x, y)) ------------------------------------------------------------

MM_SUM_ANSWERS = ("answer_x_grad", "answer_y_grad", "answer_depends_on_y")


def mm_sum_cases(rng, hidden):
    return [
        {
            "label": "x = arange(9.).view(3, 3); y = randn(3, 3, requires_grad=True); "
            "z = sum(mm(x, y)); z.backward()"
        }
    ]


def mm_sum_probe(learner, case):
    import minigrad as mg

    out = []
    for name in ("answer_x_grad", "answer_y_grad", "answer_depends_on_y"):
        value = learner[name]
        out.append(value.tolist() if isinstance(value, (mg.Tensor, np.ndarray)) else value)
    return out


def _mm_sum_run(seed):
    import minigrad as mg

    mg.manual_seed(seed)
    x = mg.arange(9.0).view(3, 3)
    y = mg.randn(3, 3, requires_grad=True)
    z = mg.sum(mg.mm(x, y))
    z.backward()
    return x.grad, y.grad.tolist()


def mm_sum_reference(case):
    x_grad, y_grad = _mm_sum_run(0)
    depends = y_grad != _mm_sum_run(1)[1]  # run again with other random values in y
    return [x_grad, y_grad, depends]


def mm_sum_judge(got, expected, case):
    x_grad, y_grad, depends = got
    passed, message = prediction(x_grad, expected[0], what="`answer_x_grad`", program="x.grad")
    if not passed:
        return False, message + ". Hint: look at whether x requires grad"
    have = as_array(y_grad)
    if have is None or have.shape != (3, 3):
        return (
            False,
            f"`answer_y_grad` is {describe(y_grad)}; answer with a 3 x 3 nested list, shaped like y",
        )
    if not np.allclose(have, np.array(expected[1]), rtol=1e-6):
        message = "`answer_y_grad` is not what y.grad gives"
        if np.allclose(have, np.array(expected[1]).T):
            message += ". Hint: that is its transpose: row k of y.grad belongs to row k of y, which multiplies column k of x"
        elif np.allclose(have, np.ones((3, 3))):
            message += ". Hint: each y[k, j] is multiplied by x[i, k] in every row i of the product"
        return False, message
    return prediction(
        depends,
        expected[2],
        what="`answer_depends_on_y`",
        program="running again with other random values in y",
    )


MM_SUM = Check(
    id="ch03.mm_sum",
    kind=PREDICT,
    points=3,
    reads=MM_SUM_ANSWERS,
    title="predict: the gradients of sum(mm(x, y))",
    cases=mm_sum_cases,
    probe=mm_sum_probe,
    reference=mm_sum_reference,
    judge=mm_sum_judge,
    rule=(
        "z = sum over i, j, k of x[i, k] * y[k, j], so dz/dy[k, j] is the sum of column k of x; "
        "a tensor that does not require grad gets no gradient"
    ),
    hint="write z as a triple sum and find every term that contains y[k, j]",
)

# -- 4. find the bug: an integer arange ------------------------------------------------------


def y_grad_cases(rng, hidden):
    sizes = [3, 2] if not hidden else [4, 1, 5]
    return [{"n": n, "seed": int(rng.integers(0, 1000)), "label": f"n = {n}"} for n in sizes]


def y_grad_probe(learner, case):
    import minigrad as mg

    mg.manual_seed(case["seed"])
    return learner["y_grad"](case["n"])


def y_grad_reference(case, order="x @ y"):
    n = case["n"]
    x = np.arange(n * n, dtype=float).reshape(n, n)
    ones = np.ones((n, n))
    # z = sum(x @ y): grad_y = x.T @ ones; the product in the other order, sum(y @ x), gives ones @ x.T
    return x.T @ ones if order == "x @ y" else ones @ x.T


def y_grad_judge(got, expected, case):
    if got is None:
        return (
            False,
            "y_grad returned None: return y.grad, the gradient of the tensor that requires grad",
        )
    passed, message = arrays_close(got, expected, what="y.grad", rtol=RTOL, atol=ATOL)
    have = as_array(got)
    if (
        not passed
        and have is not None
        and case["n"] > 1
        and have.shape == as_array(expected).shape
        and np.allclose(have, y_grad_reference(case, order="y @ x"))
    ):
        message += ". Hint: keep the program's product, mm(x, y): only the dtype of x was wrong"
    return passed, message


Y_GRAD = Check(
    id="ch03.y_grad",
    kind=FIND_THE_BUG,
    points=2,
    reads=("y_grad",),
    title="find the bug: y_grad(n)",
    cases=y_grad_cases,
    probe=y_grad_probe,
    reference=y_grad_reference,
    judge=y_grad_judge,
    rule="mm needs both matrices of the same dtype; arange of integers gives int64, randn gives float32",
    hint="read the error message: which dtype does each matrix have? Then make the arange one of floats",
)

# -- 5 and 6. the tensor operations of your engine ---------------------------------------

UNBROADCAST = with_piece(UNBROADCAST, "ch03.unbroadcast")
MUL = piece_check("ch03.Mul", 3, hint="save an input only if the other input needs a gradient")
MM = piece_check(
    "ch03.Mm",
    3,
    hint="let the shapes decide: for a of shape (n, k) and b of shape (k, m), grad has the "
    "result's shape (n, m), a's gradient must be (n, k) and b's (k, m); and save each input "
    "only if the other input needs a gradient",
)

CHECKS = [DTYPES, UNBROADCAST, MM_SUM, Y_GRAD, MUL, MM]
