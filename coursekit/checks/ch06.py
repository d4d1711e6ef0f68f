"""Checks for chapter 06, in-place operations and version counters
(solutions/ch06_inplace_and_versions.ipynb).

1. implement ``SavedTensor``: the version check of a tensor saved for backward
2. predict which line raises (mul saves its inputs, add nothing, exp its output, leaves refuse)
3. predict ``_version`` after in-place ops through views, ``detach()`` and ``.data``
4. find the bug: the output of ``exp`` changed in place
5. find the bug: a naive pipeline that updates weights a pending backward saved

References: minigrad's own ``SavedTensor`` and the programs run with minigrad (which behaves
as PyTorch 2.13 does), or hand algebra in numpy.
"""

import re

import numpy as np

from coursekit.checks import FIND_THE_BUG, IMPLEMENT, PREDICT, Check
from coursekit.checks.ch04 import ATOL, RTOL, answer_dict, answer_value, run_program, same_values
from coursekit.checks.judges import arrays_close
from coursekit.checks.messages import describe, error_text, shape_text
from coursekit.checks.piece import piece_check, with_piece

VERSION_TEXT = re.compile(r"is at version (\d+); expected version (\d+) instead")


def numbers(rng, shape, low=-1.0, high=1.0):
    return np.round(rng.uniform(low, high, size=shape), 2).tolist()


# -- 1. implement: SavedTensor -----------------------------------------------------------------

# The same plans in the notebook and in grading (with other values): an in-place change, an
# out-of-place one, a tensor saved at a later version, a change through a view, through
# detach(), through .data, under no_grad(), one that keeps the values (mul_ by 1), none.
SAVED_PLANS = [
    ((3,), 0, ["t.add_(1)"]),
    ((3,), 0, ["u = t + 1"]),
    ((3,), 2, []),
    ((4,), 0, ["t[:1].zero_()"]),
    ((2,), 1, ["t.mul_(1)"]),
    ((2, 2), 0, ["t.detach().mul_(2)", "t.add_(1)"]),
    ((3,), 0, ["t.data.mul_(2)"]),
    ((3,), 3, ["with no_grad: t.add_(1)"]),
    ((2, 3), 0, []),
]


def saved_cases(rng, hidden):
    cases = []
    for shape, before, ops in SAVED_PLANS:
        when = "at version 0" if before == 0 else f"at version {before}"
        then = "then " + ", then ".join(ops) if ops else "nothing changes it"
        cases.append(
            {
                "values": numbers(rng, shape),
                "before": before,
                "ops": ops,
                "label": f"t of shape {shape_text(shape)} saved {when}; {then}",
            }
        )
    return cases


def saved_probe(learner, case):
    if "piece" in case:  # the cases of the piece of your engine (coursekit/checks/piece.py)
        from coursekit.checks.piece import piece_probe

        return piece_probe(learner, case)
    import minigrad as mg

    t = mg.tensor(case["values"])
    for _ in range(case["before"]):
        t.mul_(1.0)  # changes nothing but the version
    saved = learner["SavedTensor"](t)
    for op in case["ops"]:
        if op == "t.add_(1)":
            t.add_(1.0)
        elif op == "t.mul_(1)":
            t.mul_(1.0)
        elif op == "t[:1].zero_()":
            t[:1].zero_()
        elif op == "t.detach().mul_(2)":
            t.detach().mul_(2.0)
        elif op == "t.data.mul_(2)":
            t.data.mul_(2.0)
        elif op == "u = t + 1":
            t + 1.0
        elif op == "with no_grad: t.add_(1)":
            with mg.no_grad():
                t.add_(1.0)
    try:
        out = saved.unpack()
    except NotImplementedError:
        raise  # a stub: the check says "not implemented yet"
    except RuntimeError as error:
        return {"raised": str(error), "values": None}
    return {"raised": None, "values": out}


def saved_reference(case):
    """The same steps with minigrad's own SavedTensor."""
    import minigrad as mg
    from minigrad.graph import SavedTensor

    t = mg.tensor(case["values"])
    for _ in range(case["before"]):
        t.mul_(1.0)
    saved = SavedTensor(t)
    for op in case["ops"]:
        if op == "with no_grad: t.add_(1)":
            with mg.no_grad():
                t.add_(1.0)
        else:
            exec(op.replace("(1)", "(1.0)").replace("(2)", "(2.0)"), {"t": t})  # noqa: S102 - our own op list
    try:
        out = saved.unpack(None)
    except RuntimeError as error:
        return {"raised": str(error), "values": None}
    return {"raised": None, "values": out}


def saved_judge(got, expected, case):
    ops = case["ops"]
    if expected["raised"]:
        now, then = VERSION_TEXT.search(expected["raised"]).groups()
        if not got["raised"]:
            message = (
                f"unpack() returned, but t was changed in place after it was saved (version {then} "
                f"-> {now}): PyTorch raises RuntimeError here"
            )
            if ops == ["t.mul_(1)"]:
                return False, message + (
                    ". Hint: t.mul_(1) keeps the values but is still an in-place "
                    "change: compare versions, not values"
                )
            return (
                False,
                message + ". Hint: note the tensor's version when it is saved, and compare "
                "with it when it is unpacked",
            )
        text = got["raised"]
        if "modified by an inplace operation" not in text:
            return False, (
                f"unpack() raised RuntimeError: {describe(text)}; PyTorch's message says the "
                'tensor was "modified by an inplace operation"'
            )
        found = VERSION_TEXT.search(text)
        if not found or found.groups() != (now, then):
            hint = ""
            if found and found.groups() == (then, now):
                hint = ". Hint: you swapped them: first the version now, then the saved one"
            if "VersionCounter object" in text:
                hint = (
                    ". Hint: __init__ kept the counter object, which moves with the tensor; "
                    "keep the number tensor._version instead"
                )
            # the part that differs, quoted: the whole message is cut short by describe
            at = text.find("is at version")
            if found:
                yours = f'says "{found.group(0)}"'
            else:
                yours = f"says {describe(text[at:])}" if at >= 0 else f"is {describe(text)}"
            return False, (
                f'the message should say "is at version {now}; expected version {then} '
                f'instead", yours {yours}{hint}'
            )
        return True, "ok"
    if got["raised"]:
        message = "unpack() raised, but t was not changed in place since it was saved"
        if case["before"] and not ops:
            message += (
                f" (it was already at version {case['before']} when saved). Hint: compare with "
                "the version recorded in __init__, not with 0"
            )
        elif "t.data.mul_(2)" in ops:
            message += (
                ": a change through .data does not move the version counter, so PyTorch does "
                "not notice it (that is why .data is dangerous). Hint: compare versions only"
            )
        elif "u = t + 1" in ops:
            message += ". Hint: t + 1 makes a new tensor; only in-place operations move t's version"
        return False, message
    if not same_values(got["values"], expected["values"]):
        _, message = arrays_close(
            got["values"], expected["values"], what="unpack()'s result", rtol=RTOL, atol=ATOL
        )
        return False, message + (
            ". Hint: unpack() returns the saved tensor itself (it shares memory with "
            "t), not a copy made when it was saved"
        )
    return True, "ok"


SAVED = Check(
    id="ch06.saved_tensor",
    kind=IMPLEMENT,
    points=3,
    reads=("SavedTensor",),
    title="SavedTensor(tensor).unpack()",
    cases=saved_cases,
    probe=saved_probe,
    reference=saved_reference,
    judge=saved_judge,
    rule="a saved tensor remembers its version when saved; unpacking it after an in-place change "
    "(the version moved) raises instead of computing a wrong gradient",
    hint="remember the tensor's version when it is saved, and compare versions (not values) "
    "when it is unpacked",
)

# -- 2. predict: which line raises ------------------------------------------------------------

LINE_PROGRAMS = {
    "a": """\
x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
a = x * 2
y = a * a
a.add_(1)
y.sum().backward()
""",
    "b": """\
x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
a = x * 2
y = a + 1
a.add_(1)
y.sum().backward()
""",
    "c": """\
w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = w.exp()
w.add_(1)
y.sum().backward()
""",
    "d": """\
x = mg.tensor([0.0, 1.0], requires_grad=True)
a = x * 2
y = a.exp()
a.mul_(100)
y.sum().backward()
""",
    "e": """\
x = mg.tensor([0.0, 1.0], requires_grad=True)
y = (x * 2).exp()
y.add_(1)
y.sum().backward()
""",
}


def lines_cases(rng, hidden):
    return [{"label": "the five programs above"}]


def lines_probe(learner, case):
    answers = {name: learner[f"answer_{name}"] for name in ("a", "b", "c", "d", "e")}
    answers["a_versions"] = learner["answer_a_versions"]
    answers["b_grad"] = learner["answer_b_grad"]
    return answers


def lines_reference(case):
    expected = {}
    for name, program in LINE_PROGRAMS.items():
        namespace, line, error = run_program(program)
        expected[name] = line
        if name == "a":
            now, then = VERSION_TEXT.search(str(error)).groups()
            expected["a_versions"] = [int(now), int(then)]
        if name == "b":
            expected["b_grad"] = namespace["x"].grad.tolist()
    return expected


LINE_HINTS = {
    "a": "y = a * a saved a: what does backward find?",
    "b": "what does y = a + 1 need to save for its backward?",
    "c": "w is a leaf that requires grad",
    "d": "exp saves its output, not its input",
    "e": "exp saves its output, and y is that output",
}


def lines_judge(got, expected, case):
    for name in LINE_PROGRAMS:
        have = got[name]
        if have is not None and type(have) is not int:
            return (
                False,
                f"`answer_{name}` is {describe(have)}; write a line number, or None if nothing raises",
            )
        passed, message = answer_value(
            have, expected[name], f"answer_{name}", f"program {name}", hint=LINE_HINTS[name]
        )
        if not passed:
            return False, message
    passed, message = answer_value(
        got["a_versions"],
        expected["a_versions"],
        "answer_a_versions",
        "program a's message",
        hint="(the version now, the version saved), as the message says them",
    )
    if not passed:
        return False, message
    return answer_value(
        got["b_grad"],
        expected["b_grad"],
        "answer_b_grad",
        "program b",
        compare=same_values,
        hint="the derivative of a + 1 does not depend on a's values",
    )


LINES = Check(
    id="ch06.which_line",
    kind=PREDICT,
    points=2,
    reads=(
        "answer_a",
        "answer_b",
        "answer_c",
        "answer_d",
        "answer_e",
        "answer_a_versions",
        "answer_b_grad",
    ),
    title="predict: which line raises",
    cases=lines_cases,
    probe=lines_probe,
    reference=lines_reference,
    judge=lines_judge,
    rule="backward raises only if a tensor some node saved was changed in place (mul saves its "
    "inputs, exp its output, add nothing); an in-place op on a leaf that requires grad raises at once",
    hint="for each program, list what each node saved, then follow the in-place change",
)

# -- 3. predict: _version ---------------------------------------------------------------------

VERSIONS_PROGRAM = """\
t = mg.zeros(4)
v = t[1:]
d = t.detach()
t.add_(1)
v.mul_(2)
d.zero_()
u = t + 1
u.add_(1)
e = t.data
e.add_(1)
with mg.no_grad():
    t.mul_(3)
"""
VERSION_NAMES = ("t", "v", "d", "u", "e")


def versions_cases(rng, hidden):
    return [{"label": "the program above"}]


def versions_probe(learner, case):
    return {"versions": learner["answer_versions"], "t": learner["answer_t"]}


def versions_reference(case):
    namespace, _, error = run_program(VERSIONS_PROGRAM)
    if error is not None:
        raise error
    return {
        "versions": {name: namespace[name]._version for name in VERSION_NAMES},
        "t": namespace["t"].tolist(),
    }


VERSION_HINTS = {
    "v": "a view shares its base's version counter",
    "d": "a detached tensor shares the original's version counter",
    "u": "t + 1 is a new tensor with a counter of its own",
    "e": ".data gets a counter of its own",
    "t": "count every in-place change of t's memory, through any tensor that shares its counter; "
    "no_grad() does not stop the counting",
}


def versions_judge(got, expected, case):
    passed, message = answer_dict(
        got["versions"], expected["versions"], "answer_versions", "the program", hints=VERSION_HINTS
    )
    if not passed:
        return False, message
    return answer_value(
        got["t"],
        expected["t"],
        "answer_t",
        "the program",
        compare=same_values,
        hint="t, v, d and e all see the same memory",
    )


VERSIONS = Check(
    id="ch06.versions",
    kind=PREDICT,
    points=2,
    reads=("answer_versions", "answer_t"),
    title="predict: _version",
    cases=versions_cases,
    probe=versions_probe,
    reference=versions_reference,
    judge=versions_judge,
    rule="every in-place change adds 1 to the version counter, which views and detached tensors "
    "share with their base, also under no_grad(); .data and out-of-place results get their own",
    hint="draw the counters as boxes and connect each name to its box",
)

# -- 4. find the bug: exp's output changed in place --------------------------------------------


def smooth_cases(rng, hidden):
    sizes = [3] if not hidden else [5, 1]
    return [
        {
            "ws": numbers(rng, n),
            "xs": numbers(rng, n, -2, 2),
            "cs": numbers(rng, n, 0, 3),
            "label": f"{n} classes",
        }
        for n in sizes
    ]


def smooth_probe(learner, case):
    try:
        return {
            "grad": learner["smoothed_grad"](list(case["ws"]), list(case["xs"]), list(case["cs"]))
        }
    except NotImplementedError:
        raise  # a stub: the check says "not implemented yet"
    except RuntimeError as error:  # the version error is what this exercise is about
        return {"raised": str(error)}


def smooth_reference(case, saved_is_smoothed=False):
    """loss = sum(p c), p = e / sum(e), e = exp(w x) + 1.

    dloss/de_j = (c_j - loss) / S with S = sum(e); de_j/dw_j = exp(w_j x_j) x_j.  With
    ``saved_is_smoothed`` ExpBackward0 multiplies by the changed e (the .data mistake).
    """
    w, x, c = (np.array(case[k], dtype=float) for k in ("ws", "xs", "cs"))
    exp = np.exp(w * x)
    e = exp + 1
    total = e.sum()
    loss = (e / total * c).sum()
    return {"grad": (c - loss) / total * (e if saved_is_smoothed else exp) * x}


def smooth_judge(got, expected, case):
    if "raised" in got:
        message = f"your function raised RuntimeError: {error_text(got['raised'])}"
        if "modified by an inplace operation" in str(got["raised"]):
            message += (
                " (exp saved its output e for backward, and e was still changed in place; "
                "no_grad() does not stop the version counter). Hint: smooth with an "
                "out-of-place addition, which makes a new tensor and leaves exp's output alone"
            )
        elif "does not require grad" in str(got["raised"]):
            message += (
                " (the loss no longer depends on w through the graph). Hint: detaching e cut the "
                "path to w; make a new tensor with an out-of-place addition instead"
            )
        return False, message
    grad = got.get("grad")
    if grad is None:
        return False, (
            "w.grad is None: no gradient reached w. Hint: detaching e cut the graph; "
            "make a new tensor with an out-of-place addition instead"
        )
    passed, message = arrays_close(grad, expected["grad"], what="w.grad", rtol=RTOL, atol=ATOL)
    if not passed and same_values(grad, smooth_reference(case, saved_is_smoothed=True)["grad"]):
        message += (
            ". Hint: that is the silently wrong gradient: ExpBackward0 used the smoothed e as "
            "exp(w x); a change through .data hides from the version check but not from backward"
        )
    elif not passed and same_values(grad, _unsmoothed_grad(case)):
        message += (
            ". Hint: that is the gradient of the program without its add-one smoothing; keep "
            "the smoothing (it changes p), and make it an out-of-place addition"
        )
    return passed, message


def _unsmoothed_grad(case):
    """The gradient of a plain softmax (the smoothing dropped, or moved inside the exp)."""
    w, x, c = (np.array(case[k], dtype=float) for k in ("ws", "xs", "cs"))
    e = np.exp(w * x)
    total = e.sum()
    loss = (e / total * c).sum()
    return ((c - loss) / total * e * x).tolist()


SMOOTH = Check(
    id="ch06.smoothed_grad",
    kind=FIND_THE_BUG,
    points=2,
    reads=("smoothed_grad",),
    title="find the bug: smoothed_grad(ws, xs, cs)",
    cases=smooth_cases,
    probe=smooth_probe,
    reference=smooth_reference,
    judge=smooth_judge,
    rule="exp saves its output for backward; changing that output in place moves its version, and "
    "backward refuses to use it",
    hint="use an out-of-place operation for the smoothing, so the saved tensor stays as it was",
)

# -- 5. find the bug: the naive pipeline --------------------------------------------------------------


def pipeline_cases(rng, hidden):
    plans = [(2, 1, 2, 2)] if not hidden else [(3, 2, 3, 4), (2, 3, 2, 1)]
    cases = []
    for n_batches, rows, d_in, d_hidden in plans:
        cases.append(
            {
                "W1": numbers(rng, (d_in, d_hidden)),
                "W2": numbers(rng, (d_hidden, 1)),
                "batches": [
                    [numbers(rng, (rows, d_in), -2, 2), numbers(rng, (rows, 1))]
                    for _ in range(n_batches)
                ],
                "lr": 0.1,
                "label": f"{n_batches} micro-batches of {rows} row(s), W1 {shape_text((d_in, d_hidden))}",
            }
        )
    return cases


def pipeline_probe(learner, case):
    batches = [(x, y) for x, y in case["batches"]]
    try:
        result = learner["train_pipeline"](case["W1"], case["W2"], batches, case["lr"])
    except NotImplementedError:
        raise  # a stub: the check says "not implemented yet"
    except RuntimeError as error:  # the version error is what this exercise is about
        return {"raised": str(error)}
    if type(result) not in (tuple, list) or len(result) != 2:
        return {"not a pair": True}
    return list(result)


def _grads(W1, W2, x, y, W2_backward=None):
    """Gradients of sum((tanh(x W1) W2 - y)^2); ``W2_backward`` is the W2 backward finds saved."""
    h = np.tanh(x @ W1)
    d_out = 2 * (h @ W2 - y)
    d_h = d_out @ (W2 if W2_backward is None else W2_backward).T
    return x.T @ (d_h * (1 - h**2)), h.T @ d_out


def pipeline_reference(case, mode="delayed"):
    """``delayed``: every backward at the starting weights, then one step with the summed gradient.

    ``sequential``: forward, backward and step per micro-batch (plain SGD, not a pipeline).
    ``data``: the buggy schedule with the update made invisible to the version check (the
    pending backward then uses the new W2, silently).
    """
    W1, W2 = np.array(case["W1"], dtype=float), np.array(case["W2"], dtype=float)
    batches = [(np.array(x, dtype=float), np.array(y, dtype=float)) for x, y in case["batches"]]
    lr = case["lr"]
    if mode == "delayed":
        grads = [_grads(W1, W2, x, y) for x, y in batches]
        return [W1 - lr * sum(g[0] for g in grads), W2 - lr * sum(g[1] for g in grads)]
    if mode == "sequential":
        for x, y in batches:
            g1, g2 = _grads(W1, W2, x, y)
            W1, W2 = W1 - lr * g1, W2 - lr * g2
        return [W1, W2]
    start = (W1.copy(), W2.copy())
    for x, y in reversed(batches):
        g1, g2 = _grads(*start, x, y, W2_backward=W2)
        W1, W2 = W1 - lr * g1, W2 - lr * g2
    return [W1, W2]


def pipeline_judge(got, expected, case):
    if isinstance(got, dict) and isinstance(got.get("raised"), str):
        message = f"your function raised RuntimeError: {error_text(got['raised'])}"
        if "modified by an inplace operation" in got["raised"]:
            message += (
                " (a weight that a pending backward saved was updated in place before that "
                "backward ran). Hint: run every pending backward first, then update once"
            )
        return False, message
    if not isinstance(got, list):
        return False, "train_pipeline must return the pair (W1, W2)"
    for i, name in enumerate(("W1", "W2")):
        passed, message = arrays_close(
            got[i], expected[i], what=f"the trained {name}", rtol=RTOL, atol=ATOL
        )
        if passed:
            continue
        if all(same_values(got[j], pipeline_reference(case, "sequential")[j]) for j in range(2)):
            message += (
                ". Hint: that is plain SGD, one micro-batch after the other; in the pipeline every "
                "forward runs first, so each gradient must be computed at the weights its forward used"
            )
        elif all(same_values(got[j], pipeline_reference(case, "data")[j]) for j in range(2)):
            message += (
                ". Hint: the update was hidden from the version check (.data?), so a pending "
                "backward used the new W2 with activations computed from the old one"
            )
        return False, message
    return True, "ok"


PIPELINE = Check(
    id="ch06.pipeline",
    kind=FIND_THE_BUG,
    points=2,
    reads=("train_pipeline",),
    title="find the bug: train_pipeline(W1, W2, batches, lr)",
    cases=pipeline_cases,
    probe=pipeline_probe,
    reference=pipeline_reference,
    judge=pipeline_judge,
    rule="a pending backward needs the weights its forward saved; updating them in place first moves "
    "their version and backward refuses",
    hint="run every pending backward first (the gradients add up in .grad), then update once",
)

# -- 6. the version bump, a piece of your engine ----------------------------------------

SAVED = with_piece(SAVED, "ch06.SavedTensor")
BUMP = piece_check("ch06.bump_version", 2, hint="the counter is shared by every view of the memory")

CHECKS = [SAVED, LINES, VERSIONS, SMOOTH, PIPELINE, BUMP]
