"""In-place operations: they change a tensor's memory, so they bump its version.

Three rules, all PyTorch's, all kept by ``Function.apply`` for an op with
``inplace = True``:
1. Every in-place change adds 1 to the tensor's version counter (shared with
   its views and ``detach()``-ed copies). A backward node that saved the tensor
   compares versions later and refuses to use changed numbers.
2. A leaf that requires grad may not be changed in place while recording:
   its ``.grad`` would no longer describe the value it has. (Under
   ``no_grad()`` it may: that is how optimizers update parameters.)
3. A non-leaf changed in place while recording gets a new ``grad_fn`` whose
   input is its old one: the history is rewritten, not lost.
An in-place op records the same node as its out-of-place twin (``add_`` an
``AddBackward0``), so it is written as that Function with a new forward.
"""

import numpy as np

from .. import arguments, dtypes
from ..function import Op, check_inplace, is_recording
from ..grad_mode import is_recording_enabled, no_grad
from ..tensor import Tensor, _wrap, typename
from ..views import check_overlap
from .common import broadcast_error, check_masks, is_operand, zeros_like
from .elementwise import Add, Div, Mul, Relu, Sub
from .indexing import _is_basic, advanced_index, basic_index, normalize_index, split_index
from .shape import expand, unsqueeze, view


class AddInplace(Add):
    """t.add_(other, alpha=1): Add's node and backward, the sum written into t."""

    inplace = True

    def forward(ctx, a, b, alpha=1):
        check_overlap(a, b)
        ctx.save(alpha=alpha)
        return np.add(a, b * alpha if alpha != 1 else b, out=a, casting="unsafe")


class SubInplace(Sub):
    """t.sub_(other, alpha=1): Sub's node and backward, written into t."""

    inplace = True

    def forward(ctx, a, b, alpha=1):
        check_overlap(a, b)
        ctx.save(alpha=alpha)
        return np.subtract(a, b * alpha if alpha != 1 else b, out=a, casting="unsafe")


class MulInplace(Mul):
    """t.mul_(other): Mul's node and backward; t's old values are saved as a clone
    (``original``, recorded: PyTorch's ``original_self``), if other needs a gradient."""

    inplace = True

    def forward(ctx, a, b, original=None):
        check_overlap(a, b)
        needs = ctx.needs_input_grad
        ctx.save(self=original if needs[1] else None, other=b if needs[0] else None)
        return np.multiply(a, b, out=a, casting="unsafe")


class DivInplace(Div):
    """t.div_(other): Div's node and backward; t's old values saved as mul_ saves them."""

    inplace = True

    def forward(ctx, a, b, original=None):
        check_overlap(a, b)
        ctx.save(self=original if ctx.needs_input_grad[1] else None, other=b)
        return np.divide(a, b, out=a, casting="unsafe")  # (x/0: inf, as Function.apply lets it)


class ReluInplace(Relu):
    """relu_(t): Relu's node and backward, t overwritten by max(t, 0)."""

    inplace = True

    def forward(ctx, x):
        check_overlap(x)
        np.maximum(0, x, out=x)  # (-0.0 stays -0.0, as in relu)
        ctx.save(result=x)  # an in-place op's input 0 is its result
        return x


class Zero(Op):
    """After t.zero_(), t's old values no longer matter: their gradient is zero."""

    node_name = "ZeroBackward0"
    inplace = True

    def forward(ctx, x, value=0):
        x[...] = value
        return x

    def backward(ctx, grad):
        return zeros_like(grad)


class Fill(Zero):
    """After t.fill_(number), the old values no longer matter either."""

    node_name = "FillBackward2"


class FillWithTensor(Zero):
    """t.fill_(0-d tensor): the old values no longer matter; every position took the
    value (an input now), so the value's gradient is the sum of them all."""

    node_name = "FillBackward3"

    def backward(ctx, grad):
        needs = ctx.needs_input_grad
        return zeros_like(grad) if needs[0] else None, grad.sum() if needs[1] else None


class Copy(Op):
    """t.copy_(src): t's old values are gone (zero gradient); src gets the gradient."""

    node_name = "minigrad::autograd::CopyBackwards"
    broadcasts = True
    inplace = True

    def forward(ctx, x, src):
        if x is src:  # t.copy_(t): nothing to copy (PyTorch returns before its checks)
            return x
        check_overlap(x, src)
        if src.shape != x.shape:
            check_writable_shape(x.shape, src.shape)
        np.copyto(x, np.broadcast_to(src, x.shape), casting="unsafe")
        return x

    def backward(ctx, grad):
        needs = ctx.needs_input_grad
        return zeros_like(grad) if needs[0] else None, grad if needs[1] else None


class IndexPut(Op):
    """t[index_tensor] = v: the positions at the index now come from v, the rest from t."""

    node_name = "IndexPutBackward0"
    broadcasts = True
    inplace = True

    def forward(ctx, x, value, key):
        ctx.key = key
        x[key] = value
        return x

    def backward(ctx, grad):
        needs = ctx.needs_input_grad  # t's gradient: grad with zeros put at the key
        grad_self = (
            IndexPutCopy.apply(grad, zeros_like(grad, ()), key=ctx.key) if needs[0] else None
        )
        return grad_self, grad[ctx.key] if needs[1] else None


class IndexPutCopy(IndexPut):
    """``t.index_put(key, v)``: t[key] = v in a copy of t, one IndexPutBackward0 node (how
    PyTorch writes the gradient of t[key] = v for t)."""

    inplace = False

    def forward(ctx, x, value, key):
        return IndexPut.forward(ctx, x.copy(), value, key)


# --- what the user calls: PyTorch's checks on the operand, then the Function ---------
def _operand(other, t, division=False):
    """``other`` as a tensor that can be written into ``t``: its shape must broadcast to
    t's shape, and its dtype be castable to t's (numbers take t's dtype). The result of a
    true ``division`` is floating point, even of integers."""
    if other.__class__ is Tensor and other._data.dtype is t._data.dtype:
        if other._data.shape == t._data.shape and (t._data.dtype.kind == "f" or not division):
            return other  # the common case (an optimizer's update): nothing to check
    if not is_operand(other):
        raise TypeError("in-place operations expect a Tensor or a number")
    # PyTorch's order: autograd's checks, then the memory checks, then shapes and dtypes.
    recording = is_recording((t, other))
    check_inplace(t, recording)
    if recording and isinstance(other, Tensor):  # autograd reads it (a view's may refuse)
        other.grad_fn  # noqa: B018 - reading it is the check
    check_overlap(t._data, other._data if isinstance(other, Tensor) else None)
    if isinstance(other, Tensor) and other._data.shape != t._data.shape:
        check_writable_shape(t._data.shape, other._data.shape)
    result = dtypes.result_type(t, other)
    if division and not result.is_floating_point:
        result = dtypes.float32
    if result.category > t.dtype.category:
        raise RuntimeError(
            f"result type {result.scalar_name} can't be cast to the desired output type "
            f"{t.dtype.scalar_name}"
        )
    return other if isinstance(other, Tensor) else _wrap(np.asarray(other, dtype=t._data.dtype))


def check_writable_shape(shape, other):
    """Refuse an operand of shape ``other`` that does not broadcast to ``shape`` itself."""
    try:
        target = np.broadcast_shapes(shape, other)
    except ValueError:
        raise broadcast_error(shape, other) from None
    if target != shape:
        raise RuntimeError(
            f"output with shape {list(shape)} doesn't match the broadcast shape {list(target)}"
        )


def add_(t, other, alpha=1):
    return AddInplace.apply(t, _operand(other, t), alpha=alpha)


def sub_(t, other, alpha=1):
    return SubInplace.apply(t, _operand(other, t), alpha=alpha)


def mul_(t, other):
    other = _operand(other, t)
    return MulInplace.apply(t, other, original=_original(t, other))


def _original(t, other):
    """A clone of t before it changes, when other's gradient will need t's old values."""
    return t.clone() if other._requires_grad and is_recording_enabled() else None


def div_(t, other):
    other = _operand(other, t, division=True)
    return DivInplace.apply(t, other, original=_original(t, other))


relu_ = ReluInplace.apply  # t becomes max(t, 0); its new history is a ReluBackward0
zero_ = Zero.apply


def fill_(t, value):
    if not is_operand(value):  # PyTorch's overloads: a Tensor or a Number
        raise arguments.no_overload_fits(
            "fill_", (("(Tensor value)", "(Number value)"),), (t, value)
        )
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                "fill_ only supports 0-dimension value tensor but got tensor with "
                f"{value.ndim} dimensions."
            )
        return FillWithTensor.apply(t, value)
    return Fill.apply(t, value=value)


def copy_(t, src):
    if not isinstance(src, Tensor):
        src = _wrap(np.asarray(src, dtype=t._data.dtype))
    if not t.dtype.is_floating_point:  # PyTorch's copy_ never records into an integer
        with no_grad():  # tensor, nor checks it as a recorded change (add_ and the rest do)
            return Copy.apply(t, src)
    return Copy.apply(t, src)


def setitem(t, key, value):
    """``t[key] = value``: PyTorch writes into a view of ``t`` (``t`` itself if the key
    selects all of it) with copy_ or fill_; an index with tensors uses index_put_."""
    if not isinstance(value, Tensor):
        if not is_operand(value):
            raise TypeError(f"can't assign a {type(value).__name__} to a {typename(t)}")
        value = _wrap(np.asarray(value, dtype=t._data.dtype))
    if isinstance(key, bool):  # a lone bool: True writes into t[None], False nowhere
        if key:
            copy_to(unsqueeze(t, 0), value)
        return
    key = normalize_index(key, t.ndim)
    if _is_basic(key):
        copy_to(basic_index(t, key), value)
        return
    basic, tensors = split_index(key)
    sliced = basic_index(t, basic)  # PyTorch puts the values into this view of t
    if sliced is t and t._grad_fn is None and t._requires_grad and is_recording_enabled():
        raise RuntimeError(  # PyTorch's first check
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
    check_masks(sliced._data.shape, tensors)
    target = advanced_index(sliced._data, tensors).shape
    value = _without_leading_ones(value)
    if not _broadcasts_to(value._data.shape, target):
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(value._data.shape)} cannot be "
            f"broadcast to indexing result of shape {list(target)}"
        )
    IndexPut.apply(sliced, value, key=tensors)


def _broadcasts_to(shape, target):
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def _without_leading_ones(value, always_view=False):
    """``value`` viewed without its leading dimensions of size 1 (ViewBackward0), as
    PyTorch's setitem does before it puts it in (and ``copy_to`` even if it has none)."""
    shape = value._data.shape
    while shape and shape[0] == 1:
        shape = shape[1:]
    return view(value, tuple(shape)) if always_view or shape != value._data.shape else value


def copy_to(dst, src):
    """PyTorch's copy_to: the same shape is a copy_; a 0-d value a fill_; any other
    value loses its leading 1s and is expanded to ``dst``'s shape (unless it has it
    then), then copied."""
    if dst._data.shape == src._data.shape:
        return Copy.apply(dst, src)
    if src.ndim == 0:
        return FillWithTensor.apply(dst, src)
    src = _without_leading_ones(src, always_view=True)
    if src._data.shape != dst._data.shape:
        src = expand(src, dst._data.shape)
    return Copy.apply(dst, src)
