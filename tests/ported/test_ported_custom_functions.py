"""autograd.Function, ported from PyTorch's test/test_autograd.py.

Each test names the PyTorch test it follows (class TestAutograd); it runs on
PyTorch 2.13 and on minigrad (see conftest.py).
"""

import gc
import warnings
import weakref

import numpy as np
import pytest
from ported_helpers import assert_close, leaves, tensor, value

differs = pytest.mark.differs
pytestmark = pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")


def _function_test(lib, cls):
    x, y = leaves(lib, 5, 5)
    result = cls.apply(x, 2, y)
    go = lib.ones((), dtype=lib.float64, requires_grad=True)
    result.sum().backward(go, create_graph=True)
    assert_close(x.grad, value(y) + 1)
    assert_close(y.grad, value(x) + 2)
    assert x.grad.grad_fn is not None and y.grad.grad_fn is not None


def test_function(lib):
    """test_function: a Python number among the inputs, None as its gradient."""

    class MyFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, tensor1, pyscalar, tensor2):
            ctx.pyscalar = pyscalar
            ctx.save_for_backward(tensor1, tensor2)
            return tensor1 + pyscalar * tensor2 + tensor1 * tensor2

        @staticmethod
        def backward(ctx, grad_output):
            var1, var2 = ctx.saved_tensors
            return (
                grad_output + grad_output * var2,
                None,
                grad_output * ctx.pyscalar + grad_output * var1,
            )

    _function_test(lib, MyFunction)


def test_function_returns_input(lib):
    """test_function_returns_input."""

    class MyFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    for shape in [(1,), ()]:
        v = lib.ones(shape, requires_grad=True)
        MyFunction.apply(v).backward()
        assert_close(v.grad, np.full(shape, 2.0))
        with lib.no_grad():
            v.grad.zero_()
        MyFunction.apply(v.clone()).backward()
        assert_close(v.grad, np.full(shape, 2.0))


def test_function_returns_undefined_tensor(lib):
    """test_function_returns_undefined_tensor: a None gradient stays None."""

    class MyFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return None

    x = lib.ones(1, requires_grad=True)
    MyFunction.apply(x).backward()
    assert x.grad is None
    MyFunction.apply(x**2).backward()
    assert x.grad is None
    MyFunction.apply(x).sum().backward()
    assert x.grad is None
    assert lib.autograd.grad(MyFunction.apply(x), x, allow_unused=True)[0] is None


def test_legacy_function_deprecation_exception(lib):
    """test_legacy_function_deprecation_exception."""

    class MyFunction(lib.autograd.Function):
        def forward(self, x):
            return x

        def backward(self, grad_output):
            return grad_output

    with pytest.raises(
        RuntimeError, match="Legacy autograd function with non-static forward method is deprecated"
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            MyFunction()(lib.ones(3, 4))


def _simulate_backward_error(lib):
    class SimulateBackwardError(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            return input.clone()

        @staticmethod
        def backward(ctx, input):
            raise Exception("Simulate error on backward pass")  # noqa: TRY002

    return SimulateBackwardError


def test_custom_function_exception(lib):
    """test_custom_function_exception: an error in backward reaches the caller."""
    t1, t2 = leaves(lib, 3, 3)
    tmp = (t1 + t2) * (t1 + t2)
    t3 = _simulate_backward_error(lib).apply(tmp)
    with pytest.raises(Exception, match="Simulate error on backward pass"):
        t3.sum().backward()


def _non_tensor_outputs(t1, t2, scale, t3):
    """The forward of PyTorch's two tests below: numbers, None, True and a string among
    the outputs."""
    t4 = t1 + t2 * t3
    t5 = t1 * t2 + t3
    t4 *= scale
    t5 *= scale
    return scale, t4, None, True, t5, "bar", t1


def test_custom_function_non_tensor_inputs_outputs(lib):
    """test_custom_function_non_tensor_inputs_outputs: numbers, None, strings among outputs."""

    class MyFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, t1, t2, scale, t3):
            ctx.scale = scale
            ctx.save_for_backward(t1, t2, t3)
            return _non_tensor_outputs(t1, t2, scale, t3)

        @staticmethod
        def backward(ctx, *grads):
            assert len(grads) == 7
            assert grads[0] is None and grads[2] is None and grads[3] is None
            assert grads[5] is None
            scale = ctx.scale
            var1, var2, var3 = ctx.saved_tensors
            return (
                grads[1] * scale + grads[4] * var2 * scale + grads[6],
                grads[1] * var3 * scale + grads[4] * var1 * scale,
                None,
                grads[1] * var2 * scale + grads[4] * scale,
            )

    t1, t2 = leaves(lib, 10)
    t3 = tensor(lib, 10, seed=3)
    scale = 4
    res = MyFunction.apply(t1, t2, scale, t3)
    T1, T2, T3 = value(t1), value(t2), value(t3)
    assert res[0] == scale and res[2] is None and res[3] is True and res[5] == "bar"
    assert_close(res[1], (T1 + T2 * T3) * scale)
    assert_close(res[4], (T1 * T2 + T3) * scale)
    assert_close(res[6], T1)
    lib.autograd.backward([res[1].sum(), res[4].sum(), res[6].sum()])
    assert t1.grad is not None and t2.grad is not None and t3.grad is None


def test_custom_function_no_tensors(lib):
    """test_custom_function_no_tensors: a Function of plain numbers."""

    class MyFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, t1, t2, scale, t3):
            return _non_tensor_outputs(t1, t2, scale, t3)

        @staticmethod
        def backward(ctx, *args):
            return (args[0], args[1], None, args[2])

    t1, t2, t3, scale = 0.25, 0.5, 0.75, 3
    res = MyFunction.apply(t1, t2, scale, t3)
    assert res == (scale, (t1 + t2 * t3) * scale, None, True, (t1 * t2 + t3) * scale, "bar", t1)


def test_invalid_gradients(lib):
    """test_invalid_gradients: a gradient of the wrong shape."""

    class MyFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return lib.ones(10, dtype=lib.float32)

    with pytest.raises(RuntimeError, match="expected shape"):
        inp = tensor(lib, 5, 5, dtype="float32", requires_grad=True)
        MyFunction.apply(inp).sum().backward()


def test_no_grad_python_function(lib):
    """test_no_grad_python_function: Functions respect grad mode."""

    class MyOp(lib.autograd.Function):
        @staticmethod
        def forward(self, x):
            return x + 1

        @staticmethod
        def backward(self, dy):
            return dy

    x = lib.ones(5, 5, requires_grad=True)
    with lib.no_grad():
        y = MyOp.apply(x)
    assert not y.requires_grad


def test_mark_non_differentiable(lib):
    """test_mark_non_differentiable (a product for masked_fill)."""

    class MyFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            output = input > 0
            ctx.mark_non_differentiable(output)
            return output

        @staticmethod
        def backward(ctx, grad_output):
            return (grad_output * 0).to(lib.float64)

    x = tensor(lib, 5, 5, requires_grad=True)
    mask = MyFunction.apply(x)
    assert not mask.requires_grad
    (x * mask).sum().backward()
    assert_close(x.grad, value(x) > 0)


def test_mark_non_differentiable_mixed(lib):
    """test_mark_non_differentiable_mixed."""

    class MyFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            a = input + 1
            b = input + 2
            ctx.mark_non_differentiable(a)
            return a, b

        @staticmethod
        def backward(ctx, grad_a, grad_b):
            assert (grad_a == 0).all() and (grad_b == 1).all()
            return grad_b

    x = tensor(lib, 5, 5, requires_grad=True)
    a, b = MyFunction.apply(x)
    assert not a.requires_grad and b.requires_grad
    b.sum().backward()
    assert_close(x.grad, np.ones((5, 5)))


def test_mark_non_differentiable_none(lib):
    """test_mark_non_differentiable_none: a non-differentiable output in a graph."""

    class MyFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            output = input.clone()
            ctx.mark_non_differentiable(output)
            return output

        @staticmethod
        def backward(ctx, grad_output):
            return None

    x = tensor(lib, 5, 5, requires_grad=True)
    r = MyFunction.apply(x * x)
    (r * x).sum().backward()
    assert_close(x.grad, value(x) ** 2)


def test_return_duplicate(lib):
    """test_return_duplicate (gradcheck only): the same tensor returned twice."""

    class DoubleDuplicate(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            output = x * 2
            return output, output

        @staticmethod
        def backward(ctx, grad1, grad2):
            return grad1 * 2 + grad2 * 2

    def fn(x):
        a, b = DoubleDuplicate.apply(x)
        assert a is b
        return a + b

    assert lib.autograd.gradcheck(fn, [tensor(lib, 5, 5, requires_grad=True)])


def test_save_none_for_backward(lib):
    """test_save_none_for_backward."""

    class MyFn(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(None, input, None)
            return input * input

        @staticmethod
        def backward(ctx, grad_output):
            n1, input, n2 = ctx.saved_tensors
            assert n1 is None and n2 is None
            return 2 * input * grad_output

    x = tensor(lib, 5, 5, requires_grad=True)
    MyFn.apply(x).sum().backward()
    assert_close(x.grad, 2 * value(x))


def test_too_many_grads(lib):
    """test_too_many_grads: extra trailing Nones are fine."""

    class MyFn(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            return input

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output, None, None

    x = tensor(lib, 5, 5, requires_grad=True)
    MyFn.apply(x).sum().backward()
    assert_close(x.grad, np.ones((5, 5)))


def test_dep_nograd(lib):
    """test_dep_nograd."""

    class F1(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            out = lib.ones(input.size(), dtype=lib.float64)
            ctx.mark_non_differentiable(out)
            return input, out

        @staticmethod
        def backward(ctx, grad_output, ignored):
            return grad_output

    class F2(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input, ignored):
            return input

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output, None

    x = tensor(lib, 5, requires_grad=True)
    a, b = F1.apply(x)
    b = b + 1
    assert a.requires_grad and not b.requires_grad
    c = F2.apply(a, b)
    c.backward(lib.ones(c.size(), dtype=lib.float64))
    assert_close(x.grad, np.ones(5))


def test_simple_reentrant(lib):
    """test_simple_reentrant: a backward that runs backward itself."""
    y_data = tensor(lib, 2, 2, seed=5)

    class Reenter(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            with lib.enable_grad():
                ctx.x = x.detach().requires_grad_()
                ctx.y = y_data.detach().requires_grad_()
                ctx.output_var = ctx.x * ctx.y
            return ctx.output_var.detach()

        @staticmethod
        def backward(ctx, grad_output):
            with lib.enable_grad():
                ctx.output_var.sum().backward()
            return ctx.x.grad * grad_output

    x = tensor(lib, 2, 2, requires_grad=True)
    Reenter.apply(x).sum().backward()
    assert_close(x.grad, value(y_data))


def test_reentrant_child_error(lib):
    """test_reentrant_child_error: an error in a reentrant backward reaches the caller."""
    a = tensor(lib, 3, 3, seed=1, requires_grad=True)
    c = a * a
    b = tensor(lib, 3, 3, seed=2, requires_grad=True)
    e = b * b
    f = _simulate_backward_error(lib).apply(e)
    reentrant_root = f.sum()

    class ReentrantFunc(lib.autograd.Function):
        @staticmethod
        def forward(ctx, inp):
            return inp.clone()

        @staticmethod
        def backward(ctx, grad):
            reentrant_root.backward()
            return grad

    d = ReentrantFunc.apply(c)
    with pytest.raises(Exception, match="Simulate error"):
        d.sum().backward()


def _reentrant(lib, order=None, deep=False):
    class Reentrant(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            with lib.enable_grad():
                ctx.x = x.detach().requires_grad_()
                ctx.x = ctx.x - 1
            return ctx.x.detach()

        @staticmethod
        def backward(ctx, x):
            if order is not None:
                order.append("Reentrant")
            if ctx.x < 0:
                return x
            with lib.enable_grad():
                out = Reentrant.apply(ctx.x)
                (out.sum() if deep else out).backward()
            return x

    return Reentrant


@pytest.mark.slow
def test_deep_reentrant(lib):
    """test_deep_reentrant: 2,000 nested backward calls."""
    DeepReentrant = _reentrant(lib, deep=True)
    v = lib.tensor(2000.0, requires_grad=True)
    DeepReentrant.apply(v).sum().backward()
    v2 = lib.tensor(200.0, requires_grad=True)
    DeepReentrant.apply(v2).sum().backward()


def test_reentrant_priority(lib):
    """test_reentrant_priority: reentrant work runs before the rest of the graph."""
    order = []

    class MyFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, x):
            order.append("MyFunction")
            return x

    Reentrant = _reentrant(lib, order)
    a = MyFunction.apply(lib.tensor(6.0, requires_grad=True))
    b = Reentrant.apply(lib.tensor(9.0, requires_grad=True))
    (a * b).backward()
    assert len(order) == 11 and order.count("Reentrant") == 10 and order[-1] == "MyFunction"


def test_naughty_autograd_function_attribute_access(lib):
    """test_naughty_autograd_function_attribute_access (first part)."""

    class Id(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad_x):
            return grad_x

    with pytest.warns(DeprecationWarning, match="should not be instantiated"):
        f = Id()
    assert isinstance(f, Id)
    x = lib.zeros(1, requires_grad=True)
    with pytest.raises(RuntimeError, match="non-static forward method is deprecated"):
        f(x)
    assert Id.apply(x).grad_fn.name() == "IdBackward"


def test_custom_autograd_no_early_free(lib):
    """test_custom_autograd_no_early_free (gradcheck for gradgradcheck)."""

    class Double(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x**2
            ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, grad_output):
            x, _ = ctx.saved_tensors
            return grad_output * 2 * x

    class Double2(Double):
        @staticmethod
        def backward(ctx, grad_output):
            x, y = ctx.saved_tensors
            return grad_output * 2 * y / x

    x = lib.tensor(2.0, dtype=lib.float64, requires_grad=True)
    assert lib.autograd.gradcheck(Double.apply, x)
    assert lib.autograd.gradcheck(Double2.apply, x)
    for cls in (Double, Double2):
        y = cls.apply(x)
        lib.autograd.grad(y, x, create_graph=True)
        lib.autograd.grad(y, x)


def test_return_leaf(lib):
    """test_return_leaf: an input returned among several outputs."""

    class Identity(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a, a + b

        @staticmethod
        def backward(ctx, grad_a, grad_b):
            return grad_a + grad_b, grad_b

    seen = []
    x, y = leaves(lib, 5, 5)
    q, p = Identity.apply(x, y)
    q.register_hook(lambda grad: seen.append(value(grad)))
    (q + p + x).sum().backward()
    assert_close(x.grad, np.full((5, 5), 3.0))
    assert_close(y.grad, np.ones((5, 5)))
    assert len(seen) == 1 and (seen[0] == 1).all()


def test_no_grad_input(lib):
    """test_no_grad_input."""

    class MyFunction(lib.autograd.Function):
        @staticmethod
        def forward(self, x):
            return x

        @staticmethod
        def backward(self, grad_output):
            return grad_output

    x = tensor(lib, 5, requires_grad=True)
    with lib.no_grad():
        y = MyFunction.apply(x)
    assert x.requires_grad and y.grad_fn is None


def test_hook_none(lib):
    """test_hook_none: needs_input_grad, and a hook on an output whose gradient is None."""

    class NoneGradientFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            assert ctx.needs_input_grad[0] and not ctx.needs_input_grad[1]
            return x, y

        @staticmethod
        def backward(ctx, grad_x, grad_y):
            return grad_x, None

    called = []

    def hook(grad):
        assert grad is not None
        called.append(True)

    x = tensor(lib, 5, 5, requires_grad=True)
    y = tensor(lib, 5, 5, seed=1)
    rx, ry = NoneGradientFunction.apply(x, y)
    rx.register_hook(hook)
    ry.register_hook(hook)
    (rx + ry).sum().backward()
    assert called


def test_custom_function_saved_tensors(lib):
    """test_custom_function_saved_tensors: grad_fn.saved_tensors, then freed."""

    def get_fn(save):
        class MyFn(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                if save:
                    ctx.save_for_backward(x, None)
                return x

            @staticmethod
            def backward(ctx, g):
                return g

        return MyFn

    a = tensor(lib, 5, requires_grad=True)
    y = get_fn(True).apply(a)
    saved = y.grad_fn.saved_tensors
    assert saved[1] is None and (value(saved[0]) == value(a)).all()
    y.sum().backward()
    with pytest.raises(RuntimeError, match="after they have already been freed"):
        y.grad_fn.saved_tensors  # noqa: B018 - reading it is the point
    assert get_fn(False).apply(a).grad_fn.saved_tensors == ()


def test_custom_function_return_view_in_nograd(lib):
    """test_custom_function_return_view_in_nograd."""

    class Alias(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x[:]

        @staticmethod
        def backward(ctx, gx):
            return gx

    inp = tensor(lib, 2, requires_grad=True)
    with lib.no_grad():
        output = Alias.apply(inp)
    with lib.no_grad():
        expected_output = inp[:]
    assert output.requires_grad == expected_output.requires_grad
    with pytest.raises(
        RuntimeError, match="A view was created in no_grad mode and is being modified inplace"
    ):
        output.zero_()


def test_grad_mode_restored_reentrant(lib):
    """test_grad_mode_restored_reentrant: grad mode inside a backward comes back."""

    class MyFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, inp):
            return inp.clone()

        @staticmethod
        def backward(ctx, go):
            original = lib.is_grad_enabled()
            with lib.enable_grad():
                assert lib.is_grad_enabled()
                foo = tensor(lib, *go.shape, seed=9, requires_grad=True)
                (grad,) = lib.autograd.grad(foo**3, foo, grad_outputs=go)
                assert lib.is_grad_enabled()
            assert lib.is_grad_enabled() == original
            return grad

    inp = tensor(lib, 3, requires_grad=True)
    MyFunction.apply(inp).sum().backward()
    MyFunction.apply(inp).sum().backward(create_graph=True)


def test_custom_function_error(lib):
    """test_custom_function_error: forward or backward missing."""

    class BadFw(lib.autograd.Function):
        @staticmethod
        def backward(ctx, foo):
            return foo

    class BadBw(lib.autograd.Function):
        @staticmethod
        def forward(ctx, foo):
            return foo.clone()

    inp = tensor(lib, 1, requires_grad=True)
    with pytest.raises(NotImplementedError, match="must implement the forward"):
        BadFw.apply(inp)
    with pytest.raises(RuntimeError, match="must implement either the backward"):
        BadBw.apply(inp).sum().backward()


def test_custom_function_local_inplace(lib):
    """test_custom_function_local_inplace: grad_fn's class is named after the Function."""

    class MyFn(lib.autograd.Function):
        @staticmethod
        def forward(ctx, inp, inplace):
            view = inp.clone()[:3]
            if inplace:
                view += 2
            return view

        @staticmethod
        def backward(ctx, grad):
            return grad, None

    base = tensor(lib, 10, requires_grad=True)
    assert MyFn.apply(base, False).grad_fn.__class__.__name__ == "MyFnBackward"
    assert MyFn.apply(base, True).grad_fn.__class__.__name__ == "MyFnBackward"


def test_custom_function_cycle(lib):
    """test_custom_function_cycle: an output kept in ctx's attributes is collected."""

    class MyFn(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, metadata):
            x = x.clone()
            ctx.meta = metadata
            ctx.save_for_backward(x)
            return x

        @staticmethod
        def backward(ctx, gO):
            (x,) = ctx.saved_tensors
            return gO * x, None

    def get_ref(with_backward):
        a = lib.tensor(3.14, requires_grad=True)
        metadata = {}
        out = MyFn.apply(a, metadata)
        metadata["foo"] = out
        if with_backward:
            out.sum().backward()
            assert a.grad.item() == pytest.approx(3.14)
        return weakref.ref(out)

    for with_backward in (False, True):
        ref = get_ref(with_backward)
        gc.collect()
        assert ref() is None


def test_preserve_backtrace(lib):
    """TestMultithreadAutograd.test_preserve_backtrace: the error's traceback reaches backward."""
    import traceback

    class Foo(lib.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            return input

        @staticmethod
        def backward(ctx, *grad):
            raise ValueError("something")

    t = tensor(lib, 10, requires_grad=True)
    with pytest.raises(ValueError) as error:
        Foo.apply(t).sum().backward()
    assert 'raise ValueError("something")' in "".join(traceback.format_tb(error.tb))


def test_function_repr(lib):
    """test_autograd_print_tensor (custom Function part): grad_fn=<FuncBackward>."""

    class Func(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, x):
            return x

    a = lib.ones(1, requires_grad=True)
    assert repr(Func.apply(a)) == "tensor([1.], grad_fn=<FuncBackward>)"


def test_gradient_cast_to_input_dtype(lib):
    """test_grad_dtype (incoming gradient part): a float64 gradient for a float32 input
    is cast to float32."""

    class MismatchedGradientFunction(lib.autograd.Function):
        @staticmethod
        def forward(ctx, inp):
            return inp * 2

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output.to(lib.float64)

    d = lib.tensor([1.0, 2.0], requires_grad=True)
    MismatchedGradientFunction.apply(d).sum().backward()
    assert d.grad.dtype == lib.float32 and d.grad.tolist() == [1.0, 1.0]


def test_reentrant_with_non_leaf_variable_hook(lib):
    """test_reentrant_with_non_leaf_variable_hook: a hook that runs backward itself."""
    handle = None
    param = tensor(lib, 10, seed=4, requires_grad=True)

    def manual_increase_gradient(grad):
        handle.remove()
        with lib.enable_grad():
            g = grad.detach().requires_grad_()
            out = ((g * 2) + 5).sum()
            out.backward()
        return g.grad + grad

    tmp = param * param
    handle = tmp.register_hook(manual_increase_gradient)
    tmp.sum().backward()
    assert_close(param.grad, 6 * value(param))
