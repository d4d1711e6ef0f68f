"""gradcheck and anomaly detection, ported from PyTorch's test/test_autograd.py.

Each test names the PyTorch test it follows (TestAutograd, or
TestAutogradDeviceType on the CPU); it runs on PyTorch 2.13 and on minigrad
(see conftest.py). PyTorch's tests run gradcheck in its fast and slow modes;
minigrad's gradcheck has one mode, so these run the default.
"""

import warnings

import numpy as np
import pytest
from ported_helpers import tensor

differs = pytest.mark.differs
GRADCHECK_HOOKS = "gradcheck_checks: gradcheck does not run backward hooks as PyTorch's does"


def test_gradcheck_single_input(lib):
    """test_gradcheck_single_input."""
    assert lib.autograd.gradcheck(lambda inp: inp.mul(5), tensor(lib, 10, requires_grad=True))


def test_select_sum(lib):
    """test_select_sum (indexing for select)."""
    x = tensor(lib, 10, requires_grad=True)
    assert lib.autograd.gradcheck(lambda x: x[1].sum(), [x])


def test_where(lib):
    """TestAutogradDeviceType.test_where_functional (gradcheck part)."""
    cond = lib.tensor(np.random.default_rng(1).integers(0, 2, (5, 5)).astype(bool).tolist())
    x = tensor(lib, 5, 5, seed=2, requires_grad=True)
    y = tensor(lib, 5, 5, seed=3, requires_grad=True)
    assert lib.autograd.gradcheck(lambda c, x, y: lib.where(c, x, y), [cond, x, y])
    x = tensor(lib, 5, 1, 5, seed=4, requires_grad=True)
    y = tensor(lib, 5, 5, 1, seed=5, requires_grad=True)
    assert lib.autograd.gradcheck(lambda c, x, y: lib.where(c, x, y), [cond, x, y])


def test_where_scalar(lib):
    """TestAutogradDeviceType.test_where_scalar (gradcheck part)."""
    cond = lib.tensor(np.random.default_rng(1).integers(0, 2, (5, 5)).astype(bool).tolist())
    x = tensor(lib, 5, 5, seed=2, requires_grad=True)
    assert lib.autograd.gradcheck(lambda c, x: lib.where(c, 4.0, x), (cond, x))
    assert lib.autograd.gradcheck(lambda c, x: lib.where(c, x, 4.0), (cond, x))


def test_mv_grad_stride_0(lib):
    """TestAutogradDeviceType.test_mv_grad_stride_0 (gradcheck part)."""
    mat = tensor(lib, 2, 2, seed=1)
    vec = tensor(lib, 1, seed=2, requires_grad=True)
    assert lib.autograd.gradcheck(lambda vec: (mat @ vec.expand(2)).sum(), (vec,))


def test_gradcheck_validates_inputs(lib):
    """test_gradcheck_validates_inputs (dense parts)."""
    x = tensor(lib, 10, dtype="float32")
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        lib.autograd.gradcheck(lambda x: x, (x,), raise_exception=False)
    x = lib.ones(1, dtype=lib.float32, requires_grad=True)
    with pytest.warns(
        UserWarning, match="Input #0 requires gradient and is not a double precision"
    ):
        assert lib.autograd.gradcheck(lambda x: x, (x,), atol=1e-1)
    x = lib.ones(1, dtype=lib.float64, requires_grad=True).expand((2, 2))
    with pytest.raises(RuntimeError, match="The 0th input has a dimension with stride 0"):
        lib.autograd.gradcheck(lambda x: x, (x,), raise_exception=False)


@pytest.mark.filterwarnings("ignore:Input #0 requires gradient", "ignore:Converting a tensor")
def test_gradcheck_check_no_differentiable_outputs(lib):
    """test_gradcheck_check_no_differentiable_outputs."""
    x = lib.ones((1,), requires_grad=True)
    with pytest.raises(RuntimeError, match="Numerical gradient for function expected to be zero"):
        lib.autograd.gradcheck(lambda x: lib.tensor([x]), x)
    assert not lib.autograd.gradcheck(lambda x: lib.tensor([x]), x, raise_exception=False)
    assert lib.autograd.gradcheck(lambda x: (), (x,))


def test_gradcheck_backward_mul_by_grad_output(lib):
    """test_gradcheck_backward_mul_by_grad_output (dense part): a hook that adds a constant."""

    def fn2(x):
        y = x.clone()
        y.register_hook(lambda x: x + 1e-2)
        return y

    x = lib.ones(1, dtype=lib.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="backward not multiplied by grad_output"):
        lib.autograd.gradcheck(fn2, (x,), atol=1e-1)
    assert not lib.autograd.gradcheck(fn2, (x,), atol=1e-1, raise_exception=False)


def gradcheck_refuses(lib, fn, x, match):
    """gradcheck raises ``RuntimeError`` matching ``match``, and with
    ``raise_exception=False`` it returns False instead (its warnings are not the point)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match=match):
            lib.autograd.gradcheck(fn, (x,))
        assert not lib.autograd.gradcheck(fn, (x,), raise_exception=False)


def test_gradcheck_undefined_grad(lib):
    """test_gradcheck_undefined_grad: gradcheck also runs backward with undefined grads."""

    def fn(x):
        def hook(x):
            if x is None:
                raise RuntimeError("x is undefined")

        y = x.clone()
        y.register_hook(hook)
        return y

    x = lib.ones(1, dtype=lib.float64, requires_grad=True)
    gradcheck_refuses(lib, fn, x, "Expected backward function to handle undefined output grads")


def test_gradcheck_jacobian_mismatch(lib):
    """test_gradcheck_jacobian_mismatch (real part) and test_gradcheck_custom_error."""

    def fn(x):
        y = x.clone()
        y.register_hook(lambda x: x + 1e-2)
        return y

    x = lib.ones(2, 2, requires_grad=True)
    gradcheck_refuses(lib, fn, x, "Jacobian mismatch for output 0 with respect to input 0")


def test_gradcheck_lets_other_errors_through(lib):
    """test_gradcheck_custom_error (last part): raise_exception=False keeps other errors."""

    def fn2(x):
        raise RuntimeError("Not a GradcheckError!")

    x = lib.ones(2, 2, dtype=lib.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Not a GradcheckError!"):
        lib.autograd.gradcheck(fn2, (x,), raise_exception=False)


def test_gradcheck_output_shape_or_dtype_depend_on_values(lib):
    """test_gradcheck_output_shape_or_dtype_depend_on_values."""
    a = lib.ones(1, dtype=lib.float64, requires_grad=True)

    def fn(x):
        return lib.cat([x, x]) if (x >= 1).all() else x

    with pytest.raises(AssertionError, match="return outputs with the same shape when inputs"):
        lib.autograd.gradcheck(fn, (a,))

    def fn2(x):
        return x.to(lib.float32) if (x >= 1).all() else x

    with pytest.raises(AssertionError, match="return outputs with the same dtype when inputs"):
        lib.autograd.gradcheck(fn2, (a,))


def test_anomaly_detect_nan(lib):
    """test_anomaly_detect_nan: a nan returned by a backward is blamed on its node."""
    size = 10

    class MyFunc(lib.autograd.Function):
        @staticmethod
        def forward(ctx, inp1, inp2, fail_0th):
            ctx.fail_0th = fail_0th
            return inp1.sum(0, keepdim=True)

        @staticmethod
        def backward(ctx, gO):
            gI = gO.clone().expand(size).clone()
            gI[0] = 0
            gI[0] /= 0
            return (gI, None, None) if ctx.fail_0th else (None, gI, None)

    inp = tensor(lib, size, requires_grad=True)
    MyFunc.apply(inp, inp, True).backward()
    inp = tensor(lib, size, requires_grad=True)
    out = MyFunc.apply(inp, inp, True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(
            RuntimeError, match="Function 'MyFuncBackward' returned nan values in its 0th output."
        ):
            with lib.autograd.detect_anomaly():
                out.backward()
        inp = tensor(lib, size, requires_grad=True)
        with pytest.raises(
            RuntimeError, match="Function 'MyFuncBackward' returned nan values in its 1th output."
        ):
            with lib.autograd.detect_anomaly():
                MyFunc.apply(inp, inp, False).backward()


def test_anomaly_grad_warnings(lib):
    """test_anomaly_grad_warnings (first part): entering anomaly mode warns; a failing node
    is named."""
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with lib.autograd.detect_anomaly():
                a = tensor(lib, 5, requires_grad=True)
                d1 = a + 1
                d2 = d1**2
                d1 += 1
                lib.autograd.grad(d2.sum(), a)
    assert len(w) == 2
    assert "Anomaly Detection has been enabled" in str(w[0].message)
    assert "Error detected in PowBackward0" in str(w[1].message)
