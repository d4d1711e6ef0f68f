"""gradcheck: it must pass right backward formulas and catch wrong ones.

A checker that never fails proves nothing, so half of these tests feed it a
deliberately wrong backward (a custom Function) and expect it to object, as
torch.autograd.gradcheck does (GradcheckError, a RuntimeError).
"""

import pytest

import minigrad as mg
from minigrad.autograd import gradcheck


def _double(values, requires_grad=True):
    return mg.tensor(values, dtype=mg.float64, requires_grad=requires_grad)


class WrongSquare(mg.autograd.Function):
    """Forward x^2 but backward x (the 2 forgotten): a classic slip."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x


class RightSquare(WrongSquare):
    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x


class WrongSecondInput(mg.autograd.Function):
    """a * b with the gradient of b wrong by a sign."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, -grad * a


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: (x.exp() * x).sum(),
        lambda x: x.tanh() * x.sigmoid(),
        lambda x: (x @ x.T).log_softmax(1),
        lambda x: x.reshape(3, 2)[1:].sum(0),
        lambda x: x / (x * x + 1),
    ],
    ids=["exp*x", "tanh*sigmoid", "matmul-log_softmax", "reshape-slice-sum", "rational"],
)
def test_gradcheck_passes_builtin_ops(fn):
    x = _double([[0.3, -0.7, 1.1], [0.5, 0.2, -1.3]])
    assert gradcheck(fn, (x,)) is True


def test_gradcheck_passes_a_correct_custom_backward():
    assert gradcheck(RightSquare.apply, (_double([0.3, -1.2, 2.0]),)) is True


def test_gradcheck_raises_on_a_wrong_backward():
    with pytest.raises(
        RuntimeError, match="Jacobian mismatch for output 0 with respect to input 0"
    ) as error:
        gradcheck(WrongSquare.apply, (_double([0.3, -1.2]),))
    assert isinstance(error.value, mg.autograd.GradcheckError)


def test_gradcheck_returns_false_without_raising_when_asked():
    assert gradcheck(WrongSquare.apply, (_double([0.3, -1.2]),), raise_exception=False) is False


def test_gradcheck_names_the_input_whose_gradient_is_wrong():
    a, b = _double([0.3, 0.4]), _double([1.5, -2.0])
    with pytest.raises(RuntimeError, match="with respect to input 1"):
        gradcheck(WrongSecondInput.apply, (a, b))


def test_gradcheck_skips_inputs_that_do_not_require_grad():
    a = _double([0.3, 0.4])
    b = _double([1.5, -2.0], requires_grad=False)
    assert gradcheck(WrongSecondInput.apply, (a, b)) is True  # b's wrong gradient is never used


def test_gradcheck_warns_about_single_precision_inputs():
    x = mg.tensor([0.3, 0.4], requires_grad=True)
    with pytest.warns(UserWarning, match="is not a double precision floating point"):
        gradcheck(lambda t: t * 2, (x,), raise_exception=False)


def test_gradcheck_leaves_the_inputs_and_their_grad_as_they_were():
    x = _double([0.3, -0.7])
    gradcheck(lambda t: (t * t).sum(), (x,))
    assert x.tolist() == [0.3, -0.7]
    assert x.grad is None


def test_gradcheck_is_sensitive_to_a_small_error():
    class SlightlyOff(mg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, grad):
            return grad * 3.01  # 0.3 % off

    assert gradcheck(SlightlyOff.apply, (_double([1.0]),), raise_exception=False) is False
