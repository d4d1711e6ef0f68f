"""Operations that move elements around without doing arithmetic.

Their backward moves the gradient back: a transpose is undone by the same
transpose, a reshape by reshaping back, a selection by placing the gradient
into zeros at the selected positions. Many of them return *views* that share
memory and the version counter with their input, as in PyTorch (``view = True``).
"""

import warnings

import numpy as np

from .. import creation, dtypes
from .._warn_once import warn_once
from ..function import Op, unbroadcast, view_of
from ..tensor import NOT_GIVEN, Tensor
from .common import _width, check_masks, dim_index, distinct_dims, zeros_like


class View(Op):
    """A reshape's gradient is the incoming gradient reshaped back."""

    node_name = "ViewBackward0"
    view = True

    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return np.reshape(x, shape, copy=False)

    def backward(ctx, grad):
        return grad.reshape(ctx.shape)


class UnsafeView(View):
    """The same rule, for a reshape of a fresh copy (nobody else sees it: no view)."""

    node_name = "UnsafeViewBackward0"
    view = False


def _infer_shape(shape, numel):
    for i, s in enumerate(shape):  # PyTorch's checks, dimension by dimension
        if s == -1 and -1 in shape[:i]:
            raise RuntimeError("only one dimension can be inferred")
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
    known = int(np.prod([s for s in shape if s != -1]))
    if -1 in shape and known and not numel % known:
        return tuple(numel // known if s == -1 else s for s in shape)
    if -1 in shape and not known and not numel:
        raise RuntimeError(
            f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
            "unspecified dimension size -1 can be any value and is ambiguous"
        )
    if -1 in shape or known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def view(input, *shape):
    if not shape:  # (PyTorch's other view takes a dtype)
        raise creation.no_overload_fits(
            "view", (("(torch.dtype dtype)", "(tuple of ints size)"),), (input,)
        )
    shape = _infer_shape(creation.int_tuple(shape, "view", "size"), input._data.size)
    if not _reshapes_in_place(input._data, shape):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return View.apply(input, shape=shape)


def reshape(input, *shape):
    """A view when the memory layout allows it, else a copy (clone, then view the copy)."""
    shape = _infer_shape(creation.int_tuple(shape, "reshape", "shape"), input._data.size)
    if _reshapes_in_place(input._data, shape):
        return View.apply(input, shape=shape)
    return UnsafeView.apply(clone(input), shape=shape)


def _reshapes_in_place(array, shape):
    try:
        np.reshape(array, shape, copy=False)
    except ValueError:
        return False
    return True


def flatten(input, start_dim=0, end_dim=-1):
    start_dim = creation.int_argument(start_dim, "flatten", "start_dim", 1)
    end_dim = creation.int_argument(end_dim, "flatten", "end_dim", 2)
    start, end = dim_index(start_dim, input.ndim), dim_index(end_dim, input.ndim)
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if input.ndim == 0:
        return reshape(input, 1)
    if start == end:
        return input
    shape = input._data.shape
    return reshape(input, *shape[:start], int(np.prod(shape[start : end + 1])), *shape[end + 1 :])


class Transpose(Op):
    node_name = "TransposeBackward0"
    view = True

    def forward(ctx, x, dim0, dim1):
        ctx.dim0, ctx.dim1 = dim0, dim1
        return np.swapaxes(x, dim0, dim1) if x.ndim else x

    def backward(ctx, grad):
        return Transpose.apply(grad, dim0=ctx.dim0, dim1=ctx.dim1)


def transpose(input, dim0, dim1):
    dim0 = creation.int_argument(dim0, "transpose", "dim0", 1)
    dim1 = creation.int_argument(dim1, "transpose", "dim1", 2)
    dims = dim_index(dim0, input.ndim), dim_index(dim1, input.ndim)  # (0 or -1 for a 0-d one)
    return Transpose.apply(input, dim0=dims[0], dim1=dims[1])


class T(Op):
    """``t.t()``: the transpose of a matrix (a vector stays as it is)."""

    node_name = "TBackward0"
    view = True

    def forward(ctx, x):
        return x.T

    def backward(ctx, grad):
        return T.apply(grad)

    @classmethod
    def apply(cls, x):
        """Speed: on an array (mm's backward, twice a node) the transpose without the calls
        of Function.apply and forward (0.5 us against 0.15 us; benchmarks/README.md, "The
        seam's cost"); a tensor goes through Function.apply."""
        return x.T if x.__class__ is np.ndarray else Op.apply.__func__(cls, x)


def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return T.apply(input)


class Permute(Op):
    node_name = "PermuteBackward0"
    view = True

    def forward(ctx, x, dims):
        ctx.dims = dims
        return np.transpose(x, dims)

    def backward(ctx, grad):
        return Permute.apply(grad, dims=tuple(np.argsort(ctx.dims).tolist()))


def permute(input, *dims):
    dims = creation.int_tuple(dims, "permute", "dims")
    if len(dims) != input.ndim:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the "
            "length of the desired ordering of dimensions i.e. input.dim() = "
            f"{input.ndim} is not equal to len(dims) = {len(dims)}"
        )
    checked = []
    for d in dims:  # PyTorch checks them one by one: the range, then that it is new
        checked.append(dim_index(d, input.ndim))
        if checked[-1] in checked[:-1]:
            raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, dims=tuple(checked))


def transposed(input):
    """``t.T``: all dimensions reversed (PyTorch records it as a permute). On other
    than 2 dimensions PyTorch warns, once per process."""
    if input.ndim == 0:
        warn_once(
            "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.",
            stacklevel=3,
        )
    elif input.ndim != 2:
        warn_once(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*minigrad.arange(x.ndim - 1, -1, -1))` "
            "to reverse the dimensions of a tensor.",
            stacklevel=3,
        )
    return permute(input, tuple(range(input.ndim - 1, -1, -1)))


class Unsqueeze(Op):
    node_name = "UnsqueezeBackward0"
    view = True

    def forward(ctx, x, dim):
        ctx.dim = dim
        return np.expand_dims(x, dim)

    def backward(ctx, grad):
        return grad.squeeze(ctx.dim)


def unsqueeze(input, dim):
    dim = creation.int_argument(dim, "unsqueeze", "dim")
    return Unsqueeze.apply(input, dim=dim_index(dim, input.ndim + 1))


class Squeeze(Op):
    """squeeze(): the gradient is reshaped back to the input's shape."""

    node_name = "SqueezeBackward0"
    view = True

    def forward(ctx, x, dims=None):
        ctx.shape, ctx.dims = x.shape, dims
        return np.squeeze(x, axis=dims)

    def backward(ctx, grad):
        """The squeezed dimensions put back one by one (PyTorch's ``unsqueeze_to``)."""
        dims = range(len(ctx.shape)) if ctx.dims is None else ctx.dims
        for d in sorted(dims):
            if ctx.shape[d] == 1:
                grad = Unsqueeze.apply(grad, dim=d)
        return grad


class SqueezeDim(Squeeze):
    node_name = "SqueezeBackward1"


class SqueezeDims(Squeeze):
    node_name = "SqueezeBackward2"


class SqueezeInMatmul(Squeeze):
    """The squeeze matmul does to a vector's result: in place (PyTorch's squeeze_), so
    the result is no view, the one tensor of mm's result squeezed."""

    node_name = "SqueezeBackward4"
    view = False


_SQUEEZE_OVERLOADS = (  # as PyTorch lists them when none fits: the method's, the function's
    ("()", "(int dim)", "(tuple of ints dim)"),
    ("(Tensor input)", "(Tensor input, int dim)", "(Tensor input, tuple of ints dim)"),
)


def squeeze(input, dim=NOT_GIVEN):
    if dim is NOT_GIVEN:
        return Squeeze.apply(input)
    shape = input._data.shape
    dims = creation.dims_argument(dim, "squeeze", _SQUEEZE_OVERLOADS, (input, dim))
    dims = distinct_dims([dim_index(d, len(shape)) for d in dims])
    function = SqueezeDim if creation.is_int(dim) else SqueezeDims
    return function.apply(input, dims=tuple(d for d in dims if shape and shape[d] == 1))


class Expand(Op):
    """Broadcasting copies values, so the backward adds the copies' gradients up."""

    node_name = "ExpandBackward0"
    view = True

    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return expanded(x, shape)

    def backward(ctx, grad):
        return unbroadcast(grad, ctx.shape)


def expanded(array, shape):
    """``array`` broadcast to ``shape`` without copying: a dimension of size 1 becomes a
    stride of 0 (every position reads the same element). Writable, as in PyTorch
    (``fill_`` may write into it; the in-place ops that would read and write one
    element twice refuse: ``inplace.check_overlap``). (A backward may pass numpy's
    read-only scalar, the sum of a gradient: it becomes a writable 0-d array first.)"""
    array = np.asarray(array)
    strides = np.broadcast_to(array, shape).strides
    return np.lib.stride_tricks.as_strided(array, shape, strides, writeable=array.flags.writeable)


def expand(input, *sizes):
    sizes, shape = creation.int_tuple(sizes, "expand", "size"), input._data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand(minigrad.{input.dtype.legacy_name}{{{list(shape)}}}, size={list(sizes)}): "
            f"the number of sizes provided ({len(sizes)}) must be greater or equal to the "
            f"number of dimensions in the tensor ({len(shape)})"
        )
    if -1 in sizes[:lead]:
        raise RuntimeError(
            "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing "
            f"dimension {sizes.index(-1)}"
        )
    target = tuple(shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    for i in reversed(range(lead, len(target))):  # PyTorch names the last mismatch first
        if shape[i - lead] not in (1, target[i]):
            raise RuntimeError(
                f"The expanded size of the tensor ({target[i]}) must match the existing size "
                f"({shape[i - lead]}) at non-singleton dimension {i}.  Target sizes: "
                f"{list(sizes)}.  Tensor sizes: {list(shape)}"
            )
    if any(s < 0 for s in target):  # a size of 1 (or a new dimension) expanded to -2
        raise RuntimeError("numel: integer multiplication overflow")
    if target == shape and not input.requires_grad:
        return view_of(input, input._data, step=(Alias, {}, None))
    return Expand.apply(input, shape=target)


# --- indexing --------------------------------------------------------------------
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


class Alias(Op):
    """t[...] or t[()]: the same values, a new view."""

    node_name = "AliasBackward0"
    view = True

    def forward(ctx, x):
        return x

    def backward(ctx, grad):
        return grad


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
    if k.step is not None and k.step <= 0:
        raise ValueError("step must be greater than zero")
    return Slice.apply(t, key=(slice(None),) * dim + (k,))


# --- copies and conversions ------------------------------------------------------
class Clone(Op):
    node_name = "CloneBackward0"

    def forward(ctx, x):
        return x.copy()

    def backward(ctx, grad):
        return grad


clone = Clone.apply


class ToCopy(Op):
    """A dtype conversion: the gradient goes back converted to the input's dtype."""

    node_name = "ToCopyBackward0"

    def forward(ctx, x, dtype):
        ctx.dtype = x.dtype
        return x.astype(dtype)

    def backward(ctx, grad):
        return ToCopy.apply(grad, dtype=ctx.dtype)


def to(input, dtype=None, copy=False):
    if dtype is None or isinstance(dtype, str):
        return input  # to("cpu") / to(device): minigrad lives on the CPU
    dtype = dtypes.to_dtype(dtype)
    if dtype is input.dtype and not copy:
        return input
    return ToCopy.apply(input, dtype=dtype.numpy)


def contiguous(input):
    return input if input._data.flags["C_CONTIGUOUS"] else clone(input)
