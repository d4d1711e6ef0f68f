"""The backward pass: where gradients go, what is kept, and what is freed.

Every expected gradient is derived by hand in the test (the derivation is in
a comment beside it). The rules are PyTorch's: gradients add into leaves'
``.grad`` (in place, across calls), pass through non-leaves without being
stored unless ``retain_grad()``, run hooks, free the graph unless
``retain_graph``, and ``create_graph`` records the backward pass itself.
"""

import math
import warnings

import pytest

import minigrad as mg

FREED = "Trying to backward through the graph a second time"
CYCLE_WARNING = "Using backward\\(\\) with create_graph=True will create a reference cycle"


def _close(values, expected, tol=1e-5):
    return all(
        math.isclose(v, e, rel_tol=tol, abs_tol=tol) for v, e in zip(values, expected, strict=True)
    )


# --- leaves and non-leaves -----------------------------------------------------
def test_backward_fills_grad_of_the_leaves():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    (x * w).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]  # d(sum x*w)/dx = w
    assert w.grad.tolist() == [1.0, 2.0]  # d/dw = x


def test_leaf_grad_accumulates_in_place():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    first = x.grad
    (x * x).sum().backward()
    # 3 + 2x, added into the same tensor object (PyTorch accumulates in place)
    assert x.grad.tolist() == [5.0, 7.0]
    assert x.grad is first


def test_grad_reset_to_none_starts_accumulation_afresh():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    x.grad = None
    (x * 5).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]


def test_leaf_grad_has_the_leaf_dtype_and_no_history():
    x = mg.tensor([1.0, 2.0], dtype=mg.float64, requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.dtype is mg.float64
    assert x.grad.requires_grad is False and x.grad.grad_fn is None


def test_nonleaf_passes_gradient_without_storing():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    (y * y).sum().backward()
    assert x.grad.tolist() == [8.0, 16.0]  # d(sum (2x)^2)/dx = 8x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert y.grad is None


def test_retain_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    assert y.retains_grad
    (y * y).sum().backward()
    assert y.grad.tolist() == [4.0, 8.0]  # d(sum y^2)/dy = 2y = 4x
    assert y.grad.requires_grad is False
    assert x.grad.tolist() == [8.0, 16.0]


def test_retained_grad_of_a_non_leaf_accumulates_over_two_backwards():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = (y * y).sum()
    z.backward(retain_graph=True)
    z.backward()
    assert y.grad.tolist() == [8.0, 16.0]  # 2y, twice


def test_retain_grad_on_a_leaf_changes_nothing():
    x = mg.tensor([1.0], requires_grad=True)
    x.retain_grad()
    assert x.retains_grad is False  # leaves keep .grad anyway; PyTorch reports False
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0]


def test_retain_grad_on_a_tensor_that_does_not_require_grad_raises():
    with pytest.raises(
        RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"
    ):
        mg.tensor([1.0]).retain_grad()


# --- graph shapes --------------------------------------------------------------------
def test_gradients_from_every_path_add_up():
    x = mg.tensor(3.0, requires_grad=True)
    y = x * x
    z = y + y * x  # z = x^2 + x^3
    z.backward()
    assert x.grad.item() == 2 * 3.0 + 3 * 3.0**2  # 2x + 3x^2 = 33


def test_a_leaf_used_twice_in_one_op_gets_both_contributions():
    x = mg.tensor([1.5, -2.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [3.0, -4.0]  # 2x


def test_a_shared_non_leaf_is_run_once_with_the_summed_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    (y * 3 + y * 5).sum().backward()
    assert seen == [[8.0, 8.0]]  # one call, with 3 + 5
    assert x.grad.tolist() == [16.0, 16.0]


def test_gradient_of_a_broadcast_input_is_summed_back_to_its_shape():
    x = mg.ones(2, 3, requires_grad=True)
    row = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)  # broadcast over 2 rows
    column = mg.tensor([[10.0], [20.0]], requires_grad=True)  # broadcast over 3 columns
    (x * row + column).sum().backward()
    assert row.grad.tolist() == [2.0, 2.0, 2.0]  # sum over rows of x (ones): 2
    assert column.grad.tolist() == [[3.0], [3.0]]  # 3 columns each contribute 1
    assert x.grad.tolist() == [[1.0, 2.0, 3.0]] * 2


def test_gradient_of_a_python_number_operand_is_not_needed():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (3.0 - x * 2.0).sum().backward()
    assert x.grad.tolist() == [-2.0, -2.0]


# --- the starting gradient -------------------------------------------------------------
def test_backward_of_a_non_scalar_needs_a_gradient_argument():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match="grad can be implicitly created only for scalar outputs"
    ):
        (x * x).backward()


def test_gradient_argument_gives_the_vector_jacobian_product():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).backward(gradient=mg.tensor([1.0, 10.0]))
    assert x.grad.tolist() == [2.0, 40.0]  # v * 2x


def test_gradient_argument_of_the_wrong_shape_raises():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * x).backward(mg.tensor([1.0, 1.0, 1.0]))


def test_backward_on_a_tensor_without_grad_raises():
    with pytest.raises(
        RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"
    ):
        mg.tensor([1.0, 2.0]).sum().backward()


def test_backward_on_a_leaf_fills_its_own_grad():
    x = mg.tensor(2.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


# --- hooks -----------------------------------------------------------------------------
def test_hook_on_a_leaf_sees_the_gradient_and_can_replace_it():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()) or g * 10)
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]]
    assert x.grad.tolist() == [30.0, 30.0]


def test_hook_on_a_non_leaf_changes_what_flows_on():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g + 1)
    (y * y).sum().backward()
    # dL/dy = 2y = [4, 8]; the hook makes it [5, 9]; dy/dx = 2
    assert x.grad.tolist() == [10.0, 18.0]


def test_hook_returning_none_keeps_the_gradient():
    x = mg.tensor([1.0], requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append(1))
    (x * 4).sum().backward()
    assert calls == [1] and x.grad.tolist() == [4.0]


def test_hooks_run_in_registration_order_each_seeing_the_previous_result():
    x = mg.tensor([1.0], requires_grad=True)
    x.register_hook(lambda g: g + 1)
    x.register_hook(lambda g: g * 10)
    (x * 2).sum().backward()
    assert x.grad.tolist() == [30.0]  # (2 + 1) * 10


def test_handle_remove_unregisters_the_hook():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    handle = x.register_hook(lambda g: calls.append(1) or g * 10)
    handle.remove()
    (x * 3).sum().backward()
    assert calls == [] and x.grad.tolist() == [3.0, 3.0]
    handle.remove()  # removing twice is harmless


def test_removing_a_non_leaf_hook_between_backwards():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    handle = y.register_hook(lambda g: g * 0)
    z = y.sum()
    z.backward(retain_graph=True)
    assert x.grad.tolist() == [0.0, 0.0]
    handle.remove()
    z.backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_retained_grad_is_the_gradient_after_the_hooks():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 100)  # registered after retain_grad, still applies
    y.sum().backward()
    assert y.grad.tolist() == [100.0, 100.0]
    assert x.grad.tolist() == [200.0, 200.0]


def _hooked(calls):
    """Nodes that get ready together (a mul's two leaves, a sum's two branches) and a
    chain where one node at a time is ready: every hook says when it ran."""
    a = mg.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    b = mg.tensor([[1.5, 0.5], [-0.5, 1.0]], requires_grad=True)
    w = mg.tensor([[1.0], [-2.0]], requires_grad=True)
    for name, leaf in (("a", a), ("b", b), ("w", w)):
        leaf.register_hook(lambda g, name=name: calls.append(name))
    y = a * b
    y.register_hook(lambda g: calls.append("y"))
    u, v = mg.tanh(y), mg.exp(y) * a
    u.register_hook(lambda g: calls.append("u"))
    v.register_hook(lambda g: calls.append("v"))
    z = (u + v) @ w
    z.register_hook(lambda g: calls.append("z"))
    return z.sum()


def test_hooks_run_in_the_order_pytorch_runs_the_nodes():
    """Among ready nodes the most recently made runs first; ready leaves first in,
    first out. The orders are PyTorch 2.13's for the same programs (torch, CPU)."""
    calls = []
    _hooked(calls).backward()
    assert calls == ["z", "w", "v", "u", "y", "a", "b"]
    calls = []
    a, b, c, d = (mg.tensor([1.0, 2.0], requires_grad=True) for _ in range(4))
    for name, leaf in zip("abcd", (a, b, c, d)):
        leaf.register_hook(lambda g, name=name: calls.append(name))
    (d * c + b * a + (a + d)).sum().backward()
    assert calls == ["b", "a", "d", "c"]


def test_a_traced_backward_runs_the_nodes_in_the_same_order():
    """trace_backward's steps (one per node run, a leaf's once its gradient is there)
    come in the order the hooks ran: PyTorch's (its node pre-hooks see the same order)."""
    calls = []
    steps = mg.engine.trace_backward(_hooked(calls), retain_graph=False)
    names = [step.node.name() for step in steps]
    assert calls == ["z", "w", "v", "u", "y", "a", "b"]
    assert names == [
        "SumBackward0",
        "MmBackward0",
        "minigrad::autograd::AccumulateGrad",  # w
        "AddBackward0",
        "MulBackward0",  # v = exp(y) * a
        "ExpBackward0",
        "TanhBackward0",
        "MulBackward0",  # y = a * b
        "minigrad::autograd::AccumulateGrad",  # a
        "minigrad::autograd::AccumulateGrad",  # b
    ]


FORMULA_PROGRAMS = {
    "add, broadcast (fitted back)": lambda a, b, row: (a + row).sum(),
    "mul by a number": lambda a, b, row: (a * 3 * b).sum(),
    "matmul, tanh": lambda a, b, row: mg.tanh(a @ b.t()).sum(),
    "mean over a dim, a view": lambda a, b, row: (a[1] * b.mean(dim=0)).sum(),
    "float32 by float64": lambda a, b, row: (a * row.double()).sum(),
    "a custom Function among them": lambda a, b, row: mg.relu(_Twice.apply(a) - b).sum(),
}


class _Twice(mg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


@pytest.mark.parametrize("name", sorted(FORMULA_PROGRAMS))
def test_a_formula_called_directly_gives_what_calling_its_node_gives(name, monkeypatch):
    """engine.call_node's common case (a built-in op's formula on arrays, called
    directly) against calling the node, as everything else is called: the same
    gradients and dtypes. Calling the node is forced by turning ``_arrays_backward``
    off on every built-in op's node class."""
    found, called = [], []
    node_call = mg.function.FunctionCtx.__call__
    for direct in (True, False):
        monkeypatch.setattr(  # counted: which nodes are called as nodes
            mg.function.FunctionCtx,
            "__call__",
            lambda node, *grads, d=direct: called.append((d, node)) or node_call(node, *grads),
        )
        if not direct:
            for node_class in _op_node_classes():
                monkeypatch.setattr(node_class, "_arrays_backward", False)
        a = mg.tensor([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]], requires_grad=True)
        b = mg.tensor([[0.5, 1.5, -1.0], [2.0, -0.5, 1.0]], requires_grad=True)
        row = mg.tensor([1.0, 2.0, -3.0], requires_grad=True)
        FORMULA_PROGRAMS[name](a, b, row).backward()
        found.append(
            [(t.grad.dtype, t.grad.tolist()) if t.grad is not None else None for t in (a, b, row)]
        )
        monkeypatch.undo()
    assert found[0] == found[1]
    assert any(g is not None for g in found[0])
    # The direct path ran: no built-in op's node was called as a node, and every one was
    # when it was off.
    assert not [n for direct, n in called if direct and n._function.on_arrays]
    assert [n for direct, n in called if not direct and n._function.on_arrays]


def _op_node_classes():
    """The node class of every built-in op (a Function computing on arrays)."""
    classes, stack = [], [mg.function.Function]
    while stack:
        function = stack.pop()
        stack.extend(function.__subclasses__())
        if function is not mg.function.Function and function.on_arrays:
            classes.append(function._node_class)
    return classes


def test_register_hook_on_a_tensor_that_does_not_require_grad_raises():
    with pytest.raises(
        RuntimeError, match="cannot register a hook on a tensor that doesn't require gradient"
    ):
        mg.tensor([1.0]).register_hook(lambda g: g)


# --- freeing the graph -------------------------------------------------------------
def test_graph_freed_after_backward_unless_retain_graph():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    z = (x * x).sum()
    z.backward()
    with pytest.raises(RuntimeError, match=FREED):
        z.backward()

    x.grad = None
    z = (x * x).sum()
    z.backward(retain_graph=True)
    z.backward()  # the saved tensors were kept for this second pass
    assert x.grad.tolist() == [4.0, 8.0]  # 2x, twice


def test_a_graph_that_saved_nothing_can_be_walked_twice():
    """add and sum save no tensors, so there is nothing to free (PyTorch agrees)."""
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    z = (x + x).sum()
    z.backward()
    z.backward()
    assert x.grad.tolist() == [4.0, 4.0]


# --- higher order ----------------------------------------------------------------------
def test_create_graph_gives_second_derivatives():
    x = mg.tensor([2.0, -1.0], requires_grad=True)
    (g,) = mg.autograd.grad((x**3).sum(), x, create_graph=True)
    assert g.tolist() == [12.0, 3.0]  # 3x^2
    assert g.requires_grad and g.grad_fn is not None
    (h,) = mg.autograd.grad(g.sum(), x)
    assert h.tolist() == [12.0, -6.0]  # 6x


def test_create_graph_through_exp_uses_the_saved_output_with_its_history():
    x = mg.tensor([0.5], dtype=mg.float64, requires_grad=True)
    y = (x.exp() * x).sum()  # y = x e^x
    (g,) = mg.autograd.grad(y, x, create_graph=True)
    (h,) = mg.autograd.grad(g.sum(), x)
    e = math.exp(0.5)
    assert _close(g.tolist(), [(0.5 + 1) * e])  # (x + 1) e^x
    assert _close(h.tolist(), [(0.5 + 2) * e])  # (x + 2) e^x


def _sigmoid_second_derivative(v):
    s = 1 / (1 + math.exp(-v))
    return s * (1 - s) * (1 - 2 * s)  # d/dv of s(1 - s)


@pytest.mark.parametrize(
    "fn, second",
    [
        (lambda x: x.tanh(), lambda v: -2 * math.tanh(v) * (1 - math.tanh(v) ** 2)),
        (lambda x: x.sigmoid(), lambda v: _sigmoid_second_derivative(v)),
        (lambda x: x.log(), lambda v: -1 / v**2),
        (lambda x: x.sqrt(), lambda v: -0.25 * v**-1.5),
        (lambda x: 1 / x, lambda v: 2 / v**3),
        (lambda x: x.exp(), math.exp),
    ],
    ids=["tanh", "sigmoid", "log", "sqrt", "reciprocal", "exp"],
)
def test_second_derivative_of_unary_functions_matches_calculus(fn, second):
    v = 0.7
    x = mg.tensor([v], dtype=mg.float64, requires_grad=True)
    (g,) = mg.autograd.grad(fn(x).sum(), x, create_graph=True)
    (h,) = mg.autograd.grad(g.sum(), x)
    assert _close(h.tolist(), [second(v)], tol=1e-9)


def test_mixed_second_derivative_of_a_product():
    x = mg.tensor(2.0, dtype=mg.float64, requires_grad=True)
    w = mg.tensor(3.0, dtype=mg.float64, requires_grad=True)
    (gx,) = mg.autograd.grad(x * x * w, x, create_graph=True)  # 2xw
    gxw, gxx = mg.autograd.grad(gx, (w, x))
    assert (gxw.item(), gxx.item()) == (4.0, 6.0)  # d/dw 2xw = 2x; d/dx 2xw = 2w


def test_backward_with_create_graph_leaves_a_differentiable_grad(monkeypatch):
    monkeypatch.setattr(mg._warn_once, "_given", set())  # as in a fresh process
    x = mg.tensor([1.0], dtype=mg.float64, requires_grad=True)
    with pytest.warns(UserWarning, match=CYCLE_WARNING):
        (x**4).sum().backward(create_graph=True)
    g = x.grad
    assert g.tolist() == [4.0] and g.requires_grad  # 4x^3
    x.grad = None
    g.sum().backward()
    assert x.grad.tolist() == [12.0]  # 12x^2


def test_the_create_graph_warning_is_given_once_per_process_unless_warn_always(monkeypatch):
    # PyTorch 2.13 (TORCH_WARN_ONCE): only the first backward(create_graph=True) of a
    # process warns; torch.set_warn_always(True) makes every one warn.
    monkeypatch.setattr(mg._warn_once, "_given", set())
    monkeypatch.setattr(mg._warn_once, "_always", False)
    x = mg.tensor([1.0], requires_grad=True)
    counts = []
    for always in (False, False, True, True):
        mg.set_warn_always(always)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            (x * x).sum().backward(create_graph=True)
        counts.append(sum("reference cycle" in str(w.message) for w in caught))
    assert counts == [1, 0, 1, 1]


def test_without_create_graph_the_gradient_has_no_history():
    x = mg.tensor([1.0], requires_grad=True)
    (g,) = mg.autograd.grad((x**2).sum(), x)
    assert not g.requires_grad and g.grad_fn is None


# --- autograd.grad and autograd.backward ------------------------------------------------
def test_autograd_grad_returns_gradients_and_leaves_grad_untouched():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    gx, gw = mg.autograd.grad((x * w).sum(), [x, w])
    assert gx.tolist() == [3.0, 4.0] and gw.tolist() == [1.0, 2.0]
    assert x.grad is None and w.grad is None


def test_autograd_grad_with_respect_to_a_non_leaf():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    gy, gx = mg.autograd.grad((y * y).sum(), [y, x])
    assert gy.tolist() == [6.0, 12.0]  # 2y
    assert gx.tolist() == [18.0, 36.0]  # 2y * 3 = 18x


def test_autograd_grad_of_an_unused_input_raises_unless_allow_unused():
    x = mg.tensor([2.0], requires_grad=True)
    unused = mg.tensor([3.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match="appears to not have been used in the graph. Set allow_unused=True"
    ):
        mg.autograd.grad((x * 2).sum(), [x, unused])
    gx, gu = mg.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0] and gu is None


def test_autograd_grad_outputs_weight_the_outputs():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = mg.autograd.grad(x * x, x, grad_outputs=mg.tensor([1.0, 10.0]))
    assert g.tolist() == [2.0, 40.0]


def test_autograd_grad_of_several_outputs_adds_their_contributions():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (g,) = mg.autograd.grad([(x * x).sum(), (x * 3).sum()], x)
    assert g.tolist() == [5.0, 7.0]  # 2x + 3


def test_autograd_grad_needs_inputs_that_require_grad():
    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(
        RuntimeError, match="One of the differentiated Tensors does not require grad"
    ):
        mg.autograd.grad((x * 2).sum(), mg.tensor([1.0]))


def test_autograd_grad_frees_the_graph_unless_retain_graph():
    x = mg.tensor([1.0], requires_grad=True)
    z = (x * x).sum()
    mg.autograd.grad(z, x, retain_graph=True)
    mg.autograd.grad(z, x)
    with pytest.raises(RuntimeError, match=FREED):
        mg.autograd.grad(z, x)


def test_autograd_backward_takes_several_tensors_and_their_gradients():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    mg.autograd.backward([x * x, x * 3], [mg.ones(2), mg.tensor([1.0, 2.0])])
    assert x.grad.tolist() == [5.0, 10.0]  # 2x * 1 + 3 * [1, 2]


def test_autograd_backward_needs_a_gradient_for_every_tensor():
    """As PyTorch 2.13 (checked with torch): too few gradients raise, in its words (the
    tensors' count, then the gradients'); more than the tensors are ignored."""
    a = mg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="^got 2 tensors and 1 gradients$"):
        mg.autograd.backward([a.sum(), a.sum()], [mg.tensor(1.0)])
    mg.autograd.backward([a.sum()], [mg.tensor(1.0), mg.tensor(2.0)])
    assert a.grad.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="^got 2 tensors and 1 gradients$"):
        mg.autograd.grad([a.sum(), (a * 2).sum()], a, [mg.tensor(1.0)])


def test_the_starting_gradients_are_checked_before_the_outputs():
    """PyTorch 2.13 (checked with torch) looks at every gradient it was given (or makes),
    then at their count, then at whether each output has a graph behind it."""
    a = mg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        mg.autograd.backward([mg.ones(2).sum(), a * 2])
    with pytest.raises(RuntimeError, match="^got 2 tensors and 1 gradients$"):
        mg.autograd.backward([mg.ones(2).sum(), a.sum()], [None])
    with pytest.raises(RuntimeError, match="^element 0 of tensors does not require grad"):
        mg.autograd.backward([mg.ones(2) * 2, a.sum()])


def test_inputs_that_are_not_tensors_get_pytorchs_error():
    a = mg.ones(2, requires_grad=True)
    message = "^all inputs have to be Tensors or GradientEdges, but got float$"  # torch 2.13
    with pytest.raises(RuntimeError, match=message):
        a.sum().backward(inputs=[1.0])
    with pytest.raises(RuntimeError, match=message):
        mg.autograd.grad(a.sum(), [a, 1.0])


def test_backward_with_inputs_fills_only_those_leaves():
    x = mg.tensor([1.0], requires_grad=True)
    w = mg.tensor([2.0], requires_grad=True)
    (x * w).sum().backward(inputs=[x])
    assert x.grad.tolist() == [2.0] and w.grad is None


def test_backward_runs_without_recording_unless_create_graph():
    x = mg.tensor([1.0], requires_grad=True)
    modes = []
    y = x * 2
    y.register_hook(lambda g: modes.append(mg.is_grad_enabled()))
    y.sum().backward(retain_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the reference-cycle warning
        y.sum().backward(create_graph=True)
    assert modes == [False, True]
    assert mg.is_grad_enabled()


def test_anomaly_mode_is_one_switch_for_every_thread():
    """As in PyTorch 2.13 (a thread started after ``set_detect_anomaly(True)`` sees it on,
    checked with torch), unlike grad mode, of which each thread has its own."""
    import threading

    seen = []
    with mg.autograd.set_detect_anomaly(True), mg.no_grad():
        thread = threading.Thread(
            target=lambda: seen.append((mg.autograd.is_anomaly_enabled(), mg.is_grad_enabled()))
        )
        thread.start()
        thread.join()
    assert seen == [(True, True)]
    assert not mg.autograd.is_anomaly_enabled()
