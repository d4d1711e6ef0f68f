"""Reductions: sum, mean, max, and the softmax family.

A reduction's backward does the opposite of reducing: it spreads (expands)
the incoming gradient back over every element that was combined. ``sum``
copies it to each element; ``mean`` copies it divided by the count.
"""

import builtins
import collections

import numpy as np

from .. import arguments, dtypes
from ..function import Op
from ..tensor import NOT_GIVEN, Tensor, _wrap
from . import compare
from .common import as_float, dim_index, distinct_dims, zeros_like
from .elementwise import DivNumber, Exp, array
from .indexing import IndexPut, put_into_zeros
from .shape import Expand, ToCopy, Unsqueeze


def _axis(dim, ndim):
    """``dim`` checked, as numpy's axis: None for all of the tensor (no dim, or a 0-d
    tensor, whose only "dimension", 0 or -1, is all of it)."""
    if dim is None:
        return None
    axis = dim_index(dim, ndim)  # (it refuses a dim out of range, 0-d or not)
    return axis if ndim else None


def _dims(input, dim, function, overloads, keepdim=NOT_GIVEN):
    """``dim`` as a sorted tuple of non-negative dimensions, or None for "all" (a 0-d
    tensor's only "dimension" is all of it). What is no dim is refused in the words of
    PyTorch's parser, listing ``overloads`` (the call is taken as ``f(dim, keepdim=...)``)."""
    if dim is None:
        return None
    kwargs = {} if keepdim is NOT_GIVEN else {"keepdim": keepdim}
    dims = arguments.dims_argument(dim, function, overloads, (input, dim), kwargs)
    dims = tuple(sorted(distinct_dims([dim_index(d, input.ndim) for d in dims])))
    return dims if dims and input.ndim else None  # dim=() reduces over every dim, as in PyTorch


def _spread(grad, shape, dims, keepdim):
    """Undo a reduction's shape change: put the reduced dims back, then broadcast."""
    if dims is not None and not keepdim:
        for d in dims:
            grad = Unsqueeze.apply(grad, dim=d)
    return Expand.apply(grad, shape=shape)


class Sum(Op):
    """sum of all elements: every element gets the whole gradient."""

    node_name = "SumBackward0"

    def forward(ctx, x, dims=None, keepdim=False, dtype=None):
        ctx.shape, ctx.dims, ctx.keepdim, ctx.input_dtype = x.shape, dims, keepdim, x.dtype
        if dtype is None and x.dtype.kind in "biu":
            dtype = np.int64  # sums of integers are int64, as in PyTorch
        return np.asarray(np.sum(x, axis=dims, keepdims=keepdim, dtype=dtype))

    def backward(ctx, grad):
        return _in_input_dtype(ctx, _spread(grad, ctx.shape, ctx.dims, ctx.keepdim))


def _in_input_dtype(ctx, grad):
    """A gradient of ``sum(dtype=...)`` goes back in the input's dtype (ToCopyBackward0)."""
    if array(grad).dtype == ctx.input_dtype:
        return grad
    return ToCopy.apply(grad, dtype=ctx.input_dtype)


class SumDim(Sum):
    """sum over ``dim``: each element gets the gradient of the sum it was part of."""

    node_name = "SumBackward1"


class Mean(Sum):
    """mean of all elements: the sum divided by the count, so each element gets
    gradient / count."""

    node_name = "MeanBackward0"

    def forward(ctx, x, dims=None, keepdim=False, dtype=None):
        total = Sum.forward(ctx, x, dims, keepdim, dtype)
        ctx.count = x.size // builtins.max(total.size, 1) if x.size else 0
        return np.divide(total, ctx.count, out=total)  # the mean of nothing is nan (0 / 0)

    def backward(ctx, grad):
        spread = _spread(grad, ctx.shape, ctx.dims, ctx.keepdim)
        return _in_input_dtype(ctx, DivNumber.apply(spread, number=ctx.count))


class MeanDim(Mean):
    node_name = "MeanBackward1"


# The signatures PyTorch 2.13 lists when none fits: the method's, then the function's.
_DTYPE = "*, torch.dtype dtype = None"
_SUM_DIM = "tuple of ints dim, bool keepdim = False, " + _DTYPE
_SUM_OVERLOADS = (
    (f"({_DTYPE})", f"({_SUM_DIM})"),
    (f"(Tensor input, {_DTYPE})", f"(Tensor input, {_SUM_DIM}, Tensor out = None)"),
)
_MEAN_OVERLOADS = (
    _SUM_OVERLOADS[0],
    (f"(Tensor input, {_DTYPE}, Tensor out = None)", _SUM_OVERLOADS[1][1]),
)


def sum(input, dim=NOT_GIVEN, keepdim=NOT_GIVEN, dtype=None, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    """``axis`` and ``keepdims`` are numpy's names for ``dim`` and ``keepdim``; PyTorch
    accepts them too, so one formula (``unbroadcast``) sums arrays and tensors alike."""
    dim = axis if axis is not NOT_GIVEN else dim
    keep_name = "keepdims" if keepdims is not NOT_GIVEN else "keepdim"
    keepdim = keepdims if keepdims is not NOT_GIVEN else keepdim
    if dim is NOT_GIVEN:
        _refuse_keepdim_without_dim(input, "sum", _SUM_OVERLOADS, keep_name, keepdim)
        return Sum.apply(input, dims=None, dtype=dtype and dtype.numpy)
    dims = _dims(input, dim, "sum", _SUM_OVERLOADS)
    keepdim = _keepdim(keepdim, "sum", keep_name)
    return SumDim.apply(input, dims=dims, keepdim=keepdim, dtype=dtype and dtype.numpy)


def _keepdim(keepdim, function, name="keepdim"):
    return False if keepdim is NOT_GIVEN else arguments.bool_argument(keepdim, function, name)


def numpy_names(dim, keepdim, axis, keepdims):
    """PyTorch's parser takes numpy's names too: ``axis`` for ``dim``, ``keepdims`` for
    ``keepdim`` (``t.max(axis=0)``)."""
    dim = axis if axis is not NOT_GIVEN else dim
    return dim, keepdims if keepdims is not NOT_GIVEN else keepdim


def mean(input, dim=NOT_GIVEN, keepdim=NOT_GIVEN, dtype=None, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    """``dtype``: the dtype to compute in and return (it must be a floating one)."""
    dim, keepdim = numpy_names(dim, keepdim, axis, keepdims)
    result_dtype = dtype or input.dtype
    if not result_dtype.is_floating_point:
        which = "Optional" if dtype else "Input"
        raise RuntimeError(
            f"mean(): could not infer output dtype. {which} dtype must be either a floating "
            f"point or complex dtype. Got: {result_dtype.scalar_name}"
        )
    if dim is NOT_GIVEN:
        _refuse_keepdim_without_dim(input, "mean", _MEAN_OVERLOADS, "keepdim", keepdim)
        return Mean.apply(input, dims=None, dtype=dtype and dtype.numpy)
    dims = _dims(input, dim, "mean", _MEAN_OVERLOADS)
    keepdim = _keepdim(keepdim, "mean")
    return MeanDim.apply(input, dims=dims, keepdim=keepdim, dtype=dtype and dtype.numpy)


def _refuse_keepdim_without_dim(input, function, overloads, name, keepdim):
    """PyTorch's ``sum``/``mean``/``max`` without a dim take no ``keepdim`` (a dim of
    None does)."""
    if keepdim is not NOT_GIVEN:
        raise arguments.no_overload_fits(function, overloads, (input,), {name: keepdim})


class MaxAll(Op):
    """max of all elements: the gradient is shared evenly by the elements equal to it."""

    node_name = "MaxBackward1"

    def forward(ctx, x, pick):
        result = np.asarray(pick(x))
        ctx.save(self=x, result=result)
        return result

    def backward(ctx, grad):
        x, result = (array(t) for t in ctx.saved_tensors)
        mask = np.isnan(x) if np.isnan(result) else x == result  # nan is the max of nans
        return FillWhere.apply(zeros_like(grad, x.shape), grad / int(mask.sum()), mask=mask)


class MinAll(MaxAll):
    node_name = "MinBackward1"


class FillWhere(Op):
    """New ``zeros`` holding ``value`` where ``mask`` holds: how max() hands out its
    gradient (PyTorch's ``masked_fill_``). The gradient of ``value`` is their sum; the
    zeros, an input as in PyTorch, get none."""

    node_name = "MaskedFillBackward1"

    def forward(ctx, zeros, value, mask):
        ctx.save(mask=mask)
        return np.where(mask, value, zeros)

    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        return None, (grad * mask).sum()


class MaxDim(Op):
    """max over a dim: the gradient goes to the position that ``indices`` names."""

    node_name = "MaxBackward0"

    def forward(ctx, x, dim, keepdim, pick, arg):
        indices = np.asarray(arg(x, axis=dim, keepdims=keepdim), dtype=np.int64)
        ctx.save(indices=indices)
        ctx.shape, ctx.dim, ctx.keepdim = x.shape, dim, keepdim
        return np.asarray(pick(x, axis=dim, keepdims=keepdim)), indices

    def backward(ctx, grad):
        indices = np.asarray(ctx.saved_tensors[0])
        if not ctx.keepdim:
            grad = Unsqueeze.apply(grad, dim=ctx.dim)
            indices = np.expand_dims(indices, ctx.dim)
        places = list(np.indices(indices.shape, sparse=True))
        places[ctx.dim] = indices
        return put_into_zeros(Scatter, grad, ctx.shape, tuple(places))


class Scatter(IndexPut):
    """The gradient of max over a dim, put where the maxima were (PyTorch's scatter)."""

    node_name = "ScatterBackward0"


class MinDim(MaxDim):
    node_name = "MinBackward0"


max_result = collections.namedtuple("max", ["values", "indices"])
min_result = collections.namedtuple("min", ["values", "indices"])


def _extreme(input, dim, keepdim, name):
    """``max``/``min``: of all elements, along ``dim``, or (given a tensor) elementwise."""
    pick, arg, all_function, dim_function, pair = _EXTREMES[name]
    if isinstance(dim, Tensor) and keepdim is NOT_GIVEN:  # PyTorch's max(input, other)
        return getattr(compare, f"{name}imum")(input, dim, 1)
    if dim is NOT_GIVEN:
        _refuse_keepdim_without_dim(input, name, _EXTREME_OVERLOADS, "keepdim", keepdim)
        if input._data.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        return all_function.apply(input, pick=pick)
    if not arguments.is_int(dim):
        kwargs = {} if keepdim is NOT_GIVEN else {"keepdim": keepdim}
        raise arguments.no_overload_fits(name, _EXTREME_OVERLOADS, (input, dim), kwargs)
    axis, keepdim = _checked_axis(input, dim, name), _keepdim(keepdim, name)
    return pair(*dim_function.apply(input, dim=axis, keepdim=keepdim, pick=pick, arg=arg))


def _checked_axis(input, dim, name):
    """``dim`` of max/min/argmax as numpy's axis, refused (as PyTorch) where it has no
    element to pick."""
    axis = _axis(dim, input.ndim)
    if input._data.size == 0 and (axis is None or input._data.shape[axis] == 0):
        raise IndexError(f"{name}(): Expected reduction dim {axis or 0} to have non-zero size.")
    return axis


_EXTREME_OVERLOADS = (
    ("()", "(Tensor other)", "(int dim, bool keepdim = False)"),
    (
        "(Tensor input, *, Tensor out = None)",
        "(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None)",
    ),
)


_EXTREMES = {  # numpy's functions, the Functions and the (values, indices) pair of each
    "max": (np.max, np.argmax, MaxAll, MaxDim, max_result),
    "min": (np.min, np.argmin, MinAll, MinDim, min_result),
}


def max(input, dim=NOT_GIVEN, keepdim=NOT_GIVEN, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    return _extreme(input, *numpy_names(dim, keepdim, axis, keepdims), "max")


def min(input, dim=NOT_GIVEN, keepdim=NOT_GIVEN, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    return _extreme(input, *numpy_names(dim, keepdim, axis, keepdims), "min")


def argmax(input, dim=None, keepdim=False, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    dim, keepdim = numpy_names(dim, keepdim, axis, keepdims)
    dim = dim if dim is None else arguments.int_argument(dim, "argmax", "dim")
    keepdim = arguments.bool_argument(keepdim, "argmax")
    if input.dtype.name == "bool":
        raise RuntimeError("argmax(): does not support bool input")
    if dim is None and not input._data.size:
        raise IndexError("argmax(): Expected reduction dim to be specified for input.numel() == 0.")
    axis = None if dim is None else _checked_axis(input, dim, "argmax")
    return _wrap(np.asarray(np.argmax(input._data, axis=axis, keepdims=keepdim), dtype=np.int64))


_ALL_OVERLOADS = (
    ("()", "(tuple of ints dim = None, bool keepdim = False)", "(int dim, bool keepdim = False)"),
    None,  # (minigrad has no module-level all and any)
)


def _all_or_any(input, dim, keepdim, name):
    """``all``/``any`` over ``dim`` (an int, a sequence of them, None for every dim).
    PyTorch: a keepdim that is no bool fits no overload here (two take two arguments)."""
    kwargs = {} if keepdim is NOT_GIVEN else {"keepdim": keepdim}
    keepdim = False if keepdim is NOT_GIVEN else keepdim
    if not isinstance(keepdim, (bool, np.bool_)):
        raise arguments.no_overload_fits(name, _ALL_OVERLOADS, (input, dim), kwargs)
    if dim is not None:
        dim = arguments.dims_argument(dim, name, _ALL_OVERLOADS, (input, dim), kwargs)
        dim = tuple(distinct_dims([dim_index(d, input.ndim) for d in dim])) if input.ndim else None
    function = np.all if name == "all" else np.any
    return _wrap(np.asarray(function(input._data, axis=dim, keepdims=keepdim)))


def all(input, dim=None, keepdim=NOT_GIVEN, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    return _all_or_any(input, *numpy_names(dim, keepdim, axis, keepdims), "all")


def any(input, dim=None, keepdim=NOT_GIVEN, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
    return _all_or_any(input, *numpy_names(dim, keepdim, axis, keepdims), "any")


class Softmax(Op):
    """For s = softmax(x): grad_x = s * (grad - sum(grad * s)) along the dim."""

    node_name = "SoftmaxBackward0"

    def forward(ctx, x, dim):
        e = np.exp(_shifted(x, dim))
        result = e / np.sum(e, axis=dim, keepdims=True)
        ctx.save(result=result)
        ctx.dim = dim
        return result

    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        return SoftmaxBackwardData.apply(grad, s, dim=ctx.dim)


class SoftmaxBackwardData(Op):
    """softmax's backward, s * (grad - sum(grad * s)), as one op with its own backward, as
    PyTorch has it (``_softmax_backward_data``): what a second derivative goes through."""

    node_name = "SoftmaxBackwardDataBackward0"

    def forward(ctx, grad, s, dim):
        ctx.save(grad_output=grad, output=s)
        ctx.dim = dim  # (a plain value: a 0-d tensor's None would count as a saved tensor)
        return s * (grad - np.sum(grad * s, axis=dim, keepdims=True))

    def backward(ctx, gg):
        grad, s = ctx.saved_tensors
        needs, dim = ctx.needs_input_grad, ctx.dim
        d_grad = SoftmaxBackwardData.apply(gg, s, dim=dim) if needs[0] else None
        if not needs[1]:
            return d_grad, None
        d_s = grad * gg - (s * grad).sum(axis=dim, keepdims=True) * gg
        return d_grad, d_s - grad * (s * gg).sum(axis=dim, keepdims=True)


class LogSoftmax(Op):
    """For y = log_softmax(x): grad_x = grad - softmax(x) * sum(grad) along the dim."""

    node_name = "LogSoftmaxBackward0"

    def forward(ctx, x, dim):
        z = _shifted(x, dim)
        result = z - np.log(np.sum(np.exp(z), axis=dim, keepdims=True))
        ctx.save(result=result)
        ctx.dim = dim
        return result

    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return LogSoftmaxBackwardData.apply(grad, y, dim=ctx.dim)


class LogSoftmaxBackwardData(Op):
    """log_softmax's backward, grad - exp(y) * sum(grad), as one op with its own backward,
    as PyTorch has it (``_log_softmax_backward_data``)."""

    node_name = "LogSoftmaxBackwardDataBackward0"

    def forward(ctx, grad, y, dim):
        ctx.save(grad_output=grad, output=y)
        ctx.dim = dim  # (a plain value: a 0-d tensor's None would count as a saved tensor)
        return grad - np.exp(y) * np.sum(grad, axis=dim, keepdims=True)

    def backward(ctx, gg):
        grad, y = ctx.saved_tensors
        needs, dim = ctx.needs_input_grad, ctx.dim
        d_grad = gg - (gg * Exp.apply(y)).sum(axis=dim, keepdims=True) if needs[0] else None
        d_y = -grad.sum(axis=dim, keepdims=True) * Exp.apply(y) * gg if needs[1] else None
        return d_grad, d_y


def _shifted(x, dim):
    x = as_float(x)
    # Subtracting the max changes nothing mathematically and keeps exp from overflowing.
    return x - np.max(x, axis=dim, keepdims=True) if x.size else x


def floats_only(input, kernel):
    """PyTorch's CPU kernels of softmax and the losses exist for floating dtypes only: an
    int or bool tensor raises, naming the kernel."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")


def _check_softmax_dtype(name, input, axis):
    """PyTorch has two kernels, one along the last dim and one along any other; an empty
    tensor reaches neither."""
    last = "_lastdim" if axis in (None, input.ndim - 1) else ""
    if input.numel():
        floats_only(input, f"{name}{last}_kernel_impl")


def softmax(input, dim=NOT_GIVEN, dtype=None, *, axis=NOT_GIVEN):
    """Given a ``dtype``, the input is converted first (a ToCopyBackward0 node), as PyTorch."""
    return _softmax(Softmax, "softmax", input, arguments.dim_or_axis(dim, axis, "softmax"), dtype)


def log_softmax(input, dim=NOT_GIVEN, dtype=None, *, axis=NOT_GIVEN):
    dim = arguments.dim_or_axis(dim, axis, "log_softmax")
    return _softmax(LogSoftmax, "log_softmax", input, dim, dtype)


def _softmax(function, name, input, dim, dtype):
    axis = _axis(arguments.int_argument(dim, name, "dim"), input.ndim)
    if dtype is not None:
        if not isinstance(dtype, dtypes.dtype):
            raise arguments.wrong_type(name, "dtype", None, "torch.dtype", dtype)
        input = input.to(dtype)
    _check_softmax_dtype(name, input, axis)
    return function.apply(input, dim=axis)
