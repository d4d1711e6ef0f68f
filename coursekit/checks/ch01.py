"""Checks for chapter 01, the graph (solutions/ch01_graph.ipynb).

1. predict ``grad_fn`` names, ``is_leaf`` and ``next_functions`` of a small program;
2. predict how ``requires_grad`` flows forward (seed item s004-requires-grad-flows);
3. find the bug: a parameter created without ``requires_grad=True``;
4. predict how many nodes a program records: the graph is a DAG (seed item s001-graph-dag);
5-7. implement ``Add``, ``Mul``, ``Tanh``: the first pieces of your engine (``piece.py``).
   (``Add``, ``Mul`` and ``Tanh`` are the operations you write: an earlier ``scalar_sin``
   exercise, one more operation of the same kind, was retired for them.)

The graph specs and their reference helpers at the end of this module are
shared with chapter 02's checks.
"""

import math

from coursekit.checks import FIND_THE_BUG, PREDICT, Check
from coursekit.checks.judges import prediction
from coursekit.checks.messages import describe, number_text
from coursekit.checks.piece import piece_check

# -- graph specs: small Scalar programs written as data ---------------------------
#
# A spec is plain data: leaves ``[name, value, requires_grad]`` and ops
# ``[output, op, *inputs]``.  Probes build the Scalars from it in the learner's
# kernel; the reference side derives the graph from the spec alone, without
# minigrad: which values require grad, their nodes, and the edges between them.

BACKWARD_NAMES = {
    "mul": "MulBackward0",
    "add": "AddBackward0",
    "sub": "SubBackward0",
    "tanh": "TanhBackward0",
    "exp": "ExpBackward0",
    "square": "PowBackward0",
    "relu": "ReluBackward0",
}


def spec_requires_grad(spec) -> dict:
    """name -> requires_grad, by the rule: an op requires grad if any input does."""
    requires = {name: bool(rg) for name, _, rg in spec["leaves"]}
    for out, _, *args in spec["ops"]:
        requires[out] = any(requires[a] for a in args)
    return requires


def spec_labels(spec) -> dict:
    """name -> how a probe names that value's node (values without a node are left out)."""
    requires = spec_requires_grad(spec)
    ops = {out: op for out, op, *_ in spec["ops"]}
    return {
        name: f"{BACKWARD_NAMES[ops[name]]}({name})" if name in ops else f"AccumulateGrad({name})"
        for name, rg in requires.items()
        if rg
    }


def spec_graph(spec) -> dict:
    """The nodes reachable from the output's node, and the edges between them.

    ``edges`` lists ``[sender, receiver]``: the sender passes a gradient to the
    receiver, so it must run first.  ``none_edges`` counts the ``(None, 0)``
    entries of the reachable nodes' next_functions.
    """
    labels = spec_labels(spec)
    inputs = {out: args for out, _, *args in spec["ops"]}
    root = spec["output"]
    seen, stack, edges, none_edges = {root}, [root], [], 0
    while stack:
        name = stack.pop()
        for arg in inputs.get(name, ()):
            if arg not in labels:
                none_edges += 1
                continue
            edges.append([labels[name], labels[arg]])
            if arg not in seen:
                seen.add(arg)
                stack.append(arg)
    return {"nodes": sorted(labels[n] for n in seen), "edges": edges, "none_edges": none_edges}


def spec_paths(spec) -> int:
    """How many nodes a walk *without* a visited set would count (one per path)."""
    requires = spec_requires_grad(spec)
    memo = {}
    for name, *_ in spec["leaves"]:
        memo[name] = 1
    for out, _, *args in spec["ops"]:
        memo[out] = 1 + sum(memo[a] for a in args if requires[a])
    return memo[spec["output"]]


def spec_text(spec) -> str:
    """The spec as the program it stands for, e.g. ``c = a * b; d = c.tanh()``."""
    forms = {
        "mul": "{} * {}",
        "add": "{} + {}",
        "sub": "{} - {}",
        "tanh": "{}.tanh()",
        "exp": "{}.exp()",
        "square": "{} ** 2",
        "relu": "{}.relu()",
    }
    return "; ".join(f"{out} = {forms[op].format(*args)}" for out, op, *args in spec["ops"])


def apply_op(op, xs):
    """One op of a spec on Scalars (or 0-d tensors): what the probes' if-chains do."""
    if op == "mul":
        return xs[0] * xs[1]
    if op == "add":
        return xs[0] + xs[1]
    if op == "sub":
        return xs[0] - xs[1]
    if op == "square":
        return xs[0] ** 2
    return getattr(xs[0], op)()  # tanh, exp, relu


def build_scalars(spec) -> dict:
    """The spec run with minigrad.Scalar (the reference side's copy of the probes' loop)."""
    import minigrad as mg

    values = {name: mg.Scalar(value, requires_grad=rg) for name, value, rg in spec["leaves"]}
    for out, op, *args in spec["ops"]:
        values[out] = apply_op(op, [values[a] for a in args])
    return values


def spec(leaves, ops, output=None):
    return {
        "leaves": [list(leaf) for leaf in leaves],
        "ops": [list(op) for op in ops],
        "output": output or ops[-1][0],
    }


def short_name(name):
    """'minigrad::autograd::AccumulateGrad' -> 'AccumulateGrad' (strings only)."""
    return name.rsplit("::", 1)[-1] if isinstance(name, str) else name


# -- 1. predict: names, leaves, edges ------------------------------------------------

GRAPH_PROGRAM = (
    "a = mg.Scalar(2.0, requires_grad=True); b = mg.Scalar(3.0); c = a * b; d = c + a; e = d.tanh()"
)
GRAPH_ANSWERS = (
    "answer_e_grad_fn",
    "answer_b_is_leaf",
    "answer_c_next",
    "answer_d_next",
    "answer_a_grad",
)


def graph_cases(rng, hidden):
    return [{"label": "the program c = a * b; d = c + a; e = d.tanh()"}]


def graph_probe(learner, case):
    return [
        learner[name]
        for name in (
            "answer_e_grad_fn",
            "answer_b_is_leaf",
            "answer_c_next",
            "answer_d_next",
            "answer_a_grad",
        )
    ]


def _edge_names(node):
    return [short_name(fn.name()) if fn is not None else None for fn, _ in node.next_functions]


def graph_reference(case):
    import minigrad as mg

    a = mg.Scalar(2.0, requires_grad=True)
    b = mg.Scalar(3.0)
    c = a * b
    d = c + a
    e = d.tanh()
    return [e.grad_fn.name(), b.is_leaf, _edge_names(c.grad_fn), _edge_names(d.grad_fn), a.grad]


def _names_answer(value):
    """Accept names with a namespace and (name, 0) pairs as written by edge_names."""
    if not isinstance(value, list):
        return short_name(value)
    out = []
    for item in value:
        if isinstance(item, list) and len(item) == 2 and type(item[1]) is int:
            item = item[0]
        out.append(short_name(item))
    return out


def graph_judge(got, expected, case):
    programs = (
        "e.grad_fn.name()",
        "b.is_leaf",
        "c.grad_fn.next_functions",
        "d.grad_fn.next_functions",
        "a.grad before any backward()",
    )
    for name, program, have, want in zip(GRAPH_ANSWERS, programs, got, expected):
        passed, message = prediction(_names_answer(have), want, what=f"`{name}`", program=program)
        if passed:
            continue
        if name.endswith("_next") and isinstance(have, list) and len(have) != len(want):
            message += f". Hint: next_functions has one entry per input of the operation ({len(want)} here)"
        elif (
            name.endswith("_next") and isinstance(have, list) and None not in have and None in want
        ):
            message += ". Hint: an input that does not require grad still has its entry: (None, 0)"
        elif (
            name == "answer_e_grad_fn" and isinstance(have, str) and not have.endswith("Backward0")
        ):
            message += (
                ". Hint: a node is named after the backward of its operation, like MulBackward0"
            )
        elif name == "answer_b_is_leaf" and have is False:
            message += (
                ". Hint: a leaf is any value you created yourself, whether it requires grad or not"
            )
        return False, message
    return True, "ok"


GRAPH_NAMES = Check(
    id="ch01.graph_names",
    kind=PREDICT,
    points=2,
    reads=GRAPH_ANSWERS,
    title="predict: grad_fn names, leaves and edges",
    cases=graph_cases,
    probe=graph_probe,
    reference=graph_reference,
    judge=graph_judge,
    rule=(
        "a result's grad_fn is named after its operation's backward; next_functions has one "
        "(node, 0) per input: AccumulateGrad for a leaf that requires grad, the input's grad_fn "
        "for a result, None otherwise"
    ),
    hint="draw the graph on paper: one box per operation, one arrow per input",
)

# -- 2. predict: requires_grad flows forward ----------------------------------------

FLOW_ANSWERS = ("answer_h", "answer_y", "answer_z", "answer_u", "answer_v")


def flow_cases(rng, hidden):
    return [
        {
            "label": "the program h = x * 3 - 1; y = h * w; z = y.relu() + x; u = (x + h).exp(); "
            "v = w * 2 under no_grad"
        }
    ]


def flow_probe(learner, case):
    return [learner[name] for name in ("answer_h", "answer_y", "answer_z", "answer_u", "answer_v")]


def flow_reference(case):
    import minigrad as mg

    w = mg.Scalar(0.5, requires_grad=True)
    x = mg.Scalar(4.0)
    h = x * 3 - 1
    y = h * w
    z = y.relu() + x
    u = (x + h).exp()
    with mg.no_grad():
        v = w * 2
    return [t.requires_grad for t in (h, y, z, u, v)]


def flow_judge(got, expected, case):
    for name, have, want in zip(FLOW_ANSWERS, got, expected):
        if not isinstance(have, bool):
            return False, f"`{name}` is {describe(have)}; answer True or False"
        passed, message = prediction(
            have, want, what=f"`{name}`", program=f"{name[7:]}.requires_grad"
        )
        if not passed:
            return False, message
    return True, "ok"


REQUIRES_GRAD_FLOW = Check(
    id="ch01.requires_grad_flow",
    kind=PREDICT,
    points=2,
    reads=FLOW_ANSWERS,
    title="predict: which results require grad",
    cases=flow_cases,
    probe=flow_probe,
    reference=flow_reference,
    judge=flow_judge,
    rule="a result requires grad when grad mode is on and at least one input requires grad",
    hint="follow each value back to the leaves it was computed from, and check whether any of them requires grad",
)

# -- 3. find the bug: a parameter that does not require grad ----------------------------


def fit_step_cases(rng, hidden):
    n = 2 if not hidden else 4
    cases = []
    for _ in range(n):
        w0, b0, x, target = (round(float(v), 2) for v in rng.uniform(-2, 2, size=4))
        cases.append(
            {
                "w0": w0,
                "b0": b0,
                "x": x,
                "target": target,
                "label": f"w0={w0}, b0={b0}, x={x}, target={target}",
            }
        )
    return cases


def fit_step_probe(learner, case):
    grads = learner["fit_step"](case["w0"], case["b0"], case["x"], case["target"])
    if type(grads) not in (tuple, list) or len(grads) != 2:
        return {"not a pair": True}
    return list(grads)


def fit_step_reference(case):
    import minigrad as mg

    w = mg.Scalar(case["w0"], requires_grad=True)
    b = mg.Scalar(case["b0"], requires_grad=True)
    loss = (w * case["x"] + b - case["target"]) ** 2
    loss.backward()
    return [w.grad, b.grad]


def _close(have, want):
    return (
        isinstance(have, (int, float))
        and not isinstance(have, bool)
        and math.isclose(have, want, rel_tol=1e-9, abs_tol=1e-12)
    )


def fit_step_judge(got, expected, case):
    if isinstance(got, dict):
        return False, "fit_step must return the pair (w.grad, b.grad)"
    if got[0] is None and got[1] is None:
        return False, (
            "w.grad and b.grad are both None: no gradient reached either. Hint: was "
            "loss.backward() called, after the loss was computed from w and b?"
        )
    if _close(got[0], expected[1]) and _close(got[1], expected[0]) and got[0] != got[1]:
        return False, (
            f"the pair is ({number_text(got[0])}, {number_text(got[1])}), expected "
            f"({number_text(expected[0])}, {number_text(expected[1])}): the right gradients "
            "in the wrong order. Hint: return (w.grad, b.grad)"
        )
    for name, have, want in zip(("w.grad", "b.grad"), got, expected):
        if have is None:
            return False, (
                f"{name} is None, expected {number_text(want)}. Hint: a Scalar created "
                "without requires_grad=True gets no edge in the graph, so backward() never "
                "reaches it"
            )
        if not _close(have, want):
            return False, f"{name} is {describe(have)}, expected {number_text(want)}"
    return True, "ok"


FIT_STEP = Check(
    id="ch01.fit_step",
    kind=FIND_THE_BUG,
    points=2,
    reads=("fit_step",),
    title="find the bug: fit_step(w0, b0, x, target)",
    cases=fit_step_cases,
    probe=fit_step_probe,
    reference=fit_step_reference,
    judge=fit_step_judge,
    rule="only leaves created with requires_grad=True are connected to the graph and get a .grad",
    hint="look at how each parameter is created, and which one ends with a gradient of None",
)

# -- 4. predict: how many nodes? The graph is a DAG (seed item s001-graph-dag) --------

NODE_ANSWERS = ("answer_nodes", "answer_arrows_into_c", "answer_visits")


def node_count_cases(rng, hidden):
    return [{"label": "the program c = a * b; d = c + a; e = d * c"}]


def node_count_probe(learner, case):
    return [learner[name] for name in ("answer_nodes", "answer_arrows_into_c", "answer_visits")]


def node_count_reference(case):
    """Walk the graph minigrad records: distinct nodes, arrows into c's node, and the
    visits of a walk that remembers nothing (one per path from e's node)."""
    import minigrad as mg

    a = mg.Scalar(2.0, requires_grad=True)
    b = mg.Scalar(-1.0, requires_grad=True)
    c = a * b
    d = c + a
    e = d * c
    seen, stack, arrows_into_c = set(), [e.grad_fn], 0
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        children = [fn for fn, _ in node.next_functions if fn is not None]
        arrows_into_c += sum(1 for fn in children if fn is c.grad_fn)
        stack.extend(children)
    visits, stack = 0, [e.grad_fn]
    while stack:
        node = stack.pop()
        visits += 1
        stack.extend(fn for fn, _ in node.next_functions if fn is not None)
    return [len(seen), arrows_into_c, visits]


def node_count_judge(got, expected, case):
    programs = ("the number of distinct nodes", "the arrows into c's node", "the walk's visits")
    for name, have, want, program in zip(NODE_ANSWERS, got, expected, programs):
        if type(have) is not int:
            return False, f"`{name}` is {describe(have)}; answer with an int"
        passed, message = prediction(have, want, what=f"`{name}`", program=program)
        if not passed:
            return False, message + NODE_COUNT_HINTS.get(name, "")
    return True, "ok"


# What each answer counts, for a wrong one (the shared hint is about drawing the graph).
NODE_COUNT_HINTS = {
    "answer_arrows_into_c": (
        ". Hint: an arrow into c's node is an entry of some next_functions that leads to it: "
        "one per operation that used c"
    ),
    "answer_visits": (
        ". Hint: a walk that remembers nothing pops a node once for every path that leads "
        "to it from e's node, so a node reached along two paths is popped twice"
    ),
}


NODE_COUNT = Check(
    id="ch01.node_count",
    kind=PREDICT,
    points=2,
    reads=NODE_ANSWERS,
    title="predict: how many nodes",
    cases=node_count_cases,
    probe=node_count_probe,
    reference=node_count_reference,
    judge=node_count_judge,
    rule=(
        "the graph is a DAG recorded during the forward pass: each operation is one node, "
        "however many paths lead to it"
    ),
    hint="draw the graph: one box per operation and per leaf that requires grad, one arrow per use",
)

# -- 5 to 7. the first pieces of your engine (coursekit/BUILD.md) --------------------------

ADD = piece_check(
    "ch01.Add",
    2,
    hint="backward returns one gradient per input: the incoming grad, unchanged, for each",
)
MUL = piece_check(
    "ch01.Mul",
    2,
    hint="multiply the incoming grad by the *other* input, which forward saved with "
    "ctx.save_for_backward",
)
TANH = piece_check(
    "ch01.Tanh",
    2,
    hint="save forward's result t, not its input, and multiply the incoming grad by 1 - t * t",
)

CHECKS = [GRAPH_NAMES, REQUIRES_GRAD_FLOW, FIT_STEP, NODE_COUNT, ADD, MUL, TANH]
