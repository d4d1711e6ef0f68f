"""Operations that move elements around without doing arithmetic.

Their backward moves the gradient back: a transpose is undone by the same
transpose, a reshape by reshaping back, a selection by placing the gradient
into zeros at the selected positions. Many of them return *views* that share
memory and the version counter with their input, as in PyTorch.
"""

import warnings

import numpy as np

from .. import dtypes
from ..graph import Node
from ..tensor import Tensor, _wrap
from .common import is_recording, output, unbroadcast


def _view_of(base, array, node=None):
    """A result sharing memory with ``base``: it also shares its version counter."""
    t = _wrap(array, node)
    t._version_counter = base._version_counter
    t._base = base._base if base._base is not None else base
    t._is_inference = base._is_inference
    return t


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for s in shape:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"shape must be a sequence of ints, got {shape!r}")
    return tuple(int(s) for s in shape)


def _infer_shape(shape, numel):
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if -1 in shape:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class ViewBackward0(Node):
    """A reshape's gradient is the incoming gradient reshaped back."""

    def apply(self, grad):
        return (grad.reshape(self.shape),)


class UnsafeViewBackward0(ViewBackward0):
    """Same rule, for a reshape that had to copy (the input was not contiguous)."""


def view(t, *shape):
    shape = _infer_shape(_shape_arg(shape), t._data.size)
    try:
        out = np.reshape(t._data, shape, copy=False)
    except ValueError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        ) from None
    node = None
    if is_recording(t):
        node = ViewBackward0(t)
        node.shape = t._data.shape
    return _view_of(t, out, node)


def reshape(t, *shape):
    """A view when the memory layout allows it, else a copy (clone, then view the copy)."""
    shape = _infer_shape(_shape_arg(shape), t._data.size)
    try:
        out = np.reshape(t._data, shape, copy=False)
    except ValueError:
        return unsafe_view(clone(t), shape)
    node = None
    if is_recording(t):
        node = ViewBackward0(t)
        node.shape = t._data.shape
    return _view_of(t, out, node)


def unsafe_view(t, shape):
    """Reshape a tensor nobody else sees (a fresh copy or result): no view bookkeeping."""
    out = np.reshape(t._data, shape)
    node = None
    if is_recording(t):
        node = UnsafeViewBackward0(t)
        node.shape = t._data.shape
    return output(out, node)


def flatten(t, start_dim=0, end_dim=-1):
    if t.ndim == 0:
        return reshape(t, 1)
    start, end = start_dim % t.ndim, end_dim % t.ndim
    shape = t._data.shape
    if start == end:
        return t
    new = shape[:start] + (int(np.prod(shape[start : end + 1])),) + shape[end + 1 :]
    return reshape(t, *new)


def _dim(d, ndim):
    top = max(ndim, 1)
    if not -top <= d < top:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-top}, {top - 1}], but got {d})"
        )
    return d % top


class TransposeBackward0(Node):
    def apply(self, grad):
        return (grad.transpose(self.dim0, self.dim1),)


def transpose(t, dim0, dim1):
    if t.ndim == 0:
        return _view_of(t, t._data, TransposeBackward0(t) if is_recording(t) else None)
    d0, d1 = _dim(dim0, t.ndim), _dim(dim1, t.ndim)
    out = np.swapaxes(t._data, d0, d1)
    node = None
    if is_recording(t):
        node = TransposeBackward0(t)
        node.dim0, node.dim1 = d0, d1
    return _view_of(t, out, node)


class TBackward0(Node):
    def apply(self, grad):
        return (grad.t(),)


def t_(t):
    """``t.t()``: transpose of a matrix (a vector is returned as it is)."""
    if t.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {t.ndim}D")
    out = t._data.T
    return _view_of(t, out, TBackward0(t) if is_recording(t) else None)


class PermuteBackward0(Node):
    def apply(self, grad):
        return (grad.permute(*np.argsort(self.dims).tolist()),)


def permute(t, *dims):
    dims = _shape_arg(dims)
    if len(dims) != t.ndim:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does "
            f"not match the length of the desired ordering of dimensions i.e. "
            f"input.dim() = {t.ndim} is not equal to len(dims) = {len(dims)}"
        )
    dims = tuple(_dim(d, t.ndim) for d in dims)
    out = np.transpose(t._data, dims)
    node = None
    if is_recording(t):
        node = PermuteBackward0(t)
        node.dims = dims
    return _view_of(t, out, node)


def T(t):
    """``t.T``: all dimensions reversed (PyTorch records it as a permute)."""
    if t.ndim == 2:
        return permute(t, 1, 0)
    warnings.warn(
        "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
        "deprecated and it will throw an error in a future release. Consider `x.mT` to transpose "
        "batches of matrices or `x.permute(*minigrad.arange(x.ndim - 1, -1, -1))` to reverse "
        "the dimensions of a tensor.",
        UserWarning,
        stacklevel=3,
    )
    return permute(t, *range(t.ndim - 1, -1, -1))


class UnsqueezeBackward0(Node):
    def apply(self, grad):
        return (grad.squeeze(self.dim),)


def unsqueeze(t, dim):
    d = _dim(dim, t.ndim + 1)
    out = np.expand_dims(t._data, d)
    node = None
    if is_recording(t):
        node = UnsqueezeBackward0(t)
        node.dim = d
    return _view_of(t, out, node)


class SqueezeBackward0(Node):
    def apply(self, grad):
        return (grad.reshape(self.shape),)


class SqueezeBackward1(SqueezeBackward0):
    """squeeze(dim): same rule as squeeze(), recorded under PyTorch's other name."""


class SqueezeBackward2(SqueezeBackward0):
    """squeeze(dims) with a tuple of dims."""


class SqueezeBackward4(SqueezeBackward0):
    """The squeeze matmul does internally to a vector's result."""


def squeeze(t, dim=None, _node_class=None):
    data = t._data
    if dim is None:
        out = np.squeeze(data)
        cls = SqueezeBackward0
    else:
        dims = dim if isinstance(dim, tuple) else (dim,)
        dims = tuple(_dim(d, data.ndim) for d in dims) if data.ndim else ()
        axes = tuple(d for d in dims if data.shape[d] == 1)
        out = np.squeeze(data, axis=axes) if axes else data
        cls = SqueezeBackward2 if isinstance(dim, tuple) else SqueezeBackward1
    cls = _node_class or cls
    node = None
    if is_recording(t):
        node = cls(t)
        node.shape = data.shape
    return _view_of(t, out, node)


class ExpandBackward0(Node):
    """Broadcasting copies values, so the backward adds the copies' gradients up."""

    def apply(self, grad):
        return (unbroadcast(grad, self.shape),)


def expand(t, *sizes):
    sizes = _shape_arg(sizes)
    lead = len(sizes) - t.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand(minigrad.{t.dtype.legacy_name}{{{list(t.shape)}}}, size="
            f"{list(sizes)}): the number of sizes provided ({len(sizes)}) must be "
            f"greater or equal to the number of dimensions in the tensor "
            f"({t.ndim})"
        )
    target = tuple(
        t._data.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes)
    )
    if target == t._data.shape and not is_recording(t):
        return _view_of(t, t._data)
    try:
        out = np.broadcast_to(t._data, target)
    except ValueError:
        raise RuntimeError(
            f"The expanded size of the tensor ({target[-1]}) must match the "
            f"existing size ({t._data.shape[-1]}) at non-singleton dimension "
            f"{len(target) - 1}.  Target sizes: {list(sizes)}.  Tensor sizes: "
            f"{list(t._data.shape)}"
        ) from None
    node = None
    if is_recording(t):
        node = ExpandBackward0(t)
        node.shape = t._data.shape
    return _view_of(t, out, node)


# --- indexing --------------------------------------------------------------------
def _index_component(k):
    """One entry of an index as numpy understands it; Tensors become arrays."""
    if isinstance(k, Tensor):
        if k.dtype.is_floating_point:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return k._data if k.ndim else k._data.item()
    if isinstance(k, list):
        return np.asarray(k)
    return k


_INDEX_TYPES_MESSAGE = (
    "only integers, slices (`:`), ellipsis (`...`), None and long or byte "
    "Variables are valid indices (got {})"
)


def normalize_index(key):
    key = key if isinstance(key, tuple) else (key,)
    for k in key:
        if not (
            k is None
            or k is Ellipsis
            or isinstance(k, (int, np.integer, slice, list, np.ndarray, Tensor))
        ):
            raise IndexError(_INDEX_TYPES_MESSAGE.format(type(k).__name__))
    return tuple(_index_component(k) for k in key)


def _is_basic(key):
    return all(
        k is None
        or k is Ellipsis
        or isinstance(k, (slice, int, np.integer))
        and not isinstance(k, bool)
        for k in key
    )


class SelectBackward0(Node):
    """t[i]: the gradient goes back into position i of a zero tensor."""

    def apply(self, grad):
        return (scatter_into_zeros(grad, self.shape, self.key),)


class SliceBackward0(SelectBackward0):
    """t[a:b]: the gradient goes back into the slice of a zero tensor."""


class IndexBackward0(Node):
    """t[index_tensor]: each selected position gets its gradient; repeats add up."""

    def apply(self, grad):
        return (scatter_into_zeros(grad, self.shape, self.key, accumulate=True),)


class ScatterBackward(Node):
    """Backward of placing a gradient into zeros: pick the same positions again."""

    def apply(self, grad):
        return (getitem(grad, self.key),)

    def name(self):
        return "IndexPutBackward0" if self.accumulate else "SliceBackwardBackward0"


def scatter_into_zeros(grad, shape, key, accumulate=False):
    """A zero tensor of ``shape`` with ``grad`` placed (or added) at ``key``."""
    out = np.zeros(shape, dtype=grad._data.dtype)
    if accumulate:
        np.add.at(out, key, grad._data)
    else:
        out[key] = grad._data
    node = None
    if is_recording(grad):
        node = ScatterBackward(grad)
        node.key, node.accumulate = key, accumulate
    return output(out, node)


def scatter_along(grad, indices, shape, dim, keepdim):
    """Backward of max(dim): put ``grad`` at ``indices`` along ``dim`` into zeros."""
    idx = indices._data if keepdim else np.expand_dims(indices._data, dim)
    g = grad if keepdim else grad.unsqueeze(dim)
    grids = list(np.indices(idx.shape, sparse=True))
    grids[dim] = idx
    return scatter_into_zeros(g, shape, tuple(grids), accumulate=True)


def _select_step(t, k, dim, original_dim):
    """Apply one basic index entry at ``dim``; return (result, next dim)."""
    data = t._data
    if k is None:
        return unsqueeze(t, dim), dim + 1
    if isinstance(k, slice):
        if k == slice(None):
            return t, dim + 1
        if k.step is not None and k.step <= 0:
            raise ValueError("step must be greater than zero")
        full = (slice(None),) * dim + (k,)
        out, cls, key = data[full], SliceBackward0, full
        nxt = dim + 1
    else:
        size = data.shape[dim]
        if not -size <= k < size:
            raise IndexError(
                f"index {k} is out of bounds for dimension {original_dim} with size {size}"
            )
        full = (slice(None),) * dim + (int(k),)
        # The trailing Ellipsis makes numpy return a (0-d) view even for one element.
        out, cls, key = data[full + (Ellipsis,)], SelectBackward0, full
        nxt = dim
    node = None
    if is_recording(t):
        node = cls(t)
        node.shape, node.key = data.shape, key
    return _view_of(t, out, node), nxt


def getitem(t, key):
    """``t[key]``: basic indexing gives views (one node per step, as PyTorch
    records them); indexing with tensors or lists gives a copy (IndexBackward0)."""
    if isinstance(key, slice):
        # A lone slice is always recorded, even t[:] (in a tuple, full slices are skipped).
        if key.step is not None and key.step <= 0:
            raise ValueError("step must be greater than zero")
        node = None
        if is_recording(t):
            node = SliceBackward0(t)
            node.shape, node.key = t._data.shape, (key,)
        if t.ndim == 0:
            raise IndexError("invalid index of a 0-dim tensor.")
        return _view_of(t, t._data[key], node)
    key = normalize_index(key)
    if _is_basic(key):
        n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
        if t.ndim == 0 and n_real:
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number"
            )
        if n_real > t.ndim:
            raise IndexError(f"too many indices for tensor of dimension {t.ndim}")
        if Ellipsis in key:
            i = key.index(Ellipsis)
            key = key[:i] + (slice(None),) * (t.ndim - n_real) + key[i + 1 :]
        result, dim = t, 0
        for original_dim, k in enumerate(key):
            result, dim = _select_step(result, k, dim, original_dim)
        if result is t:
            return _view_of(t, t._data, None) if not is_recording(t) else _alias_view(t)
        return result
    try:
        out = t._data[key]
    except IndexError as e:
        raise IndexError(str(e).replace("axis", "dimension")) from None
    if not is_recording(t):
        return output(np.array(out))
    node = IndexBackward0(t)
    node.shape, node.key = t._data.shape, key
    return output(np.array(out), node)


class AliasBackward0(Node):
    def apply(self, grad):
        return (grad,)


def _alias_view(t):
    return _view_of(t, t._data, AliasBackward0(t))


# --- joining ----------------------------------------------------------------------
def _tensor_list(tensors):
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}"
            )
    return tensors


class CatBackward0(Node):
    """cat's gradient is cut back into the pieces that were joined."""

    def apply(self, grad):
        grads, start = [], 0
        for i, size in enumerate(self.sizes):
            if self.needs_grad(i):
                key = (slice(None),) * self.dim + (slice(start, start + size),)
                grads.append(getitem(grad, key))
            else:
                grads.append(None)
            start += size
        return tuple(grads)


def cat(tensors, dim=0):
    tensors = _tensor_list(tensors)
    if not tensors:
        raise ValueError("minigrad.cat(): expected a non-empty list of Tensors")
    dt = dtypes.result_type(*tensors)
    d = _dim(dim, tensors[0].ndim)
    first = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        shape = t._data.shape
        if len(shape) != len(first):
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {len(first)} and {len(shape)}"
            )
        for axis, (m, n) in enumerate(zip(first, shape)):
            if axis != d and m != n:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. "
                    f"Expected size {m} but got size {n} for tensor number {i} "
                    "in the list."
                )
    out = np.concatenate([t._data.astype(dt.numpy, copy=False) for t in tensors], axis=d)
    if not is_recording(*tensors):
        return output(out)
    node = CatBackward0(*tensors)
    node.dim, node.sizes = d, [t._data.shape[d] for t in tensors]
    return output(out, node)


class StackBackward0(Node):
    """stack's gradient is split along the new dimension, one slice per input."""

    def apply(self, grad):
        return tuple(
            select(grad, self.dim, i) if self.needs_grad(i) else None
            for i in range(len(self.next_functions))
        )


def select(t, dim, index):
    return getitem(t, (slice(None),) * dim + (index,))


def stack(tensors, dim=0):
    tensors = _tensor_list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got "
                f"{list(shape)} at entry 0 and {list(t._data.shape)} at entry {i}"
            )
    dt = dtypes.result_type(*tensors)
    d = _dim(dim, len(shape) + 1)
    out = np.stack([t._data.astype(dt.numpy, copy=False) for t in tensors], axis=d)
    if not is_recording(*tensors):
        return output(out)
    node = StackBackward0(*tensors)
    node.dim = d
    return output(out, node)


# --- copies and conversions ----------------------------------------------------------
class CloneBackward0(Node):
    def apply(self, grad):
        return (grad,)


def clone(t):
    out = t._data.copy()
    return output(out, CloneBackward0(t) if is_recording(t) else None)


class ToCopyBackward0(Node):
    """A dtype conversion's gradient is converted back to the input's dtype."""

    def apply(self, grad):
        return (grad.to(self.dtype),)


def to(t, dtype=None, copy=False):
    if dtype is None or isinstance(dtype, str):
        return t  # to("cpu") / to(device): minigrad lives on the CPU
    dt = dtypes.to_dtype(dtype)
    if dt is t.dtype and not copy:
        return t
    out = t._data.astype(dt.numpy)
    node = None
    if is_recording(t) and dt.is_floating_point:
        node = ToCopyBackward0(t)
        node.dtype = t.dtype
    return output(out, node)


def contiguous(t):
    if t._data.flags["C_CONTIGUOUS"]:
        return t
    return clone(t)
