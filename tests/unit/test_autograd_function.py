"""Custom operations with autograd.Function: forward and backward written by hand.

The rules are PyTorch's (torch/autograd/function.py): ``apply`` runs
``forward(ctx, ...)`` without recording and records one node named
``<Class>Backward``; ``backward(ctx, *grads)`` returns one gradient per
forward argument (None for non-tensors); ``ctx.save_for_backward`` keeps
tensors that are version-checked and freed like any saved tensor.
"""

import math

import pytest

import minigrad as mg

MODIFIED = (
    "one of the variables needed for gradient computation has been modified by an inplace operation"
)


class ScaledCube(mg.autograd.Function):
    """y = k * x^3, with dy/dx = 3 k x^2 written by hand; k is a plain number."""

    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        ctx.grad_enabled_in_forward = mg.is_grad_enabled()
        return x**3 * k

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        ctx.needs_seen = ctx.needs_input_grad
        return grad * 3 * x**2 * ctx.k, None


def test_apply_records_one_node_named_after_the_class():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = ScaledCube.apply(x, 2.0)
    assert y.tolist() == [2.0, 16.0]
    assert y.grad_fn.name() == "ScaledCubeBackward"
    assert not y.is_leaf and y.requires_grad
    (edge,) = y.grad_fn.next_functions
    assert edge[0].variable is x  # straight to x's AccumulateGrad: forward's ops left no trace


def test_forward_runs_without_recording():
    x = mg.tensor([1.0], requires_grad=True)
    y = ScaledCube.apply(x, 1.0)
    assert y.grad_fn.grad_enabled_in_forward is False  # ctx is the node


def test_backward_uses_the_hand_written_formula():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    ScaledCube.apply(x, 2.0).sum().backward()
    assert x.grad.tolist() == [6.0, 24.0]  # 3 k x^2 with k = 2


def test_needs_input_grad_says_which_arguments_want_a_gradient():
    x = mg.tensor([1.0], requires_grad=True)
    y = ScaledCube.apply(x, 2.0)
    y.sum().backward()
    assert y.grad_fn.needs_seen == (True, False)


def test_a_custom_function_composes_with_ordinary_ops_by_the_chain_rule():
    x = mg.tensor([0.5], dtype=mg.float64, requires_grad=True)
    ScaledCube.apply(x.exp(), 1.0).sum().backward()  # (e^x)^3 = e^(3x)
    assert math.isclose(x.grad.item(), 3 * math.exp(1.5), rel_tol=1e-12)


def test_nothing_is_recorded_when_no_input_requires_grad_or_under_no_grad():
    y = ScaledCube.apply(mg.tensor([1.0]), 1.0)
    assert y.grad_fn is None and not y.requires_grad
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        y = ScaledCube.apply(x, 1.0)
    assert y.grad_fn is None and not y.requires_grad


def test_saved_tensors_are_freed_after_backward():
    x = mg.tensor([1.0], requires_grad=True)
    y = ScaledCube.apply(x, 1.0)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.sum().backward()


def test_saved_tensors_are_version_checked():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = ScaledCube.apply(x, 1.0)
    with mg.no_grad():
        x.mul_(2)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


def test_retain_graph_lets_a_custom_function_run_backward_twice():
    x = mg.tensor([1.0], requires_grad=True)
    y = ScaledCube.apply(x, 1.0).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [6.0]  # 3x^2, twice


class Product(mg.autograd.Function):
    """Two tensor inputs: d(ab)/da = b, d(ab)/db = a."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a


def test_each_tensor_input_gets_its_own_gradient():
    a = mg.tensor([2.0, 3.0], requires_grad=True)
    b = mg.tensor([5.0, 7.0], requires_grad=True)
    Product.apply(a, b).sum().backward()
    assert a.grad.tolist() == [5.0, 7.0] and b.grad.tolist() == [2.0, 3.0]


def test_a_gradient_for_an_input_that_needs_none_is_dropped():
    a = mg.tensor([2.0], requires_grad=True)
    b = mg.tensor([5.0])
    y = Product.apply(a, b)
    assert y.grad_fn.next_functions[1] == (None, 0)
    y.sum().backward()
    assert a.grad.tolist() == [5.0] and b.grad is None


class SavesOutput(mg.autograd.Function):
    """y = e^x, saving y itself for dy/dx = y (as the built-in exp does)."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


def test_the_output_can_be_saved_for_backward():
    x = mg.tensor([0.0, 1.0], dtype=mg.float64, requires_grad=True)
    y = SavesOutput.apply(x)
    y.sum().backward()
    assert x.grad.tolist() == [1.0, math.exp(1.0)]


def test_changing_a_saved_output_in_place_is_caught():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = SavesOutput.apply(x)
    z = y.sum()
    y.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED):
        z.backward()


class Identity(mg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        return grad * 5


def test_returning_an_input_unchanged_still_gives_a_new_tensor_with_history():
    x = mg.tensor([1.0], requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and y.grad_fn.name() == "IdentityBackward"
    y.sum().backward()
    assert x.grad.tolist() == [5.0]


class TooManyGradients(mg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


def test_backward_returning_the_wrong_number_of_gradients_raises():
    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match=r"function TooManyGradientsBackward returned an "
        r"incorrect number of gradients \(expected 1, got 2\)",
    ):
        TooManyGradients.apply(x).sum().backward()


def test_save_for_backward_accepts_only_tensors_or_none():
    class SavesANumber(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3.0)
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(TypeError, match="save_for_backward can only save variables"):
        SavesANumber.apply(mg.tensor([1.0], requires_grad=True))


def test_a_custom_function_works_under_create_graph_when_its_backward_uses_tensor_ops():
    x = mg.tensor([2.0], dtype=mg.float64, requires_grad=True)
    (g,) = mg.autograd.grad(ScaledCube.apply(x, 1.0).sum(), x, create_graph=True)
    assert g.tolist() == [12.0] and g.requires_grad  # 3x^2
    (h,) = mg.autograd.grad(g.sum(), x)
    assert h.tolist() == [12.0]  # 6x
