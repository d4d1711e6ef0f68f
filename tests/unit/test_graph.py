"""The recorded graph: grad_fn nodes, their edges, and what they save.

Rules (PyTorch's): requires_grad flows forward; an op records a node only when
grad mode is on and an input requires grad; a node's next_functions hold one
edge per input (None for inputs that need no gradient), leaves end in an
AccumulateGrad node; each node saves exactly what its backward formula needs
(add: nothing; mul: the other input; exp: its output), and the saved tensors
are freed by backward unless retain_graph=True.
"""

import gc
import weakref

import pytest

import minigrad as mg

FREED = "Trying to backward through the graph a second time"


def _saved_names(node):
    return sorted(a for a in dir(node) if a.startswith("_saved_"))


def _saved_tensors(node):
    """The saved attributes that hold tensors (PyTorch also saves plain numbers, like alpha)."""
    return [a for a in _saved_names(node) if isinstance(getattr(node, a), mg.Tensor)]


def test_requires_grad_flows_forward_from_any_input():
    a = mg.tensor([1.0], requires_grad=True)
    b = mg.tensor([2.0])
    assert (a * b).requires_grad and (b * a).requires_grad
    assert ((b + 1) * (b * a)).requires_grad
    assert not (b * b).requires_grad


def test_results_of_recorded_ops_are_non_leaves_with_a_grad_fn():
    a = mg.tensor([1.0], requires_grad=True)
    y = a * 2
    assert not y.is_leaf and y.grad_fn is not None
    assert y.grad_fn.name() == "MulBackward0"


def test_ops_on_tensors_that_do_not_require_grad_record_nothing():
    b = mg.tensor([2.0])
    y = (b * 3).exp().sum()
    assert y.grad_fn is None and y.is_leaf and not y.requires_grad


def test_next_functions_point_at_the_input_nodes_and_none_for_constants():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    c = mg.tensor([3.0, 4.0])
    y = x * c + x
    (mul_node, _), (acc_node, _) = y.grad_fn.next_functions
    assert y.grad_fn.name() == "AddBackward0"
    assert mul_node is (y.grad_fn.next_functions[0][0]) and mul_node.name() == "MulBackward0"
    assert acc_node.name().endswith("AccumulateGrad")
    # x*c: an edge to x's accumulator, and (None, 0) for the constant c
    assert mul_node.next_functions[0][0] is acc_node
    assert mul_node.next_functions[1] == (None, 0)
    assert all(index == 0 for _, index in y.grad_fn.next_functions)


def test_accumulate_grad_node_holds_the_leaf_and_is_shared_by_all_its_uses():
    x = mg.tensor([1.0], requires_grad=True)
    y, z = x * 2, x + 1
    acc_y, acc_z = y.grad_fn.next_functions[0][0], z.grad_fn.next_functions[0][0]
    assert acc_y is acc_z
    assert acc_y.variable is x
    assert acc_y.next_functions == ()


def test_add_saves_no_tensors():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    assert _saved_tensors((x + w).grad_fn) == []
    assert _saved_tensors((x - w).grad_fn) == []


def test_mul_saves_each_input_for_the_other_inputs_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    node = (x * w).grad_fn
    assert _saved_tensors(node) == ["_saved_other", "_saved_self"]
    assert node._saved_self.tolist() == [1.0, 2.0]
    assert node._saved_other.tolist() == [3.0, 4.0]


def test_mul_by_a_constant_saves_only_the_constant():
    """d(x*c)/dx = c: x itself is not needed, so PyTorch does not keep it."""
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    c = mg.tensor([3.0, 4.0])
    node = (x * c).grad_fn
    assert node._saved_other.tolist() == [3.0, 4.0]
    assert getattr(node, "_saved_self", None) is None


def test_exp_saves_its_output_not_its_input():
    x = mg.tensor([0.0, 1.0], requires_grad=True)
    y = x.exp()
    assert _saved_tensors(y.grad_fn) == ["_saved_result"]
    assert y.grad_fn._saved_result.tolist() == y.tolist()


@pytest.mark.parametrize(
    "make, saved",
    [
        (lambda x: x.tanh(), ["_saved_result"]),
        (lambda x: x.sigmoid(), ["_saved_result"]),
        (lambda x: x.log(), ["_saved_self"]),
        (lambda x: x**2, ["_saved_self"]),
        (lambda x: x.sum(), []),
        (lambda x: x.reshape(2, 1), []),
    ],
    ids=["tanh", "sigmoid", "log", "pow", "sum", "reshape"],
)
def test_unary_ops_save_what_their_derivative_needs(make, saved):
    """tanh' = 1 - tanh^2 and sigmoid' = s(1-s) use the output; log' = 1/x and
    (x^2)' = 2x use the input; sum and reshape need no values at all."""
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert _saved_tensors(make(x).grad_fn) == saved


def test_mm_saves_each_matrix_only_when_the_other_needs_a_gradient():
    a = mg.ones(2, 3, requires_grad=True)
    b = mg.ones(3, 2)
    node = (a @ b).grad_fn
    assert node.name() == "MmBackward0"
    assert getattr(node, "_saved_self", None) is None  # b needs no gradient, so a is not kept
    assert node._saved_mat2.shape == (3, 2)


def test_saved_tensors_are_freed_by_backward():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.sum().backward()
    with pytest.raises(RuntimeError, match=FREED):
        _ = y.grad_fn._saved_self


def test_retain_graph_keeps_the_saved_tensors():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    y.sum().backward(retain_graph=True)
    assert y.grad_fn._saved_self.tolist() == [1.0, 2.0]


def test_saving_an_output_creates_no_reference_cycle():
    """exp saves its own output; the node must not keep the output's grad_fn alive
    through it, or dropping the output could not free the graph at once."""
    x = mg.tensor([1.0], requires_grad=True)
    y = x.exp()
    node = weakref.ref(y.grad_fn)
    gc.disable()
    try:
        del y
        assert node() is None  # freed by reference counting alone
    finally:
        gc.enable()


def test_graph_is_released_when_its_output_is_dropped():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = ((x * 3).tanh() + x).sum()
    nodes = [weakref.ref(y.grad_fn), weakref.ref(y.grad_fn.next_functions[0][0])]
    gc.disable()
    try:
        del y
        assert [n() for n in nodes] == [None, None]
    finally:
        gc.enable()


def test_each_recorded_op_makes_a_new_node():
    x = mg.tensor([1.0], requires_grad=True)
    assert (x * 2).grad_fn is not (x * 2).grad_fn


def test_views_are_recorded_as_ops_of_their_own():
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert x.reshape(4).grad_fn.name() == "ViewBackward0"
    assert x.transpose(0, 1).grad_fn.name() == "TransposeBackward0"
    assert x[0].grad_fn.name() == "SelectBackward0"
    assert x.unsqueeze(0).grad_fn.next_functions[0][0].variable is x
