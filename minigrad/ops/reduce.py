"""Reductions: sum, mean, max, and the softmax family.

A reduction's backward does the opposite of reducing: it spreads (expands)
the incoming gradient back over every element that was combined. ``sum``
copies it to each element; ``mean`` copies it divided by the count.
"""

import builtins
import collections
import warnings

import numpy as np

from ..graph import Node
from .common import float_data, is_recording, output
from .shape import scatter_along


def _normalize_dims(dim, ndim):
    """``dim`` as a sorted tuple of non-negative axes, or None for "all"."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if not dims:
        return None  # dim=() reduces over every dim, as in PyTorch
    top = builtins.max(ndim, 1)
    out = []
    for d in dims:
        if not -top <= d < top:
            raise IndexError(
                f"Dimension out of range (expected to be in range of "
                f"[{-top}, {top - 1}], but got {d})"
            )
        out.append(d % top)
    return tuple(sorted(out))


def _expand_back(grad, shape, dims, keepdim):
    """Undo a reduction's shape change: re-insert reduced dims, then broadcast."""
    if dims is not None and not keepdim:
        for d in dims:
            grad = grad.unsqueeze(d)
    return grad.expand(shape)


class SumBackward0(Node):
    """sum of all elements: every element gets the whole gradient."""

    def apply(self, grad):
        return (grad.expand(self.shape),)


class SumBackward1(Node):
    """sum over ``dim``: each element gets the gradient of the sum it was part of."""

    def apply(self, grad):
        return (_expand_back(grad, self.shape, self.dims, self.keepdim),)


def sum(t, dim=None, keepdim=False, dtype=None):
    data = t._data
    dims = _normalize_dims(dim, data.ndim)
    out_dtype = (
        dtype.numpy if dtype is not None else (np.int64 if data.dtype.kind in "biu" else data.dtype)
    )
    if data.ndim == 0:
        axes = None
    else:
        axes = dims
    out = np.asarray(
        np.sum(data, axis=axes, keepdims=keepdim and axes is not None, dtype=out_dtype)
    )
    if not is_recording(t):
        return output(out)
    if dims is None:
        node = SumBackward0(t)
    else:
        node = SumBackward1(t)
        node.dims, node.keepdim = dims if data.ndim else None, keepdim
    node.shape = data.shape
    return output(out, node)


class MeanBackward0(Node):
    """mean of all elements: each gets gradient / count."""

    def apply(self, grad):
        return ((grad / self.count).expand(self.shape),)


class MeanBackward1(Node):
    def apply(self, grad):
        return (_expand_back(grad / self.count, self.shape, self.dims, self.keepdim),)


def mean(t, dim=None, keepdim=False):
    data = t._data
    if data.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {t.dtype.legacy_name[:-6]}"
        )
    dims = _normalize_dims(dim, data.ndim)
    axes = None if data.ndim == 0 else dims
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's "Mean of empty slice"
        out = np.asarray(
            np.mean(data, axis=axes, keepdims=keepdim and axes is not None), dtype=data.dtype
        )
    if not is_recording(t):
        return output(out)
    count = data.size // builtins.max(out.size, 1) if data.size else 0
    if dims is None:
        node = MeanBackward0(t)
    else:
        node = MeanBackward1(t)
        node.dims, node.keepdim = dims if data.ndim else None, keepdim
    node.shape, node.count = data.shape, count
    return output(out, node)


max_result = collections.namedtuple("max", ["values", "indices"])
min_result = collections.namedtuple("min", ["values", "indices"])


class MaxBackward1(Node):
    """max of all elements: the gradient is shared evenly by the elements equal to the max."""

    def apply(self, grad):
        x, result = self.saved("self"), self.saved("result")
        mask = x == result
        return (grad * mask / mask.sum(),)


class MaxBackward0(Node):
    """max over a dim: the gradient goes to the position that ``indices`` names."""

    def apply(self, grad):
        return (scatter_along(grad, self.saved("indices"), self.shape, self.dim, self.keepdim),)


class MinBackward1(MaxBackward1):
    """min of all elements: same rule as max."""


class MinBackward0(MaxBackward0):
    """min over a dim: same rule as max."""


def _reduce_extreme(t, dim, keepdim, pick, arg, result_type, name):
    whole_node, dim_node = (
        (MaxBackward1, MaxBackward0) if name == "max" else (MinBackward1, MinBackward0)
    )
    data = t._data
    if dim is None:
        if data.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() "
                "== 0. Specify the reduction dim with the 'dim' argument."
            )
        out = np.asarray(pick(data))
        if not is_recording(t):
            return output(out)
        node = whole_node(t)
        node.save("self", t)
        result = output(out, node)
        node.save("result", result, is_output=True)
        return result
    d = _normalize_dims(dim, data.ndim)[0]
    axis = d if data.ndim else None
    indices = np.asarray(arg(data, axis=axis, keepdims=keepdim), dtype=np.int64)
    values = np.asarray(pick(data, axis=axis, keepdims=keepdim))
    index_tensor = output(indices)
    if not is_recording(t):
        return result_type(output(values), index_tensor)
    node = dim_node(t)
    node.shape, node.dim, node.keepdim = data.shape, axis, keepdim
    node.save("indices", index_tensor)
    return result_type(output(values, node), index_tensor)


def max(t, dim=None, keepdim=False):
    return _reduce_extreme(t, dim, keepdim, np.max, np.argmax, max_result, "max")


def min(t, dim=None, keepdim=False):
    return _reduce_extreme(t, dim, keepdim, np.min, np.argmin, min_result, "min")


def argmax(t, dim=None, keepdim=False):
    data = t._data
    if dim is None:
        return output(np.asarray(np.argmax(data), dtype=np.int64))
    d = _normalize_dims(dim, data.ndim)[0]
    return output(np.asarray(np.argmax(data, axis=d, keepdims=keepdim), dtype=np.int64))


class SoftmaxBackward0(Node):
    """For s = softmax(x): grad_x = s * (grad - sum(grad * s)) along the dim."""

    def apply(self, grad):
        s = self.saved("result")
        return (s * (grad - (grad * s).sum(dim=self.dim, keepdim=True)),)


class LogSoftmaxBackward0(Node):
    """For y = log_softmax(x): grad_x = grad - softmax(x) * sum(grad) along the dim."""

    def apply(self, grad):
        y = self.saved("result")
        return (grad - y.exp() * grad.sum(dim=self.dim, keepdim=True),)


def _shifted(t, dim):
    x = float_data(t)
    # Subtracting the max changes nothing mathematically and keeps exp from overflowing.
    return x - np.max(x, axis=dim, keepdims=True) if x.size else x


def softmax(t, dim):
    d = _normalize_dims(dim, t._data.ndim)[0]
    axis = d if t._data.ndim else None
    z = _shifted(t, axis)
    e = np.exp(z)
    out = e / np.sum(e, axis=axis, keepdims=True)
    if not is_recording(t):
        return output(out)
    node = SoftmaxBackward0(t)
    node.dim = axis
    result = output(out, node)
    node.save("result", result, is_output=True)
    return result


def log_softmax(t, dim):
    d = _normalize_dims(dim, t._data.ndim)[0]
    axis = d if t._data.ndim else None
    z = _shifted(t, axis)
    out = z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
    if not is_recording(t):
        return output(out)
    node = LogSoftmaxBackward0(t)
    node.dim = axis
    result = output(out, node)
    node.save("result", result, is_output=True)
    return result
