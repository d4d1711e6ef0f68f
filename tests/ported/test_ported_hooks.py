"""Hooks, retain_grad and .grad, ported from PyTorch's test/test_autograd.py.

Each test names the PyTorch test it follows (class TestAutograd); it runs on
PyTorch 2.13 and on minigrad (see conftest.py).
"""

import gc
import warnings
import weakref

import numpy as np
import pytest
from ported_helpers import assert_close, tensor, value

differs = pytest.mark.differs


def test_tensor_grad_warnings(lib):
    """test_tensor_grad_warnings: reading .grad warns on a non-leaf, unless it retains grad."""
    dummy = lib.ones(1)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        dummy.requires_grad_()
        dummy.grad  # noqa: B018 - reading it is the point
        assert len(w) == 0
        dummy = dummy.clone()
        dummy.grad  # noqa: B018
        assert len(w) == 1
        dummy.retain_grad()
        dummy.grad  # noqa: B018
        assert len(w) == 1


def test_hooks(lib):
    """test_hooks: hooks run, are removed by their handles, and can change the gradient."""
    x = lib.ones(5, 5, requires_grad=True)
    y = lib.ones(5, 5) * 4
    y.requires_grad_(True)
    counter = [0]

    def bw_hook(inc, grad):
        assert isinstance(grad, lib.Tensor)
        counter[0] += inc

    z = x**2 + x * 2 + x * y + y
    x.register_hook(lambda *args: bw_hook(0, *args))
    test = z.register_hook(lambda *args: bw_hook(1, *args))
    z.backward(lib.ones(5, 5), retain_graph=True)
    assert counter[0] == 1
    test2 = z.register_hook(lambda *args: bw_hook(2, *args))
    z.backward(lib.ones(5, 5), retain_graph=True)
    assert counter[0] == 4
    test2.remove()
    z.backward(lib.ones(5, 5), retain_graph=True)
    assert counter[0] == 5
    test.remove()
    z.register_hook(lambda grad: grad.mul(2))
    with lib.no_grad():
        y.grad.zero_()
    z.backward(lib.ones(5, 5), retain_graph=True)
    assert_close(y.grad, (value(x) + 1) * 2)
    y.register_hook(lambda grad: grad.mul(2))
    with lib.no_grad():
        y.grad.zero_()
    z.backward(lib.ones(5, 5))
    assert_close(y.grad, (value(x) + 1) * 4)


def test_hook_with_no_name(lib):
    """test_hook_with_no_name: a callable object as a hook."""

    class MyHookClass:
        def __call__(self, grad):
            return grad.clone()

    x = tensor(lib, 5, requires_grad=True).clone()
    x.register_hook(MyHookClass())
    x.sum().backward()


def test_retains_grad_can_always_observe_tensor_prehook(lib):
    """test_retains_grad_can_always_observe_tensor_prehook."""

    def tensor_prehook(g):
        return g * 2

    a = lib.tensor(1.0, requires_grad=True)
    b = a.clone()
    b.register_hook(tensor_prehook)
    b.retain_grad()
    b.register_hook(tensor_prehook)
    b.clone().backward()
    assert b.grad.item() == 4
    a = lib.tensor(1.0, requires_grad=True)
    b = a.clone()
    b.retain_grad()
    b.register_hook(tensor_prehook)
    b.clone().backward()
    assert b.grad.item() == 2


def test_hook_edge_case_when_called_with_grad(lib):
    """test_hook_edge_case_when_called_with_grad (tensor hooks): grad runs the hooks of its
    inputs, leaves included."""
    a = lib.tensor(1.0, requires_grad=True)
    b = a * 2
    c = b * 2
    count = [0]

    def tensor_prehook(g):
        count[0] += 1

    a.register_hook(tensor_prehook)
    b.register_hook(tensor_prehook)
    lib.autograd.grad(c, inputs=(b), retain_graph=True)
    assert count == [1]
    count[0] = 0
    lib.autograd.grad(c, inputs=(a, b), retain_graph=True)
    assert count == [2]
    count[0] = 0
    c.backward(retain_graph=True)
    assert count == [2]


def test_retain_grad(lib):
    """test_retain_grad: repeated calls, accumulation, a no-op on leaves."""
    input = tensor(lib, 1, 3, requires_grad=True)
    h1 = input * 3
    out = (h1 * h1).sum()
    h1.retain_grad()
    h1.retain_grad()
    out.backward(retain_graph=True)
    assert_close(h1.grad, value(h1) * 2)
    out.backward(retain_graph=True)
    assert_close(h1.grad, value(h1) * 4)
    with lib.no_grad():
        input.grad.zero_()
    input.retain_grad()
    input.retain_grad()
    out.backward()
    assert_close(input.grad, value(input) * 18)


def test_retain_grad_inplace(lib):
    """test_retain_grad_inplace (without views): the gradient of the latest version."""
    a = lib.tensor([1.0], requires_grad=True).clone()
    a.retain_grad()
    a.mul_(2)
    a.sum().backward()
    assert a.grad.tolist() == [1.0]
    a = lib.tensor([1.0], requires_grad=True).clone()
    a.retain_grad()
    a.mul_(2)
    a.mul_(2)
    a.sum().backward()
    assert a.grad.tolist() == [1.0]


def test_retain_grad_inplace_on_views(lib):
    """test_retain_grad_inplace (the view part) and test_retain_grad_inplace_over_view."""
    x = lib.tensor([1.0], requires_grad=True).clone()
    x.retain_grad()
    x_view = x[:]
    x_view *= 2
    x *= 2
    x.sum().backward()
    assert x.grad.tolist() == [1.0]
    base = lib.tensor([1.0], requires_grad=True).clone()
    view = base[:]
    view2 = base[:]
    view.retain_grad()
    view2.retain_grad()
    view.mul_(2)
    (view + view2).sum().backward()
    assert view.grad.tolist() == view2.grad.tolist() == [1.0]
    x = lib.zeros(4)
    y = x.view(2, 2)
    y.add_(tensor(lib, 2, 2, dtype="float32", requires_grad=True))


def test_tensor_hooks_inplace(lib):
    """test_tensor_hooks_inplace: a hook registered after an in-place op is on the new
    version."""
    counts = [0, 0]

    def fn1(grad):
        counts[0] += 1
        assert grad.tolist() == [4.0]
        return grad * 2

    def fn2(grad):
        counts[1] += 1
        assert grad.tolist() == [1.0]
        return grad * 2

    a = lib.tensor([1.0], requires_grad=True)
    b = a.clone()
    b.register_hook(fn1)
    b.mul_(2)
    b.register_hook(fn2)
    b.sum().backward()
    assert counts == [1, 1]
    assert a.grad.tolist() == [8.0]
    count3 = [0]

    def fn3(grad):
        count3[0] += 1
        assert grad.tolist() == [4.0]
        return grad * 2

    a = lib.tensor([1.0], requires_grad=True)
    b = a.clone()
    b.register_hook(fn3)
    b.mul_(2)
    b.mul_(2)
    b.sum().backward()
    assert count3 == [1] and a.grad.tolist() == [8.0]


def test_tensor_hooks_inplace_over_view(lib):
    """test_tensor_hooks_inplace_over_view: hooks of a view changed in place don't run."""
    count = [0]

    def fail(grad):
        raise AssertionError("this hook must not run")

    def fn2(grad):
        count[0] += 1
        assert grad.tolist() == [1.0]

    base = lib.tensor([1.0], requires_grad=True).clone()
    view = base[:]
    view2 = base[:]
    view.register_hook(fail)
    view2.register_hook(fail)
    view.mul_(2)
    view2.grad_fn  # noqa: B018 - updates the view's grad_fn
    view2.register_hook(fn2)
    (view + view2).sum().backward()
    assert count == [1]


def _double_mul(lib):
    """PyTorch's DoubleMul: two outputs, ``x * 2`` and ``x * 3``."""

    class DoubleMul(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return g1 * 2 + g2 * 3

    return DoubleMul


def test_tensor_hooks_inplace_multiple_outputs(lib):
    """test_tensor_hooks_inplace_multiple_outputs (custom Function part)."""

    DoubleMul = _double_mul(lib)
    counts = [0, 0, 0]
    b = tensor(lib, 3, 3, requires_grad=True)
    out1, out2 = DoubleMul.apply(b)
    out1.register_hook(lambda g: counts.__setitem__(0, counts[0] + 1))
    out2.register_hook(lambda g: counts.__setitem__(1, counts[1] + 1))
    out1.mul_(2)
    out1.register_hook(lambda g: counts.__setitem__(2, counts[2] + 1))
    (out1 + out2 * 3).sum().backward()
    assert counts == [1, 1, 1]


def test_retains_grad_inplace_multiple_outputs(lib):
    """test_retains_grad_inplace_multiple_outputs (custom Function part)."""

    DoubleMul = _double_mul(lib)
    b = tensor(lib, 3, 3, requires_grad=True)
    var, mean = DoubleMul.apply(b)
    var.retain_grad()
    mean.retain_grad()
    var.mul_(2)
    (var + mean).sum().backward()
    assert_close(var.grad, np.ones((3, 3)))
    assert_close(mean.grad, np.ones((3, 3)))


def test_retain_grad_cycle(lib):
    """test_retain_grad_cycle: retain_grad() does not keep the tensor alive."""
    x = lib.ones(5, 5, requires_grad=True)

    def run_test():
        y = x * 2
        y.retain_grad()
        return y / 2, weakref.ref(y)

    z, ref = run_test()
    gc.collect()
    assert ref() is None
    z.sum().backward()


def test_grad_assignment(lib):
    """TestAutogradDeviceType.test_grad_assignment: what .grad = accepts."""
    x = tensor(lib, 5, 5, dtype="float32")
    with pytest.raises(TypeError, match="expected to be a Tensor or None"):
        x.grad = 0
    with pytest.raises(RuntimeError):
        x.grad = tensor(lib, 2, 2, dtype="float32")
    with pytest.raises(RuntimeError):
        x.grad = lib.zeros(5, 5, dtype=lib.int64)


def test_grad_self_assignment(lib):
    """TestAutogradDeviceType.test_grad_assignment (self-assignment part)."""
    x = tensor(lib, 5, 5, dtype="float32")
    with pytest.raises(RuntimeError):
        x.grad = x


def test_attribute_deletion(lib):
    """test_attribute_deletion (grad and requires_grad)."""
    x = tensor(lib, 5, 5, requires_grad=True)
    del x.grad
    assert x.grad is None
    with pytest.raises(RuntimeError):
        del x.requires_grad
