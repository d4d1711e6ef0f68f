"""Checks for chapter 09, what no_grad saves (solutions/ch09_what_no_grad_saves.ipynb).

1. implement ``saved_bytes(output)``: the bytes a graph keeps for backward
2. predict nodes and saved bytes with recording, under no_grad() and under
   inference_mode(), for two batch sizes
3. find the bug: an evaluation that keeps every batch's graph alive
4. implement ``predict_in_batches(model, X, batch_size)``
5. predict what feature statistics keep, with and without recording

Truths come from running code with minigrad: ``coursekit.measure`` walks the
graphs for exercises 1, 2 and 5; a correct function run through the same
probe gives the truth for exercises 3 and 4.
"""

import math

import numpy as np

import minigrad as mg
from coursekit import measure
from coursekit.checks import FIND_THE_BUG, IMPLEMENT, PREDICT, Check
from coursekit.checks.judges import arrays_close, as_array, prediction, same_answer
from coursekit.checks.messages import describe

# -- 1. saved_bytes ------------------------------------------------------------------------

# The same kinds of graph in the notebook and in grading, with other sizes: an MLP (float32,
# and float64 with an input that requires grad, and a batch of one), a value reached along
# three paths, a result computed under no_grad(), a bare leaf, and a chain deeper than
# Python's recursion limit.
SAVED_VISIBLE = [
    {"kind": "mlp", "batch": 16, "hidden": 8, "dtype": "float32", "x_requires_grad": False},
    {"kind": "diamond", "n": 5},
    {"kind": "no_grad", "batch": 16, "hidden": 8, "dtype": "float32", "x_requires_grad": False},
    {"kind": "mlp", "batch": 7, "hidden": 32, "dtype": "float64", "x_requires_grad": True},
    {"kind": "leaf", "n": 4},
    {"kind": "chain", "n": 3, "depth": 5000},
    {"kind": "mlp", "batch": 1, "hidden": 3, "dtype": "float32", "x_requires_grad": False},
]
SAVED_HIDDEN = [
    {"kind": "mlp", "batch": 9, "hidden": 4, "dtype": "float32", "x_requires_grad": False},
    {"kind": "diamond", "n": 64},
    {"kind": "no_grad", "batch": 5, "hidden": 6, "dtype": "float32", "x_requires_grad": False},
    {"kind": "mlp", "batch": 3, "hidden": 16, "dtype": "float64", "x_requires_grad": True},
    {"kind": "leaf", "n": 7},
    {"kind": "chain", "n": 2, "depth": 6000},
    {"kind": "mlp", "batch": 1, "hidden": 5, "dtype": "float32", "x_requires_grad": False},
]


def _saved_label(case):
    kind = case["kind"]
    if kind in ("mlp", "no_grad"):
        text = (
            f"Linear(4, {case['hidden']}), ReLU, Linear({case['hidden']}, 2) on a batch of "
            f"{case['batch']} ({case['dtype']}"
            + (", input requiring grad)" if case["x_requires_grad"] else ")")
        )
        return text + (", computed under no_grad()" if kind == "no_grad" else "")
    if kind == "diamond":
        return f"z = (y * y + y.exp()).sum() with y = a * b, of {case['n']} elements"
    if kind == "leaf":
        return "a leaf that requires grad (no grad_fn)"
    return f"a chain of {case['depth']} tanh on {case['n']} elements"


def saved_bytes_cases(rng, hidden):
    return [
        dict(case, label=_saved_label(case)) for case in (SAVED_HIDDEN if hidden else SAVED_VISIBLE)
    ]


def saved_bytes_build(case):
    """The graph a case describes (used by the probe's twin in the trusted process)."""
    import minigrad as mg

    kind = case["kind"]
    if kind in ("mlp", "no_grad"):
        dtype = getattr(mg, case["dtype"])
        hidden = case["hidden"]
        model = mg.nn.Sequential(mg.nn.Linear(4, hidden), mg.nn.ReLU(), mg.nn.Linear(hidden, 2))
        model.to(dtype)
        x = mg.ones(case["batch"], 4, dtype=dtype, requires_grad=case["x_requires_grad"])
        if kind == "no_grad":
            with mg.no_grad():
                return model(x), model
        return model(x), model
    if kind == "diamond":
        a = mg.ones(case["n"], requires_grad=True)
        b = mg.full((case["n"],), 2.0, requires_grad=True)
        y = a * b
        return (y * y + y.exp()).sum(), (a, b)
    if kind == "leaf":
        leaf = mg.ones(case["n"], requires_grad=True)
        return leaf, leaf
    x = mg.ones(case["n"], requires_grad=True)
    y = x
    for _ in range(case["depth"]):
        y = y.tanh()
    return y.sum(), x


def saved_bytes_probe(learner, case):
    import minigrad as mg
    from coursekit import measure
    from coursekit.engine_build.guard import reached_helper
    from minigrad import grad_mode

    helper = reached_helper(learner["saved_bytes"], [measure.graph_memory, measure.graph_nodes])
    if helper:  # the walk is the exercise: the lecture's measuring helpers do it for you
        return {"uses": f"measure.{helper}"}
    grad_mode.reset()
    kind = case["kind"]
    # Built here, in the learner's kernel: the same graph as saved_bytes_build describes.
    if kind in ("mlp", "no_grad"):
        dtype = getattr(mg, case["dtype"])
        hidden = case["hidden"]
        model = mg.nn.Sequential(mg.nn.Linear(4, hidden), mg.nn.ReLU(), mg.nn.Linear(hidden, 2))
        model.to(dtype)
        x = mg.ones(case["batch"], 4, dtype=dtype, requires_grad=case["x_requires_grad"])
        if kind == "no_grad":
            with mg.no_grad():
                out = model(x)
        else:
            out = model(x)
    elif kind == "diamond":
        a = mg.ones(case["n"], requires_grad=True)
        b = mg.full((case["n"],), 2.0, requires_grad=True)
        y = a * b
        out = (y * y + y.exp()).sum()
    elif kind == "leaf":
        out = mg.ones(case["n"], requires_grad=True)
    else:
        x = mg.ones(case["n"], requires_grad=True)
        out = x
        for _ in range(case["depth"]):
            out = out.tanh()
        out = out.sum()
    return learner["saved_bytes"](out)


def saved_bytes_reference(case):
    out, _keep = saved_bytes_build(case)
    return measure.graph_memory(out).saved_bytes


def _bytes_with_repeats(case):
    """A typical mistake: every path counted, nodes reached twice counted twice."""
    out, _keep = saved_bytes_build(case)
    stack = [out.grad_fn] if out.grad_fn is not None else []
    total = 0
    while stack:
        node = stack.pop()
        total += node.saved_tensors_nbytes()
        stack.extend(fn for fn, _ in node.next_functions if fn is not None)
    return total


def saved_bytes_judge(got, expected, case):
    if isinstance(got, dict) and isinstance(got.get("uses"), str):
        return (
            False,
            f"saved_bytes calls {got['uses']}, which walks the graph for you: the walk is the "
            "exercise; write it yourself (node.saved_tensors_nbytes() gives one node's bytes)",
        )
    if (
        isinstance(got, bool)
        or not isinstance(got, (int, float))
        or not math.isfinite(got)
        or got != int(got)
    ):
        return (
            False,
            f"saved_bytes returned {describe(got)}; it should return a number of bytes (an int)",
        )
    if got == expected:
        return True, "ok"
    message = f"saved_bytes returned {int(got)}, expected {expected}"
    if expected == 0 and case["kind"] == "no_grad":
        return (
            False,
            message + ". Hint: under no_grad() nothing was recorded: no node, nothing saved",
        )
    out, _keep = saved_bytes_build(case)
    if out.grad_fn is not None and got == out.grad_fn.saved_tensors_nbytes():
        return False, message + (
            ". Hint: that is the output's own node only; walk on along "
            "next_functions to every node of the graph"
        )
    if case["kind"] == "diamond" and got == _bytes_with_repeats(case):
        return False, message + (
            ". Hint: y's node is reached along three paths and you counted "
            "it three times; remember the nodes you have visited"
        )
    return False, message


SAVED_BYTES = Check(
    id="ch09.saved_bytes",
    kind=IMPLEMENT,
    points=4,
    reads=("saved_bytes",),
    title="saved_bytes(output)",
    cases=saved_bytes_cases,
    probe=saved_bytes_probe,
    reference=saved_bytes_reference,
    judge=saved_bytes_judge,
    rule="what a graph keeps for backward is the tensors its nodes saved; every node reachable "
    "from output.grad_fn counts once, and a result computed without recording has no node",
    hint="count each node reachable from output.grad_fn once, with an explicit stack rather "
    "than recursion (graphs can be thousands deep); a result without grad_fn keeps nothing",
)


# -- 2. predict: nodes and bytes ------------------------------------------------------------


def cost_program(lib):
    """Exercise 2's program, run for real; nodes and bytes counted by coursekit.measure."""
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 2))
    out_1, out_100 = model(lib.randn(1, 4)), model(lib.randn(100, 4))
    with lib.no_grad():
        quiet = model(lib.randn(100, 4))
    with lib.inference_mode():
        inferred = model(lib.randn(100, 4))

    def count(t):
        memory = measure.graph_memory(t)
        return memory.nodes, memory.saved_bytes

    return [
        [count(out_1)[0], count(out_100)[0]],
        [count(out_1)[1], count(out_100)[1]],
        list(count(quiet)),
        [*count(inferred), inferred.is_inference()],
    ]


COST_ANSWERS = ("answer_nodes", "answer_bytes", "answer_no_grad", "answer_inference")
COST_FORMS = {
    "answer_nodes": (2, "(nodes for B=1, nodes for B=100)"),
    "answer_bytes": (2, "(bytes for B=1, bytes for B=100)"),
    "answer_no_grad": (2, "(nodes, bytes)"),
    "answer_inference": (3, "(nodes, bytes, is_inference())"),
}


def cost_cases(rng, hidden):
    return [{"label": "the program"}]


def cost_probe(learner, case):
    return [
        learner[name]
        for name in ("answer_nodes", "answer_bytes", "answer_no_grad", "answer_inference")
    ]


def cost_reference(case):
    return cost_program(mg)


def cost_judge(got, expected, case):
    for name, have, want in zip(COST_ANSWERS, got, expected):
        size, form = COST_FORMS[name]
        if not isinstance(have, list) or len(have) != size:
            return False, f"`{name}` should be a tuple {form}; it is {describe(have)}"
        passed, message = prediction(have, want, what=f"`{name}`", program="the program")
        if not passed:
            if (
                name == "answer_bytes"
                and isinstance(have[0], (int, float))
                and same_answer(have[0] * 100, have[1])
            ):
                message += (
                    " (not everything saved grows with the batch: the transposed weight does not)"
                )
            elif name == "answer_bytes" and _relu_output_counted_once(have, want):
                message += (
                    " (each node counts what it saved: the ReLU's output is saved by "
                    "ReluBackward0 and again, as its input, by the second AddmmBackward0, and "
                    "saved_bytes counts it twice; memory counted once is chapter 9's held bytes)"
                )
            return False, message
    return True, "ok"


def _relu_output_counted_once(have, want):
    """The bytes less one ReLU output (1 and 100 rows of 8 float32): shared memory counted once."""
    relu_output = (1 * 8 * 4, 100 * 8 * 4)
    numbers = all(isinstance(h, (int, float)) for h in have)
    return numbers and all(same_answer(h + r, w) for h, r, w in zip(have, relu_output, want))


COST = Check(
    id="ch09.recording_cost",
    kind=PREDICT,
    points=3,
    reads=COST_ANSWERS,
    title="predict: nodes and saved bytes",
    cases=cost_cases,
    probe=cost_probe,
    reference=cost_reference,
    judge=cost_judge,
    rule="recording adds one node per operation (and one AccumulateGrad per parameter), the "
    "same number for any batch size, and saves the tensors each backward needs, which "
    "grow with the batch; no_grad() and inference_mode() add nothing",
    hint="list the nodes of Linear, ReLU, Linear, then what each saves: ReLU its output, each "
    "addmm its input if the weight needs a gradient and the transposed weight if the "
    "input does; float32 is 4 bytes",
)


# -- 3. find the bug: an evaluation that keeps graphs alive ---------------------------------


def evaluate_cases(rng, hidden):
    # A single batch too: its result must not keep the graph alive after the return.
    shapes = [(4, 5), (1, 4)] if not hidden else [(1, 3), (6, 3), (2, 8)]
    cases = []
    for n_batches, rows in shapes:
        cases.append(
            {
                "w": np.round(rng.normal(0, 0.7, (1, 3)), 3).tolist(),
                "b": np.round(rng.normal(0, 0.2, 1), 3).tolist(),
                "batches": [
                    [
                        np.round(rng.normal(size=(rows, 3)), 3).tolist(),
                        np.round(rng.normal(size=(rows, 1)), 3).tolist(),
                    ]
                    for _ in range(n_batches)
                ],
                "label": f"{n_batches} batch{'es' if n_batches > 1 else ''} of {rows} rows",
            }
        )
    return cases


def evaluate_probe(learner, case):
    import weakref

    import minigrad as mg
    from minigrad import grad_mode

    class Watched(mg.nn.Module):
        """A Linear layer that notes, at each forward pass, which earlier graphs are alive."""

        def __init__(self):
            super().__init__()
            self.fc = mg.nn.Linear(3, 1)
            self.graphs = []  # weak references to each recorded output's node
            self.most_alive = 0  # graphs of batches before the previous one, still alive
            self.recorded = False

        def forward(self, X):
            alive = sum(ref() is not None for ref in self.graphs[:-1])
            self.most_alive = max(self.most_alive, alive)
            out = self.fc(X)
            if out.grad_fn is not None:
                self.recorded = True
                self.graphs.append(weakref.ref(out.grad_fn))
            return out

    grad_mode.reset()
    model = Watched()
    with mg.no_grad():
        model.fc.weight.copy_(mg.tensor(case["w"]))
        model.fc.bias.copy_(mg.tensor(case["b"]))
    batches = [(mg.tensor(X), mg.tensor(y)) for X, y in case["batches"]]
    result = learner["evaluate"](model, batches)
    holds_graph = isinstance(result, mg.Tensor) and result.grad_fn is not None
    value = result.detach() if isinstance(result, mg.Tensor) else result
    alive_after = sum(ref() is not None for ref in model.graphs)
    del result
    return {
        "value": value,
        "result is a tensor with a graph": holds_graph,
        "earlier graphs alive during the loop": model.most_alive,
        "graphs alive after it returned": alive_after,
        "recorded": model.recorded,
    }


def _evaluate_right(model, batches):
    total = 0.0
    with mg.no_grad():
        for X, y in batches:
            total += ((model(X) - y) ** 2).mean().item()
    return total / len(batches)


def evaluate_reference(case):
    return evaluate_probe({"evaluate": _evaluate_right}, case)


def evaluate_judge(got, expected, case):
    if not isinstance(got, dict):
        return False, "the check could not read the result"
    passed, message = arrays_close(
        got["value"], expected["value"], what="the mean loss", rtol=1e-5, atol=1e-7
    )
    if not passed:
        return False, message
    kept = got["earlier graphs alive during the loop"]
    if isinstance(kept, int) and kept > 0:
        return False, (
            f"while evaluate ran, the graphs of {kept} earlier batches were still "
            "alive, with every activation they saved. Hint: `total = total + loss` "
            "makes total's graph include every loss; add loss.item() instead"
        )
    if got["result is a tensor with a graph"] or got["graphs alive after it returned"]:
        return False, (
            "the result keeps the batches' graphs alive for as long as the caller "
            "keeps it. Hint: return a number (.item()), not a tensor with a grad_fn"
        )
    if got["recorded"]:
        return False, (
            "no graph is kept, but each batch was still recorded: every batch pays "
            "for nodes and saved tensors it never uses. Hint: evaluate inside a "
            "no_grad() block"
        )
    return True, "ok"


EVALUATE = Check(
    id="ch09.evaluate",
    kind=FIND_THE_BUG,
    points=3,
    reads=("evaluate",),
    title="find the bug: evaluate(model, batches)",
    cases=evaluate_cases,
    probe=evaluate_probe,
    reference=evaluate_reference,
    judge=evaluate_judge,
    rule="a tensor with a grad_fn keeps its whole graph alive, saved activations included; "
    "evaluation needs neither the graph nor the recording",
    hint="evaluation needs no graph: stop recording, and add up plain numbers, not tensors",
)


# -- 4. predict_in_batches ------------------------------------------------------------------


def batches_cases(rng, hidden):
    settings = [(10, 4), (6, 6)] if not hidden else [(9, 2), (5, 8), (13, 5), (1, 3)]
    cases = []
    for n, batch_size in settings:
        cases.append(
            {
                "w1": np.round(rng.normal(0, 0.8, (5, 3)), 3).tolist(),
                "b1": np.round(rng.normal(0, 0.2, 5), 3).tolist(),
                "w2": np.round(rng.normal(0, 0.8, (4, 5)), 3).tolist(),
                "b2": np.round(rng.normal(0, 0.2, 4), 3).tolist(),
                "X": np.round(rng.normal(size=(n, 3)), 3).tolist(),
                "batch_size": batch_size,
                "label": f"{n} rows in batches of {batch_size}",
            }
        )
    return cases


def batches_probe(learner, case):
    import minigrad as mg
    from minigrad import grad_mode

    class Watched(mg.nn.Module):
        """Linear, ReLU, Dropout, Linear; notes each forward pass's batch and modes."""

        def __init__(self):
            super().__init__()
            self.net = mg.nn.Sequential(
                mg.nn.Linear(3, 5), mg.nn.ReLU(), mg.nn.Dropout(0.5), mg.nn.Linear(5, 4)
            )
            self.calls = []

        def forward(self, X):
            self.calls.append([int(X.shape[0]), mg.is_grad_enabled(), self.training])
            return self.net(X)

    grad_mode.reset()
    mg.manual_seed(0)
    model = Watched()
    with mg.no_grad():
        for p, key in zip(model.parameters(), ("w1", "b1", "w2", "b2")):
            p.copy_(mg.tensor(case[key]))
    predictions = learner["predict_in_batches"](model, mg.tensor(case["X"]), case["batch_size"])
    return {
        "predictions": predictions,
        "batch sizes": [c[0] for c in model.calls],
        "recorded": any(c[1] for c in model.calls),
        "training": any(c[2] for c in model.calls),
    }


def _predict_right(model, X, batch_size):
    model.eval()
    with mg.no_grad():
        return mg.cat(
            [
                model(X[start : start + batch_size]).argmax(dim=1)
                for start in range(0, X.shape[0], batch_size)
            ]
        )


def batches_reference(case):
    return batches_probe({"predict_in_batches": _predict_right}, case)


def batches_judge(got, expected, case):
    if not isinstance(got, dict):
        return False, "the check could not read the result"
    sizes = got["batch sizes"]
    if got["training"]:
        return False, (
            "the model ran in training mode, so Dropout changed the outputs. "
            "Hint: call model.eval() first"
        )
    passed, message = arrays_close(
        got["predictions"], expected["predictions"], what="the result of predict_in_batches"
    )
    if not passed:
        if got["predictions"] is None:
            pass  # nothing returned: the batches are not the problem yet
        elif isinstance(sizes, list) and sum(sizes) < len(case["X"]):
            message += (
                f". Hint: your batches cover {sum(sizes)} of the {len(case['X'])} rows: "
                "the last batch may be smaller than batch_size"
            )
        elif np.ndim(as_array(got["predictions"])) == 2:
            message += (
                ". Hint: those are the model's outputs, a row of scores per input; the "
                "predicted class of a row is the index of its largest score, argmax(dim=1)"
            )
        elif isinstance(sizes, list) and np.shape(as_array(got["predictions"])) == (
            len(sizes) * len(case["b2"]),  # per batch, one index per class
        ):
            message += (
                ". Hint: one class per row of X: take the argmax over dimension 1 (the "
                "scores of a row), not over dimension 0"
            )
        return False, message
    if isinstance(sizes, list) and sizes and max(sizes) > case["batch_size"]:
        return False, (
            f"the model was called on a batch of {max(sizes)} rows, more than "
            f"batch_size = {case['batch_size']}: the peak memory grows with it. "
            "Hint: feed the model at most batch_size rows at a time"
        )
    if got["recorded"]:
        return False, (
            "the forward passes were recorded: each batch built a graph for "
            "nothing. Hint: predict inside a no_grad() block"
        )
    return True, "ok"


BATCHES = Check(
    id="ch09.predict_in_batches",
    kind=IMPLEMENT,
    points=3,
    reads=("predict_in_batches",),
    title="predict_in_batches(model, X, batch_size)",
    cases=batches_cases,
    probe=batches_probe,
    reference=batches_reference,
    judge=batches_judge,
    rule="under no_grad() the peak memory of evaluation is a few activations of one batch, so "
    "evaluating in batches bounds it; batches change nothing in the predictions",
    hint="evaluation mode, no recording, one forward pass per slice of at most batch_size rows "
    "(the last one may be shorter), and the predicted classes of the slices joined in order",
)


# -- 5. predict: feature statistics ----------------------------------------------------------


def stats_program(lib):
    """Exercise 5's program, run for real."""
    lib.manual_seed(0)
    extractor = lib.nn.Sequential(lib.nn.Linear(5, 16), lib.nn.ReLU())
    X = lib.randn(50, 5)
    with lib.no_grad():
        mean_a = extractor(X).mean(dim=0)
    mean_b = extractor(X).mean(dim=0)
    return [
        [
            t.requires_grad,
            None if t.grad_fn is None else t.grad_fn.name(),
            t.is_leaf,
            measure.graph_memory(t).saved_bytes,
        ]
        for t in (mean_a, mean_b)
    ]


STATS_ANSWERS = ("answer_a", "answer_b")


def stats_cases(rng, hidden):
    return [{"label": "the feature means"}]


def stats_probe(learner, case):
    return [learner["answer_a"], learner["answer_b"]]


def stats_reference(case):
    return stats_program(mg)


def stats_judge(got, expected, case):
    for name, have, want in zip(STATS_ANSWERS, got, expected):
        if not isinstance(have, list) or len(have) != 4:
            return False, (
                f"`{name}` should be a tuple (requires_grad, grad_fn name or None, "
                f"is_leaf, saved bytes); it is {describe(have)}"
            )
        passed, message = prediction(have, want, what=f"`{name}`", program="the program")
        if not passed:
            named = have[1] if isinstance(have[1], str) else ""
            if have[1] != want[1] and named.startswith("MeanBackward"):
                message += (
                    ". Hint: a mean over one dim (dim=0) is another overload of mean than "
                    "the mean of every element, and PyTorch numbers the node of each overload"
                )
            return False, message
    return True, "ok"


STATS = Check(
    id="ch09.feature_stats",
    kind=PREDICT,
    points=2,
    reads=STATS_ANSWERS,
    title="predict: feature statistics",
    cases=stats_cases,
    probe=stats_probe,
    reference=stats_reference,
    judge=stats_judge,
    rule="a statistic computed with recording on is a non-leaf with a grad_fn and keeps the "
    "activations of the whole data set alive; under no_grad() it is a plain leaf",
    hint="the mean's graph is Linear, ReLU, mean: which of them save something, and how big "
    "is it for 50 rows?",
)

CHECKS = [SAVED_BYTES, COST, EVALUATE, BATCHES, STATS]
