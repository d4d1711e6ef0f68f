"""Function.apply's common case does what the general steps do.

``Function.apply`` is one path for every op; its first and last steps take the
common case (a built-in op on plain tensors of one shape and dtype, one new
tensor) in a few lines, and the rest in ``_connect_any`` and ``_wrap_result``.
Each program below runs twice, once as it is and once with the common cases
switched off (every op's ``_lean`` and ``_plain`` flags False), and both runs must record the same graph (node names, edges, what
each node saved and at which version, what its gradients are fitted to) and give
the same results and the same ``.grad``.
"""

import numpy as np
import pytest

import minigrad as mg
from minigrad import function
from minigrad.function import Function, Op
from minigrad.graph import AccumulateGrad, SavedTensor


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _leaves():
    rng = np.random.default_rng(0)
    return {
        "a": mg.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True),
        "b": mg.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True),
        "row": mg.tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True),
        "w": mg.tensor(rng.standard_normal((4, 2)).astype(np.float32), requires_grad=True),
        "d": mg.tensor(rng.standard_normal((3, 4)), requires_grad=True),  # float64
        "c": mg.tensor(rng.standard_normal((3, 4)).astype(np.float32)),  # no grad
        "i": mg.tensor(rng.integers(0, 5, (3, 4))),  # int64
    }


PROGRAMS = {
    "add": lambda t: t["a"] + t["b"],
    "add, alpha": lambda t: mg.add(t["a"], t["b"], alpha=2),
    "add, broadcast": lambda t: t["a"] + t["row"],
    "sub, a leaf twice": lambda t: t["a"] - t["a"],
    "mul": lambda t: t["a"] * t["b"],
    "mul, one without grad": lambda t: t["c"] * t["a"],
    "mul, a number": lambda t: t["a"] * 3,
    "mul, float32 by float64": lambda t: t["a"] * t["d"],
    "mul, float by int": lambda t: t["a"] * t["i"],
    "div, broadcast": lambda t: t["a"] / t["row"],
    "matmul": lambda t: t["a"] @ t["w"],
    "tanh chain": lambda t: mg.tanh(mg.tanh(t["a"]) * t["b"]),
    "sigmoid, exp, log": lambda t: mg.log(mg.sigmoid(t["a"]) + mg.exp(t["b"])),
    "relu, sum": lambda t: mg.relu(t["a"] @ t["w"]).sum(),
    "mean over a dim": lambda t: (t["a"] * t["b"]).mean(dim=1),
    "pow": lambda t: t["a"] ** 2 + t["b"],
    "linear + tanh": lambda t: mg.tanh(t["a"] @ t["w"] + t["w"].sum(dim=0)),
    "comparison (no graph)": lambda t: (t["a"] > t["b"]).float() * t["a"],
    "nothing requires grad": lambda t: t["c"] * t["c"] + t["a"],
    "a view among the inputs": lambda t: t["a"][1] * t["b"][0] + t["a"].t().sum(),
    "no_grad inside": lambda t: _no_grad_then(t),
    "a result used twice": lambda t: _twice(t),
    "maximum, where": lambda t: mg.where(t["a"] > 0, mg.maximum(t["a"], t["b"]), t["b"]),
    "a saved input that is output 1 of its node": lambda t: Split.apply(t["a"])[1] * t["b"],
    "a tensor times itself": lambda t: t["a"] * t["a"],
    "a tensor times its detached self": lambda t: t["a"] * t["a"].detach(),
    "in place on a result": lambda t: (t["a"] * 1).add_(t["b"]).mul_(t["row"]),
    "a view of a result": lambda t: (t["a"] * t["b"]).t() @ t["a"],
}


class Split(Function):
    """Two outputs: the second, saved by the mul above, is output 1 of its node."""

    @staticmethod
    def forward(ctx, x):
        return x * 1, x * 2

    @staticmethod
    def backward(ctx, grad_first, grad_second):
        return grad_first + grad_second * 2


def _no_grad_then(t):
    with mg.no_grad():
        u = t["a"] * 2
    return u * t["b"]


def _twice(t):
    y = mg.tanh(t["a"])
    return y * y + y


def _array(x):
    return None if x is None else np.asarray(x)


def _describe_saved(value):
    if not isinstance(value, SavedTensor):
        return value if value is None else ("freed",)
    return (
        value.version,
        value.is_output,
        value.output_nr,
        value.was_non_leaf,
        value.tensor._data.dtype.str,
        value.tensor._data.tolist(),
    )


def describe_graph(outputs):
    """Every node reachable from ``outputs``, in a fixed order, with what it recorded."""
    order, queue = {}, [t.grad_fn for t in outputs if t.grad_fn is not None]
    for node in queue:
        order.setdefault(node, len(order))
    described = []
    i = 0
    while i < len(queue):
        node = queue[i]
        i += 1
        edges = []
        for child, nr in node.next_functions:
            if child is not None and child not in order:
                order[child] = len(order)
                queue.append(child)
            edges.append(None if child is None else (order[child], nr))
        if isinstance(node, AccumulateGrad):
            described.append(("leaf", node.variable._data.tolist()))
            continue
        described.append(
            (
                node.name(),
                node.needs_input_grad,
                edges,
                {k: _describe_saved(v) for k, v in (node._saved or {}).items()},
                dict(node._values or {}),
                node._inputs,
                node._later,
            )
        )
    ranks = sorted(queue, key=lambda n: -1 if isinstance(n, AccumulateGrad) else n._sequence_nr)
    return described, [order[n] for n in ranks]


def general_paths(monkeypatch):
    """Switch apply's common cases off: every op's inputs through ``_connect_any``, its
    result through ``_wrap_result``."""
    for op in _subclasses(Op):
        monkeypatch.setattr(op, "_lean", False)
        monkeypatch.setattr(op, "_plain", False)


def run(program, common, monkeypatch):
    """Run ``program`` on fresh leaves; return what it recorded, made and backward gave."""
    if not common:
        general_paths(monkeypatch)
    leaves = _leaves()
    out = program(leaves)
    outputs = out if isinstance(out, tuple) else (out,)
    graph = describe_graph(outputs)
    made = [
        (o._data.tolist(), o.dtype, o.requires_grad, o.is_leaf, o._version_counter.value)
        + (o._is_inference, o._grad_fn is not None, sorted(o.__dict__))  # what _wrap sets
        for o in outputs
    ]
    loss = None
    for o in outputs:
        if o.requires_grad:
            loss = o.sum() if loss is None else loss + o.sum()
    if loss is not None:
        loss.backward()
    grads = {
        k: None if t.grad is None else (t.grad.dtype, t.grad.tolist()) for k, t in leaves.items()
    }
    monkeypatch.undo()
    return graph, made, grads


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_the_common_case_records_and_computes_what_the_general_steps_do(name, monkeypatch):
    common = run(PROGRAMS[name], True, monkeypatch)
    general = run(PROGRAMS[name], False, monkeypatch)
    assert common[0] == general[0]  # the graph
    assert common[1] == general[1]  # the results
    assert common[2] == general[2]  # the gradients


def test_the_common_case_is_taken(monkeypatch):
    """The comparison above compares two different paths: the common ones do run."""
    calls = {"rare inputs": 0}
    connect_any = function._connect_any

    def counted_connect(*args):
        calls["rare inputs"] += 1
        return connect_any(*args)

    monkeypatch.setattr(function, "_connect_any", counted_connect)
    leaves = _leaves()
    (mg.tanh(leaves["a"] * leaves["b"]) @ leaves["w"]).sum().backward()
    assert calls == {"rare inputs": 0}
    leaves["a"][0].sum().backward()  # a view: the general step
    assert calls["rare inputs"] >= 1


def test_numpy_warnings_stay_silent_in_apply():
    """np.errstate(all="ignore") as Function.apply sets it (numpy's context variable)."""
    x = mg.tensor([0.0, 1.0, 1e30], dtype=mg.float32, requires_grad=True)
    with np.errstate(all="raise"):  # would raise if the path did not silence numpy
        y = (x * x) / x
        np.testing.assert_equal(y.detach().numpy(), [np.nan, 1.0, np.inf])
        assert np.geterr()["over"] == "raise"  # and the caller's setting is back


CHANGED_IN_PLACE = {
    "an input": lambda t: (t["a"] * t["b"], lambda: _in_no_grad(t["b"].add_, 1)),
    "a result saved as itself": lambda t: (mg.tanh(t["a"] * 1), None),
    "a saved result changed": lambda t: _saved_result_changed(t),
}


def _in_no_grad(change, *args):
    with mg.no_grad():  # a leaf that requires grad changes in place only so
        change(*args)


def _saved_result_changed(t):
    y = mg.exp(t["a"] * 1)
    return y * 2, lambda: y.mul_(2)


@pytest.mark.parametrize("name", sorted(CHANGED_IN_PLACE))
def test_the_common_case_checks_saved_tensors_as_the_general_steps_do(name, monkeypatch):
    """A saved tensor changed in place before backward: the same error on both paths
    (or, unchanged, the same gradients)."""
    found = []
    for common in (True, False):
        if not common:
            general_paths(monkeypatch)
        leaves = _leaves()
        out, change = CHANGED_IN_PLACE[name](leaves)
        if change is not None:
            change()
        try:
            out.sum().backward()
            found.append([None if t.grad is None else t.grad.tolist() for t in leaves.values()])
        except RuntimeError as error:
            found.append(str(error))
        monkeypatch.undo()
    assert found[0] == found[1]
    assert isinstance(found[0], str) == (CHANGED_IN_PLACE[name](_leaves())[1] is not None)
