"""Checks for chapter 10, beyond (solutions/ch10_beyond.ipynb).

1. implement ``Hypot``, a custom ``autograd.Function`` with two inputs, and
   gradcheck it
2. predict first and second derivatives with ``create_graph=True``
3. find the bug: a custom backward with a wrong sign, caught by gradcheck
4. implement ``hvp(f, x, v)``, a Hessian-vector product by double backward

Truths: the custom Functions are compared with the same formula computed by
minigrad's built-in operations (run through the same probe), gradcheck runs
on the learner's Function, the Hessian-vector products are worked out by
hand below (closed forms) and the prediction is run with minigrad.
"""

import numpy as np

import minigrad as mg
from coursekit.checks import FIND_THE_BUG, IMPLEMENT, PREDICT, Check
from coursekit.checks.judges import arrays_close, as_array, prediction
from coursekit.checks.messages import describe, form_note
from coursekit.checks.piece import piece_check


def _names_differ(got, expected, what):
    if got != expected:
        return f"{what} is {describe(got)}, expected {describe(expected)}"
    return None


# -- 1. Hypot ----------------------------------------------------------------------------


def hypot_cases(rng, hidden):
    # (shape of a, shape of b, does b require grad, change a in place before backward)
    # The same settings in the notebook and in grading (with other values): b not requiring
    # grad, 0-dim inputs, a changed in place before backward, as the exercise says, and
    # inputs of two shapes that broadcast.
    settings = [
        ((3,), (3,), True, False),
        ((2, 2), (2, 2), True, False),
        ((4,), (4,), False, False),
        ((), (), True, False),
        ((2, 3), (2, 3), True, True),
        ((2, 3), (3,), True, False),
        ((3, 1), (1, 2), True, False),
        ((), (4,), True, False),
    ]
    if hidden:
        settings = [
            ((4,), (4,), False, False),
            ((), (), True, False),
            ((2, 3), (2, 3), True, True),
            ((5,), (5,), True, False),
            ((3, 2), (3, 2), True, False),
            ((), (3,), True, False),
            ((4, 1), (4, 2), True, False),
        ]
    cases = []
    for a_shape, b_shape, b_grad, changed in settings:
        out_shape = np.broadcast_shapes(a_shape, b_shape)
        # values away from a = b = 0, where hypot has no derivative
        a, b = (
            np.round(rng.choice([-1, 1], size=n) * rng.uniform(0.5, 2.0, size=n), 3)
            for n in (int(np.prod(a_shape)), int(np.prod(b_shape)))
        )
        if a_shape == b_shape:
            label = f"a and b of shape {tuple(a_shape)}"
        else:
            label = f"a of shape {tuple(a_shape)} and b of shape {tuple(b_shape)}, broadcast"
        if not b_grad:
            label += ", b not requiring grad"
        if changed:
            label += ", a changed in place before backward"
        cases.append(
            {
                "a_shape": list(a_shape),
                "b_shape": list(b_shape),
                "a": a.tolist(),
                "b": b.tolist(),
                "weights": np.round(rng.normal(size=out_shape), 3).ravel().tolist(),
                "b_grad": b_grad,
                "changed": changed,
                "label": label,
            }
        )
    return cases


def hypot_probe(learner, case):
    import minigrad as mg
    from minigrad import grad_mode

    grad_mode.reset()
    Hypot = learner["Hypot"]

    def fresh(key, requires_grad):
        shape = tuple(case[f"{key}_shape"])
        return mg.tensor(case[key], dtype=mg.float64).reshape(shape).requires_grad_(requires_grad)

    a, b = fresh("a", True), fresh("b", case["b_grad"])
    weights = mg.tensor(case["weights"], dtype=mg.float64)
    out = Hypot.apply(a, b)
    if out is None:
        return {"returned": "None: forward must return its result (is `return` missing?)"}
    seen = {
        "value": out.detach(),
        "grad_fn": None if out.grad_fn is None else out.grad_fn.name(),
        "next_functions": None
        if out.grad_fn is None
        else [
            None if fn is None else fn.name().split("::")[-1]
            for fn, _ in out.grad_fn.next_functions
        ],
    }
    if case["changed"]:
        with mg.no_grad():
            a.mul_(2.0)
        try:
            (out * weights.reshape(out.shape)).sum().backward()
            seen["backward"] = "ran"
        except RuntimeError as error:
            seen["backward"] = (
                "version error" if "modified by an inplace" in str(error) else str(error)
            )
        return seen
    if out.grad_fn is None:
        return seen
    (out * weights.reshape(out.shape)).sum().backward()
    seen["a.grad"], seen["b.grad"] = a.grad, b.grad
    try:
        inputs = (fresh("a", True), fresh("b", True))
        seen["gradcheck"] = mg.autograd.gradcheck(Hypot.apply, inputs)
    except RuntimeError as error:
        seen["gradcheck"] = str(error).splitlines()[0]
    return seen


class _Hypot(mg.autograd.Function):
    """The reference: sqrt(a² + b²), with the textbook backward."""

    @staticmethod
    def forward(ctx, a, b):
        h = (a * a + b * b).sqrt()
        ctx.save_for_backward(a, b, h)
        return h

    @staticmethod
    def backward(ctx, grad):
        a, b, h = ctx.saved_tensors
        return grad * a / h, grad * b / h


_Hypot.__name__ = "Hypot"  # its node is called HypotBackward, as the learner's must be


def hypot_reference(case):
    return hypot_probe({"Hypot": _Hypot}, case)


def _sum_to(gradient, shape):
    """A gradient of the output's shape, summed back to a broadcast input's shape."""
    gradient = gradient.sum(axis=tuple(range(gradient.ndim - len(shape))))
    return gradient.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)


def _hypot_mistakes(case):
    """Gradients of a from two plausible wrong backwards: no chain rule, inputs swapped."""
    a_shape = tuple(case["a_shape"])
    a, b = (np.array(case[k], dtype=float).reshape(case[f"{k}_shape"]) for k in ("a", "b"))
    h = np.sqrt(a * a + b * b)
    w = np.array(case["weights"], dtype=float).reshape(h.shape)
    return [
        (
            _sum_to(a / h, a_shape),
            ("this gradient ignores the incoming gradient: multiply by `grad` (the chain rule)"),
        ),
        (
            _sum_to(w * b / h, a_shape),
            "d hypot / da is a / hypot: the gradients for a and b are swapped",
        ),
    ]


def hypot_judge(got, expected, case):
    if not isinstance(got, dict):
        return False, "the check could not read the result"
    if "returned" in got:
        return False, f"Hypot.apply(a, b) returned {got['returned']}"
    passed, message = arrays_close(got["value"], expected["value"], what="Hypot.apply(a, b)")
    if not passed:
        return False, message
    wrong = _names_differ(
        got["grad_fn"], expected["grad_fn"], "the output's grad_fn"
    ) or _names_differ(
        got["next_functions"], expected["next_functions"], "the names in grad_fn.next_functions"
    )
    if wrong:
        return False, wrong + (
            ". Hint: subclass mg.autograd.Function and call Hypot.apply; one "
            "node, HypotBackward, should be recorded, with an edge per input"
        )
    if case["changed"]:
        if got["backward"] != "version error":
            return False, (
                "a was changed in place after Hypot.apply(a, b), and backward "
                f"{'ran anyway' if got['backward'] == 'ran' else 'raised: ' + str(got['backward'])}"
                ", using the changed numbers. Hint: save tensors with "
                "ctx.save_for_backward(...), which checks versions, not as attributes "
                "of ctx"
            )
        return True, "ok"
    for name in ("a.grad", "b.grad"):
        if expected[name] is None:  # b does not require grad: nothing may reach it
            if got[name] is not None:
                return False, f"{name} is {describe(got[name])}, expected None"
            continue
        passed, message = arrays_close(got[name], expected[name], what=name)
        if not passed:
            if name == "a.grad":
                for mistake, hint in _hypot_mistakes(case):
                    if arrays_close(got[name], mistake)[0]:
                        return False, f"{message}. Hint: {hint}"
            return False, message
    if got.get("gradcheck") is not True:
        return False, f"gradcheck fails: {got.get('gradcheck')}"
    return True, "ok"


HYPOT = Check(
    id="ch10.hypot",
    kind=IMPLEMENT,
    points=4,
    reads=("Hypot",),
    title="Hypot.apply(a, b)",
    cases=hypot_cases,
    probe=hypot_probe,
    reference=hypot_reference,
    judge=hypot_judge,
    rule="a custom Function records one node; its backward receives the gradient of the output "
    "and returns one gradient per input, each the incoming gradient times that input's "
    "derivative; what it needs is saved with ctx.save_for_backward",
    hint="forward computes the length from minigrad operations and saves, with "
    "ctx.save_for_backward, the tensors backward needs; backward returns one gradient per "
    "input, in order",
)


# -- 2. predict: derivatives of derivatives ------------------------------------------------


def derivatives_program(lib):
    """Exercise 2's program, run for real."""
    x = lib.tensor(1.5, requires_grad=True)
    y = lib.tensor(-2.0, requires_grad=True)
    f = x**2 * y + y**3
    (gx,) = lib.autograd.grad(f, x, create_graph=True)
    (gxy,) = lib.autograd.grad(gx, y, retain_graph=True)
    (gxx,) = lib.autograd.grad(gx, x)
    (plain,) = lib.autograd.grad(x**2 * y, x)
    return [gx.item(), gx.requires_grad, gxy.item(), gxx.item(), plain.requires_grad]


DERIVATIVE_ANSWERS = (
    "answer_gx",
    "answer_gx_requires_grad",
    "answer_gxy",
    "answer_gxx",
    "answer_plain_requires_grad",
)


def derivatives_cases(rng, hidden):
    return [{"label": "the program"}]


def derivatives_probe(learner, case):
    return [
        learner[name]
        for name in (
            "answer_gx",
            "answer_gx_requires_grad",
            "answer_gxy",
            "answer_gxx",
            "answer_plain_requires_grad",
        )
    ]


def derivatives_reference(case):
    return derivatives_program(mg)


def derivatives_judge(got, expected, case):
    for name, have, want in zip(DERIVATIVE_ANSWERS, got, expected):
        number = not name.endswith("requires_grad")
        if number and (isinstance(have, bool) or not isinstance(have, (int, float))):
            message = f"`{name}` should be a number; it is {describe(have)}"
            if isinstance(have, dict) and "__ndarray__" in have:
                message += " (a tensor: .item() gives its number)"
            return False, message + form_note(have, want)
        if not number and not isinstance(have, bool):
            message = f"`{name}` should be True or False; it is {describe(have)}"
            return False, message + form_note(have, want)
        passed, message = prediction(have, want, what=f"`{name}`", program="the program")
        if not passed:
            return False, message
    return True, "ok"


DERIVATIVES = Check(
    id="ch10.second_derivatives",
    kind=PREDICT,
    points=3,
    reads=DERIVATIVE_ANSWERS,
    title="predict: derivatives of derivatives",
    cases=derivatives_cases,
    probe=derivatives_probe,
    reference=derivatives_reference,
    judge=derivatives_judge,
    rule="with create_graph=True the backward pass is recorded, so the gradient has a grad_fn "
    "and can be differentiated again; without it the gradient is a plain tensor",
    hint="differentiate by hand: df/dx first, then that expression by y and by x; evaluate at "
    "x = 1.5, y = -2",
)


# -- 3. find the bug: a sign slip ----------------------------------------------------------


def gaussian_cases(rng, hidden):
    sizes = [4, 1] if not hidden else [1, 6, 3]
    cases = []
    for n in sizes:
        x = np.round(rng.uniform(0.2, 1.8, size=n) * rng.choice([-1, 1], size=n), 3)
        cases.append(
            {
                "x": x.tolist(),
                "weights": np.round(rng.normal(size=n), 3).tolist(),
                "label": f"x of {n} element{'s' if n > 1 else ''}",
            }
        )
    return cases


def gaussian_probe(learner, case):
    import minigrad as mg
    from minigrad import grad_mode

    grad_mode.reset()
    Gaussian = learner["Gaussian"]
    x = mg.tensor(case["x"], dtype=mg.float64, requires_grad=True)
    out = Gaussian.apply(x)
    seen = {"value": out.detach(), "grad_fn": None if out.grad_fn is None else out.grad_fn.name()}
    if out.grad_fn is None:
        return seen
    (out * mg.tensor(case["weights"], dtype=mg.float64)).sum().backward()
    seen["x.grad"] = x.grad
    try:
        fresh = mg.tensor(case["x"], dtype=mg.float64, requires_grad=True)
        seen["gradcheck"] = mg.autograd.gradcheck(Gaussian.apply, (fresh,))
    except RuntimeError as error:
        seen["gradcheck"] = str(error).splitlines()[0]
    return seen


class _Gaussian(mg.autograd.Function):
    """The reference: exp(-x²), whose derivative is -2x exp(-x²)."""

    @staticmethod
    def forward(ctx, x):
        result = (-(x * x)).exp()
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        return grad * (-2 * x * result)


_Gaussian.__name__ = "Gaussian"


def gaussian_reference(case):
    return gaussian_probe({"Gaussian": _Gaussian}, case)


def gaussian_judge(got, expected, case):
    if not isinstance(got, dict):
        return False, "the check could not read the result"
    passed, message = arrays_close(got["value"], expected["value"], what="Gaussian.apply(x)")
    if not passed:
        return False, message
    wrong = _names_differ(got["grad_fn"], expected["grad_fn"], "the output's grad_fn")
    if wrong:
        return False, wrong + ". Hint: keep Gaussian a subclass of mg.autograd.Function"
    passed, message = arrays_close(got["x.grad"], expected["x.grad"], what="x.grad")
    if not passed:
        if arrays_close(got["x.grad"], -as_array(expected["x.grad"]))[0]:
            message += (
                ". Hint: this is the buggy backward, with the opposite sign: the "
                "derivative of exp(-x²) is -2x exp(-x²)"
            )
        else:  # the derivative itself, as if the gradient arriving were 1 everywhere
            weights = np.array(case["weights"], dtype=float)
            alone = as_array(expected["x.grad"]) / np.where(weights == 0, 1.0, weights)
            if weights.any() and arrays_close(got["x.grad"], alone)[0]:
                message += (
                    ". Hint: this gradient ignores the incoming gradient: multiply by `grad` "
                    "(the chain rule)"
                )
        return False, message
    if got.get("gradcheck") is not True:
        return False, f"gradcheck fails: {got.get('gradcheck')}"
    return True, "ok"


GAUSSIAN = Check(
    id="ch10.gaussian",
    kind=FIND_THE_BUG,
    points=3,
    reads=("Gaussian",),
    title="find the bug: Gaussian.apply(x)",
    cases=gaussian_cases,
    probe=gaussian_probe,
    reference=gaussian_reference,
    judge=gaussian_judge,
    rule="nothing checks that a custom backward matches its forward, except gradcheck, which "
    "compares it with central differences (f(x + eps) - f(x - eps)) / (2 eps)",
    hint="compare the two Jacobians gradcheck prints: what differs between them, everywhere?",
)


# -- 4. hvp -----------------------------------------------------------------------------------

# The same functions in the notebook and in grading, with other sizes.
HVP_VISIBLE = [
    {"kind": "cubic", "n": 3},
    {"kind": "quadratic", "n": 3},
    {"kind": "logsumexp", "n": 4},
    {"kind": "mixed", "n": 3},
    {"kind": "cubic", "n": 1},
    {"kind": "quadratic", "n": 2, "x_requires_grad": False},
]
HVP_HIDDEN = [
    {"kind": "logsumexp", "n": 5},
    {"kind": "mixed", "n": 2},
    {"kind": "cubic", "n": 1},
    {"kind": "quadratic", "n": 5},
    {"kind": "cubic", "n": 4},
    {"kind": "quadratic", "n": 4, "x_requires_grad": False},
]
HVP_TEXT = {
    "cubic": "f(x) = (c * x ** 3).sum()",
    "quadratic": "f(x) = (x * (A @ x)).sum()",
    "logsumexp": "f(x) = x.exp().sum().log()",
    "mixed": "f(x) = (x ** 2).sum() * x.sum()",
}


def hvp_cases(rng, hidden):
    cases = []
    for spec in HVP_HIDDEN if hidden else HVP_VISIBLE:
        n = spec["n"]
        x_requires_grad = spec.get("x_requires_grad", True)
        cases.append(
            dict(
                spec,
                x_requires_grad=x_requires_grad,
                x=np.round(rng.normal(size=n), 3).tolist(),
                c=np.round(rng.normal(size=n), 3).tolist(),
                A=np.round(rng.normal(size=(n, n)), 3).tolist(),
                v1=np.round(rng.normal(size=n), 3).tolist(),
                v2=np.round(rng.normal(size=n), 3).tolist(),
                label=f"{HVP_TEXT[spec['kind']]} with {n} element{'s' if n > 1 else ''}"
                + ("" if x_requires_grad else ", x not requiring grad")
                + ", two vectors v in turn",
            )
        )
    return cases


def hvp_probe(learner, case):
    import minigrad as mg
    from minigrad import grad_mode

    grad_mode.reset()
    c = mg.tensor(case["c"], dtype=mg.float64)
    A = mg.tensor(case["A"], dtype=mg.float64)
    f = {
        "cubic": lambda x: (c * x**3).sum(),
        "quadratic": lambda x: (x * (A @ x)).sum(),
        "logsumexp": lambda x: x.exp().sum().log(),
        "mixed": lambda x: (x**2).sum() * x.sum(),
    }[case["kind"]]
    x = mg.tensor(case["x"], dtype=mg.float64, requires_grad=case["x_requires_grad"])
    vectors = [mg.tensor(v, dtype=mg.float64) for v in (case["v1"], case["v2"])]
    results = []
    for v in vectors:
        try:
            result = learner["hvp"](f, x, v)
        except RuntimeError as error:
            if case["x_requires_grad"]:
                raise
            return {"raised": f"{type(error).__name__}: {error}"}
        if isinstance(result, mg.Tensor):  # its numbers now: a later call must not change them
            result = result.detach().numpy().copy()
        results.append(result)
    first, second = results
    return {
        "first": first,
        "second": second,
        # what hvp may not change: the caller's x and v stay as they were
        "x.grad": x.grad,
        "x.requires_grad": x.requires_grad,
        "v.grad": [v.grad for v in vectors],
        "v.requires_grad": [v.requires_grad for v in vectors],
    }


def hessian(case):
    """The Hessian of the case's f at x, worked out by hand."""
    x, c, A = (np.array(case[k], dtype=float) for k in ("x", "c", "A"))
    n = len(x)
    kind = case["kind"]
    if kind == "cubic":  # d²/dx_i² of c_i x_i³ = 6 c_i x_i, nothing across
        return np.diag(6 * c * x)
    if kind == "quadratic":  # x^T A x has Hessian A + A^T
        return A + A.T
    if kind == "logsumexp":  # softmax p: H = diag(p) - p p^T
        p = np.exp(x - x.max())
        p /= p.sum()
        return np.diag(p) - np.outer(p, p)
    # Q * S with Q = sum x², S = sum x: H = 2 S I + 2 x 1^T + 2 1 x^T
    ones = np.ones(n)
    return 2 * x.sum() * np.eye(n) + 2 * np.outer(x, ones) + 2 * np.outer(ones, x)


def gradient(case):
    """The gradient of the case's f at x, by hand (for recognising a mistake)."""
    x, c, A = (np.array(case[k], dtype=float) for k in ("x", "c", "A"))
    kind = case["kind"]
    if kind == "cubic":
        return 3 * c * x**2
    if kind == "quadratic":
        return (A + A.T) @ x
    if kind == "logsumexp":
        p = np.exp(x - x.max())
        return p / p.sum()
    return 2 * x * x.sum() + (x**2).sum()


def hvp_reference(case):
    H = hessian(case)
    return {
        "first": H @ np.array(case["v1"]),
        "second": H @ np.array(case["v2"]),
        "x.grad": None,
        "x.requires_grad": case["x_requires_grad"],
        "v.grad": [None, None],
        "v.requires_grad": [False, False],
    }


_OWN_LEAF = (
    "Hint: differentiate with respect to a leaf of your own, x.detach().requires_grad_(), "
    "and leave the caller's x as it was"
)


def hvp_judge(got, expected, case):
    if not isinstance(got, dict):
        return False, "the check could not read the result"
    if "raised" in got:
        return False, (
            f"hvp(f, x, v) raised {got['raised']}, for an x that does not require grad. hvp "
            f"must work on any x, as torch.autograd.functional.hvp does. {_OWN_LEAF}"
        )
    for key, v in (("first", "v1"), ("second", "v2")):
        passed, message = arrays_close(
            got[key], expected[key], what=f"hvp(f, x, {v})", rtol=1e-6, atol=1e-9
        )
        if passed:
            continue
        if (
            key == "second"
            and arrays_close(got[key], as_array(expected["first"]) + as_array(expected["second"]))[
                0
            ]
        ):
            return False, (
                message + ". Hint: that is H v1 + H v2: the first call's result stayed "
                "in x.grad; use mg.autograd.grad, which returns the gradient"
            )
        if arrays_close(got[key], gradient(case))[0]:
            return (
                False,
                message
                + ". Hint: that is the gradient g itself; H v is the gradient of (g * v).sum()",
            )
        return False, message
    return _hvp_side_effects(got, expected)


def _hvp_side_effects(got, expected):
    """What hvp left changed on the caller's x and v (the values were right)."""
    if got["x.grad"] is not None:
        return False, (
            f"x.grad was filled ({describe(got['x.grad'])}): hvp must not change x.grad. "
            "Hint: use mg.autograd.grad, which returns the gradient, not backward()"
        )
    if got["x.requires_grad"] != expected["x.requires_grad"]:
        return False, (
            f"x.requires_grad is {got['x.requires_grad']} after hvp(f, x, v), it was "
            f"{expected['x.requires_grad']}: hvp changed the caller's x. {_OWN_LEAF}"
        )
    for grad, requires_grad in zip(got["v.grad"], got["v.requires_grad"]):
        if requires_grad or grad is not None:
            return False, (
                "hvp(f, x, v) made v require grad"
                + (f" and filled v.grad ({describe(grad)})" if grad is not None else "")
                + ": v is a constant of the product; only x is differentiated, and the "
                "caller's v stays as it was"
            )
    return True, "ok"


HVP = Check(
    id="ch10.hvp",
    kind=IMPLEMENT,
    points=3,
    reads=("hvp",),
    title="hvp(f, x, v)",
    cases=hvp_cases,
    probe=hvp_probe,
    reference=hvp_reference,
    judge=hvp_judge,
    rule="H v is the gradient of g · v, where g is the gradient computed with create_graph=True "
    "so that it can itself be differentiated",
    hint="take the gradient of f(x) so that it is itself recorded, then differentiate "
    "(g * v).sum() with respect to x, with mg.autograd.grad both times",
)

# -- 5. ReLU, the last piece of your engine ----------------------------------------------

RELU = piece_check("ch10.ReLU", 3, hint="save the result: backward needs where it is positive")

CHECKS = [HYPOT, DERIVATIVES, GAUSSIAN, HVP, RELU]
