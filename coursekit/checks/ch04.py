"""Checks for chapter 04, leaves, .grad and accumulation (solutions/ch04_leaves_and_grad.ipynb).

1. implement ``accumulate_grad(leaf, grad)``: what AccumulateGrad does
2. predict ``requires_grad``, ``is_leaf``, ``grad_fn`` and ``.grad`` after a backward
3. predict which line raises, and with which message
4. find the bug: a training loop that never resets ``.grad``
5. find the bug: ``.grad`` read on a non-leaf

The predict references run the program with minigrad (which behaves as
PyTorch 2.13 does; the course's parity tests hold it to that).  The other
references are hand algebra in numpy.  ``run_program`` and the
``answer_*`` helpers below are also used by the checks of chapters 05 and 06.
"""

import warnings

import numpy as np

from coursekit.checks import FIND_THE_BUG, IMPLEMENT, PREDICT, Check
from coursekit.checks.judges import arrays_close, as_array, same_answer, which_differ
from coursekit.checks.messages import describe, form_note, shape_text
from coursekit.checks.piece import piece_check, with_piece

RTOL, ATOL = 1e-4, 1e-6  # minigrad computes in float32, the references in float64


# -- helpers for predict exercises (trusted side only) ---------------------------------


def run_program(program):
    """Run a program shown to the learner, with ``mg`` = minigrad.

    Returns ``(namespace, line, error)``: the line (1-based, in the program's
    own numbering) that raised and the exception, or ``None, None``.
    """
    import minigrad

    namespace = {"mg": minigrad}
    code = compile(program, "<program>", "exec")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(code, namespace)  # noqa: S102 - the course's own program text
    except Exception as error:  # noqa: BLE001 - the error is what is predicted
        line, tb = None, error.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "<program>":
                line = tb.tb_lineno
            tb = tb.tb_next
        return namespace, line, error
    return namespace, None, None


def grad_and_warning(tensor):
    """``(tensor.grad, whether reading it warned)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        grad = tensor.grad
    return grad, any(issubclass(w.category, UserWarning) for w in caught)


def same_values(got, expected):
    """None only matches None; numbers and nested lists match within float32 tolerance."""
    if expected is None or got is None:
        return got is None and expected is None
    have, want = as_array(got), as_array(expected)
    if have is None or want is None or have.shape != want.shape:
        return False
    return bool(np.allclose(have, want, rtol=RTOL, atol=ATOL))


def answer_dict(got, expected, name, program, compare=same_answer, hints=None):
    """Judge a dict answer key by key, never revealing the expected values."""
    keys = list(expected)
    shown = ", ".join(repr(k) for k in keys)
    if not isinstance(got, dict) or sorted(got) != sorted(keys):
        return False, f"`{name}` is {describe(got)}; it must be a dict with the keys {shown}"
    for key in keys:
        if not compare(got[key], expected[key]):
            message = f"`{name}[{key!r}]`, {describe(got[key])}, is not what {program} gives"
            message += form_note(got[key], expected[key])
            if hints and key in hints:
                message += f". Hint: {hints[key]}"
            return False, message
    return True, "ok"


def answer_value(got, expected, name, program, compare=same_answer, hint=None):
    """Judge one answer; a list answer says which items are wrong, never their values."""
    if compare(got, expected):
        return True, "ok"
    message = f"`{name}`, {describe(got)}, is not what {program} gives" + form_note(got, expected)
    wrong = which_differ(got, expected, same=compare)
    if wrong:
        message += f": {wrong}"
    return False, message + (f". Hint: {hint}" if hint else "")


def numbers(rng, shape):
    """Small random values, rounded so that messages stay readable."""
    return np.round(rng.uniform(-2, 2, size=shape), 2).tolist()


# -- 1. accumulate_grad --------------------------------------------------------------------


def accumulate_cases(rng, hidden):
    # Each case: leaves (name -> shape), incoming gradients (name -> shape) and the
    # calls the engine would make, one per edge into a leaf, in order.
    # The same plans in the notebook and in grading (with other values).
    plans = [
        ({"a": (3,)}, ["a<-g1", "a<-g2"], "leaf a gets g1, then g2"),
        (
            {"a": (2,), "b": (2,)},
            ["a<-g1", "b<-g1", "a<-g2"],
            "add sends the same g1 to a and to b, then a gets g2",
        ),
        ({"a": (2, 2)}, ["a<-g1", "a<-g2", "a<-g3"], "a (2, 2) leaf gets g1, g2, g3"),
        ({"a": ()}, ["a<-g1", "a<-g2"], "a 0-dim leaf gets g1, then g2"),
        (
            {"a": (2, 3), "b": (2, 3), "c": (2, 3)},
            ["a<-g1", "b<-g1", "c<-g1", "b<-g2", "c<-g3"],
            "g1 goes to a, b and c, then b gets g2 and c gets g3",
        ),
        ({"a": (4,)}, ["a<-g1", "a<-g1"], "leaf a gets the same tensor g1 twice"),
        (
            {"a": (1,), "b": (3, 1)},
            ["b<-g1", "a<-g2", "b<-g3", "a<-g4"],
            "two leaves, each reached twice",
        ),
    ]
    cases = []
    for leaves, calls, label in plans:
        calls = [call.split("<-") for call in calls]
        shapes = {g: leaves[leaf] for leaf, g in calls}
        cases.append(
            {
                "leaves": {name: numbers(rng, shape) for name, shape in leaves.items()},
                "grads": {g: numbers(rng, shape) for g, shape in sorted(shapes.items())},
                "calls": calls,
                "label": label,
            }
        )
    return cases


def accumulate_probe(learner, case):
    if "piece" in case:  # the cases of the piece of your engine (coursekit/checks/piece.py)
        from coursekit.checks.piece import piece_probe

        return piece_probe(learner, case)
    import minigrad as mg

    leaves = {n: mg.tensor(v, requires_grad=True) for n, v in case["leaves"].items()}
    grads = {n: mg.tensor(v) for n, v in case["grads"].items()}
    first, calls = {}, {}
    for leaf_name, grad_name in case["calls"]:
        learner["accumulate_grad"](leaves[leaf_name], grads[grad_name])
        first.setdefault(leaf_name, leaves[leaf_name].grad)
        calls[leaf_name] = calls.get(leaf_name, 0) + 1
    return {
        "grads": {n: leaf.grad for n, leaf in leaves.items()},
        "kept": {n: leaves[n].grad is first[n] for n in leaves if calls.get(n, 0) > 1},
        "incoming": grads,
    }


def accumulate_reference(case, mistake=None):
    """The sum of each leaf's gradients; ``mistake`` computes a typical wrong result."""
    sums = {}
    for leaf, g in case["calls"]:
        grad = np.array(case["grads"][g], dtype=float)
        if leaf not in sums or mistake == "overwrite":
            sums[leaf] = grad
        elif mistake != "first only":
            sums[leaf] = sums[leaf] + grad
    counts = {leaf: sum(1 for name, _ in case["calls"] if name == leaf) for leaf in case["leaves"]}
    return {
        "grads": {n: sums.get(n) for n in case["leaves"]},
        "kept": {n: True for n, count in counts.items() if count > 1},
        "incoming": {g: np.array(v, dtype=float) for g, v in case["grads"].items()},
    }


def accumulate_judge(got, expected, case):
    if not isinstance(got, dict) or not all(
        isinstance(got.get(k), dict) for k in ("grads", "kept", "incoming")
    ):
        return False, "the check could not read the leaves' gradients"
    for g, want in expected["incoming"].items():
        if not same_values(got["incoming"].get(g), want):
            return False, (
                f"the incoming gradient `{g}` was changed by your function (it is now "
                f"{describe(got['incoming'].get(g))}): the first gradient was stored without a copy, "
                "so adding the next one wrote into a tensor the caller (and maybe another leaf) still "
                "holds. Hint: the first time, store a copy of grad (a clone), not grad itself"
            )
    for leaf, want in expected["grads"].items():
        have = got["grads"].get(leaf)
        if have is None:
            return False, (
                f"{leaf}.grad is None after its gradients arrived. "
                "Hint: when leaf.grad is None, store (a copy of) the incoming gradient"
            )
        if not same_values(have, want):
            _, message = arrays_close(have, want, what=f"{leaf}.grad", rtol=RTOL, atol=ATOL)
            if same_values(have, accumulate_reference(case, "overwrite")["grads"][leaf]):
                message += (
                    ". Hint: that is the last gradient alone: you replaced .grad instead of "
                    "adding to it; gradients of all the edges into a leaf add up"
                )
            elif same_values(have, accumulate_reference(case, "first only")["grads"][leaf]):
                message += (
                    ". Hint: that is the first gradient alone: add each later gradient into .grad"
                )
            return False, message
    for leaf in expected["kept"]:
        if got["kept"].get(leaf) is not True:
            return False, (
                f"{leaf}.grad has the right values but is a new tensor after the second gradient; "
                "PyTorch adds into the existing .grad tensor. "
                "Hint: add into the tensor already in .grad, with an in-place addition"
            )
    return True, "ok"


ACCUMULATE = Check(
    id="ch04.accumulate_grad",
    kind=IMPLEMENT,
    points=3,
    reads=("accumulate_grad",),
    title="accumulate_grad(leaf, grad)",
    cases=accumulate_cases,
    probe=accumulate_probe,
    reference=accumulate_reference,
    judge=accumulate_judge,
    rule="a leaf's .grad is the sum of every gradient that reaches it: the first is stored "
    "(as a copy), later ones are added in place",
    hint="two cases: the first gradient to arrive (leaf.grad is None), and every later one, "
    "which goes into the tensor already in .grad",
)

# -- 2. predict: leaves and their .grad -----------------------------------------------------

LEAVES_PROGRAM = """\
a = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
c = mg.tensor([4.0, 5.0, 6.0])
b = a * 2
d = b * c
d.retain_grad()
with mg.no_grad():
    e = a * 3
loss = d.sum()
loss.backward()
"""
LEAVES_NAMES = ("a", "b", "c", "d", "e")


def leaves_cases(rng, hidden):
    return [{"label": "the program above"}]


def leaves_probe(learner, case):
    return {
        "requires_grad": learner["answer_requires_grad"],
        "is_leaf": learner["answer_is_leaf"],
        "grad_fn": learner["answer_grad_fn"],
        "grad": learner["answer_grad"],
        "warns": learner["answer_warns"],
    }


def leaves_reference(case):
    namespace, _, error = run_program(LEAVES_PROGRAM)
    if error is not None:
        raise error
    tensors = {name: namespace[name] for name in LEAVES_NAMES}
    read = {name: grad_and_warning(t) for name, t in tensors.items()}
    return {
        "requires_grad": {name: t.requires_grad for name, t in tensors.items()},
        "is_leaf": {name: t.is_leaf for name, t in tensors.items()},
        "grad_fn": {
            name: None if t.grad_fn is None else t.grad_fn.name() for name, t in tensors.items()
        },
        "grad": {name: None if g is None else g.tolist() for name, (g, _) in read.items()},
        "warns": sorted(name for name, (_, warned) in read.items() if warned),
    }


LEAVES_HINTS = {
    "requires_grad": {"e": "look at where e was computed"},
    "is_leaf": {
        "c": "a leaf is a tensor with grad_fn None",
        "e": "a leaf is a tensor with grad_fn None",
    },
    "grad_fn": {
        "e": "was anything recorded while e was computed?",
        "c": "a tensor you made yourself has no grad_fn",
    },
    "grad": {
        "b": "a non-leaf passes its gradient on without storing it",
        "d": "what did d.retain_grad() ask for?",
        "c": "a tensor that does not require grad gets nothing",
        "e": "a tensor that does not require grad gets nothing",
    },
}


def leaves_judge(got, expected, case):
    program = "the program"
    for name in ("requires_grad", "is_leaf", "grad_fn", "grad"):
        compare = same_values if name == "grad" else same_answer
        passed, message = answer_dict(
            got[name],
            expected[name],
            f"answer_{name}",
            program,
            compare=compare,
            hints=LEAVES_HINTS.get(name),
        )
        if not passed:
            return False, message
    warns = got["warns"]
    if not isinstance(warns, list) or not all(isinstance(n, str) for n in warns):
        return False, f"`answer_warns` is {describe(warns)}; it must be a list of names, like ['a']"
    if sorted(set(warns)) != expected["warns"]:
        return False, (
            f"`answer_warns`, {describe(warns)}, is not the list of tensors whose .grad "
            "warns when read. Hint: reading .grad warns on a non-leaf that did not call retain_grad()"
        )
    return True, "ok"


LEAVES = Check(
    id="ch04.leaves",
    kind=PREDICT,
    points=2,
    reads=(
        "answer_requires_grad",
        "answer_is_leaf",
        "answer_grad_fn",
        "answer_grad",
        "answer_warns",
    ),
    title="predict: the attribute table",
    cases=leaves_cases,
    probe=leaves_probe,
    reference=leaves_reference,
    judge=leaves_judge,
    rule="is_leaf means grad_fn is None; backward stores .grad only on leaves that require grad, "
    "and on non-leaves that called retain_grad()",
    hint="go line by line: does the tensor require grad, was a node recorded for it?",
)

# -- 3. predict: which line raises ----------------------------------------------------------

ERROR_MESSAGES = {
    "A": "element 0 of tensors does not require grad and does not have a grad_fn",
    "B": "grad can be implicitly created only for scalar outputs",
    "C": "Trying to backward through the graph a second time",
}
ERROR_PROGRAMS = {
    "p1": """\
a = mg.ones(2, 3, requires_grad=True)
with mg.no_grad():
    c = a * 2
s = c.sum()
s.backward()
""",
    "p2": """\
w = mg.tensor([1.0, 2.0], requires_grad=True)
y = w * mg.tensor([3.0, 4.0])
y.backward()
""",
    "p3": """\
w = mg.tensor([1.0, 2.0], requires_grad=True)
loss = (w * w).sum()
loss.backward()
loss.backward()
""",
    "p4": """\
w = mg.tensor([1.0, 2.0], requires_grad=True)
loss = (w + w).sum()
loss.backward()
loss.backward()
""",
    "p5": """\
w = mg.tensor([1.0, 2.0], requires_grad=True)
loss = (w * w).sum()
loss.backward(retain_graph=True)
loss.backward()
""",
}


def errors_cases(rng, hidden):
    return [{"label": "the five programs above"}]


def errors_probe(learner, case):
    answers = {name: learner[f"answer_{name}"] for name in ("p1", "p2", "p3", "p4", "p5")}
    answers["p4_grad"] = learner["answer_p4_grad"]
    return answers


def outcome_of(program, messages):
    """``None`` if the program runs, else ``[line, letter of the message]``."""
    namespace, line, error = run_program(program)
    if error is None:
        return None, namespace
    letters = [k for k, text in messages.items() if str(error).startswith(text)]
    if len(letters) != 1:
        raise AssertionError(f"unforeseen error {error!r}")  # the course's programs changed
    return [line, letters[0]], namespace


def errors_reference(case):
    expected = {}
    for name, program in ERROR_PROGRAMS.items():
        expected[name], namespace = outcome_of(program, ERROR_MESSAGES)
        if name == "p4":
            expected["p4_grad"] = namespace["w"].grad.tolist()
    return expected


def line_and_letter(got, name):
    """None, or a message saying why ``got`` is not of the form (line, letter)."""
    if got is None:
        return None
    if (
        isinstance(got, list)
        and len(got) == 2
        and type(got[0]) is int
        and isinstance(got[1], str)
        and got[1] in ERROR_MESSAGES
    ):
        return None
    return (
        f"`answer_{name}` is {describe(got)}; write None if the program runs to the end, "
        "otherwise a pair (line, letter) such as (2, 'B')"
    )


def errors_judge(got, expected, case):
    for name in ERROR_PROGRAMS:
        problem = line_and_letter(got[name], name)
        if problem:
            return False, problem
        if not same_answer(got[name], expected[name]):
            message = f"`answer_{name}`, {describe(got[name])}, is not what program {name} does"
            if (
                expected[name] is not None
                and got[name] is not None
                and got[name][1] == expected[name][1]
            ):
                message += ". Hint: right message, but which line raises it?"
            return False, message
    return answer_value(
        got["p4_grad"],
        expected["p4_grad"],
        "answer_p4_grad",
        "program p4",
        compare=same_values,
        hint="gradients of two backward passes accumulate",
    )


ERRORS = Check(
    id="ch04.errors",
    kind=PREDICT,
    points=2,
    reads=("answer_p1", "answer_p2", "answer_p3", "answer_p4", "answer_p5", "answer_p4_grad"),
    title="predict: which line raises",
    cases=errors_cases,
    probe=errors_probe,
    reference=errors_reference,
    judge=errors_judge,
    rule="backward needs a graph (a grad_fn), a scalar to start from (or a gradient), and the "
    "tensors its nodes saved; a second pass frees nothing that was not saved",
    hint="for each program ask: does the output require grad, is it a scalar, "
    "did a node save a tensor that the first backward freed?",
)

# -- 4. find the bug: a training loop that never resets .grad ----------------------------------


def fit_cases(rng, hidden):
    sizes = [(4, 5)] if not hidden else [(6, 8), (3, 3)]
    cases = []
    for n, steps in sizes:
        xs = np.round(rng.uniform(-1, 1, size=n), 2)
        ys = np.round(2 * xs - 1 + rng.normal(scale=0.1, size=n), 2)
        cases.append(
            {
                "xs": xs.tolist(),
                "ys": ys.tolist(),
                "steps": steps,
                "lr": 0.1,
                "label": f"{n} points and {steps} steps",
            }
        )
    return cases


def fit_probe(learner, case):
    return learner["fit_line"](list(case["xs"]), list(case["ys"]), case["steps"], case["lr"])


def fit_reference(case, reset=True):
    """Gradient descent on mean((w x + b - y)^2), gradients by hand. ``reset``: True (both
    gradients reset each step), False (neither), or the name of the only one reset."""
    x, y = np.array(case["xs"]), np.array(case["ys"])
    w = b = 0.0
    gw = gb = 0.0
    for _ in range(case["steps"]):
        if reset in (True, "w"):
            gw = 0.0
        if reset in (True, "b"):
            gb = 0.0
        residual = w * x + b - y
        gw += np.mean(2 * residual * x)
        gb += np.mean(2 * residual)
        w, b = w - case["lr"] * gw, b - case["lr"] * gb
    return [w, b]


def fit_judge(got, expected, case):
    have = as_array(got)
    if have is None or have.shape != (2,):
        return (
            False,
            f"fit_line returned {describe(got)}; it must return the pair (w, b) as numbers",
        )
    passed, message = arrays_close(got, expected, what="the trained (w, b)", rtol=RTOL, atol=ATOL)
    if passed:
        return True, "ok"
    if arrays_close(got, fit_reference(case, reset=False), rtol=RTOL, atol=ATOL)[0]:
        message += (
            ". Hint: this is what the buggy loop gives: each step still adds its gradient "
            "to the ones of all earlier steps"
        )
    elif np.allclose(have, 0.0):
        message += (
            ". Hint: the parameters never moved: reset the gradients after the update "
            "(or before backward), not between backward and the update"
        )
    else:
        for only, other in (("w", "b"), ("b", "w")):
            if arrays_close(got, fit_reference(case, reset=only), rtol=RTOL, atol=ATOL)[0]:
                message += (
                    f". Hint: {only}.grad is reset each step, but {other}.grad still adds up "
                    "the gradients of all earlier steps"
                )
    return False, message


FIT = Check(
    id="ch04.fit_line",
    kind=FIND_THE_BUG,
    points=2,
    reads=("fit_line",),
    title="find the bug: fit_line(xs, ys, steps, lr)",
    cases=fit_cases,
    probe=fit_probe,
    reference=fit_reference,
    judge=fit_judge,
    rule="backward adds into .grad; each step must start from no gradient (zero_grad, or .grad = None)",
    hint="print w.grad at each step of the buggy loop and compare with the gradient of that step's loss",
)

# -- 5. find the bug: .grad read on a non-leaf -----------------------------------------------


def hidden_cases(rng, hidden):
    # Every case has several rows: with one, the gradient of h is W2.T itself, and an
    # answer that returns W2.T without asking the engine passed here but not in grading.
    shapes = [(2, 2, 3)] if not hidden else [(3, 2, 2), (2, 4, 1)]
    return [
        {
            "xs": numbers(rng, (n, d)),
            "W1": numbers(rng, (d, k)),
            "W2": numbers(rng, (k, 1)),
            "label": f"x of shape {shape_text((n, d))}, W1 {shape_text((d, k))}, W2 {shape_text((k, 1))}",
        }
        for n, d, k in shapes
    ]


def hidden_probe(learner, case):
    result = learner["hidden_grads"](case["xs"], case["W1"], case["W2"])
    if type(result) not in (tuple, list) or len(result) != 2:
        return {"not a pair": True}
    return list(result)


def hidden_reference(case):
    """loss = sum(tanh(x W1) W2): d loss/dh = W2^T in every row; through tanh, then x^T."""
    x, W1, W2 = (np.array(case[k], dtype=float) for k in ("xs", "W1", "W2"))
    h = np.tanh(x @ W1)
    grad_h = np.ones((x.shape[0], 1)) @ W2.T
    grad_W1 = x.T @ (grad_h * (1 - h**2))
    return [grad_h, grad_W1]


def hidden_judge(got, expected, case):
    if not isinstance(got, list):
        return False, "hidden_grads must return a pair: (gradient of h, W1.grad)"
    if got[0] is None:
        return False, (
            "the gradient of h is None: h = tanh(x @ W1) is not a leaf, so backward passes "
            "its gradient on without storing it. Hint: before loss.backward(), ask the engine "
            "to keep h's gradient (retain_grad, or a hook on h)"
        )
    if got[1] is None:
        return False, (
            "W1.grad is None: no gradient reached W1 any more. Hint: detaching h makes it a "
            "leaf and cuts the path to W1; keep h in the graph and ask for its gradient instead"
        )
    for have, want, what in zip(got, expected, ("the gradient of h", "W1.grad")):
        passed, message = arrays_close(have, want, what=what, rtol=RTOL, atol=ATOL)
        if not passed:
            return False, message
    return True, "ok"


HIDDEN = Check(
    id="ch04.hidden_grads",
    kind=FIND_THE_BUG,
    points=2,
    reads=("hidden_grads",),
    title="find the bug: hidden_grads(xs, W1, W2)",
    cases=hidden_cases,
    probe=hidden_probe,
    reference=hidden_reference,
    judge=hidden_judge,
    rule="backward stores .grad on leaves only; a non-leaf keeps its gradient only if it called "
    "retain_grad() before backward",
    hint="run the buggy function and read the warning it prints",
)

# -- 6. retain_grad's store, a piece of your engine --------------------------------------

ACCUMULATE = with_piece(ACCUMULATE, "ch04.accumulate_grad")
STORE_RETAINED = piece_check(
    "ch04.store_retained_grad",
    2,
    hint="the first gradient is copied; later ones are added out of place (tensor.grad + grad), "
    "as PyTorch's retain_grad does, so a .grad read earlier keeps its values",
)

CHECKS = [ACCUMULATE, LEAVES, ERRORS, FIT, HIDDEN, STORE_RETAINED]
