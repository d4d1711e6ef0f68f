"""Where each piece plugs into minigrad: the one module that knows the engine's insides.

For every piece, ``PLUGS[piece_id]`` says two things:

* ``sites(obj)``: the module attributes in minigrad that take the learner's
  object, each with the value to put there (``obj`` itself, or ``obj`` in the
  shape the engine calls: see ``shim_loop.py`` and ``shim_policies.py``);
* ``references()``: minigrad's own code for the piece. It stays in place
  while the piece is missing or failing; while the piece is checked it is
  switched off (see ``switchboard.py``), and a check refuses it outright.

The engine reaches every one of these attributes at call time (``Mul.apply``
inside ``mul()``, ``run_backward`` inside ``execute``), so replacing the
attribute is all it takes: that is the engine's seam.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Callable

import minigrad
from minigrad import engine, function, grad_mode, graph, scalar
from minigrad.nn import module as nn_module
from minigrad.ops import elementwise as ew
from minigrad.ops import matrix
from minigrad.optim import optimizer, sgd

from . import shim_loop, shim_policies

tensor_module = sys.modules["minigrad.tensor"]  # ``minigrad.tensor`` is also a function

# minigrad's own objects for each piece, captured once, before anything is replaced.
_REFERENCE = {
    "topological_order": scalar.topological_order,
    "scalar_run_backward": scalar.run_backward,
    "run_backward": engine.run_backward,
    "unbroadcast": function.unbroadcast,
    "accumulate_grad": engine.accumulate_grad,
    "store_retained_grad": engine.store_retained_grad,
    "detach": tensor_module.detach,
    "bump_version": function.bump_version,
    "SavedTensor": graph.SavedTensor,
    "state": grad_mode._state,
    "no_grad": grad_mode.no_grad,
    "enable_grad": grad_mode.enable_grad,
    "parameters": nn_module.Module.__dict__["parameters"],
    "step": optimizer.Optimizer.__dict__["step"],
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

    ``from .function import unbroadcast`` makes a second name for the same
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


def _as_tuple(values):
    return values if isinstance(values, tuple) else (values,)


# --- chapters 01, 03 and 10: the learner's Functions as the engine's operations ----------


def scalar_function(learner, reference):
    """The learner's Scalar Function as a ``scalar.Function``: forward gets floats; a
    backward may return one gradient bare (``grad * (1 - t*t)``) instead of a tuple."""

    def backward(ctx, grad):
        return _as_tuple(learner.backward(ctx, grad))

    # The node keeps the reference's name (MulBackward0) whatever the learner's class is called.
    node_name = reference.node_name or f"{reference.__name__}Backward0"
    attributes = {"node_name": node_name, "__module__": learner.__module__}
    attributes.update(forward=staticmethod(learner.forward), backward=staticmethod(backward))
    return type(learner.__name__, (scalar.Function,), attributes)


def array_op(learner, reference):
    """The learner's tensor Function as a built-in ``Op`` in the place of ``reference``:
    forward gets numpy arrays, backward arrays (tensors under ``create_graph=True``), and
    the node has the reference's name (``MulBackward0``)."""
    attributes = {
        "node_name": reference.node_name,
        "broadcasts": reference.broadcasts,
        "forward": staticmethod(learner.forward),
        "backward": staticmethod(learner.backward),
        "__module__": learner.__module__,
    }
    return type(learner.__name__, (function.Op,), attributes)


def custom_function(learner, reference):
    """The learner's custom Function (forward on tensors) under the reference's node name."""
    attributes = {"node_name": reference.node_name, "__module__": learner.__module__}
    return type(learner.__name__, (learner,), attributes)


def _op_plug(piece_id, owner, name, adapt):
    reference = vars(owner)[name]
    return Plug(
        piece_id,
        lambda obj: _everywhere(reference, adapt(obj, reference)),
        lambda: [reference],
    )


def _function_plug(piece_id, key, adapt=lambda obj: obj):
    """A piece that replaces a module function (every name of it)."""
    reference = _REFERENCE[key]
    return Plug(piece_id, lambda obj: _everywhere(reference, adapt(obj)), lambda: [reference])


# --- chapter 07: grad modes ---------------------------------------------------------------


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


PLUGS = {
    plug.piece_id: plug
    for plug in (
        _op_plug("ch01.Add", scalar, "Add", scalar_function),
        _op_plug("ch01.Mul", scalar, "Mul", scalar_function),
        _op_plug("ch01.Tanh", scalar, "Tanh", scalar_function),
        _function_plug("ch02.topological_order", "topological_order"),
        Plug(
            "ch02.run_backward",
            lambda loop: [
                *_everywhere(_REFERENCE["scalar_run_backward"], shim_loop.scalar_loop(loop)),
                *_everywhere(_REFERENCE["run_backward"], shim_loop.tensor_loop(loop)),
            ],
            lambda: [_REFERENCE["scalar_run_backward"], _REFERENCE["run_backward"]],
        ),
        _op_plug("ch03.Mul", ew, "Mul", array_op),
        _function_plug("ch03.unbroadcast", "unbroadcast"),
        _op_plug("ch03.Mm", matrix, "Mm", array_op),
        _function_plug("ch04.accumulate_grad", "accumulate_grad", shim_policies.on_tensors),
        _function_plug("ch04.store_retained_grad", "store_retained_grad", shim_policies.on_tensors),
        _function_plug("ch05.detach", "detach"),
        _function_plug("ch06.bump_version", "bump_version"),
        _function_plug("ch06.SavedTensor", "SavedTensor", shim_policies.saved_tensor_with),
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
        _op_plug("ch10.ReLU", ew, "Relu", custom_function),
    )
}

# Classes a piece may subclass although minigrad defines them: the protocol's bases.
ALLOWED_BASES = (minigrad.autograd.Function, function.Function, function.Op, scalar.Function)

# Refused however they are reached: the reference of one piece is no answer for another.
ALSO_REFUSED = (grad_mode._GradModeContext, graph.AccumulateGrad)


def reference_shape(piece_id: str):
    """minigrad's own object for a piece, where it has the learner's shape (else None).

    Used when a learner's piece calls another piece by name (``run_backward``
    calls ``topological_order``) and that one is not the learner's.
    """
    return {"ch02.topological_order": _REFERENCE["topological_order"]}.get(piece_id)
