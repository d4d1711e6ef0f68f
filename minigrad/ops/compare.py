"""Operations that compare values: maximum and minimum (whose gradient goes to the
winner), and the comparisons ``==``, ``<``, ... (whose results are bool tensors,
never requiring grad).
"""

import numpy as np

from .. import dtypes
from ..function import Op, bump_version
from ..tensor import Tensor, _wrap
from .common import check_tensor, operands
from .elementwise import DivNumber, Where, array


class Maximum(Op):
    """The gradient goes to the larger input (split in half on ties, as PyTorch)."""

    node_name = "MaximumBackward0"
    broadcasts = True

    def forward(ctx, a, b):
        ctx.save(self=a, other=b)
        return np.maximum(a, b)

    def backward(ctx, grad):
        return _to_the_winner(ctx, grad, np.less)


class Minimum(Maximum):
    """The gradient goes to the smaller input."""

    node_name = "MinimumBackward0"

    def forward(ctx, a, b):
        ctx.save(self=a, other=b)
        return np.minimum(a, b)

    def backward(ctx, grad):
        return _to_the_winner(ctx, grad, np.greater)


def _to_the_winner(ctx, grad, beaten):
    """maximum's and minimum's gradients: none to an input ``beaten`` by the other."""
    a, b = (array(t) for t in ctx.saved_tensors)
    needs = ctx.needs_input_grad
    grad_b = split_ties(grad, a == b, zero=beaten(b, a)) if needs[1] else None
    return split_ties(grad, a == b, zero=beaten(a, b)) if needs[0] else None, grad_b


def split_ties(grad, ties, zero):
    """maximum's gradient for one input, PyTorch's formula: where(ties, grad / 2, grad),
    then 0 where the other input is larger (``zero``; both get all of grad at a nan)."""
    halves = Where.apply(DivNumber.apply(grad, number=2), grad, condition=_wrap(ties))
    result = MaskedFill.apply(halves, mask=zero)
    if isinstance(result, Tensor):  # recorded (create_graph): PyTorch fills in place
        bump_version(result)
    return result


class MaskedFill(Op):
    """x with 0 where ``mask`` holds (PyTorch's masked_fill(mask, 0)): the gradient is
    blocked where the mask holds, the same way."""

    node_name = "MaskedFillBackward0"

    def forward(ctx, x, mask):
        ctx.save(mask=mask)
        return np.where(mask, np.zeros((), x.dtype), x)

    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return MaskedFill.apply(grad, mask=array(mask))


def maximum(input, other, other_position=2, function=Maximum, name="maximum"):
    """Elementwise max of two tensors (a number is refused, as PyTorch; ``t.maximum(u)``
    names ``other`` as its argument 1)."""
    check_tensor(input, name)
    check_tensor(other, name, "other", other_position)
    return function.apply(*operands(input, other))


def minimum(input, other, other_position=2):
    return maximum(input, other, other_position, Minimum, "minimum")


# --- comparisons: results are bool tensors and never require grad ------------------
def _compare(ufunc):
    def compare(input, other):
        a, b = operands(input, other)
        dtype = dtypes.result_type(a, b).numpy
        return _wrap(ufunc(a._data.astype(dtype, copy=False), b._data.astype(dtype, copy=False)))

    compare.__name__ = ufunc.__name__
    return compare


eq = _compare(np.equal)
ne = _compare(np.not_equal)
lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)


def logical_not(input):
    return _wrap(np.logical_not(input._data))
