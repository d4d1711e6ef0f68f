"""The operations, each a Function (forward beside backward), one module per family.

- ``common``: turning what the user passed into an op's inputs (numbers, checks).
- ``elementwise``: + - * / ** and the unary maths functions.
- ``reduce``: sum, mean, max, softmax.
- ``matrix``: mm, matmul, dot, mv.
- ``shape``: view/reshape, transpose, squeeze, indexing, cat, stack, clone.
- ``inplace``: add_ mul_ ... and ``t[i] = v``: version counters at work.
- ``fused``: one node where PyTorch records one (linear's addmm, the losses, batch norm).

This namespace is what ``Tensor``'s methods call.
"""

from .common import is_operand, operator
from .elementwise import (
    abs,
    add,
    div,
    eq,
    exp,
    ge,
    gt,
    le,
    log,
    logical_not,
    lt,
    maximum,
    mul,
    ne,
    neg,
    pow,
    rdiv,
    reciprocal,
    relu,
    rsub,
    sigmoid,
    sign,
    sqrt,
    sub,
    tanh,
    where,
)
from .inplace import add_, copy_, div_, fill_, mul_, setitem, sub_, zero_
from .matrix import dot, matmul, mm
from .reduce import all, any, argmax, log_softmax, max, mean, min, softmax, sum
from .shape import (
    cat,
    clone,
    contiguous,
    expand,
    flatten,
    getitem,
    permute,
    reshape,
    squeeze,
    stack,
    t,
    to,
    transpose,
    unsqueeze,
    view,
)
from .shape import transposed as T
