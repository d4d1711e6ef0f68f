"""Operations that move elements around without doing arithmetic.

Their backward moves the gradient back: a transpose is undone by the same
transpose, a reshape by reshaping back. Many of them return *views* that
share memory and the version counter with their input, as in PyTorch
(``view = True``). Indexing, ``t[key]``, has its own module: indexing.py.
"""

import numpy as np

from .. import arguments, dtypes
from .._warn_once import warn_once
from ..function import Op, unbroadcast, view_of
from ..tensor import NOT_GIVEN
from .common import dim_index, distinct_dims


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
        raise arguments.no_overload_fits(
            "view", (("(torch.dtype dtype)", "(tuple of ints size)"),), (input,)
        )
    shape = _infer_shape(arguments.int_tuple(shape, "view", "size"), input._data.size)
    if not _reshapes_in_place(input._data, shape):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead."
        )
    return View.apply(input, shape=shape)


def reshape(input, *sizes, shape=NOT_GIVEN):
    """A view when the memory layout allows it, else a copy (clone, then view the copy)."""
    if shape is not NOT_GIVEN:
        if sizes:
            raise TypeError("reshape() got multiple values for argument 'shape'")
        sizes = (shape,)
    shape = _infer_shape(arguments.int_tuple(sizes, "reshape", "shape"), input._data.size)
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
    start_dim = arguments.int_argument(start_dim, "flatten", "start_dim", 1)
    end_dim = arguments.int_argument(end_dim, "flatten", "end_dim", 2)
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
    dim0 = arguments.int_argument(dim0, "transpose", "dim0", 1)
    dim1 = arguments.int_argument(dim1, "transpose", "dim1", 2)
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
    dims = arguments.int_tuple(dims, "permute", "dims")
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


def matrix_transposed(input):
    """``t.mT``: the last two dimensions swapped. PyTorch refuses a 1-D tensor and hands
    a 0-D one back unchanged, warning once per process."""
    if input.ndim == 0:
        warn_once(
            "Tensor.mT is deprecated on 0-D tensors. This function is the identity in these cases.",
            stacklevel=3,
        )
        return input
    if input.ndim == 1:
        raise RuntimeError(
            "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor."
        )
    return transpose(input, -2, -1)


class Unsqueeze(Op):
    node_name = "UnsqueezeBackward0"
    view = True

    def forward(ctx, x, dim):
        ctx.dim = dim
        return np.expand_dims(x, dim)

    def backward(ctx, grad):
        return grad.squeeze(ctx.dim)


def unsqueeze(input, dim=NOT_GIVEN, *, axis=NOT_GIVEN):
    dim = arguments.int_argument(arguments.dim_or_axis(dim, axis, "unsqueeze"), "unsqueeze", "dim")
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


def squeeze(input, dim=NOT_GIVEN, *, axis=NOT_GIVEN):
    dim = dim if axis is NOT_GIVEN else axis  # numpy's name, which PyTorch takes too
    if dim is NOT_GIVEN:
        return Squeeze.apply(input)
    shape = input._data.shape
    dims = arguments.dims_argument(dim, "squeeze", _SQUEEZE_OVERLOADS, (input, dim))
    dims = distinct_dims([dim_index(d, len(shape)) for d in dims])
    function = SqueezeDim if arguments.is_int(dim) else SqueezeDims
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
    sizes, shape = arguments.int_tuple(sizes, "expand", "size"), input._data.shape
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


class Alias(Op):
    """t[...] or t[()]: the same values, a new view."""

    node_name = "AliasBackward0"
    view = True

    def forward(ctx, x):
        return x

    def backward(ctx, grad):
        return grad


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
