"""Where each piece plugs into minigrad: the one module that knows the engine's insides.

For every piece, ``PLUGS[piece_id]`` says two things:

* ``sites(obj)``: the places in minigrad that take the learner's object (a
  module attribute, a method of Tensor or Scalar...), each with the value to
  put there (``obj`` itself, or a runner from one of the ``shim_*.py`` modules);
* ``references()``: minigrad's own code for the piece. It stays in place
  while the piece is missing or failing; while the piece is checked it is
  switched off (see ``switchboard.py``), and a check refuses it outright.

Written against today's minigrad. When the engine gets its one seam (issue
13), each entry shrinks to one module attribute (``minigrad.ops.elementwise.Mul``
and so on); coursekit/BUILD.md lists the names this module will then need.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Callable

import minigrad
from minigrad import engine, grad_mode, graph, scalar
from minigrad.nn import module as nn_module
from minigrad.ops import common, inplace
from minigrad.ops import elementwise as ew
from minigrad.ops import matmul as matmul_ops
from minigrad.ops.tensor_methods import _binary
from minigrad.optim import optimizer, sgd
from minigrad.tensor import Tensor

from . import shim_functions, shim_loop, shim_policies

# minigrad's own objects for each piece, captured once, before anything is replaced.
_SCALAR = {
    name: scalar.Scalar.__dict__[name] for name in ("__add__", "__mul__", "tanh", "backward")
}
_REFERENCE = {
    "topological_order": scalar.topological_order,
    "run_backward": engine.run_backward,
    "mul": ew.mul,
    "unbroadcast": common.unbroadcast,
    "mm": matmul_ops.mm,
    "accumulate": graph.AccumulateGrad.__dict__["accumulate"],
    "call_pre_hooks": engine._call_pre_hooks,
    "detach": Tensor.__dict__["detach"],
    "bump": inplace._bump,
    "SavedTensor": graph.SavedTensor,
    "state": grad_mode._state,
    "no_grad": grad_mode.no_grad,
    "enable_grad": grad_mode.enable_grad,
    "parameters": nn_module.Module.__dict__["parameters"],
    "step": optimizer.Optimizer.__dict__["step"],
    "relu": ew.relu,
    "sum": Tensor.__dict__["sum"],
}


@dataclass(frozen=True)
class Plug:
    """Where one piece goes: ``sites(obj)`` -> [(owner, attribute, value)], and the
    reference objects that stay in place without it."""

    piece_id: str
    sites: Callable[[Any], list]
    references: Callable[[], list]


_owners_cache = {}


def _owners():
    """minigrad's loaded modules and the classes they define (cached while none is added)."""
    names = tuple(n for n in sys.modules if n == "minigrad" or n.startswith("minigrad."))
    if _owners_cache.get("names") != names:
        owners = []
        for name in names:
            module = sys.modules[name]
            if module is None:
                continue
            owners.append(module)
            owners += [
                value
                for value in vars(module).values()
                if isinstance(value, type) and value.__module__ == name
            ]
        _owners_cache.update(names=names, owners=owners)
    return _owners_cache["owners"]


def bindings(obj) -> list:
    """Every (owner, attribute) in minigrad whose value *is* ``obj``.

    ``from .common import unbroadcast`` makes a second name for the same
    function in another module; replacing a piece must replace every name.
    Looks in every loaded minigrad module and in the classes defined there.
    """
    return [
        (owner, attribute)
        for owner in _owners()
        for attribute, value in list(vars(owner).items())
        if value is obj
    ]


def _everywhere(reference, value):
    return [(owner, attr, value) for owner, attr in bindings(reference)]


# --- chapter 01 -------------------------------------------------------------------------


def _scalar_op(method, node_name):
    return lambda obj: [(scalar.Scalar, method, shim_functions.scalar_method(obj, node_name))]


# --- chapter 02 -------------------------------------------------------------------------


def _run_backward_sites(loop):
    return [
        (scalar.Scalar, "backward", shim_loop.scalar_backward(loop)),
        *_everywhere(_REFERENCE["run_backward"], shim_loop.tensor_run_backward(loop)),
    ]


# --- chapter 03 -------------------------------------------------------------------------


def _operator(function):
    """``Tensor.__mul__`` for ``function(a, b)``: NotImplemented for operands it does not take."""
    return _binary(function)


def _mul_sites(function):
    def mul(a, b):
        a, b, x, y = ew.operands(a, b)
        return shim_functions.run_on_arrays(function, "MulBackward0", (a, b), (x, y))

    return [
        *_everywhere(_REFERENCE["mul"], mul),
        (Tensor, "__mul__", _operator(mul)),
        (Tensor, "__rmul__", _operator(mul)),
    ]


def _mm_sites(function):
    def mm(a, b):
        _check_mm(a, b)
        return shim_functions.run_on_arrays(function, "MmBackward0", (a, b), (a._data, b._data))

    return _everywhere(_REFERENCE["mm"], mm)


def _check_mm(a, b):
    """mm's argument checks, with PyTorch's messages (scaffold, not the piece)."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError("mm(): argument 'mat2' must be Tensor")
    if a._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    (n, k), (k2, m) = a._data.shape, b._data.shape
    if k != k2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m})")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {matmul_ops._dt(a)} != "
            f"{matmul_ops._dt(b)}"
        )


def _sum_with_numpy_names(self, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
    """``t.sum(axis=..., keepdims=...)``: numpy's names, which PyTorch accepts too, so one
    unbroadcast sums arrays and tensors alike. (The seam's Tensor.sum has them.)"""
    dim = axis if axis is not None else dim
    keepdim = keepdims if keepdims is not None else keepdim
    return _REFERENCE["sum"](self, dim, keepdim, dtype)


def _unbroadcast_sites(function):
    return [
        *_everywhere(_REFERENCE["unbroadcast"], function),
        (Tensor, "sum", _sum_with_numpy_names),
    ]


# --- chapters 04 to 08 ------------------------------------------------------------------


def _grad_mode_sites(grad_mode_class):
    no_grad = shim_policies.mode_class(grad_mode_class, False, "no_grad")
    enable_grad = shim_policies.mode_class(grad_mode_class, True, "enable_grad")
    return [
        *_everywhere(_REFERENCE["no_grad"], no_grad),
        *_everywhere(_REFERENCE["enable_grad"], enable_grad),
    ]


def _grad_state_sites(grad_state_class):
    current = grad_mode._state  # maybe already someone's: carry its switches over
    return _everywhere(current, shim_policies.state_from(grad_state_class, current))


# --- chapter 10 -------------------------------------------------------------------------


def _relu_sites(function):
    def relu(t):
        return shim_functions.run_on_tensors(function, "ReluBackward0", (t,))

    return [
        *_everywhere(_REFERENCE["relu"], relu),
        (minigrad, "relu", common.tensor_function(relu)),
    ]


PLUGS = {
    plug.piece_id: plug
    for plug in (
        Plug("ch01.Add", _scalar_op("__add__", "AddBackward0"), lambda: [_SCALAR["__add__"]]),
        Plug("ch01.Mul", _scalar_op("__mul__", "MulBackward0"), lambda: [_SCALAR["__mul__"]]),
        Plug("ch01.Tanh", _scalar_op("tanh", "TanhBackward0"), lambda: [_SCALAR["tanh"]]),
        Plug(
            "ch02.topological_order",
            lambda obj: [(scalar, "topological_order", obj)],
            lambda: [_REFERENCE["topological_order"]],
        ),
        Plug(
            "ch02.run_backward",
            _run_backward_sites,
            lambda: [_REFERENCE["run_backward"], _SCALAR["backward"]],
        ),
        Plug("ch03.Mul", _mul_sites, lambda: [_REFERENCE["mul"], ew.MulBackward0]),
        Plug("ch03.unbroadcast", _unbroadcast_sites, lambda: [_REFERENCE["unbroadcast"]]),
        Plug("ch03.Mm", _mm_sites, lambda: [_REFERENCE["mm"], matmul_ops.MmBackward0]),
        Plug(
            "ch04.accumulate_grad",
            lambda obj: [(graph.AccumulateGrad, "accumulate", shim_policies.accumulate_with(obj))],
            lambda: [_REFERENCE["accumulate"]],
        ),
        Plug(
            "ch04.store_retained_grad",
            lambda obj: _everywhere(
                _REFERENCE["call_pre_hooks"], shim_policies.pre_hooks_with(obj)
            ),
            lambda: [_REFERENCE["call_pre_hooks"]],
        ),
        Plug(
            "ch05.detach",
            lambda obj: [(Tensor, "detach", shim_policies.detach_with(obj))],
            lambda: [_REFERENCE["detach"]],
        ),
        Plug(
            "ch06.bump_version",
            lambda obj: _everywhere(_REFERENCE["bump"], obj),
            lambda: [_REFERENCE["bump"]],
        ),
        Plug(
            "ch06.SavedTensor",
            lambda obj: _everywhere(
                _REFERENCE["SavedTensor"], shim_policies.saved_tensor_with(obj)
            ),
            lambda: [_REFERENCE["SavedTensor"]],
        ),
        Plug("ch07.GradState", _grad_state_sites, lambda: [grad_mode._GradState]),
        Plug(
            "ch07.GradMode",
            _grad_mode_sites,
            lambda: [
                _REFERENCE["no_grad"],
                _REFERENCE["enable_grad"],
                grad_mode._NoParenthesesDecorator,
            ],
        ),
        Plug(
            "ch08.parameters",
            lambda obj: [(nn_module.Module, "parameters", shim_policies.parameters_with(obj))],
            lambda: [_REFERENCE["parameters"]],
        ),
        Plug(
            "ch08.sgd_momentum_step",
            lambda obj: [(sgd.SGD, "step", shim_policies.sgd_step_with(obj, _REFERENCE["step"]))],
            lambda: [sgd.SGD.__dict__["_update"]],
        ),
        Plug("ch10.ReLU", _relu_sites, lambda: [_REFERENCE["relu"], ew.ReluBackward0]),
    )
}

# Classes a piece may subclass although minigrad defines them: the protocol's base.
ALLOWED_BASES = (minigrad.autograd.Function,)

# Refused however they are reached: the reference of one piece is no answer for another.
ALSO_REFUSED = (grad_mode._GradModeContext, graph.AccumulateGrad)


def reference_shape(piece_id: str):
    """minigrad's own object for a piece, where it has the learner's shape (else None).

    Used when a learner's piece calls another piece by name (``run_backward``
    calls ``topological_order``) and that one is not the learner's.
    """
    return {"ch02.topological_order": _REFERENCE["topological_order"]}.get(piece_id)
