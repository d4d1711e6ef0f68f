"""Data types, named and promoted the way PyTorch does it.

A minigrad tensor stores its numbers in a numpy array; its ``dtype`` is one of
the few objects below. Python floats become ``float32`` and Python ints become
``int64`` (PyTorch's defaults), and mixed operations follow PyTorch's type
promotion, which differs from numpy's (see :func:`result_type`).
"""

import builtins

import numpy as np


class dtype:
    """A tensor element type, shown as ``minigrad.float32`` like ``torch.float32``."""

    def __init__(self, name, numpy_type, category, scalar_name, c_name):
        self.name = name
        self.numpy = np.dtype(numpy_type)
        self.is_floating_point = category == 2
        self.itemsize = self.numpy.itemsize
        self.category = category  # 0 bool, 1 integer, 2 floating point
        # The names PyTorch's messages use: "Float", "FloatTensor" and the C type "float".
        self.scalar_name = scalar_name
        self.legacy_name = scalar_name + "Tensor"
        self.c_name = c_name

    def __repr__(self):
        return f"minigrad.{self.name}"

    def __reduce__(self):
        return self.name


float32 = dtype("float32", np.float32, 2, "Float", "float")
float64 = dtype("float64", np.float64, 2, "Double", "double")
int64 = dtype("int64", np.int64, 1, "Long", "long int")
int32 = dtype("int32", np.int32, 1, "Int", "int")
bool = dtype("bool", np.bool_, 0, "Bool", "bool")

float, double, long, int = float32, float64, int64, int32  # PyTorch's other names

_ALL = (float32, float64, int64, int32, bool)
_BY_NUMPY = {d.numpy: d for d in _ALL}
_DEFAULT_FOR_CATEGORY = {0: bool, 1: int64, 2: float32}


def from_numpy(numpy_dtype):
    """The minigrad dtype of a numpy dtype; a clear TypeError for the ones minigrad lacks."""
    d = _BY_NUMPY.get(np.dtype(numpy_dtype))
    if d is None:
        names = ", ".join(x.name for x in _ALL)
        raise TypeError(
            f"minigrad does not support the numpy dtype {np.dtype(numpy_dtype)}; "
            f"supported dtypes are {names}"
        )
    return d


def to_dtype(d):
    """Accept a minigrad dtype (or a numpy dtype / type) and return the minigrad dtype."""
    if isinstance(d, dtype):
        return d
    try:
        numpy_dtype = np.dtype(d)
    except TypeError:
        raise TypeError(
            f"argument 'dtype' must be a minigrad dtype such as minigrad.float32, "
            f"not {type(d).__name__}"
        ) from None
    return from_numpy(numpy_dtype)


def _category_of_python(x):
    if isinstance(x, (builtins.bool, np.bool_)):
        return 0
    if isinstance(x, (builtins.int, np.integer)):
        return 1
    if isinstance(x, (builtins.float, np.floating)):
        return 2
    raise TypeError(f"unsupported operand type: {type(x).__name__} (expected a Tensor or a number)")


def promote_types(*types):
    """The smallest dtype that holds values of all ``types`` (``torch.promote_types``).

    The highest category wins outright (int32 with float32 is float32, where numpy
    says float64); within one category numpy's promotion agrees with PyTorch's.
    """
    top = max(d.category for d in types)
    return _BY_NUMPY[np.result_type(*[d.numpy for d in types if d.category == top])]


def result_type(*operands):
    """The dtype of ``a op b`` by PyTorch's promotion rules.

    Operands are ranked: tensors with dimensions, then 0-d tensors, then Python
    numbers. The highest *category* present wins (bool < integer < float); within
    it, only the operands of the highest rank are promoted together. So a
    float32 matrix times a float64 0-d tensor stays float32, but an int64 tensor
    times ``0.5`` becomes float32 (the default float), where numpy would give float64.
    """
    ranked = []  # (rank, dtype): 2 a tensor with dims, 1 a 0-d tensor, 0 a Python number
    for op in operands:
        d = getattr(op, "dtype", None)
        if isinstance(d, dtype) and not op._is_wrapped_number:
            rank = 2 if op.ndim else 1
        else:  # a Python number, or a tensor made from one (PyTorch's "wrapped number")
            d = _DEFAULT_FOR_CATEGORY[
                d.category if isinstance(d, dtype) else _category_of_python(op)
            ]
            rank = 0
        ranked.append((rank, d))
    top = max(d.category for _, d in ranked)
    rank = max(r for r, d in ranked if d.category == top)
    if rank == 0:
        return _DEFAULT_FOR_CATEGORY[top]
    return promote_types(*[d for r, d in ranked if r == rank and d.category == top])
