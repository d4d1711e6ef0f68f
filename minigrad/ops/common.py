"""What the operations share: checking and wrapping their operands.

The ops themselves are Functions (``minigrad/function.py``): this module only
turns what the user passed (tensors, Python numbers) into the inputs of
``apply``, with PyTorch's checks and error messages.
"""

import numbers

import numpy as np

from .. import arguments, dtypes
from .._warn_once import warn_once
from ..grad_mode import _state
from ..tensor import Tensor, _wrap


def is_operand(x):
    """Tensors and Python/numpy numbers are operands of ``+ - * / **``; lists are not."""
    if isinstance(x, Tensor) or x.__class__ in (float, int, bool):
        return True  # the common cases first: the abstract check below is slower
    return isinstance(x, (numbers.Number, np.number, np.bool_))


def operator(op, tensor, other):
    """A Python operator (``t * other``): NotImplemented for an operand it does not take
    (a list, a string), so that Python tries the other operand or raises its TypeError."""
    # Speed: a tensor operand skips is_operand's call (a Python call per operator, about
    # 0.1 us; benchmarks/README.md, "The seam's cost").
    return op(tensor, other) if other.__class__ is Tensor or is_operand(other) else NotImplemented


def wrapped_number(x):
    """A Python number as PyTorch keeps it in an op: a 0-d tensor of its own kind
    (int -> int64, float -> float64), flagged so that promotion ranks it as a number."""
    if isinstance(x, Tensor):
        return x
    if not is_operand(x):
        raise TypeError(f"expected a Tensor or a number, got {type(x).__name__}")
    t = _wrap(np.asarray(x, dtype=dtypes.result_type(x).numpy if is_bool(x) else _kind(x)))
    t._is_wrapped_number = True
    return t


def is_bool(x):
    """A Python or numpy bool, or a bool tensor."""
    return isinstance(x, (bool, np.bool_)) or (isinstance(x, Tensor) and x._data.dtype == np.bool_)


def _kind(x):
    return np.int64 if isinstance(x, (int, np.integer)) else np.float64


def operands(a, b):
    """The two inputs of a binary op, numbers wrapped, after PyTorch's broadcast check."""
    if a.__class__ is not Tensor or b.__class__ is not Tensor:
        a, b = wrapped_number(a), wrapped_number(b)
    x, y = a._data, b._data
    if x.shape != y.shape and x.ndim and y.ndim:  # a 0-d operand broadcasts to anything
        try:
            np.broadcast_shapes(x.shape, y.shape)
        except ValueError:
            raise broadcast_error(x.shape, y.shape) from None
    return a, b


def broadcast_error(a, b):
    """PyTorch's message for shapes that cannot broadcast (numpy's would leak otherwise):
    it names the first dimension from the right where they differ and neither is 1
    (shapes that do not broadcast always have one)."""
    for i in range(1, max(len(a), len(b)) + 1):
        m = a[-i] if i <= len(a) else 1
        n = b[-i] if i <= len(b) else 1
        if m != n and m != 1 and n != 1:
            return RuntimeError(
                f"The size of tensor a ({m}) must match the size of tensor b ({n}) at "
                f"non-singleton dimension {max(len(a), len(b)) - i}"
            )


def zeros_like(grad, shape=None):
    """A gradient of zeros like ``grad`` (of ``shape`` if given), array or tensor as
    ``grad`` is: a constant, recorded in no graph."""
    if isinstance(grad, Tensor):
        return _wrap(np.zeros_like(grad._data, shape=shape))
    return np.zeros_like(grad, shape=shape)


def as_float(x):
    """An array as float32 if it holds integers (``exp`` of an int tensor is float)."""
    return x.astype(np.float32) if x.dtype.kind in "biu" else x


def invert(tensor):
    """``~t``: the logical not of a bool tensor, the bitwise not of an integer one."""
    if tensor.dtype.is_floating_point:
        raise TypeError(
            "~ (operator.invert) is only implemented on integer and Boolean-type tensors"
        )
    return _wrap(np.invert(tensor._data))


def cast_like(x, like):
    """``x`` in the dtype of ``like``: an array, or a tensor (recorded, ToCopyBackward0)."""
    if isinstance(x, Tensor):
        return x if x.dtype is like.dtype else x.to(like.dtype)
    return x.astype(like.dtype, copy=False)


def only_element(tensor, to_float=False):
    """What ``float(t)`` and ``int(t)`` convert: PyTorch's ValueError unless t has one
    element. ``float()`` first warns (once per process) about a tensor that requires grad,
    when grad mode is on."""
    if to_float and tensor.requires_grad and _state.grad_enabled:
        from ..creation import _TO_SCALAR_WARNING  # (creation imports this module's users)

        warn_once(_TO_SCALAR_WARNING, stacklevel=3)
    if tensor._data.size != 1:
        raise ValueError("only one element tensors can be converted to Python scalars")
    return tensor.item()


def size_dim(tensor, dim):
    """``t.size(dim)``'s dimension, checked in PyTorch's words."""
    dim = arguments.int_argument(dim, "size", "dim")
    if not tensor.ndim:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return dim_index(dim, tensor.ndim)


def dim_index(d, ndim):
    """``d`` as a non-negative dimension of a tensor with ``ndim`` dimensions."""
    top = max(ndim, 1)
    if not -top <= d < top:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-top}, {top - 1}], but got {d})"
        )
    return d % top


def distinct_dims(dims):
    """Refuse a dim that appears twice among ``dims`` (already made non-negative)."""
    for i, d in enumerate(dims):
        if d in dims[:i]:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return dims


def tensor_function(fn, name):
    """The module-level form of a method (``mg.exp(t)``): refuse a non-tensor input
    with PyTorch's TypeError, instead of failing somewhere inside."""

    def checked(input, *args, **kwargs):
        check_tensor(input, name)
        try:
            return fn(input, *args, **kwargs)
        except TypeError as error:
            if hasattr(error, "text_for"):  # PyTorch's parser counts the tensor here
                error.args = (error.text_for(True),)
            raise

    checked.__name__ = checked.__qualname__ = name
    code = checked.__code__  # tracebacks name it too (co_qualname: from Python 3.11 on)
    qualname = {"co_qualname": name} if hasattr(code, "co_qualname") else {}
    checked.__code__ = code.replace(co_name=name, **qualname)
    checked.__doc__ = fn.__doc__
    return checked


def check_tensor(x, function, argument="input", position=1):
    """Refuse an argument that is no tensor, with PyTorch's TypeError (``position``
    counted as in a method call, when a module-level wrapper adds the tensor's)."""
    if not isinstance(x, Tensor):
        raise arguments.wrong_type(function, argument, position, "Tensor", x)


def check_masks(shape, key):
    """Refuse an index with arrays that names too many dimensions, a boolean mask whose
    shape is not that of the dimensions it indexes, or an index out of range.

    PyTorch names these dimensions as in the tensor left once the integer indices
    have removed theirs and each ``None`` has added one of size 1; an index out of
    range, by its place among the indexed dimensions (its kernel moves them first).
    """
    if sum(_width(k) for k in key) > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    shape, dim, indexed = list(shape), 0, 0
    for i, k in enumerate(key):
        if k is None:
            shape.insert(dim, 1)
            dim += 1
        elif k is Ellipsis:
            dim = len(shape) - sum(_width(rest) for rest in key[i + 1 :])
        elif isinstance(k, (int, np.integer)):
            del shape[dim]
        elif isinstance(k, slice):
            dim += 1
        else:
            for j in range(_width(k) if _is_mask(k) else 0):
                if k.shape[j] != shape[dim + j]:
                    raise IndexError(
                        f"The shape of the mask {list(k.shape)} at index {j} does not match "
                        f"the shape of the indexed tensor {shape} at index {dim + j}"
                    )
            out_of_range = k[(k < -shape[dim]) | (k >= shape[dim])] if not _is_mask(k) else k[:0]
            if out_of_range.size and not shape[dim]:
                raise IndexError("index is out of bounds for dimension with size 0")
            if out_of_range.size:
                raise IndexError(
                    f"index {out_of_range.flat[0]} is out of bounds for dimension {indexed} "
                    f"with size {shape[dim]}"
                )
            dim, indexed = dim + _width(k), indexed + _width(k)


def _width(k):
    """How many dimensions of the tensor one index entry consumes."""
    if k is None or k is Ellipsis:
        return 0
    return k.ndim if _is_mask(k) else 1


def _is_mask(k):
    return isinstance(k, np.ndarray) and k.dtype == np.bool_
