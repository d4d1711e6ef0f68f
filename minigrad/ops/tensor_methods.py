"""Attach the operations to ``Tensor`` as methods and Python operators.

Kept apart from ``tensor.py`` so that file shows only what a tensor *is*;
this one lists what you can *do* with it, each line pointing at the op.
The reflected operators (``2 * t``) are one line each, written with the
forward ones.
"""

from ..tensor import Tensor
from . import elementwise as ew
from . import inplace, reduce, shape
from . import matmul as mm_ops
from .common import as_tensor_operand


def _binary(op):
    def method(self, other):
        if as_tensor_operand(other) is None:
            return NotImplemented
        return op(self, other)

    return method


def _reflected(op):
    def method(self, other):
        if as_tensor_operand(other) is None:
            return NotImplemented
        return op(other, self)

    return method


def _inplace_operator(op):
    def method(self, other):
        if as_tensor_operand(other) is None:
            return NotImplemented
        return op(self, other)

    return method


def _matmul_operator(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return mm_ops.matmul(self, other)


def attach(Tensor):
    methods = {
        # arithmetic operators
        "__add__": _binary(ew.add),
        "__radd__": _binary(ew.add),
        "__sub__": _binary(ew.sub),
        "__rsub__": _binary(ew.rsub),
        "__mul__": _binary(ew.mul),
        "__rmul__": _binary(ew.mul),
        "__truediv__": _binary(ew.div),
        "__rtruediv__": _binary(ew.rdiv),
        "__pow__": _binary(ew.pow),
        "__rpow__": _reflected(ew.pow),
        "__matmul__": _matmul_operator,
        "__rmatmul__": lambda self, other: NotImplemented,
        "__neg__": ew.neg,
        "__abs__": ew.abs,
        "__eq__": _binary(ew.eq),
        "__ne__": _binary(ew.ne),
        "__lt__": _binary(ew.lt),
        "__le__": _binary(ew.le),
        "__gt__": _binary(ew.gt),
        "__ge__": _binary(ew.ge),
        "__invert__": ew.logical_not,
        # in-place operators: ``t += 1`` is ``t.add_(1)``
        "__iadd__": _inplace_operator(inplace.add_),
        "__isub__": _inplace_operator(inplace.sub_),
        "__imul__": _inplace_operator(inplace.mul_),
        "__itruediv__": _inplace_operator(inplace.div_),
        "__getitem__": shape.getitem,
        "__setitem__": inplace.setitem,
        # named methods
        "add": ew.add,
        "sub": ew.sub,
        "mul": ew.mul,
        "div": ew.div,
        "pow": ew.pow,
        "neg": ew.neg,
        "exp": ew.exp,
        "log": ew.log,
        "tanh": ew.tanh,
        "sigmoid": ew.sigmoid,
        "relu": ew.relu,
        "reciprocal": ew.reciprocal,
        "sqrt": ew.sqrt,
        "abs": ew.abs,
        "sign": ew.sign,
        "maximum": ew.maximum,
        "eq": ew.eq,
        "ne": ew.ne,
        "lt": ew.lt,
        "le": ew.le,
        "gt": ew.gt,
        "ge": ew.ge,
        "logical_not": ew.logical_not,
        "sum": reduce.sum,
        "mean": reduce.mean,
        "max": reduce.max,
        "min": reduce.min,
        "argmax": reduce.argmax,
        "softmax": reduce.softmax,
        "log_softmax": reduce.log_softmax,
        "mm": mm_ops.mm,
        "matmul": mm_ops.matmul,
        "dot": mm_ops.dot,
        "view": shape.view,
        "reshape": shape.reshape,
        "flatten": shape.flatten,
        "transpose": shape.transpose,
        "t": shape.t_,
        "permute": shape.permute,
        "unsqueeze": shape.unsqueeze,
        "squeeze": shape.squeeze,
        "expand": shape.expand,
        "clone": shape.clone,
        "to": shape.to,
        "contiguous": shape.contiguous,
        "float": lambda self: shape.to(self, _dt("float32")),
        "double": lambda self: shape.to(self, _dt("float64")),
        "long": lambda self: shape.to(self, _dt("int64")),
        "int": lambda self: shape.to(self, _dt("int32")),
        "bool": lambda self: shape.to(self, _dt("bool")),
        "add_": inplace.add_,
        "sub_": inplace.sub_,
        "mul_": inplace.mul_,
        "div_": inplace.div_,
        "zero_": inplace.zero_,
        "fill_": inplace.fill_,
        "copy_": inplace.copy_,
        "_accumulate_": inplace.accumulate_grad_,
    }
    for name, fn in methods.items():
        setattr(Tensor, name, fn)
    Tensor.T = property(shape.T)
    Tensor.mT = property(lambda self: shape.transpose(self, -2, -1))


def _dt(name):
    from .. import dtypes

    return getattr(dtypes, name)
