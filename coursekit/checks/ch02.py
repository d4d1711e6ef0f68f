"""Checks for chapter 02, backward (solutions/ch02_backward.ipynb).

1. predict the gradients of a small expression;
2. implement ``div_backward(grad, a, b)``, the local rule of division
   (seed item s004-own-backward), then use it as a node's backward;
3. predict which tensors each node saves for backward (seed item s004-ctx-saves);
4. implement ``topological_order(root)`` without recursion;
5. find the bug: a backward loop that overwrites gradients instead of adding them;
6. implement ``run_backward(root, grad)``, the backward loop of your engine (exercise 4 and
   this one are pieces of your engine: ``piece.py``).
"""

import math
from collections import Counter

import numpy as np

from coursekit.checks import FIND_THE_BUG, IMPLEMENT, PREDICT, Check
from coursekit.checks.ch01 import build_scalars, spec, spec_graph, spec_text
from coursekit.checks.judges import prediction
from coursekit.checks.messages import describe, number_text
from coursekit.checks.piece import piece_check, with_piece


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _close(have, want, tol=1e-9):
    return _number(have) and math.isclose(have, want, rel_tol=tol, abs_tol=1e-12)


# -- 1. predict: gradients of a small expression --------------------------------------


def chain_cases(rng, hidden):
    return [{"label": "a = 2, b = 3; c = a + b; d = a * c; L = d * b; L.backward()"}]


def chain_probe(learner, case):
    import minigrad as mg

    def plain(value):
        return value.tolist() if isinstance(value, (mg.Tensor, np.ndarray)) else value

    return [plain(learner["answer_a_grad"]), plain(learner["answer_b_grad"])]


def chain_reference(case):
    import minigrad as mg

    a = mg.Scalar(2.0, requires_grad=True)
    b = mg.Scalar(3.0, requires_grad=True)
    c = a + b
    d = a * c
    L = d * b
    L.backward()
    return [a.grad, b.grad]


def chain_judge(got, expected, case):
    for name, have, want in zip(("answer_a_grad", "answer_b_grad"), got, expected):
        if _close(have, want):
            continue
        message = prediction(have, want, what=f"`{name}`", program=f"{name[7]}.grad")[1]
        if name == "answer_a_grad" and _number(have) and _close(have, 15.0):
            # b * c alone: the path a -> d, without the path a -> c -> d
            message += (
                ". Hint: a reaches L along two paths (directly into d, and through c); add both"
            )
        return False, message
    return True, "ok"


CHAIN = Check(
    id="ch02.chain_rule",
    kind=PREDICT,
    points=2,
    reads=("answer_a_grad", "answer_b_grad"),
    title="predict: the gradients of L = a * (a + b) * b",
    cases=chain_cases,
    probe=chain_probe,
    reference=chain_reference,
    judge=chain_judge,
    rule="multiply local derivatives along each path from L to a leaf, and add over the paths",
    hint="write dL/dd, then dL/dc, then add the contributions that reach a and b",
)

# -- 2. implement div_backward ------------------------------------------------------------


def div_cases(rng, hidden):
    def nonzero():
        return round(float(rng.choice([-1, 1]) * rng.uniform(0.5, 3)), 2)

    # x / y, and x / x: one input used twice, whose two gradients the engine adds up.
    n, same = (3, [False, False, True]) if not hidden else (4, [False, True, False, False])
    cases = []
    for i in range(n):
        a, b, g = nonzero(), nonzero(), nonzero()
        if same[i]:
            b = a
        program = "q = x / x" if same[i] else f"q = x / y with x = {a}, y = {b}"
        cases.append(
            {
                "a": a,
                "b": b,
                "g": g,
                "same": same[i],
                "label": f"{program}, gradient {g} arriving at q",
            }
        )
    return cases


def div_probe(learner, case):
    import minigrad as mg
    from minigrad import scalar

    div_backward = learner["div_backward"]
    a, b, g = case["a"], case["b"], case["g"]
    direct = div_backward(g, a, b)
    if type(direct) not in (tuple, list) or len(direct) != 2:
        return {"returned": type(direct).__name__}
    # Use it: the learner's rule as the backward of a recorded division node.
    x = mg.Scalar(a, requires_grad=True)
    y = x if case["same"] else mg.Scalar(b, requires_grad=True)

    class LearnersDiv(scalar.Function):
        node_name = "DivBackward0"

        def forward(ctx, a, b):
            return a / b

        def backward(ctx, grad):
            return tuple(div_backward(grad, x.data, y.data))

    q = LearnersDiv.apply(x, y)
    (q * g).backward()
    return {"direct": list(direct), "x.grad": x.grad, "y.grad": None if case["same"] else y.grad}


def div_reference(case):
    import minigrad as mg

    a, b, g = case["a"], case["b"], case["g"]
    x = mg.Scalar(a, requires_grad=True)
    y = x if case["same"] else mg.Scalar(b, requires_grad=True)
    ((x / y) * g).backward()  # minigrad's own DivBackward0
    return {
        "direct": [g / b, -g * a / b**2],
        "x.grad": x.grad,
        "y.grad": None if case["same"] else y.grad,
    }


def _div_hint(which, have, case):
    a, b, g = case["a"], case["b"], case["g"]
    right = g / b if which == "grad_a" else -g * a / b**2
    if _close(have, -right):
        return "check the sign" + (
            "" if which == "grad_a" else ": the derivative of 1 / b is -1 / b**2"
        )
    if _close(have, right / g):
        return "multiply by the gradient that arrives, grad"
    if which == "grad_b" and _close(have, -g / b**2):
        return "the a is missing: a / b is a times 1 / b, and a stays as a factor"
    if which == "grad_b" and (_close(have, -g * a / b) or _close(have, g * a / b)):
        return "b is squared there: the derivative of 1 / b is -1 / b**2"
    return ""


def div_judge(got, expected, case):
    if "returned" in got:
        return (
            False,
            f"div_backward must return a pair (grad_a, grad_b), it returned a {got['returned']}",
        )
    direct = got["direct"]
    want = expected["direct"]
    if (
        all(_number(v) for v in direct)
        and _close(direct[0], want[1])
        and _close(direct[1], want[0])
    ):
        return (
            False,
            "the two gradients are swapped. Hint: return (grad_a, grad_b), in the order of the inputs",
        )
    for which, have, right in zip(("grad_a", "grad_b"), direct, want):
        if _close(have, right):
            continue
        message = f"{which} is {describe(have)}, expected {number_text(right)}"
        hint = _div_hint(which, have, case) if _number(have) else ""
        return False, message + (f". Hint: {hint}" if hint else "")
    for name in ("x.grad", "y.grad"):
        if expected[name] is not None and not _close(got[name], expected[name]):
            return False, (
                f"used as the backward of a division node, it gives {name} = "
                f"{describe(got[name])}, expected {number_text(expected[name])}"
            )
    return True, "ok"


DIV_BACKWARD = Check(
    id="ch02.div_backward",
    kind=IMPLEMENT,
    points=3,
    reads=("div_backward",),
    title="div_backward(grad, a, b)",
    cases=div_cases,
    probe=div_probe,
    reference=div_reference,
    judge=div_judge,
    rule="each operation has its own backward: the gradient arriving at q = a / b is multiplied "
    "by dq/da for a and by dq/db for b",
    hint="differentiate a / b with respect to a (b fixed) and to b (a fixed), then multiply each by grad",
)

# -- 3. predict: what each node saves ------------------------------------------------------

SAVED_ANSWERS = ("answer_p", "answer_q", "answer_r", "answer_s")
SAVED_PROGRAMS = {
    "answer_p": "p = x * w",
    "answer_q": "q = x * k",
    "answer_r": "r = x + w",
    "answer_s": "s = x.exp()",
}


def saved_cases(rng, hidden):
    return [
        {"label": "x and w require grad, k does not; p = x * w, q = x * k, r = x + w, s = x.exp()"}
    ]


def saved_probe(learner, case):
    out = []
    for name in ("answer_p", "answer_q", "answer_r", "answer_s"):
        value = learner[name]
        if type(value) in (list, tuple, set) and all(type(v) is str for v in value):
            value = sorted(value)  # the order of the names does not matter
        out.append(value)
    return out


def saved_reference(case):
    import minigrad as mg

    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    k = mg.tensor([3.0, 4.0])
    answers = []
    for y in (x * w, x * k, x + w, x.exp()):
        node = y.grad_fn
        answers.append(
            sorted(
                name
                for name in dir(node)
                if name.startswith("_saved_") and isinstance(getattr(node, name), mg.Tensor)
            )
        )
    return answers


def _saved_names(value):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return value
    return sorted(v if v.startswith("_saved_") else "_saved_" + v for v in value)


def saved_judge(got, expected, case):
    for name, have, want in zip(SAVED_ANSWERS, got, expected):
        if not isinstance(have, list):
            return (
                False,
                f"`{name}` is {describe(have)}; answer with a list of names like ['_saved_self']",
            )
        program = f"the node of {SAVED_PROGRAMS[name]}"
        passed, message = prediction(
            _saved_names(have), want, what=f"`{name}`", program=program, ordered=False
        )
        if passed:
            continue
        if name == "answer_q" and _saved_names(have) == ["_saved_other", "_saved_self"]:
            message += (
                ". Hint: k does not require grad, so nobody will ask for k's gradient, the "
                "one that needs x"
            )
        elif name == "answer_s" and _saved_names(have) == ["_saved_self"]:
            message += (
                ". Hint: the derivative of exp(x) is exp(x) itself, which the node already computed"
            )
        elif name == "answer_r" and have:
            message += (
                ". Hint: the gradient of a + b is grad for both inputs, whatever their values"
            )
        return False, message
    return True, "ok"


SAVED = Check(
    id="ch02.saved_tensors",
    kind=PREDICT,
    points=2,
    reads=SAVED_ANSWERS,
    title="predict: what each node saves for backward",
    cases=saved_cases,
    probe=saved_probe,
    reference=saved_reference,
    judge=saved_judge,
    rule=(
        "a node saves exactly what its backward formula will need: some inputs (self, other) "
        "or its output (result), and nothing when the formula needs no values"
    ),
    hint="write each input's gradient formula and list the values it uses",
)

# -- 4. implement topological_order ----------------------------------------------------------

DEPTH = 5000  # deeper than Python's recursion limit (1000; 3000 in IPython)


def topo_cases(rng, hidden):
    def leaf(name, rg=True):
        return [name, round(float(rng.uniform(-1, 1)), 2), rg]

    # The same graphs in the notebook and in grading (with other leaf values).
    specs = [
        spec(
            [leaf("a"), leaf("b")],
            [["c", "mul", "a", "b"], ["d", "add", "c", "a"], ["L", "square", "d"]],
        ),
        spec(
            [leaf("a"), leaf("b", False)],
            [["c", "mul", "a", "b"], ["d", "tanh", "c"], ["e", "exp", "d"], ["f", "add", "e", "c"]],
        ),
        spec([leaf("x")], [["y", "mul", "x", "x"]]),
        spec(
            [leaf("a"), leaf("b"), leaf("k", False)],
            [
                ["c", "add", "a", "b"],
                ["d", "mul", "c", "k"],
                ["e", "tanh", "d"],
                ["f", "exp", "e"],
                ["g", "mul", "f", "c"],
                ["h", "sub", "g", "a"],
                ["i", "add", "h", "e"],
            ],
        ),
        spec(
            [leaf("u"), leaf("v"), leaf("w")],
            [
                ["p", "mul", "u", "v"],
                ["q", "mul", "v", "w"],
                ["r", "add", "p", "q"],
                ["s", "relu", "r"],
                ["t", "mul", "s", "v"],
            ],
        ),
    ]
    cases = [dict(s, label=f"the graph of {spec_text(s)}") for s in specs]
    chain = spec(
        [leaf("x"), ["k", 1.0, False]],
        [["y1", "mul", "x", "k"]]
        + [[f"y{i}", "mul", f"y{i - 1}", "k"] for i in range(2, DEPTH + 1)],
    )
    cases.append(dict(chain, label=f"a chain of {DEPTH} multiplications, y = x * k * k * ... * k"))
    return cases


def topo_probe(learner, case):
    if "piece" in case:  # the cases of the piece of your engine (coursekit/checks/piece.py)
        from coursekit.checks.piece import piece_probe

        return piece_probe(learner, case)
    import minigrad as mg

    values = {name: mg.Scalar(value, requires_grad=rg) for name, value, rg in case["leaves"]}
    for out, op, *args in case["ops"]:
        xs = [values[a] for a in args]
        if op == "mul":
            values[out] = xs[0] * xs[1]
        elif op == "add":
            values[out] = xs[0] + xs[1]
        elif op == "sub":
            values[out] = xs[0] - xs[1]
        elif op == "square":
            values[out] = xs[0] ** 2
        else:
            values[out] = getattr(xs[0], op)()
    # Name every node, to report the learner's order as data.
    leaf_names = {id(v): n for n, v in values.items()}
    label = {}
    for name, value in values.items():
        node = value.grad_fn
        if node is None:
            continue
        label[id(node)] = node.name() + "(" + name + ")"
        for child, _ in node.next_functions:
            if child is not None and getattr(child, "variable", None) is not None:
                label[id(child)] = "AccumulateGrad(" + leaf_names[id(child.variable)] + ")"
    order = learner["topological_order"](values[case["output"]].grad_fn)
    if type(order) not in (list, tuple):
        return {"returned": type(order).__name__}
    return [label.get(id(node), f"not a node: a {type(node).__name__}") for node in order]


def topo_reference(case):
    graph = spec_graph(case)
    return {"nodes": graph["nodes"], "edges": graph["edges"]}


def topo_judge(got, expected, case):
    if isinstance(got, dict):
        return (
            False,
            f"topological_order must return a list of nodes, it returned a {got.get('returned')}",
        )
    if not isinstance(got, list):
        return False, "topological_order must return a list of nodes"
    strangers = [item for item in got if isinstance(item, str) and item.startswith("not a node")]
    if strangers:
        kind = strangers[0].removeprefix("not a node: a ")
        return False, (
            f"the list holds a {kind}, which is not a node of this graph: list the nodes "
            "themselves (root and what next_functions leads to), not their names, "
            "(node, index) pairs or the Scalars"
        )
    counts = Counter(got)
    repeated = [n for n in got if counts[n] > 1]
    if repeated:
        return False, (
            f"{repeated[0]} appears {counts[repeated[0]]} times; each node must appear once. "
            "Hint: a node reached along two paths is still one node: keep a set of visited nodes"
        )
    missing = [n for n in expected["nodes"] if n not in counts]
    if missing:
        return False, (
            f"{len(missing)} of the {len(expected['nodes'])} nodes are missing, "
            f"e.g. {missing[0]}. Hint: include the root and the leaves' AccumulateGrad nodes"
        )
    position = {n: i for i, n in enumerate(got)}
    late = [(s, r) for s, r in expected["edges"] if position[s] > position[r]]
    if not late:
        return True, "ok"
    sender, receiver = late[0]
    message = (
        f"{receiver} comes before {sender}, but {sender} sends its gradient to {receiver}: "
        "a node must come before every node it sends gradients to"
    )
    if len(late) == len(expected["edges"]):
        message += (
            ". Hint: your list is exactly backwards: a depth-first search finishes a node "
            "after its inputs, so reverse that list"
        )
    return False, message


TOPOLOGICAL_ORDER = Check(  # with_piece: also checked as the piece of your engine, below
    id="ch02.topological_order",
    kind=IMPLEMENT,
    points=4,
    reads=("topological_order",),
    title="topological_order(root)",
    cases=topo_cases,
    probe=topo_probe,
    reference=topo_reference,
    judge=topo_judge,
    rule=(
        "backward runs each node once, after every node that sends it a gradient; graphs can be "
        "deeper than Python's recursion limit"
    ),
    hint=(
        "walk depth first with a list as the stack instead of recursion: a node is finished once "
        "everything it leads to is finished, and the finishing order, reversed, is the answer"
    ),
)

# -- 5. find the bug: gradients overwritten instead of added -------------------------------


def run_backward_cases(rng, hidden):
    def leaf(name, rg=True):
        return [name, round(float(rng.choice([-1, 1]) * rng.uniform(0.5, 2)), 2), rg]

    # The same graphs in the notebook and in grading (with other leaf values): every one has
    # a node that receives gradients along two paths.
    specs = [
        spec(
            [leaf("a"), leaf("b")],
            [["c", "mul", "a", "b"], ["d", "add", "c", "a"], ["L", "square", "d"]],
        ),
        spec(
            [leaf("a"), leaf("b")],
            [["c", "mul", "a", "b"], ["d", "add", "c", "a"], ["e", "mul", "d", "c"]],
        ),
        spec([leaf("x")], [["y", "mul", "x", "x"], ["z", "tanh", "y"]]),
        spec(
            [leaf("a"), leaf("b"), leaf("k", False)],
            [
                ["c", "add", "a", "b"],
                ["d", "mul", "c", "k"],
                ["e", "tanh", "d"],
                ["g", "mul", "e", "c"],
                ["h", "sub", "g", "a"],
            ],
        ),
        spec(
            [leaf("u"), leaf("v")],
            [
                ["p", "mul", "u", "v"],
                ["q", "add", "p", "p"],
                ["r", "mul", "q", "v"],
                ["s", "add", "r", "u"],
            ],
        ),
    ]
    return [dict(s, label=f"the graph of {spec_text(s)}") for s in specs]


def run_backward_probe(learner, case):
    import minigrad as mg

    values = {name: mg.Scalar(value, requires_grad=rg) for name, value, rg in case["leaves"]}
    for out, op, *args in case["ops"]:
        xs = [values[a] for a in args]
        if op == "mul":
            values[out] = xs[0] * xs[1]
        elif op == "add":
            values[out] = xs[0] + xs[1]
        elif op == "sub":
            values[out] = xs[0] - xs[1]
        elif op == "square":
            values[out] = xs[0] ** 2
        else:
            values[out] = getattr(xs[0], op)()
    learner["backward_loop"](values[case["output"]])
    return {name: values[name].grad for name, _, rg in case["leaves"] if rg}


def run_backward_reference(case, overwrite=False):
    values = build_scalars(case)
    output = values[case["output"]]
    if not overwrite:
        output.backward()
    else:  # the buggy loop of the exercise, for recognising it
        from minigrad.scalar import ScalarAccumulateGrad, topological_order

        grads = {output.grad_fn: 1.0}
        for node in topological_order(output.grad_fn):
            grad = grads.pop(node, None)
            if grad is None:
                continue
            if isinstance(node, ScalarAccumulateGrad):
                leaf = node.variable
                leaf.grad = grad if leaf.grad is None else leaf.grad + grad
                continue
            for (child, _), child_grad in zip(node.next_functions, node.backward_fn(grad)):
                if child is not None:
                    grads[child] = child_grad
    return {name: values[name].grad for name, _, rg in case["leaves"] if rg}


def run_backward_judge(got, expected, case):
    if not isinstance(got, dict):
        return False, "the check could not read the leaves' gradients"
    for name, want in expected.items():
        have = got.get(name)
        if _close(have, want):
            continue
        message = f"{name}.grad is {describe(have)}, expected {number_text(want)}"
        buggy = run_backward_reference(case, overwrite=True)
        if _close(have, buggy[name]):
            message += (
                ". Hint: this is what the buggy loop gives: when a second gradient reaches "
                "a node, it replaces the first instead of adding to it"
            )
        return False, message
    return True, "ok"


RUN_BACKWARD = Check(
    id="ch02.backward_loop",
    kind=FIND_THE_BUG,
    points=2,
    reads=("backward_loop",),
    title="find the bug: backward_loop(output)",
    cases=run_backward_cases,
    probe=run_backward_probe,
    reference=run_backward_reference,
    judge=run_backward_judge,
    rule="a node that receives gradients along several paths gets their sum",
    hint="find the line where a gradient is stored for a child node, and what happens when one is already there",
)

# -- 6. the backward loop of your engine --------------------------------------------------

RUN_BACKWARD_PIECE = piece_check(
    "ch02.run_backward",
    4,
    hint="keep a dict node -> the sum of the gradients sent to it so far; walk the nodes in "
    "topological_order(root), so that a node runs once, after every gradient into it arrived",
)
TOPOLOGICAL_ORDER = with_piece(TOPOLOGICAL_ORDER, "ch02.topological_order")

CHECKS = [CHAIN, DIV_BACKWARD, SAVED, TOPOLOGICAL_ORDER, RUN_BACKWARD, RUN_BACKWARD_PIECE]
