"""Runners that make the learner's Functions the engine's operations, in today's minigrad.

The learner writes an operation as chapter 10's protocol has it: a Function
with ``forward(ctx, ...)`` beside ``backward(ctx, grad)``. Today's minigrad
records its nodes another way, so these runners do for a learner's Function
what the engine's one ``Function.apply`` will do once the engine has a single
seam (issue 13): run forward, apply the recording rule, make the node (the
ctx), keep what forward saved as version-checked SavedTensors, and fit each
gradient to its input. Scaffold, not a piece: it goes away with the seam.
"""

from __future__ import annotations

import numpy as np

from minigrad import grad_mode, graph, scalar
from minigrad.ops import common
from minigrad.tensor import Tensor, _wrap


def _as_tuple(values):
    return values if isinstance(values, tuple) else (values,)


# --- chapter 01: a Scalar Function ------------------------------------------------------


class ScalarCtx:
    """The ``ctx`` of a Scalar Function: what its forward saved for its backward."""

    def __init__(self):
        self.saved_tensors = ()

    def save_for_backward(self, *values):
        self.saved_tensors = values


def scalar_method(function, node_name):
    """``Scalar.__mul__`` (or ``tanh``) made from a learner's Function.

    forward gets the inputs' numbers; if the recording rule holds, the result
    gets a node named ``node_name`` whose backward is the Function's backward.
    """

    def method(self, *others):
        inputs = (self, *[scalar._as_scalar(other) for other in others])
        ctx = ScalarCtx()
        value = function.forward(ctx, *[x.data for x in inputs])
        out = scalar.Scalar(float(value))
        if common.is_recording(*inputs):
            out._requires_grad = True
            out.grad_fn = scalar.ScalarNode(
                node_name,
                inputs,
                lambda grad: _as_tuple(function.backward(ctx, grad)),
                saves=bool(ctx.saved_tensors),
            )
        return out

    return method


# --- chapters 03 and 10: a tensor Function ------------------------------------------------


class FunctionNode(graph.Node):
    """The ctx of a learner's tensor Function, and the node it records.

    ``needs_input_grad`` says which inputs take a gradient; ``save(self=a)``
    (or ``save_for_backward(a, b)``) keeps tensors, version-checked by the
    engine's SavedTensor, until backward frees them.
    """

    def __init__(self, function, node_name, inputs, recording):
        self._function, self._name = function, node_name
        self.needs_input_grad = tuple(
            recording and isinstance(x, Tensor) and x._requires_grad for x in inputs
        )
        self._saving = {}
        self._order = ()
        if recording:
            graph.Node.__init__(self, *[x if isinstance(x, Tensor) else None for x in inputs])
            self._meta = [common.meta(x) if isinstance(x, Tensor) else None for x in inputs]

    def name(self):
        return self._name

    def save(ctx, /, **named):  # noqa: N805 - ``self=`` must be free for PyTorch's names
        """Keep what backward needs under PyTorch's names (``_saved_self``)."""
        for name, value in named.items():
            if value is None or isinstance(value, (Tensor, np.ndarray)):
                ctx._saving[name] = value
            else:
                setattr(ctx, name, value)  # a plain value (alpha=2): kept as it is
                ctx.save_value(name, value)

    def save_for_backward(self, *tensors):
        self._saving = dict(enumerate(tensors))

    def _names_of_saved(self):
        names = [n for n in self._order if isinstance(n, str)]  # save_for_backward's are unnamed
        return names + [n for n in graph.Node._names_of_saved(self) if n not in names]

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(graph._FREED_MESSAGE)
        saved = self._saved or {}
        return tuple(saved[name].unpack(self) if name in saved else None for name in self._order)

    def keep_saved(self, arrays, inputs, out, result):
        """Turn what forward asked to save into SavedTensors, with their versions now.

        An input (found by identity) is saved as that input tensor; forward's
        result as the result tensor (an output: saved without its grad_fn);
        any other array as a new tensor.
        """
        self._order = tuple(self._saving)
        for name, value in self._saving.items():
            if value is None:
                continue
            if value is out or value is result:
                self._keep_one(name, result, is_output=True)
                continue
            for array, tensor in zip(arrays, inputs):
                if value is array and isinstance(tensor, Tensor):
                    self._keep_one(name, tensor)
                    break
            else:
                self._keep_one(name, value if isinstance(value, Tensor) else _wrap(value))
        self._saving = {}

    def _keep_one(self, name, tensor, is_output=False):
        if self._saved is None:
            self._saved = {}
        self._saved[name] = graph.SavedTensor(tensor, is_output)  # the engine's, maybe yours

    def apply(self, grad):
        """Run the learner's backward; fit each gradient to its input (unbroadcast, dtype)."""
        grads = _as_tuple(self._function.backward(self, grad))
        if len(grads) != len(self.needs_input_grad):
            raise RuntimeError(
                f"function {self._name} returned an incorrect number of gradients "
                f"(expected {len(self.needs_input_grad)}, got {len(grads)})"
            )
        fitted = []
        for g, needed, meta in zip(grads, self.needs_input_grad, self._meta):
            if g is None or not needed:
                fitted.append(None)
                continue
            if not isinstance(g, Tensor):
                g = _wrap(np.asarray(g))
            fitted.append(common.grad_for(g, meta))  # unbroadcast: the engine's, maybe yours
        return tuple(fitted)


def run_on_arrays(function, node_name, inputs, arrays, **options):
    """A built-in op made from a learner's Function whose forward computes on arrays."""
    recording = common.is_recording(*[x for x in inputs if isinstance(x, Tensor)])
    ctx = FunctionNode(function, node_name, inputs, recording)
    out = np.asarray(function.forward(ctx, *arrays, **options))
    node = ctx if recording and out.dtype.kind == "f" else None
    result = _wrap(out, node)
    if node is not None:
        ctx.keep_saved(arrays, inputs, out, result)
    return result


def run_on_tensors(function, node_name, inputs):
    """An op made from a learner's custom Function: forward computes on tensors, unrecorded."""
    tensors = [x for x in inputs if isinstance(x, Tensor)]
    recording = common.is_recording(*tensors)
    ctx = FunctionNode(function, node_name, inputs, recording)
    state = grad_mode._state
    previous = (state.grad_enabled, state.inference_mode)
    grad_mode._set_state(False, previous[1])
    try:
        out = function.forward(ctx, *inputs)
    finally:
        grad_mode._set_state(*previous)
    if not isinstance(out, Tensor):
        raise TypeError(
            f"{function.__name__}.forward must return a Tensor, got {type(out).__name__}"
        )
    if any(out is t for t in tensors):
        out = out._alias()  # an input returned as is: a new tensor object, as in PyTorch
    if recording and out._data.dtype.kind == "f":
        out._grad_fn, out._requires_grad = ctx, True
        ctx.keep_saved(tensors, tensors, out, out)
    return out
