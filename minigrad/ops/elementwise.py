"""Elementwise operations: each forward next to the backward node it records.

Read any pair as maths: ``mul`` computes a*b and ``MulBackward0`` returns
(grad*b, grad*a). What a node saves is exactly what its formula needs, and
no more, as in PyTorch: ``add`` saves nothing, so changing its inputs in
place later can never break its backward.
"""

import numpy as np

from ..graph import Node
from ..tensor import Tensor, _wrap
from .common import (
    as_tensor_operand,
    check_broadcast,
    float_data,
    grad_for,
    is_recording,
    meta,
    output,
    promote,
    wrapped_number,
)


def operands(a, b):
    """The two operands of a binary op as tensors of one dtype, and their arrays.

    The common case, two tensors of the same dtype, needs no promotion: it is
    checked first because every op of a training step goes through here.
    """
    if a.__class__ is Tensor and b.__class__ is Tensor and a._data.dtype is b._data.dtype:
        if a._data.shape != b._data.shape:
            check_broadcast(a._data, b._data)
        return a, b, a._data, b._data
    return promote(_number_or_tensor(a), _number_or_tensor(b))


def _number_or_tensor(x):
    if x.__class__ is Tensor:
        return x
    y = as_tensor_operand(x)
    if y is None:
        raise TypeError(f"expected a Tensor or a number, got {type(x).__name__}")
    return y


# --- add / sub ---------------------------------------------------------------
class AddBackward0(Node):
    """d(a + alpha*b)/da = 1, d/db = alpha: nothing needs saving."""

    def apply(self, grad):
        return (
            grad_for(grad, self.meta[0]) if self.needs_grad(0) else None,
            grad_for(grad * self.alpha if self.alpha != 1 else grad, self.meta[1])
            if self.needs_grad(1)
            else None,
        )


class SubBackward0(Node):
    """d(a - alpha*b)/da = 1, d/db = -alpha."""

    def apply(self, grad):
        return (
            grad_for(grad, self.meta[0]) if self.needs_grad(0) else None,
            grad_for(grad * -self.alpha, self.meta[1]) if self.needs_grad(1) else None,
        )


def add(a, b, alpha=1):
    a, b, x, y = operands(a, b)
    out = np.add(x, y * alpha if alpha != 1 else y)
    if not is_recording(a, b):
        return output(out)
    node = AddBackward0(a, b)
    node.alpha, node.meta = alpha, (meta(a), meta(b))
    node.save_value("alpha", alpha)
    return output(out, node)


def sub(a, b, alpha=1):
    a, b = _number_or_tensor(a), _number_or_tensor(b)
    bools = [
        isinstance(v, (bool, np.bool_)) or (isinstance(v, Tensor) and v._data.dtype == np.bool_)
        for v in (a, b)
    ]
    if all(bools):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not "
            "supported. Use the `^` or `logical_xor()` operator instead."
        )
    if any(bools):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` "
            "operator instead."
        )
    a, b, x, y = promote(a, b)
    out = np.subtract(x, y * alpha if alpha != 1 else y)
    if not is_recording(a, b):
        return output(out)
    node = SubBackward0(a, b)
    node.alpha, node.meta = alpha, (meta(a), meta(b))
    node.save_value("alpha", alpha)
    return output(out, node)


class RsubBackward1(Node):
    """number - t: the gradient is -grad."""

    def apply(self, grad):
        return (grad_for(-grad, self.meta),)


def rsub(t, number):
    t, _n, x, y = promote(t, number)
    out = np.subtract(y, x)
    if not is_recording(t):
        return output(out)
    node = RsubBackward1(t)
    node.meta = meta(t)
    return output(out, node)


# --- mul / div -----------------------------------------------------------------
class MulBackward0(Node):
    """d(a*b)/da = b and d(a*b)/db = a: each input's gradient needs the *other* input."""

    saved_names = ("self", "other")

    def apply(self, grad):
        grad_a = grad_b = None
        if self.needs_grad(0):
            grad_a = grad_for(grad * self.saved("other"), self.meta[0])
        if self.needs_grad(1):
            grad_b = grad_for(grad * self.saved("self"), self.meta[1])
        return grad_a, grad_b


def mul(a, b):
    b_given = b
    a, b, x, y = operands(a, b)
    out = np.multiply(x, y)
    if not is_recording(a, b):
        return output(out)
    node = MulBackward0(a, b)
    node.meta = (meta(a), meta(b))
    if node.needs_grad(0):
        node.save("other", wrapped_number(b_given))
    if node.needs_grad(1):
        node.save("self", a)
    return output(out, node)


class MulBackward1(Node):
    """t * number inside a backward formula: the number is a constant, one edge only."""

    def apply(self, grad):
        return (grad * self.number,)


def mul_number(t, number):
    """``t * number`` with the number as a constant (PyTorch's mul.Scalar)."""
    out = np.multiply(t._data, t._data.dtype.type(number))
    if not is_recording(t):
        return output(out)
    node = MulBackward1(t)
    node.number = number
    return output(out, node)


class AddBackward1(Node):
    """t + number inside a backward formula: the gradient passes through unchanged."""

    def apply(self, grad):
        return (grad,)


def add_number(t, number):
    """``t + number`` with the number as a constant (PyTorch's add.Scalar)."""
    out = np.add(t._data, t._data.dtype.type(number))
    if not is_recording(t):
        return output(out)
    return output(out, AddBackward1(t))


class DivBackward0(Node):
    """d(a/b)/da = 1/b and d(a/b)/db = -a/b**2."""

    saved_names = ("self", "other")

    def apply(self, grad):
        grad_a = grad_b = None
        other = self.saved("other")
        if self.needs_grad(0):
            grad_a = grad_for(grad / other, self.meta[0])
        if self.needs_grad(1):
            grad_b = grad_for(-grad * self.saved("self") / (other * other), self.meta[1])
        return grad_a, grad_b


def div(a, b):
    a, b = _number_or_tensor(a), _number_or_tensor(b)
    a, b, x, y = promote(a, b)
    if x.dtype.kind in "biu":  # true division of integers gives floats, as in PyTorch
        x, y = x.astype(np.float32), y.astype(np.float32)
        a_f, b_f = _wrap(x), _wrap(y)
    else:
        a_f, b_f = a, b
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.divide(x, y)
    if not is_recording(a, b):
        return output(out)
    node = DivBackward0(a, b)
    node.meta = (meta(a), meta(b))
    node.save("other", b_f)
    if node.needs_grad(1):
        node.save("self", a_f)
    return output(out, node)


class ReciprocalBackward0(Node):
    """d(1/x)/dx = -1/x**2 = -r**2, with r the saved output."""

    def apply(self, grad):
        result = self.saved("result")
        return (-grad * result * result,)


def reciprocal(t):
    with np.errstate(divide="ignore"):
        out = np.reciprocal(float_data(t))
    if not is_recording(t):
        return output(out)
    node = ReciprocalBackward0(t)
    result = output(out, node)
    node.save("result", result, is_output=True)
    return result


def rdiv(t, number):
    """``number / t``, which PyTorch computes as ``reciprocal(t) * number``."""
    return mul(reciprocal(t), number)


class NegBackward0(Node):
    def apply(self, grad):
        return (-grad,)


def neg(t):
    if t._data.dtype == np.bool_:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If "
            "you are trying to invert a mask, use the `~` or `logical_not()` "
            "operator instead."
        )
    out = np.negative(t._data)
    return output(out, NegBackward0(t)) if is_recording(t) else output(out)


# --- pow -------------------------------------------------------------------------
class PowBackward0(Node):
    """d(a**n)/da = n * a**(n-1), for a number n."""

    def apply(self, grad):
        n = self.exponent
        if n == 0:
            return (grad * 0,)
        # n * x**(n-1) multiplies by a number: PyTorch records that as MulBackward1.
        return (grad * mul_number(self.saved("self") ** (n - 1), n),)


class PowBackward1(Node):
    """a**b with tensors: d/da = b * a**(b-1), d/db = a**b * log(a)."""

    def apply(self, grad):
        grad_a = grad_b = None
        a, b = self.saved("self"), self.saved("exponent")
        if self.needs_grad(0):
            grad_a = grad_for(grad * b * a ** (b - 1), self.meta[0])
        if self.needs_grad(1):
            grad_b = grad_for(grad * self.saved("result") * log(a), self.meta[1])
        return grad_a, grad_b


class PowBackward2(Node):
    """number**t: d/dt = number**t * log(number)."""

    def apply(self, grad):
        return (grad_for(grad * self.saved("result") * float(np.log(self.base)), self.meta),)


def pow(a, b):
    if not isinstance(a, Tensor):
        return _rpow(b, a)
    if not isinstance(b, Tensor):
        b = _number_or_tensor(b)
        _, _, x, y = promote(a, b)
        out = np.power(x, y) if x.dtype.kind == "f" else _int_power(x, y)
        if not is_recording(a):
            return output(out)
        node = PowBackward0(a)
        node.exponent = b
        node.save("self", a)
        return output(out, node)
    a, b, x, y = promote(a, b)
    out = np.power(x, y) if x.dtype.kind == "f" else _int_power(x, y)
    if not is_recording(a, b):
        return output(out)
    node = PowBackward1(a, b)
    node.meta = (meta(a), meta(b))
    node.save("self", a)
    node.save("exponent", b)
    result = output(out, node)
    node.save("result", result, is_output=True)
    return result


def _int_power(x, y):
    if np.any(y < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return np.power(x, y)


def _rpow(t, number):
    t, _n, x, y = promote(t, number)
    out = np.power(y, x)
    if not is_recording(t):
        return output(out)
    node = PowBackward2(t)
    node.base, node.meta = number, meta(t)
    result = output(out, node)
    node.save("result", result, is_output=True)
    return result


# --- unary maths -------------------------------------------------------------
class ExpBackward0(Node):
    """d(e**x)/dx = e**x: the backward reuses the *output*, so exp saves its result."""

    def apply(self, grad):
        return (grad * self.saved("result"),)


def exp(t):
    with np.errstate(over="ignore"):
        out = np.exp(float_data(t))
    if not is_recording(t):
        return output(out)
    node = ExpBackward0(t)
    result = output(out, node)
    node.save("result", result, is_output=True)
    return result


class LogBackward0(Node):
    """d(log x)/dx = 1/x: log saves its input."""

    def apply(self, grad):
        return (grad / self.saved("self"),)


def log(t):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(float_data(t))
    if not is_recording(t):
        return output(out)
    node = LogBackward0(t)
    node.save("self", t)
    return output(out, node)


class TanhBackward0(Node):
    """d(tanh x)/dx = 1 - tanh(x)**2, written with the saved output."""

    def apply(self, grad):
        return (tanh_backward(grad, self.saved("result")),)


class TanhBackwardBackward0(Node):
    """For g = grad * (1 - y**2): dg/dgrad = 1 - y**2 and dg/dy = -2 * y * grad."""

    saved_names = ("grad_output", "output")

    def apply(self, grad):
        grad_output, y = self.saved("grad_output"), self.saved("output")
        return (
            tanh_backward(grad, y) if self.needs_grad(0) else None,
            grad * (mul_number(y, -2) * grad_output) if self.needs_grad(1) else None,
        )


def tanh_backward(grad, y):
    """grad * (1 - y**2), tanh's gradient from its output ``y``, as *one* op.

    Three tensor ops would do (``grad * (1 - y * y)``), but each costs Python
    time; PyTorch has this op for the same reason. It is differentiable too
    (``create_graph=True``): its own backward node is above.
    """
    return _backward_op(TanhBackwardBackward0, grad._data * (1 - y._data * y._data), grad, y)


def _backward_op(node_class, out, grad, y):
    """The result of an op like ``tanh_backward``: recorded as any op, its node
    saving the incoming gradient and the forward output its own formula needs."""
    if not is_recording(grad, y):
        return output(out)
    node = node_class(grad, y)
    node.save("grad_output", grad)
    node.save("output", y)
    return output(out, node)


def tanh(t):
    out = np.tanh(float_data(t))
    if not is_recording(t):
        return output(out)
    node = TanhBackward0(t)
    result = output(out, node)
    node.save("result", result, is_output=True)
    return result


class SigmoidBackward0(Node):
    """d(sigmoid x)/dx = s * (1 - s), with s the saved output."""

    def apply(self, grad):
        return (sigmoid_backward(grad, self.saved("result")),)


class SigmoidBackwardBackward0(Node):
    """For g = grad * s * (1 - s): dg/dgrad = s * (1 - s) and dg/ds = grad * (1 - 2s)."""

    saved_names = ("grad_output", "output")

    def apply(self, grad):
        grad_output, s = self.saved("grad_output"), self.saved("output")
        return (
            sigmoid_backward(grad, s) if self.needs_grad(0) else None,
            grad * grad_output * add_number(mul_number(s, -2), 1) if self.needs_grad(1) else None,
        )


def sigmoid_backward(grad, s):
    """grad * s * (1 - s), sigmoid's gradient from its output ``s``, as one op
    (like ``tanh_backward``)."""
    return _backward_op(SigmoidBackwardBackward0, grad._data * (s._data * (1 - s._data)), grad, s)


def sigmoid(t):
    x = float_data(t)
    # exp of a negative number never overflows: e = exp(-|x|), then
    # sigmoid(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0.
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
    if not is_recording(t):
        return output(out)
    node = SigmoidBackward0(t)
    result = output(out, node)
    node.save("result", result, is_output=True)
    return result


class ReluBackward0(Node):
    """relu passes the gradient where its output is positive and blocks it elsewhere."""

    def apply(self, grad):
        return (grad * (self.saved("result") > 0),)


def relu(t):
    out = np.maximum(t._data, 0).astype(t._data.dtype, copy=False)
    if not is_recording(t):
        return output(out)
    node = ReluBackward0(t)
    result = output(out, node)
    node.save("result", result, is_output=True)
    return result


class SqrtBackward0(Node):
    """d(sqrt x)/dx = 1 / (2 sqrt x), from the saved output."""

    def apply(self, grad):
        return (grad / (2 * self.saved("result")),)


def sqrt(t):
    with np.errstate(invalid="ignore"):
        out = np.sqrt(float_data(t))
    if not is_recording(t):
        return output(out)
    node = SqrtBackward0(t)
    result = output(out, node)
    node.save("result", result, is_output=True)
    return result


class AbsBackward0(Node):
    """d|x|/dx = sign(x) (0 at 0, as PyTorch)."""

    def apply(self, grad):
        return (grad * sign(self.saved("self")),)


def abs(t):
    out = np.abs(t._data)
    if not is_recording(t):
        return output(out)
    node = AbsBackward0(t)
    node.save("self", t)
    return output(out, node)


def sign(t):
    """The sign of each element; its gradient is zero, so nothing is recorded."""
    return output(np.sign(t._data))


class MaximumBackward0(Node):
    """The gradient goes to the larger input (split in half on ties, as PyTorch)."""

    def apply(self, grad):
        a, b = self.saved("self"), self.saved("other")
        a_wins = (a > b) + (a == b) * 0.5
        grad_a = grad_for(grad * a_wins, self.meta[0]) if self.needs_grad(0) else None
        grad_b = grad_for(grad * (1 - a_wins), self.meta[1]) if self.needs_grad(1) else None
        return grad_a, grad_b


def maximum(a, b):
    a, b, x, y = operands(a, b)
    out = np.maximum(x, y)
    if not is_recording(a, b):
        return output(out)
    node = MaximumBackward0(a, b)
    node.meta = (meta(a), meta(b))
    node.save("self", a)
    node.save("other", b)
    return output(out, node)


class WhereBackward0(Node):
    """where(c, a, b): the gradient goes to a where c is true, to b elsewhere."""

    def apply(self, grad):
        cond = self.saved("condition")
        grad_a = grad_for(grad * cond, self.meta[0]) if self.needs_grad(0) else None
        grad_b = grad_for(grad * ~cond, self.meta[1]) if self.needs_grad(1) else None
        return grad_a, grad_b


def where(condition, a, b):
    if not isinstance(condition, Tensor) or condition.dtype.name != "bool":
        raise RuntimeError("where expected condition to be a boolean tensor")
    a, b, x, y = operands(a, b)
    out = np.where(condition._data, x, y)
    if not is_recording(a, b):
        return output(out)
    node = WhereBackward0(a, b)
    node.meta = (meta(a), meta(b))
    node.save("condition", condition)
    return output(out, node)


# --- comparisons: results are bool tensors and never require grad ------------------
def _compare(ufunc):
    def compare(a, b):
        a, b, x, y = operands(a, b)
        return output(ufunc(x, y))

    compare.__name__ = ufunc.__name__
    return compare


eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)


def logical_not(t):
    return output(np.logical_not(t._data))
