"""backward() and autograd.grad, ported from PyTorch's test/test_autograd.py.

Each test names the PyTorch test it follows (class TestAutograd unless said
otherwise); it runs on PyTorch 2.13 and on minigrad (see conftest.py).
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from ported_helpers import assert_close, leaves, quadratic, tensor, value

differs = pytest.mark.differs
pytestmark = pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")


def test_hessian_vector(lib):
    """test_hessian_vector: backward(create_graph=True), then backward of the grads."""
    x, y = leaves(lib, 2, 2)
    X, Y = value(x), value(y)
    z = quadratic(x, y)
    z.backward(lib.ones(2, 2, dtype=lib.float64), create_graph=True)
    assert_close(x.grad, 2 * X + Y)
    assert_close(y.grad, X + 2 * Y)
    grad_sum = 2 * x.grad + y.grad
    grad_sum.backward(lib.ones(2, 2, dtype=lib.float64))
    assert_close(x.grad, 2 * X + Y + 5)
    assert_close(y.grad, X + 2 * Y + 4)


def test_grad(lib):
    """test_grad: autograd.grad of a gradient leaves .grad alone; shape mismatch message."""
    x, y = leaves(lib, 2, 2)
    X, Y = value(x), value(y)
    z = quadratic(x, y)
    z.backward(lib.ones(2, 2, dtype=lib.float64), create_graph=True)
    grad_sum = 2 * x.grad + y.grad
    (x_hv,) = lib.autograd.grad(
        outputs=[grad_sum],
        grad_outputs=[lib.ones(2, 2, dtype=lib.float64)],
        inputs=[x],
        create_graph=True,
    )
    assert_close(x_hv, np.full((2, 2), 5.0))
    assert_close(x.grad, 2 * X + Y)
    assert_close(y.grad, X + 2 * Y)
    with pytest.raises(RuntimeError) as error:
        lib.autograd.grad(
            outputs=[grad_sum], grad_outputs=[lib.ones(2)], inputs=[x], create_graph=True
        )
    prefix = "torch" if lib.__name__ == "torch" else "minigrad"
    assert str(error.value) == (
        f"Mismatch in shape: grad_output[0] has a shape of {prefix}.Size([2]) and output[0] "
        f"has a shape of {prefix}.Size([2, 2])."
    )


def test_grad_nonleaf(lib):
    """test_grad_nonleaf: grad with respect to a non-leaf, several times over."""
    x_init = tensor(lib, 2, 2, seed=1, requires_grad=True)
    x = x_init
    y = tensor(lib, 2, 2, seed=2, requires_grad=True)
    grad_output = lib.ones(2, 2, dtype=lib.float64)

    def fn(x):
        return quadratic(x, y)

    for _ in range(5):
        (grad_x,) = lib.autograd.grad(fn(x), x, grad_outputs=grad_output, create_graph=True)
        assert y.grad is None and x_init.grad is None
        assert_close(grad_x, 2 * value(x) + value(y))
        x = x + 0.05 * grad_x
    assert fn(x).sum().item() > fn(x_init).sum().item()
    x.backward(grad_output)
    assert y.grad is not None and x_init.grad is not None


def test_grad_nonleaf_many_outputs(lib):
    """test_grad_nonleaf_many_outputs (with slices for chunk): hooks below the inputs don't run."""
    x = tensor(lib, 4, 2, requires_grad=True)
    a, b = x[:2], x[2:]
    called = []
    x.register_hook(lambda grad: called.append(grad))
    go = tensor(lib, 2, 2, seed=3)
    grad_a, grad_b = lib.autograd.grad(a + 2 * b, [a, b], grad_outputs=go, create_graph=True)
    assert_close(grad_a, value(go))
    assert_close(grad_b, 2 * value(go))
    assert called == [] and x.grad is None


def test_grad_nonleaf_register_hook(lib):
    """test_grad_nonleaf_register_hook (with indexing for unbind)."""
    x = tensor(lib, 5, requires_grad=True)
    seen = []
    x0 = x[0]
    x0.register_hook(lambda grad: seen.append(grad.item()))
    x0.backward()
    assert seen == [1.0]
    assert_close(x.grad, [1.0, 0, 0, 0, 0])
    expected = [1.0, 0, 0, 0, 0]
    for i in range(1, 5):
        x[i].backward()
        expected[i] = 1.0
        assert_close(x.grad, expected)
    assert seen == [1.0]


def test_grad_materialize_grads(lib):
    """test_grad_materialize_grads: zeros instead of None for unused inputs."""
    x = lib.tensor(0.5, requires_grad=True)
    a = lib.tensor(1.0, requires_grad=True)
    y = x * a
    dydx = lib.autograd.grad(y, x, create_graph=True)
    d2ydx2_none = lib.autograd.grad(dydx, x, create_graph=True, allow_unused=True)
    d2ydx2 = lib.autograd.grad(
        dydx, x, create_graph=True, allow_unused=True, materialize_grads=True
    )
    d3ydx3 = lib.autograd.grad(d2ydx2, x, materialize_grads=True)
    assert d2ydx2_none[0] is None
    assert d2ydx2[0].item() == 0 and d3ydx3[0].item() == 0
    with pytest.raises(ValueError, match="Expected allow_unused to be True or not passed when"):
        lib.autograd.grad(y, x, allow_unused=False, materialize_grads=True)


def test_unused_grad_requires_grad_with_materialize(lib):
    """test_unused_grad_requires_grad_with_materialize."""
    x = lib.ones(10, requires_grad=True)
    y = lib.ones(10, requires_grad=True)
    z = (x**2).sum()
    g = lib.autograd.grad(z, (x, y), allow_unused=True, materialize_grads=True)
    assert not g[0].requires_grad and not g[1].requires_grad


def test_sharded_grad(lib):
    """test_sharded_grad: grads of the intermediates in groups, then backward from them."""
    leaves = [lib.zeros(5, 5, dtype=lib.float64, requires_grad=True) for _ in range(10)]
    intermediates = [leaf * i + leaf * leaf for i, leaf in enumerate(leaves)]
    loss = sum(v * i for i, v in enumerate(intermediates)).sum()
    d_intermediates = []
    for start in range(0, len(intermediates), 2):
        d_intermediates += lib.autograd.grad(loss, intermediates[start : start + 2])
    lib.autograd.backward(intermediates, d_intermediates)
    for i, leaf in enumerate(leaves):
        assert_close(leaf.grad, i * i * (1 + value(leaf)))


def test_backward_badcalls(lib):
    """test_backward_badcalls."""
    with pytest.raises(RuntimeError, match="does not require grad"):
        lib.ones(1).backward()


def test_grad_badcalls(lib):
    """test_grad_badcalls."""
    x = lib.ones(1)
    y = x**2
    with pytest.raises(RuntimeError, match="does not require grad"):
        lib.autograd.grad(x, y)
    with pytest.raises(RuntimeError, match="does not require grad"):
        lib.autograd.grad(y, x)
    x = lib.ones(1, requires_grad=True)
    assert lib.autograd.grad(x**2, x)[0].tolist() == [2.0]


def test_grad_empty_inputs(lib):
    """test_grad_empty_inputs (PyTorch 2.13's error: RuntimeError, not ValueError)."""
    x = lib.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="`inputs` argument to `grad\\(\\)` cannot be empty."):
        lib.autograd.grad(2 * x, [], grad_outputs=lib.tensor([1.0]))


def test_grad_unreachable(lib):
    """test_grad_unreachable: allow_unused gives None; without it, an error."""
    x = lib.ones(1, requires_grad=True)
    y = lib.ones(1, requires_grad=True)
    z, w = x * 2, y * 2  # noqa: F841 - give both leaves a grad accumulator
    grad_x, grad_y = lib.autograd.grad(x * 2, [x, y], allow_unused=True)
    assert grad_x.tolist() == [2.0] and grad_y is None
    z = lib.ones(1, requires_grad=True)
    grad_x, grad_z = lib.autograd.grad(x * 2, [x, z], allow_unused=True)
    assert grad_x.tolist() == [2.0] and grad_z is None
    with pytest.raises(RuntimeError, match="Set allow_unused=True"):
        lib.autograd.grad(x * 2, [x, y], allow_unused=False)


def test_grad_unreachable_discovery(lib):
    """test_grad_unreachable_discovery: nodes that lead to no input are not run."""

    class MyFunc(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, x):
            raise AssertionError("This node should not be executed!")

    x = MyFunc.apply(lib.ones(1, requires_grad=True) * 2)
    y = lib.ones(1, requires_grad=True)
    assert lib.autograd.grad(x, (y,), allow_unused=True) == (None,)
    x = MyFunc.apply(lib.ones(1, requires_grad=True) * 2)
    z = lib.ones(1, requires_grad=True)
    gy, gz = lib.autograd.grad(x + z, (y, z), allow_unused=True)
    assert gy is None and gz is not None
    x = MyFunc.apply(lib.ones(1, requires_grad=True) * 2)
    lib.autograd.backward(x, inputs=(y,))
    assert y.grad is None


def test_backward(lib):
    """test_backward: the chain rule through + * / ** against the formula."""
    v, x = leaves(lib, 5, 5)
    y = tensor(lib, 5, 5, seed=3, low=0.1, high=1.1, requires_grad=True)
    z = tensor(lib, 5, 5, seed=4, requires_grad=True)
    grad_output = tensor(lib, 5, 5, seed=5)
    go = value(grad_output)
    v.backward(grad_output)
    assert_close(v.grad, go)
    X, Y, Z = value(x), value(y), value(z)
    a = x + (y * z) + 4 * z**2 * x / y
    a.backward(grad_output)
    assert_close(x.grad, (4 * Z**2 / Y + 1) * go)
    assert_close(y.grad, (Z - 4 * X * Z**2 / Y**2) * go)
    assert_close(z.grad, (8 * X * Z / Y + Y) * go)


def test_multi_backward(lib):
    """test_multi_backward: autograd.backward of two outputs with their gradients."""
    x, y, q, a, b = (tensor(lib, 5, 5, seed=s, requires_grad=True) for s in range(5))
    q2 = q * 2
    z = x + y + q2
    c = a * b + q2
    grad_z, grad_c = tensor(lib, 5, 5, seed=6), tensor(lib, 5, 5, seed=7)
    lib.autograd.backward([z, c], [grad_z, grad_c])
    assert_close(x.grad, value(grad_z))
    assert_close(y.grad, value(grad_z))
    assert_close(a.grad, value(grad_c) * value(b))
    assert_close(b.grad, value(grad_c) * value(a))
    assert_close(q.grad, (value(grad_c) + value(grad_z)) * 2)


def test_multi_backward_no_grad(lib):
    """test_multi_backward_no_grad: an output without grad_fn among them raises."""
    x = tensor(lib, 5, 5, requires_grad=True)
    y = tensor(lib, 5, 5, seed=1)
    z = x + y
    q = y * 2
    ones = lib.ones(5, 5, dtype=lib.float64)
    with pytest.raises(RuntimeError):
        lib.autograd.backward([z, q], [ones, ones])


def test_backward_with_inputs(lib):
    """test_backward_with_inputs: inputs= limits which .grad get filled."""
    x, y = leaves(lib, 2, 2)
    X, Y = value(x), value(y)

    def fn():
        return quadratic(x, y)

    gradient = lib.ones(2, 2, dtype=lib.float64)
    lib.autograd.backward(fn(), gradient, inputs=[x, y])
    assert_close(x.grad, 2 * X + Y)
    assert_close(y.grad, X + 2 * Y)

    def reset():
        with lib.no_grad():
            x.grad.zero_()
            y.grad.zero_()

    reset()
    lib.autograd.backward(fn(), gradient, inputs=[x])
    assert_close(x.grad, 2 * X + Y)
    assert_close(y.grad, np.zeros((2, 2)))
    reset()
    lib.autograd.backward(fn(), gradient, inputs=y)
    assert_close(y.grad, X + 2 * Y)
    assert_close(x.grad, np.zeros((2, 2)))
    reset()
    with pytest.raises(RuntimeError, match="cannot be empty"):
        lib.autograd.backward(fn(), gradient, inputs=[])


def test_backward_with_scalar_input(lib):
    """test_backward_with_scalar_input."""
    x = lib.tensor(0.7, dtype=lib.float64, requires_grad=True)
    (x**2).backward(inputs=x)
    assert_close(x.grad, 1.4)


def test_backward_with_nonleaf_inputs(lib):
    """test_backward_with_nonleaf_inputs: inputs= can name a non-leaf; its .grad is filled."""
    x = tensor(lib, 2, 2, seed=1, requires_grad=True)
    x_nonleaf = x * 1
    y = tensor(lib, 2, 2, seed=2, requires_grad=True)
    z = tensor(lib, 2, 2, seed=3, requires_grad=True)
    X, Y = value(x), value(y)
    out = x_nonleaf**2 + y * x_nonleaf + y**2
    ones = lib.ones(2, 2, dtype=lib.float64)
    out.backward(ones, create_graph=True, inputs=[x, y, x_nonleaf])
    assert_close(y.grad, X + 2 * Y)
    assert_close(x.grad, 2 * X + Y)
    assert_close(x_nonleaf.grad, 2 * X + Y)
    out.backward(ones, create_graph=True, inputs=[z])
    assert z.grad is None


def test_dependent_backward(lib):
    """test_dependent_backward: two outputs, one computed from the other."""
    x = tensor(lib, 10, requires_grad=True)
    y = x**2
    z = y**3
    go_y, go_z = tensor(lib, 10, seed=1), tensor(lib, 10, seed=2)
    lib.autograd.backward([y, z], [go_y, go_z])
    X = value(x)
    assert_close(x.grad, 2 * X * value(go_y) + 6 * X**5 * value(go_z))


def test_duplicate_backward_root(lib):
    """test_duplicate_backward_root: the same output twice adds up."""
    a, b = leaves(lib, 5, 5)
    x = a * b
    grad_output = tensor(lib, 5, 5, seed=3)
    lib.autograd.backward([x, x], [grad_output, grad_output])
    assert_close(a.grad, value(b) * value(grad_output) * 2)
    assert_close(b.grad, value(a) * value(grad_output) * 2)


def test_backward_no_grad(lib):
    """test_backward_no_grad: no gradient given for a non-scalar output."""
    a = tensor(lib, 5, 5, requires_grad=True)
    with pytest.raises(RuntimeError):
        lib.autograd.backward([a + 2], [None])


def _setitem_from_index(lib):
    b = tensor(lib, 3, requires_grad=True)
    c = lib.zeros(3, dtype=lib.float64)
    c[[1, 2]] = b[[1, 1]]
    return c


def test_backward_twice_with_saved_values(lib):
    """test_backward_twice_with_saved_values."""
    c = _setitem_from_index(lib)
    c.backward(lib.tensor([1, 1, 1], dtype=lib.float64))
    with pytest.raises(RuntimeError, match="Specify retain_graph=True"):
        c.backward(lib.tensor([1, 1, 1], dtype=lib.float64))


def test_backward_twice_retained_graph_with_saved_values(lib):
    """test_backward_twice_retained_graph_with_saved_values."""
    c = _setitem_from_index(lib)
    c.backward(lib.tensor([1, 1, 1], dtype=lib.float64), retain_graph=True)
    c.backward(lib.tensor([1, 1, 1], dtype=lib.float64))


def test_backward_twice_without_saved_values(lib):
    """test_backward_twice_without_saved_values: add saves nothing."""
    b = tensor(lib, 3, requires_grad=True)
    c = b + 1
    c.backward(lib.tensor([1, 1, 1], dtype=lib.float64))
    c.backward(lib.tensor([1, 1, 1], dtype=lib.float64))
    assert_close(b.grad, [2.0, 2.0, 2.0])


def test_backward_create_graph_warns(lib):
    """test_backward_create_graph_warns: backward warns, autograd.grad does not."""
    import warnings

    b = tensor(lib, 3, requires_grad=True)
    c = b * b
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        c.backward(lib.ones_like(c), create_graph=True)
    b.grad = None
    assert any("Using backward() with create_graph=True" in str(w.message) for w in ws)
    with warnings.catch_warnings(record=True) as ws:
        warnings.simplefilter("always")
        lib.autograd.grad(c, b, lib.ones_like(c), create_graph=True)
    assert not any("Using backward() with create_graph=True" in str(w.message) for w in ws)


def test_next_functions(lib):
    """test_next_functions: leaves appear as AccumulateGrad, constants as None."""
    x, y = leaves(lib, 5, 5)
    a = x + y
    next_functions = a.grad_fn.next_functions
    assert len(next_functions) == 2
    for node, input_nr in next_functions:
        assert node.name().endswith("AccumulateGrad") and input_nr == 0
    b = a + 5
    assert b.grad_fn.next_functions[0][0] is a.grad_fn
    assert b.grad_fn.next_functions[1][0] is None


def test_accumulate_grad(lib):
    """test_accumulate_grad: in place without create_graph, out of place with it."""
    grad_output = lib.ones(5, 5, dtype=lib.float64)

    def compute_grad(create_graph):
        x = tensor(lib, 5, 5, requires_grad=True)
        y = x + 2
        y.backward(grad_output, retain_graph=True)
        x_grad = x.grad
        x_grad_clone = x.grad.clone()
        y.backward(grad_output, create_graph=create_graph)
        return x_grad, x_grad_clone

    x_grad, x_grad_clone = compute_grad(create_graph=False)
    assert_close(x_grad, value(x_grad_clone) * 2)
    x_grad, x_grad_clone = compute_grad(create_graph=True)
    assert_close(x_grad, value(x_grad_clone))


def test_accumulate_grad_tensor_reference(lib):
    """test_accumulate_grad_tensor_reference (dense part): .grad keeps its identity
    unless create_graph."""
    for create_graph in (False, True):
        params = lib.tensor([1.5, 1.5]).requires_grad_()
        params.grad = lib.tensor([1.5, 1.5])
        grad_saved = params.grad
        params.backward(lib.tensor([1.5, 1.5]), create_graph=create_graph)
        assert (id(grad_saved) == id(params.grad)) == (not create_graph)


def test_accumulate_grad_with_zero_numel_grad(lib):
    """test_accumulate_grad_with_zero_numel_grad (also test_sum_to_with_empty_dim_grad)."""
    a = lib.ones(4, 0, requires_grad=True)
    b = lib.ones(4, 1, requires_grad=True)
    c = a + b
    assert tuple(c.shape) == (4, 0)
    c.sum().backward()
    assert b.grad.tolist() == [[0.0]] * 4
    assert tuple(a.grad.shape) == (4, 0)


def test_backward_copy(lib):
    """test_backward_copy: one gradient buffered in three places is not shared."""
    x = lib.ones(5, 5, requires_grad=True)
    y = lib.ones(5, 5, requires_grad=True)
    a, b, c = x + 2, y + 2, x + 2
    add1 = a + b
    add2 = add1 + c
    for _ in range(4):
        a, b, c = a * 2, b * 2, c * 2
    out = add2 + a + b + c
    out.backward(lib.ones(5, 5))
    assert_close(x.grad, np.full((5, 5), 34.0))
    assert_close(y.grad, np.full((5, 5), 17.0))


def test_select_expanded_v(lib):
    """test_select_expanded_v: an expanded grad_outputs."""
    v = tensor(lib, 4, seed=1)
    v_expanded = v.expand(4, 4)
    a = tensor(lib, 4, 4, 4, requires_grad=True)
    (result,) = lib.autograd.grad(a[0], a, v_expanded)
    expected = np.zeros((4, 4, 4))
    expected[0] = np.broadcast_to(value(v), (4, 4))
    assert_close(result, expected)


def test_slice_expanded_v(lib):
    """test_slice_expanded_v."""
    v = tensor(lib, 4, 1, seed=1)
    v_expanded = v.expand(2, 4, 4)
    a = tensor(lib, 4, 4, 4, requires_grad=True)
    (result,) = lib.autograd.grad(a[1:3], a, v_expanded)
    expected = np.zeros((4, 4, 4))
    expected[1:3] = np.broadcast_to(value(v), (2, 4, 4))
    assert_close(result, expected)


def test_unused_output(lib):
    """test_unused_output (with slices for chunk)."""
    x = tensor(lib, 10, 10, requires_grad=True)
    o = x[4:6] * 4 + 2
    o.sum().backward()
    expected = np.zeros((10, 10))
    expected[4:6] = 4
    assert_close(x.grad, expected)
    with lib.no_grad():
        x.grad.zero_()
    grad_output = tensor(lib, 2, 10, seed=3)
    x[:2].backward(grad_output)
    expected = np.zeros((10, 10))
    expected[:2] = value(grad_output)
    assert_close(x.grad, expected)


def test_pow_zero_tensor_gradient(lib):
    """test_pow_zero_tensor_gradient: 0 ** 0 has gradient 0."""
    for size, exponent in (((10,), lib.zeros(10)), ((3, 3), lib.zeros(3, 3)), ((10,), 0)):
        base = lib.zeros(size, requires_grad=True)
        base.pow(exponent).sum().backward()
        assert base.grad.abs().sum().item() == 0


def test_power_function(lib):
    """test_power_function: d(0 ** b)/db is -inf, 0, 0 for b = -1, 0, 1."""
    a = lib.tensor([0.0, 0.0, 0.0])
    b = lib.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    lib.sum(a**b).backward()
    assert b.grad.tolist() == [-float("inf"), 0.0, 0.0]
    b = lib.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    lib.sum(0**b).backward()
    assert b.grad.tolist() == [-float("inf"), 0.0, 0.0]


def test_integer_outputs(lib):
    """test_integer_outputs (argmax): integer results never require grad."""
    inp = tensor(lib, 4, requires_grad=True)
    out = inp.argmax()
    assert not out.dtype.is_floating_point and not out.requires_grad


def test_min_max_backprops_to_all_values(lib):
    """TestAutogradDeviceType.test_min_max_median_backprops_to_all_values (min, max)."""
    for f in (lib.min, lib.max):
        for data in ([1.0, 0.0, 1.0, 0.0, 1.0, 0.0], [float("nan")] * 3):
            x = lib.tensor(data, requires_grad=True)
            f(x).backward()
            assert x.grad.sum().item() == pytest.approx(1.0)
            assert (x.grad == 1 / 3).sum().item() == 3


def test_variable_traverse(lib):
    """test_variable_traverse: a view kept only by a reference cycle is not freed early."""
    import gc

    def get_out_and_unrefed_cycle():
        inp = tensor(lib, 10, requires_grad=True)
        tmp = inp.view(10, 1)
        out = tmp.view(10)
        my_list = [tmp]
        my_list.append(my_list)
        return out

    out = get_out_and_unrefed_cycle()
    gc.collect()
    out.backward(tensor(lib, 10, seed=1))


@pytest.mark.slow
def test_free_deep_graph(lib):
    """test_free_deep_graph: freeing a 150,000-node chain does not overflow the stack.

    Run in a fresh interpreter: an overflow there crashes that process, not the tests.
    """
    code = textwrap.dedent(
        f"""
        import {lib.__name__} as lib
        def scope():
            x = lib.ones(1, requires_grad=True)
            y = x.clone()
            for _ in range(150000):
                y = y + y * 0.000001
        scope()
        print("freed")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and "freed" in done.stdout, done.stderr[-2000:]
