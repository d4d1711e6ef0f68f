"""Elementwise operations: each forward beside its backward.

Read any pair as maths: ``Mul.forward`` computes a*b and ``Mul.backward``
returns (grad*b, grad*a). A forward saves exactly what its backward needs,
as in PyTorch: ``Add`` saves no tensor, so changing its inputs in place
later can never break its backward. The backward formulas use operators
only, so they run on arrays and, under ``create_graph=True``, on tensors.
"""

import numpy as np

from .. import dtypes
from ..function import Op
from ..tensor import Tensor, _wrap
from .common import as_float, cast_like, check_tensor, is_bool, operands, wrapped_number, zeros_like

FLOAT32 = np.dtype(np.float32)
# Speed: 1 as a 0-d array of y's dtype: numpy converts a Python 1 on every call (0.4 us of
# TanhBackward's 1.7 us on 4x4; benchmarks/README.md, "The seam's cost")
ONE = {np.dtype(t): np.ones((), t) for t in (np.float32, np.float64)}


class Add(Op):
    """a + alpha*b: the gradient goes to a unchanged and to b times alpha."""

    node_name = "AddBackward0"
    broadcasts = True

    def forward(ctx, a, b, alpha=1):
        ctx.save(alpha=alpha)
        return a + b * alpha if alpha != 1 else a + b

    def backward(ctx, grad):
        return grad, MulNumber.apply(grad, number=ctx.alpha) if ctx.alpha != 1 else grad


class Sub(Op):
    """a - alpha*b: the gradient goes to a unchanged and to b times -alpha."""

    node_name = "SubBackward0"
    broadcasts = True

    def forward(ctx, a, b, alpha=1):
        ctx.save(alpha=alpha)
        return a - b * alpha if alpha != 1 else a - b

    def backward(ctx, grad):
        return grad, -grad if ctx.alpha == 1 else MulNumber.apply(-grad, number=ctx.alpha)


class Rsub(Op):
    """number - t: the gradient is -grad."""

    node_name = "RsubBackward1"

    def forward(ctx, x, number, dtype):
        return np.subtract(number, x, dtype=dtype)

    def backward(ctx, grad):
        return -grad


class Mul(Op):
    """a * b: each input's gradient is grad times the *other* input, so each is
    saved only if the other input needs a gradient (PyTorch's choice).

    Like every backward here with several inputs, it computes the last input's
    gradient first, as PyTorch's do: with create_graph=True that order is the order
    of the nodes made, which decides the order the engine later runs them in.
    """

    node_name = "MulBackward0"
    broadcasts = True

    def forward(ctx, a, b):
        needs = ctx.needs_input_grad
        ctx.save(self=a if needs[1] else None, other=b if needs[0] else None)
        return a * b

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_b = grad * a if a is not None else None
        return grad * b if b is not None else None, grad_b


class MulNumber(Op):
    """t * number inside a backward formula (PyTorch's mul.Scalar): one input."""

    node_name = "MulBackward1"

    def forward(ctx, x, number):
        ctx.save(other=number)
        return x * number

    def backward(ctx, grad):
        return MulNumber.apply(grad, number=ctx.other)


class AddNumber(Op):
    """t + number inside a backward formula (PyTorch's add.Scalar): one input."""

    node_name = "AddBackward1"

    def forward(ctx, x, number):
        return x + number

    def backward(ctx, grad):
        return grad


class SubNumber(AddNumber):
    """t - number inside a backward formula (PyTorch's sub.Scalar): AddNumber's gradient."""

    node_name = "SubBackward1"

    def forward(ctx, x, number):
        return x - number


class DivNumber(Op):
    """t / number inside a backward formula (PyTorch's div.Scalar): one input."""

    node_name = "DivBackward1"

    def forward(ctx, x, number):
        ctx.save(other=number)
        return x / number

    def backward(ctx, grad):
        return DivNumber.apply(grad, number=ctx.other)


class Div(Op):
    """a / b: d/da = 1/b and d/db = -a/b**2. Integers divide into floats."""

    node_name = "DivBackward0"
    broadcasts = True

    def forward(ctx, a, b):
        if a.dtype.kind != "f":  # true division of integers gives floats, as in PyTorch
            a, b = a.astype(np.float32), b.astype(np.float32)
        ctx.save(self=a if ctx.needs_input_grad[1] else None, other=b)
        return a / b

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_b = -grad * ((a / b) / b) if needs[1] else None
        return grad / b if needs[0] else None, grad_b


class Reciprocal(Op):
    """1/x: the gradient is -1/x**2 = -r**2, from the saved result r."""

    node_name = "ReciprocalBackward0"

    def forward(ctx, x):
        result = np.reciprocal(as_float(x))
        ctx.save(result=result)
        return result

    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return -grad * (result * result)


class Neg(Op):
    node_name = "NegBackward0"

    def forward(ctx, x):
        return -x

    def backward(ctx, grad):
        return -grad


class Pow(Op):
    """x ** n for a number n: the gradient is n * x**(n-1)."""

    node_name = "PowBackward0"

    def forward(ctx, x, exponent):
        if x.dtype.kind != "f" and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        ctx.save(self=x, exponent=exponent)
        return power_number(x, exponent)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        n = ctx.exponent
        if n == 0:  # x ** 0 is 1 everywhere: no slope, a constant zero (PyTorch's zeros_like)
            return zeros_like(grad)
        # n * x**(n-1) multiplies by a number: PyTorch records that as MulBackward1.
        return grad * MulNumber.apply(Pow.apply(x, exponent=n - 1), number=n)


class PowTensor(Op):
    """a ** b for tensors: d/da = b * a**(b-1), d/db = a**b * log(a).

    Where the formulas give nan, PyTorch masks them: d/da is 0 where b is 0 (so the
    gradient of 0 ** 0 is 0), d/db is 0 where a is 0 and b >= 0.
    """

    node_name = "PowBackward1"
    broadcasts = True

    def forward(ctx, a, b):
        result = power(a, b)
        ctx.save(self=a, exponent=b, result=result)
        return result

    def backward(ctx, grad):
        a, b, result = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_a = grad_b = None
        if needs[1]:
            zero_base = (array(a) == 0) & (array(b) >= 0)
            log_a = Log.apply(cast_like(a, result))  # in the result's dtype, as PyTorch
            grad_b = grad * where_in_formula(zero_base, 0.0, result * log_a)
        if needs[0]:
            a_to_b_minus_1 = PowTensor.apply(a, SubNumber.apply(b, number=1))
            grad_a = where_in_formula(array(b) == 0, 0.0, grad * (b * a_to_b_minus_1))
        return grad_a, grad_b


class PowOfNumber(Op):
    """number ** t: the gradient is number**t * log(number) (0 where 0 ** t, t >= 0)."""

    node_name = "PowBackward2"

    def forward(ctx, x, base, dtype):
        result = power(np.asarray(base, dtype=dtype), x.astype(dtype, copy=False))
        ctx.save(exponent=x, result=result, self=base)  # PyTorch's name: _saved_self
        return result

    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        base = ctx.self
        grad_x = MulNumber.apply(result, number=float(np.log(base)))
        if base == 0:
            grad_x = where_in_formula(array(x) >= 0, 0.0, grad_x)
        return grad * grad_x


def array(x):
    """The numbers of a saved tensor, which a backward gets as an array or a tensor."""
    return x._data if isinstance(x, Tensor) else x


def where_in_formula(condition, a, b):
    """``where(condition, a, b)`` in a backward formula, where ``a`` or ``b`` is the
    number 0: recorded on tensors (the 0 is an input with no edge), plain on arrays."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return where(_wrap(condition), a, b)
    return np.where(condition, a, b)


# PyTorch's formulas for x ** n with these numbers n (its pow kernel). They differ from
# pow(x, n) at the edges: sqrt(-inf) is nan where pow(-inf, 0.5) is inf, sqrt(-0.0) is -0.0,
# 1 / (x * x) is 0 where x * x overflows though x ** -2 is a tiny number.
SPECIAL_POWERS = {
    0.5: np.sqrt,
    -0.5: lambda x: 1 / np.sqrt(x),
    -1: lambda x: 1 / x,
    2: lambda x: x * x,
    3: lambda x: x * x * x,
    -2: lambda x: 1 / (x * x),
}


def power_number(x, n):
    """x ** n for a number n, by PyTorch's formula where it has one for n."""
    if x.dtype.kind == "f" and n in SPECIAL_POWERS:
        return SPECIAL_POWERS[n](x).astype(x.dtype, copy=False)
    if x.dtype == np.bool_:  # bool ** bool: True ** n is True, False ** n is not n
        return x | (not n)
    return np.power(x, np.asarray(n, dtype=x.dtype))


def power(x, y):
    """x ** y elementwise, as C's pow (PyTorch's) for every pair. Integers to a negative
    power follow PyTorch: 1 / x**n rounded toward zero, so 1 and -1 give 1 and -1 ** n,
    every other base 0 (numpy refuses)."""
    if x.dtype.kind == "f":
        # numpy computes x ** 0.5 as sqrt(x) when one exponent serves every x (a single
        # number or broadcast): so each x gets its own exponent, in flat 1-d arrays.
        shape = np.broadcast_shapes(x.shape, y.shape)
        exponents = np.ascontiguousarray(np.broadcast_to(y, shape)).reshape(-1)
        return np.power(np.broadcast_to(x, shape).reshape(-1), exponents).reshape(shape)
    if not np.any(y < 0):
        return np.power(x, y)
    magnitude = np.power(x, np.abs(y))
    return np.where((y >= 0) | (np.abs(x) == 1), magnitude, 0).astype(magnitude.dtype)


class Exp(Op):
    """d(e**x)/dx = e**x: the backward reuses the *result*, so exp saves it."""

    node_name = "ExpBackward0"

    def forward(ctx, x):
        result = np.exp(as_float(x))
        ctx.save(result=result)
        return result

    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return grad * result


class Log(Op):
    """d(log x)/dx = 1/x: log saves its input."""

    node_name = "LogBackward0"

    def forward(ctx, x):
        ctx.save(self=x)
        return np.log(as_float(x))

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / x


class Tanh(Op):
    """d(tanh x)/dx = 1 - tanh(x)**2, written with the saved result."""

    node_name = "TanhBackward0"

    def forward(ctx, x):
        x = as_float(x)
        # numpy's float32 tanh is a few units in the last place off near +-1 (0.99999994
        # where the exact value rounds to 1), and the gradient 1 - y*y magnifies that:
        # computed in float64 and rounded, y is the nearest float32, as PyTorch's is.
        # (Speed: a float64 copy, tanh in place, rounded: 1.7 us on 4x4 where
        # np.tanh(x, dtype=np.float64) takes 2.0 us; benchmarks/README.md, "The seam's cost")
        if x.dtype == FLOAT32:
            result = x.astype(np.float64)
            result = np.tanh(result, out=result).astype(np.float32)
        else:
            result = np.tanh(x)
        ctx.save(result=result)
        return result

    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return TanhBackward.apply(grad, result)


class TanhBackward(Op):
    """grad * (1 - y**2) as one op, as PyTorch has it (one op costs less than three),
    with its own backward: d/dgrad = 1 - y**2 and d/dy = -2 * y * grad."""

    node_name = "TanhBackwardBackward0"

    def forward(ctx, grad, y):
        ctx.save(grad_output=grad, output=y)
        return grad * (ONE.get(y.dtype, 1) - y * y)

    def backward(ctx, grad):
        grad_output, y = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_y = grad * (MulNumber.apply(y, number=-2) * grad_output) if needs[1] else None
        return TanhBackward.apply(grad, y) if needs[0] else None, grad_y


class Sigmoid(Op):
    """d(sigmoid x)/dx = s * (1 - s), with s the saved result."""

    node_name = "SigmoidBackward0"

    def forward(ctx, x):
        x = as_float(x)
        # exp of a negative number never overflows: e = exp(-|x|), then
        # sigmoid(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0.
        e = np.exp(-np.abs(x))
        result = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        ctx.save(result=result)
        return result

    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return SigmoidBackward.apply(grad, result)


class SigmoidBackward(Op):
    """grad * s * (1 - s) as one op (like TanhBackward): d/dgrad = s * (1 - s)
    and d/ds = grad * (1 - 2s)."""

    node_name = "SigmoidBackwardBackward0"

    def forward(ctx, grad, s):
        ctx.save(grad_output=grad, output=s)
        return grad * (s * (1 - s))

    def backward(ctx, grad):
        grad_output, s = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_s = grad * grad_output * AddNumber.apply(MulNumber.apply(s, number=-2), number=1)
        return SigmoidBackward.apply(grad, s) if needs[0] else None, grad_s if needs[1] else None


class Relu(Op):
    """relu passes the gradient where its result is positive and blocks it elsewhere."""

    node_name = "ReluBackward0"

    def forward(ctx, x):
        # maximum(0, x), not maximum(x, 0): of two equal values numpy's maximum gives the
        # second, so -0.0 stays -0.0, as PyTorch's relu (nan stays nan); no mask, no
        # memory beyond the result (parity program zero_signs_of_mm_and_relu checks it)
        result = np.maximum(0, x).astype(x.dtype, copy=False)
        ctx.save(result=result)
        return result

    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return ThresholdBackward.apply(grad, result)


class ThresholdBackward(Op):
    """relu's backward as one op: grad where the result is positive, else 0. Its own
    gradient: the same mask for ``grad``; none for the result (it is flat)."""

    node_name = "ThresholdBackwardBackward0"

    def forward(ctx, grad, result):
        ctx.save(self=result)
        return np.where(result <= 0, 0, grad)  # 0 even where grad is nan; nan passes nan on

    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        needs = ctx.needs_input_grad
        return ThresholdBackward.apply(grad, result) if needs[0] else None, (
            zeros_like(grad) if needs[1] else None
        )


class Sqrt(Op):
    """d(sqrt x)/dx = 1 / (2 sqrt x), from the saved result."""

    node_name = "SqrtBackward0"

    def forward(ctx, x):
        result = np.sqrt(as_float(x))
        ctx.save(result=result)
        return result

    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return grad / MulNumber.apply(result, number=2)


class Abs(Op):
    """d|x|/dx = sign(x) (0 at 0, as in PyTorch)."""

    node_name = "AbsBackward0"

    def forward(ctx, x):
        ctx.save(self=x)
        return np.abs(x)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * Sgn.apply(x)


class Sign(Op):
    """sign(x): -1, 0 or 1. Flat wherever it has a slope, so its gradient is 0."""

    node_name = "SignBackward0"

    def forward(ctx, x):
        # 0 for nan too, where numpy says nan; the sign of a bool is itself, as in PyTorch
        return x.copy() if x.dtype == np.bool_ else np.where(np.isnan(x), 0, np.sign(x))

    def backward(ctx, grad):
        return zeros_like(grad)


class Sgn(Sign):
    """sign(x) as abs's backward takes it (PyTorch's ``sgn``)."""

    node_name = "SgnBackward0"


class Where(Op):
    """where(condition, a, b): the gradient goes to a where condition holds, else to b."""

    node_name = "WhereBackward0"
    broadcasts = True

    def forward(ctx, a, b, condition):
        ctx.save(condition=condition)
        return np.where(condition._data, a, b)

    def backward(ctx, grad):
        condition = array(ctx.saved_tensors[0])
        grad_b = where_in_formula(condition, 0.0, grad)
        return where_in_formula(condition, grad, 0.0), grad_b


# --- what the user calls: checks, then the Function ----------------------------------
def add(input, other, alpha=1):
    a, b = operands(input, other)  # Speed: no keyword when alpha is forward's default 1,
    # 0.25 us an add)
    return Add.apply(a, b) if alpha == 1 else Add.apply(a, b, alpha=alpha)


def sub(input, other, alpha=1):
    bools = [is_bool(v) for v in (input, other)]
    if all(bools):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the "
            "`^` or `logical_xor()` operator instead."
        )
    if any(bools):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return Sub.apply(*operands(input, other), alpha=alpha)


def rsub(input, number):
    return Rsub.apply(input, number=number, dtype=dtypes.result_type(input, number).numpy)


def mul(input, other):
    return Mul.apply(*operands(input, other))


def div(input, other):
    return Div.apply(*operands(input, other))


def rdiv(input, number):
    """``number / t``, which PyTorch computes as ``reciprocal(t) * number``."""
    return mul(reciprocal(input), number)


reciprocal = Reciprocal.apply


def neg(input):
    if input._data.dtype == np.bool_:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return Neg.apply(input)


def pow(input, exponent):
    if not isinstance(input, Tensor):  # number ** tensor
        dtype = dtypes.result_type(exponent, input).numpy
        return PowOfNumber.apply(exponent, base=input, dtype=dtype)
    if isinstance(exponent, Tensor):
        if input._data.dtype == np.bool_ and exponent._data.dtype == np.bool_:
            raise NotImplementedError("\"pow\" not implemented for 'Bool'")
        return PowTensor.apply(*operands(input, exponent))
    wrapped_number(exponent)  # refuses what is not a number
    if input._data.dtype.kind != "f":  # int ** 0.5 is float, bool ** 2 is int64, as PyTorch
        dtype = dtypes.result_type(input, exponent)
        if dtype is not input.dtype:
            return pow(input.to(dtype), exponent)
    return Pow.apply(input, exponent=exponent)


exp = Exp.apply


log = Log.apply


tanh = Tanh.apply


sigmoid = Sigmoid.apply


def relu(input):
    if input._data.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    return Relu.apply(input)  # a function: chapter 10's piece replaces Relu (engine_build)


sqrt = Sqrt.apply


def abs(input):
    if input._data.dtype == np.bool_:
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return Abs.apply(input)


sign = Sign.apply


def where(condition, input, other):
    """Two numbers give PyTorch's default dtypes (``where(c, 1.0, 0.0)`` is float32)."""
    check_tensor(condition, "where", "condition")
    if condition.dtype.name != "bool":
        got = f", but got a tensor with dtype {condition.dtype.scalar_name}"
        raise RuntimeError("where expected condition to be a boolean tensor" + got)
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = _wrap(np.asarray(input, dtypes.result_type(input, other).numpy))
    return Where.apply(*operands(input, other), condition=condition)
