"""Joining tensors: ``cat`` along an existing dimension, ``stack`` along a new one.

Each backward hands every input its own slice of the gradient.
"""

import numpy as np

from .. import arguments
from ..function import Op, is_recording
from ..tensor import NOT_GIVEN, Tensor
from .common import dim_index, zeros_like
from .indexing import Slice


def _tensor_list(tensors, function):
    """cat's and stack's ``tensors``: a list or tuple of tensors (not a tensor itself)."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{function}(): argument 'tensors' (position 1) must be tuple of Tensors, "
            f"not {type(tensors).__name__}"
        )
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}"
            )
    return tensors


class Cat(Op):
    """cat's gradient is cut back into the pieces that were joined."""

    node_name = "CatBackward0"
    broadcasts = True

    def forward(ctx, *pieces, dim):
        ctx.dim, ctx.sizes = dim, [None if _skipped(p) else p.shape[dim] for p in pieces]
        return np.concatenate([p for p in pieces if not _skipped(p)] or pieces[:1], axis=dim)

    def backward(ctx, grad):
        grads, start = [], 0
        for needs, size in zip(ctx.needs_input_grad, ctx.sizes):
            key = (slice(None),) * ctx.dim + (slice(start, start + (size or 0)),)
            piece = _narrow(grad, key) if size is not None else zeros_like(grad, shape=0)
            grads.append(piece if needs else None)
            start += size or 0
        return tuple(grads)


def _narrow(grad, key):
    """One piece of the gradient: recorded (create_graph), PyTorch's narrow, SliceBackward0
    even where the piece is all of it (indexing would make that an alias)."""
    return Slice.apply(grad, key=key) if isinstance(grad, Tensor) else grad[key]


def _skipped(piece):
    """PyTorch's legacy rule: cat leaves out pieces of shape [0] (but not their dtype)."""
    return piece.shape == (0,)


def _numpy_name(dim, axis):
    """``dim``, or ``axis``, numpy's name for it (PyTorch takes both)."""
    return dim if axis is NOT_GIVEN else axis


def autograd_reads_grad_fns(tensors):
    """PyTorch's autograd records before the kernel checks its inputs: it reads each
    input's grad_fn (a view's may refuse to be rebuilt, and raise) when the op records."""
    if is_recording(tensors):
        for t in tensors:
            t.grad_fn  # noqa: B018 - reading it is the check


def cat(tensors, dim=0, axis=NOT_GIVEN):
    tensors, dim = _tensor_list(tensors, "cat"), _numpy_name(dim, axis)
    dim = arguments.int_argument(dim, "cat", "dim", 2)
    autograd_reads_grad_fns(tensors)
    if not tensors:
        raise ValueError("minigrad.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    kept = [(i, t) for i, t in enumerate(tensors) if not _skipped(t._data)] or [(0, tensors[0])]
    d, first = dim_index(dim, kept[0][1].ndim), kept[0][1]._data.shape
    for i, t in kept[1:]:
        shape = t._data.shape
        if len(shape) != len(first):
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {len(first)} and {len(shape)}"
            )
        for axis, (m, n) in enumerate(zip(first, shape)):
            if axis != d and m != n:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {m} "
                    f"but got size {n} for tensor number {i} in the list."
                )
    return Cat.apply(*tensors, dim=d)


class Stack(Op):
    """stack's gradient is split along the new dimension, one slice per input."""

    node_name = "StackBackward0"
    broadcasts = True

    def forward(ctx, *pieces, dim):
        ctx.dim = dim
        return np.stack(pieces, axis=dim)

    def backward(ctx, grad):
        keys = [(slice(None),) * ctx.dim + (i,) for i in range(len(ctx.needs_input_grad))]
        return tuple(grad[k] if needs else None for k, needs in zip(keys, ctx.needs_input_grad))


def stack(tensors, dim=0, axis=NOT_GIVEN):
    tensors, dim = _tensor_list(tensors, "stack"), _numpy_name(dim, axis)
    dim = arguments.int_argument(dim, "stack", "dim", 2)
    autograd_reads_grad_fns(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                f"and {list(t._data.shape)} at entry {i}"
            )
    return Stack.apply(*tensors, dim=dim_index(dim, len(shape) + 1))
