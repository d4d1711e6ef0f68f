"""minigrad: PyTorch's autograd, rebuilt on numpy to be read and taken apart.

``import minigrad as mg`` and use it like ``torch``: the names, the
behaviour, the reprs and the errors are PyTorch's for everything minigrad has.
"""

from . import autograd, nn, optim
from ._warn_once import is_warn_always_enabled, set_warn_always
from .creation import (
    Generator,
    arange,
    as_tensor,
    default_generator,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import bool, double, dtype, float, float32, float64, int, int32, int64, long
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .ops import compare as _compare
from .ops import elementwise as _elementwise
from .ops import matrix as _matrix
from .ops import reduce as _reduce
from .ops import shape as _shape
from .ops.common import tensor_function as _tensor_function
from .ops.compare import eq, ge, gt, le, lt, maximum, minimum, ne
from .ops.elementwise import add, div, mul, pow, sub, where
from .ops.join import cat, stack
from .scalar import Scalar
from .tensor import Size, Tensor, device, typename

__version__ = "0.1.0"


# Module-level functions whose first argument must be a tensor check it.
exp, log, tanh, sigmoid, relu, sqrt, abs, neg, sign, reciprocal = (
    _tensor_function(getattr(_elementwise, name), name)
    for name in (
        "exp",
        "log",
        "tanh",
        "sigmoid",
        "relu",
        "sqrt",
        "abs",
        "neg",
        "sign",
        "reciprocal",
    )
)
logical_not = _tensor_function(_compare.logical_not, "logical_not")
sum, mean, max, min, argmax, softmax, log_softmax, all, any = (
    _tensor_function(getattr(_reduce, name), name)
    for name in ("sum", "mean", "max", "min", "argmax", "softmax", "log_softmax", "all", "any")
)
dot, matmul, mm = (
    _tensor_function(getattr(_matrix, name), name) for name in ("dot", "matmul", "mm")
)
reshape, transpose, squeeze, unsqueeze, flatten, permute, clone, t = (
    _tensor_function(getattr(_shape, name), name)
    for name in ("reshape", "transpose", "squeeze", "unsqueeze", "flatten", "permute", "clone", "t")
)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(t):
    return t.numel()
