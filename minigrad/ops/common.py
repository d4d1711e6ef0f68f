"""What every operation shares: inputs, outputs, and the decision to record.

An operation records (creates a backward node) only when grad mode is on and
at least one input requires grad; that single rule is how ``requires_grad``
flows forward through a computation.
"""

import numbers

import numpy as np

from .. import dtypes
from ..grad_mode import _state
from ..tensor import Tensor, _wrap


def tensor_function(fn):
    """The module-level form of a method (``mg.exp(t)``): refuse a non-tensor input
    with PyTorch's TypeError, instead of failing somewhere inside."""
    import functools

    @functools.wraps(fn)
    def checked(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(
                f"{fn.__name__}(): argument 'input' (position 1) must be Tensor, "
                f"not {type(input).__name__}"
            )
        return fn(input, *args, **kwargs)

    return checked


def is_recording(*inputs):
    """True when grad mode is on and some input requires grad."""
    if not _state.grad_enabled or _state.inference_mode:
        return False  # inference mode records nothing, even inside enable_grad()
    for t in inputs:
        if t._requires_grad:
            return True
    return False


def output(array, node=None):
    """Wrap a result array; attach the backward node if the op was recorded."""
    return _wrap(array, node)


def scalar_tensor(value, dtype):
    """A Python number as a 0-d tensor of ``dtype`` (PyTorch "wraps" numbers too)."""
    return _wrap(np.asarray(value, dtype=dtype.numpy))


def wrapped_number(x):
    """How PyTorch keeps a Python number an op saved: a 0-d tensor of its own kind
    (int -> int64, float -> float64), e.g. ``(a * 2).grad_fn._saved_other``."""
    if isinstance(x, Tensor):
        return x
    return _wrap(
        np.asarray(
            x,
            dtype=dtypes.result_type(x).numpy
            if isinstance(x, bool)
            else np.int64
            if isinstance(x, (int, np.integer))
            else np.float64,
        )
    )


def as_tensor_operand(x):
    """Accept Tensors and Python/numpy numbers; None for anything else (-> NotImplemented)."""
    if isinstance(x, Tensor) or x.__class__ in (float, int, bool):
        return x  # the common cases first: the abstract check below is slower
    if isinstance(x, (numbers.Number, np.number, np.bool_)):
        return x
    return None


def promote(a, b):
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = scalar_tensor(a, dtypes.result_type(a))  # two numbers: the first becomes a tensor
    """Both operands as tensors of their common dtype, plus their numpy arrays.

    Follows :func:`minigrad.dtypes.result_type`, and converts the arrays
    explicitly, because numpy's own promotion differs from PyTorch's.
    """
    if isinstance(b, Tensor):
        if isinstance(a, Tensor) and a._data.dtype == b._data.dtype:
            check_broadcast(a._data, b._data)
            return a, b, a._data, b._data
        dt = dtypes.result_type(a, b)
        if not isinstance(a, Tensor):
            a = scalar_tensor(a, dt)
    else:
        kind = a._data.dtype.kind
        if kind == "f" and type(b) in (float, int):
            dt = dtypes._BY_NUMPY[a._data.dtype]  # float tensor op number: the tensor's dtype
        else:
            dt = dtypes.result_type(a, b)
        b = scalar_tensor(b, dt)
    np_dt = dt.numpy
    a_data = a._data if a._data.dtype == np_dt else a._data.astype(np_dt)
    b_data = b._data if b._data.dtype == np_dt else b._data.astype(np_dt)
    check_broadcast(a_data, b_data)
    return a, b, a_data, b_data


def broadcast_error(x, y):
    """PyTorch's message for shapes that cannot broadcast (numpy's would leak otherwise)."""
    a, b = x.shape, y.shape
    for i in range(1, max(len(a), len(b)) + 1):
        m = a[-i] if i <= len(a) else 1
        n = b[-i] if i <= len(b) else 1
        if m != n and m != 1 and n != 1:
            dim = max(len(a), len(b)) - i
            return RuntimeError(
                f"The size of tensor a ({m}) must match the size of tensor b "
                f"({n}) at non-singleton dimension {dim}"
            )
    return RuntimeError(f"shapes {list(a)} and {list(b)} cannot be broadcast together")


def check_broadcast(x, y):
    """Raise PyTorch's error early if two arrays' shapes cannot broadcast."""
    if x.shape != y.shape and x.ndim and y.ndim:  # a 0-d operand broadcasts to anything
        try:
            np.broadcast_shapes(x.shape, y.shape)
        except ValueError:
            raise broadcast_error(x, y) from None


def float_data(t):
    """The array of ``t``, as float32 if it holds integers (exp(int) is float in PyTorch)."""
    data = t._data
    if data.dtype.kind in "biu":
        return data.astype(np.float32)
    return data


def unbroadcast(grad, shape):
    """Sum ``grad`` back down to ``shape``: the backward of broadcasting.

    Broadcasting copies an input along new leading dimensions and along
    dimensions of size 1, so every copy's gradient must be added up.
    """
    if grad._data.shape == shape:
        return grad
    lead = len(grad._data.shape) - len(shape)
    if lead:  # new leading dimensions: sum them away
        grad = grad.sum(dim=tuple(range(lead)))
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and grad._data.shape[i] != 1)
    if ones:  # dimensions of size 1 in the input: sum them, keeping them
        grad = grad.sum(dim=ones, keepdim=True)
    return grad


def grad_for(grad, like):
    """``grad`` reduced to the shape (``unbroadcast``) and dtype of the input ``like``."""
    shape, dtype = like
    grad = unbroadcast(grad, shape)
    if grad._data.dtype != dtype.numpy:
        grad = grad.to(dtype)
    return grad


def meta(t):
    """What backward needs to know about an input without saving it: shape and dtype."""
    return (t._data.shape, t.dtype)
