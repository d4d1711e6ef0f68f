"""Making tensors: from data, filled with a value, or random.

``tensor(data)`` infers the dtype as PyTorch does: Python floats give
float32, Python ints give int64, bools give bool; a numpy array keeps its own
dtype. Bad data (ragged lists, strings) is refused with a clear message
before numpy ever sees it.
"""

import numbers
import warnings

import numpy as np

from . import dtypes
from .arguments import int_argument, int_tuple, wrong_type
from .tensor import NOT_GIVEN, Tensor, _wrap

# PyTorch's CPU generator starts from this default seed; so does ours.
_DEFAULT_SEED = 67280421310721


class Generator:
    """The random number generator behind randn/rand (numpy's PCG64).

    Its numbers are not PyTorch's: the same seed gives reproducible but
    different values.
    """

    def __init__(self, seed=_DEFAULT_SEED):
        self.manual_seed(seed)

    def manual_seed(self, seed):
        self.numpy = np.random.default_rng(int(seed))
        return self

    def __repr__(self):
        return "<minigrad.Generator object>"


default_generator = Generator()


def manual_seed(seed):
    """Seed the default generator so randn/rand/Dropout repeat exactly."""
    return default_generator.manual_seed(seed)


_TO_SCALAR_WARNING = (
    "Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
    "behavior.\nConsider using tensor.detach() first."
)


def _infer(data, depth, shapes, kinds):
    """Walk nested lists: check they are rectangular and note the dtype of each entry
    in ``kinds``. Returns the data as numpy takes it: one-element tensors become Python
    numbers.

    ``shapes`` grows on the way down to the first number and is complete from then on.
    """
    if isinstance(data, (list, tuple)):
        if kinds and depth >= len(shapes):  # numbers were found at a smaller depth
            raise TypeError(f"expected a number at dim {depth}, got a {type(data).__name__}")
        n = len(data)
        if len(shapes) <= depth:
            shapes.append(n)
        elif shapes[depth] != n:
            raise ValueError(
                f"expected sequence of length {shapes[depth]} at dim {depth} (got {n})"
            )
        values = []
        for item in data:
            values.append(_infer(item, depth + 1, shapes, kinds))
        return values
    if len(shapes) > depth:
        raise TypeError(f"expected a sequence at dim {depth}, got {type(data).__name__}")
    kinds.add(_entry_dtype(data, depth))
    return data._data.item() if isinstance(data, Tensor) else data


def _entry_dtype(x, depth):
    """The dtype one entry asks for: a Python float float32, an int int64, a bool bool,
    a numpy double float64 (it keeps its precision, as in PyTorch), a one-element tensor
    its own."""
    if isinstance(x, Tensor):
        if x._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if x._requires_grad:  # (stacklevel: the caller of tensor(), past the recursion)
            warnings.warn(_TO_SCALAR_WARNING, UserWarning, stacklevel=5 + depth)
        return x.dtype
    if isinstance(x, (bool, np.bool_)):
        return dtypes.bool
    if isinstance(x, numbers.Integral):
        if not -(2**63) <= int(x) < 2**63:
            raise ValueError("Overflow when unpacking long long")
        return dtypes.int64
    if isinstance(x, np.float64):
        return dtypes.float64
    if isinstance(x, numbers.Real):
        return dtypes.float32
    if x is None:
        raise RuntimeError("Could not infer dtype of NoneType")
    raise TypeError(f"new(): invalid data type '{type(x).__name__}'")


def _array_from(data, dtype):
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach()"
            ".clone() or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "minigrad.tensor(sourceTensor).",
            UserWarning,
            stacklevel=3,
        )
        data = data._data
    # numpy data keeps its dtype (one minigrad has) unless another is asked for
    if isinstance(data, np.ndarray) or isinstance(data, np.generic) and dtype is None:
        if dtype is None:
            return np.array(data, dtype=dtypes.from_numpy(data.dtype).numpy)  # a copy
        return data.astype(dtype.numpy)
    shapes, kinds = [], set()
    values = _infer(data, 0, shapes, kinds)
    if dtype is None:
        dtype = dtypes.promote_types(*kinds) if kinds else dtypes.float32
    return np.array(values, dtype=dtype.numpy).reshape(shapes)


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new leaf tensor holding a copy of ``data``."""
    if dtype is not None:
        dtype = dtypes.to_dtype(dtype)
    return _leaf(_array_from(data, dtype), requires_grad)


def as_tensor(data, dtype=None):
    if isinstance(data, Tensor) and (dtype is None or data.dtype is dtype):
        return data
    return tensor(data, dtype=dtype)


def from_numpy(array):
    """A tensor sharing memory with a numpy array."""
    dtypes.from_numpy(array.dtype)
    return _wrap(array)


def from_pickle(cls, array, requires_grad):
    """A pickled tensor rebuilt: a new leaf around ``array``.

    Its ``_version`` is 1 whatever the original's was: so PyTorch 2.13's copy
    reports (observed), minigrad's too.
    """
    t = _wrap(array)
    t._version_counter.value = 1
    if cls is not Tensor:
        return cls(t, requires_grad)  # nn.Parameter(data, requires_grad)
    return t.requires_grad_(requires_grad)


def _size(sizes, function, size=NOT_GIVEN):
    """The shape, given as ``f(2, 3)`` or ``f((2, 3))`` (``sizes``) or ``f(size=(2, 3))``."""
    if size is not NOT_GIVEN:
        if sizes:
            raise TypeError(f"{function}() got multiple values for argument 'size'")
        if not isinstance(size, (tuple, list)):
            raise wrong_type(function, "size", None, "tuple of ints", size)
        sizes = (size,)
    size = int_tuple(sizes, function, "size")
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return size


def _leaf(array, requires_grad):
    """A new leaf around ``array``."""
    return new_leaf_requires_grad(_wrap(array), requires_grad)


def new_leaf_requires_grad(t, requires_grad):
    """A factory's (or ``nn.Parameter``'s) ``requires_grad=``: for floating point only,
    refused with PyTorch's message (capital O, where the ``.requires_grad`` setter's
    starts with a small one)."""
    if requires_grad:
        if not t.dtype.is_floating_point:
            raise RuntimeError(
                "Only Tensors of floating point and complex dtype can require gradients"
            )
        t.requires_grad = True
    return t


def _numpy_dtype(dtype, default=dtypes.float32):
    """A factory's ``dtype=`` argument as a numpy dtype: ``default`` if it is None."""
    return dtypes.to_dtype(default if dtype is None else dtype).numpy


def zeros(*sizes, size=NOT_GIVEN, dtype=None, requires_grad=False):
    return _leaf(np.zeros(_size(sizes, "zeros", size), _numpy_dtype(dtype)), requires_grad)


def ones(*sizes, size=NOT_GIVEN, dtype=None, requires_grad=False):
    return _leaf(np.ones(_size(sizes, "ones", size), _numpy_dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    """Every entry ``fill_value``; the dtype follows it by default (``2`` gives int64)."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(
            f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}"
        )
    if dtype is None:
        dtype = dtypes.result_type(fill_value)
    return _leaf(np.full(_size((size,), "full"), fill_value, _numpy_dtype(dtype)), requires_grad)


def empty(*sizes, size=NOT_GIVEN, dtype=None, requires_grad=False):
    return _leaf(np.zeros(_size(sizes, "empty", size), _numpy_dtype(dtype)), requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return _leaf(np.zeros(t._data.shape, _numpy_dtype(dtype, t.dtype)), requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return _leaf(np.ones(t._data.shape, _numpy_dtype(dtype, t.dtype)), requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False):
    return _leaf(np.full(t._data.shape, fill_value, _numpy_dtype(dtype, t.dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Like range(): ints give int64, any float gives float32."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dtype = dtypes.result_type(start, end, step)
    # Count the elements in float64 first, as PyTorch does, then compute.
    count = int(np.ceil((float(end) - float(start)) / float(step)))
    values = start + np.arange(max(count, 0), dtype=np.float64) * step
    return _leaf(values.astype(_numpy_dtype(dtype)), requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    if int_argument(steps, "linspace", "steps", 3) < 0:
        raise RuntimeError("number of steps must be non-negative")
    return _leaf(np.linspace(start, end, steps).astype(_numpy_dtype(dtype)), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    n = int_argument(n, "eye", "n")
    for name, value in (("n", n), ("m", m)):
        if value is not None and value < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {value}")
    return _leaf(np.eye(n, m, dtype=_numpy_dtype(dtype)), requires_grad)


def randn(*sizes, size=NOT_GIVEN, dtype=None, requires_grad=False):
    """Standard normal samples (seed with ``manual_seed``)."""
    samples = default_generator.numpy.standard_normal(_size(sizes, "randn", size))
    return _leaf(samples.astype(_numpy_dtype(dtype)), requires_grad)


def rand(*sizes, size=NOT_GIVEN, dtype=None, requires_grad=False):
    """Uniform samples in [0, 1)."""
    samples = default_generator.numpy.random(_size(sizes, "rand", size))
    return _leaf(samples.astype(_numpy_dtype(dtype)), requires_grad)
