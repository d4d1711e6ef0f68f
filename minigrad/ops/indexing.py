"""Indexing: ``t[key]`` and the pieces ``t[key] = value`` shares with it.

A basic index (ints, slices, None, ``...``) gives a view, one node per step as
PyTorch records them: ``t[0, 1:]`` is a SelectBackward0 then a SliceBackward0. An
index with tensors or lists gives a copy (IndexBackward0). The backward of a
selection places the gradient into zeros at the selected positions.
"""

import warnings

import numpy as np

from ..function import Op
from ..tensor import Tensor
from .common import _width, check_masks, zeros_like
from .shape import Alias, unsqueeze


class Select(Op):
    """t[i]: the gradient goes back into position i of a zero tensor."""

    node_name = "SelectBackward0"
    view = True

    def forward(ctx, x, key):
        ctx.shape, ctx.key = x.shape, key
        return x[key + (Ellipsis,)]  # the Ellipsis makes numpy return a 0-d view, not a number

    def backward(ctx, grad):
        return SelectBackward.apply(grad, shape=ctx.shape, key=ctx.key)


class Slice(Select):
    """t[a:b]: the gradient goes back into the slice of a zero tensor."""

    node_name = "SliceBackward0"

    def backward(ctx, grad):
        return SliceBackward.apply(grad, shape=ctx.shape, key=ctx.key)


class Index(Op):
    """t[index_tensor]: a copy; each selected position gets its gradient, repeats add up."""

    node_name = "IndexBackward0"

    def forward(ctx, x, key):
        ctx.shape, ctx.key = x.shape, key
        # The index arrays are saved tensors (freed with the graph), as in PyTorch.
        ctx.save(**{f"indices{i}": k for i, k in enumerate(key) if isinstance(k, np.ndarray)})
        return np.array(advanced_index(x, key))

    def backward(ctx, grad):
        saved = iter(ctx.saved_tensors)  # raises once the graph is freed
        key = tuple(np.asarray(next(saved)) if isinstance(k, np.ndarray) else k for k in ctx.key)
        return put_into_zeros(IndexPut, grad, ctx.shape, key)


class SliceBackward(Op):
    """Zeros of ``shape`` with ``grad`` placed at ``key`` (the backward of a selection);
    its own backward picks the same positions again."""

    node_name = "SliceBackwardBackward0"

    def forward(ctx, grad, shape, key):
        ctx.key = key
        out = np.zeros(shape, dtype=grad.dtype)
        out[key] = grad
        return out

    def backward(ctx, grad):
        return grad[ctx.key]


class SelectBackward(SliceBackward):
    """The same for t[i] (PyTorch names it apart)."""

    node_name = "SelectBackwardBackward0"


class IndexPut(Op):
    """A new zero tensor with ``values`` added at ``key``, repeats adding up: the
    backward of t[index]. Its first input is the zero tensor (no gradient to it)."""

    node_name = "IndexPutImplBackward0"

    def forward(ctx, zeros, values, key):
        ctx.key = key
        np.add.at(zeros, key, values)
        return zeros

    def backward(ctx, grad):
        return None, grad[ctx.key]


def advanced_index(array, key):
    """``array[key]`` for an index with arrays (checked before: ``check_masks``)."""
    return array[key]


def put_into_zeros(function, grad, shape, key):
    """``function`` (IndexPut or its kind) applied to new zeros of ``shape`` and ``grad``."""
    return function.apply(zeros_like(grad, shape), grad, key=key)


_INDEX_TYPES_MESSAGE = (
    "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
    "indices (got {})"
)


_SEQUENCE_AS_TUPLE = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be "
    "changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will "
    "be interpreted as tensor index, x[minigrad.tensor(seq)], which will result either in "
    "an error or a different result"
)


def normalize_index(key, ndim):
    """An index as a tuple numpy understands: tensors become arrays, lists arrays.

    As PyTorch (and old numpy): a short list holding a sequence, a slice, None or
    ``...`` is read as a tuple, with a warning (``t[[0, slice(None)]]`` is ``t[0, :]``).
    """
    if isinstance(key, list) and _reads_as_tuple(key):
        warnings.warn(_SEQUENCE_AS_TUPLE, UserWarning, stacklevel=3)
        key = tuple(key)
    result = []
    for k in key if isinstance(key, tuple) else (key,):
        if isinstance(k, Tensor):
            if k.dtype.is_floating_point:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            k = k._data if k.ndim else k._data.item()
        elif isinstance(k, (list, tuple)):  # (a tuple inside the key is a list)
            k = _list_index(k)
        elif not (
            k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice, np.ndarray))
        ):
            raise IndexError(_INDEX_TYPES_MESSAGE.format(type(k).__name__))
        result.append(k)
    return _without_extra_ellipses(tuple(result), ndim)


def _reads_as_tuple(seq):
    return len(seq) < 32 and any(
        k is None or k is Ellipsis or isinstance(k, (Tensor, list, tuple, slice, np.ndarray))
        for k in seq
    )


def _list_index(k):
    """A list as an index array: int64 (floats cut towards 0, as PyTorch) unless it
    holds only bools (a mask); [] picks nothing."""
    array = np.asarray(k)
    return array if array.dtype == np.bool_ else array.astype(np.int64)


def _without_extra_ellipses(key, ndim):
    """PyTorch lets an index hold ``...`` more than once: each stands for the dimensions
    the other entries leave, which the first takes; the others then stand for none.
    (If dimensions are left and more than whole slices follow a second ``...``, PyTorch
    indexes past the tensor's end; minigrad then keeps numpy's error.)"""
    where = [i for i, k in enumerate(key) if k is Ellipsis]
    if len(where) < 2:
        return key
    named = sum(0 if isinstance(k, bool) else _width(k) for k in key)
    after = key[where[1] :]
    if named < ndim and any(k is not Ellipsis and k != slice(None) for k in after):
        return key
    return key[: where[1]] + tuple(k for k in after if k is not Ellipsis)


def _is_basic(key):
    """A key from ``normalize_index`` is basic (it selects a view) unless it holds an
    array or a bool (a 0-d mask)."""
    return not any(isinstance(k, (np.ndarray, bool)) for k in key)


def getitem(input, key):
    """``t[key]``: basic indexing gives views (one node per step, as PyTorch records
    them); indexing with tensors or lists gives a copy (IndexBackward0)."""
    if isinstance(key, slice):  # a lone slice is always recorded, even t[:]
        if input.ndim == 0:
            raise IndexError("invalid index of a 0-dim tensor.")
        return _slice(input, key, 0)
    key = normalize_index(key, input.ndim)
    if _is_basic(key):
        result = basic_index(input, key)
        return Alias.apply(input) if result is input else result
    basic, tensors = split_index(key)
    sliced = basic_index(input, basic)
    check_masks(sliced._data.shape, tensors)
    return Index.apply(sliced, key=tensors)


def split_index(key):
    """An index with arrays, in the two parts PyTorch applies one after the other:
    ``basic`` (ints, slices, None) makes a view step by step, then ``tensors`` indexes
    that view: a whole slice for each dimension left, the arrays in their places. A
    bool adds a dimension (None), of which True picks the one entry and False none."""
    basic, tensors = [], []
    for k in key:
        if isinstance(k, bool):
            basic.append(None)
            tensors.append(np.zeros(int(k), dtype=np.int64))
        elif isinstance(k, np.ndarray):
            basic.extend([slice(None)] * _width(k))  # a mask spans its ndim dimensions
            tensors.append(k)
        else:
            basic.append(k)
            if k is Ellipsis or k is None or isinstance(k, slice):
                tensors.append(Ellipsis if k is Ellipsis else slice(None))
    return tuple(basic), tuple(tensors)


def basic_index(input, key):
    """``input[key]`` for a basic index: a view, one node per step. As PyTorch, it
    skips the slices that cover a whole dimension, so a key that selects all of
    ``input`` gives ``input`` itself."""
    result, dim = input, 0
    for original_dim, k in enumerate(_whole_key(input, key)):
        if isinstance(k, slice):
            size = result._data.shape[dim]
            k = slice(None) if k.indices(size) == (0, size, 1) else k
        result, dim = _index_step(result, k, dim, original_dim)
    return result


def _whole_key(input, key):
    """A basic index checked against ``input``, its Ellipsis spelled out as slices."""
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    if input.ndim == 0 and n_real:
        raise IndexError(
            "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
            "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
        )
    if n_real > input.ndim:
        raise IndexError(f"too many indices for tensor of dimension {input.ndim}")
    if Ellipsis in key:
        i = key.index(Ellipsis)
        key = key[:i] + (slice(None),) * (input.ndim - n_real) + key[i + 1 :]
    return key


def _index_step(t, k, dim, original_dim):
    """Apply one basic index entry at ``dim``; return (result, next dim)."""
    if k is None:
        return unsqueeze(t, dim), dim + 1
    if isinstance(k, slice):
        return (t, dim + 1) if k == slice(None) else (_slice(t, k, dim), dim + 1)
    size = t._data.shape[dim]
    if not -size <= k < size:
        raise IndexError(
            f"index {k} is out of bounds for dimension {original_dim} with size {size}"
        )
    return Select.apply(t, key=(slice(None),) * dim + (int(k),)), dim


def _slice(t, k, dim):
    if k.step == 0:
        raise ValueError("slice step cannot be zero")
    if k.step is not None and k.step < 0:
        raise ValueError("step must be greater than zero")
    return Slice.apply(t, key=(slice(None),) * dim + (k,))
