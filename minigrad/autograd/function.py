"""Custom operations: write ``forward`` and ``backward`` yourself.

``MyOp.apply(x)`` runs ``forward`` without recording (its inner operations
are not part of the graph) and records a single node, ``MyOpBackward``, whose
backward is yours. ``ctx`` is that node: what you ``save_for_backward`` is
kept there and version-checked like every saved tensor.
"""

import numpy as np

from ..grad_mode import _state, no_grad
from ..graph import Node, SavedTensor
from ..ops.common import unbroadcast
from ..tensor import Tensor


class FunctionCtx:
    """The ``ctx`` methods a custom Function's forward and backward use."""

    def save_for_backward(self, *tensors):
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    "save_for_backward can only save variables, but argument "
                    f"{tensors.index(t)} is of type {type(t).__name__}"
                )
        self._to_save = tensors

    @property
    def saved_tensors(self):
        if self._freed:
            from ..graph import _FREED_MESSAGE

            raise RuntimeError(_FREED_MESSAGE)
        saved = self._saved or {}
        return tuple(
            None if s is None else s.unpack(self) for s in (saved.get(i) for i in range(len(saved)))
        )

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = {id(t) for t in tensors}


class BackwardCFunction(FunctionCtx, Node):
    """The node recorded for a custom Function; its name is ``<Class>Backward``."""

    def name(self):
        return f"{self._function.__name__}Backward"

    def apply(self, grad):
        grads = self._function.backward(self, grad)
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) != self._n_args:
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of "
                f"gradients (expected {self._n_args}, got {len(grads)})"
            )
        result = []
        for k, arg_index in enumerate(self._tensor_positions):
            g = grads[arg_index]
            if g is not None and not isinstance(g, Tensor):
                raise TypeError(
                    f"function {self.name()} returned a gradient that is not a "
                    f"Tensor for argument {arg_index}"
                )
            shape = self._input_shapes[k]
            if g is not None and g.shape != shape:
                # Like PyTorch: a gradient that broadcasts to the input is summed back.
                try:
                    g = (
                        unbroadcast(g, shape)
                        if np.broadcast_shapes(shape, g.shape) == tuple(g.shape)
                        else None
                    )
                except ValueError:
                    g = None
                if g is None or g.shape != shape:
                    raise RuntimeError(
                        f"Function {self.name()} returned an invalid gradient at index "
                        f"{arg_index} - got {list(grads[arg_index].shape)} but expected shape "
                        f"compatible with {list(shape)}"
                    )
            result.append(g)
        return tuple(result)


class Function:
    """Base class for operations with a hand-written backward.

    Subclass it with two static methods, ``forward(ctx, *args)`` and
    ``backward(ctx, *grad_outputs)`` (one gradient per forward argument, None
    for non-tensors), then call ``YourFunction.apply(*args)``.
    """

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for "
            "your custom autograd.Function to use it with backward "
            "mode AD."
        )

    @classmethod
    def apply(cls, *args):
        tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        tensors = [args[i] for i in tensor_positions]
        recording = (
            _state.grad_enabled
            and not _state.inference_mode
            and any(t._requires_grad for t in tensors)
        )
        ctx = BackwardCFunction(*tensors)
        ctx._function = cls
        ctx._n_args = len(args)
        ctx._tensor_positions = tensor_positions
        ctx._input_shapes = [t._data.shape for t in tensors]
        ctx._to_save = ()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        with no_grad():
            out = cls.forward(ctx, *args)
        if isinstance(out, tuple):
            raise NotImplementedError("minigrad's custom Functions return a single tensor")
        if not isinstance(out, Tensor):
            raise TypeError(
                f"{cls.__name__}.forward must return a Tensor, got {type(out).__name__}"
            )
        if any(out is t for t in tensors):
            out = out._alias()  # an input returned as is: a new tensor object, as PyTorch
        if recording:
            out._grad_fn = ctx
            out._requires_grad = True
        for i, t in enumerate(ctx._to_save):
            if ctx._saved is None:
                ctx._saved = {}
            ctx._saved[i] = None if t is None else SavedTensor(t, is_output=t is out)
        del ctx._to_save
        return out
