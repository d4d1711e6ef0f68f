"""Small wrappers that give a learner's piece the shape the engine calls it in.

Each takes a learner's piece and returns what the engine expects at that
place (a tensor where the engine may pass an array, PyTorch's error text, a
method of Module...), adding only the engine's own duties around it.
Scaffold, not a piece.
"""

from __future__ import annotations

from minigrad import graph
from minigrad.tensor import Tensor, _wrap

# --- chapter 04: leaves and retain_grad -------------------------------------------------


def on_tensors(piece):
    """``accumulate_grad`` or ``store_retained_grad`` as the engine calls it: the gradient
    may be a numpy array there (outside ``create_graph``); the learner's piece gets a tensor
    in the leaf's dtype."""

    def call(t, grad):
        if not isinstance(grad, Tensor):
            grad = _wrap(grad)
        if grad._data.dtype != t._data.dtype:
            grad = grad.to(t.dtype)
        piece(t, grad)

    call.__name__ = piece.__name__
    return call


# --- chapter 06: SavedTensor ------------------------------------------------------------

_INFERENCE_SAVED = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a "
    "clone to get a normal tensor and use it in autograd, or use `minigrad.no_grad()` instead "
    "of `minigrad.inference_mode()`."
)


def saved_tensor_with(learner_class):
    """The engine's SavedTensor, with the learner's class deciding whether to refuse.

    The learner's ``SavedTensor(tensor)`` remembers the version; its ``unpack()``
    raises if the tensor changed. The engine words the error as PyTorch does
    (it knows the node: "which is output 0 of Mul"), saves an operation's own
    output without its grad_fn and gives it back on unpack.
    """

    class SavedTensor:
        __slots__ = ("is_output", "output_nr", "tensor", "version", "was_non_leaf", "yours")

        def __init__(self, tensor, is_output=False):
            if tensor._is_inference:
                raise RuntimeError(_INFERENCE_SAVED)
            self.version = tensor._version_counter.value
            self.is_output = is_output
            self.output_nr = tensor._output_nr
            self.was_non_leaf = not is_output and tensor._grad_fn is not None
            self.tensor = tensor.detach() if is_output else tensor
            self.yours = learner_class(self.tensor)

        def unpack(self, node, as_array=False, for_backward=False):
            if for_backward and self.was_non_leaf and self.tensor._grad_fn is None:
                raise RuntimeError(_DETACHED_IN_PLACE)
            try:
                tensor = self.yours.unpack()
            except RuntimeError:
                raise RuntimeError(graph.version_message(self, node)) from None
            if as_array:
                return tensor._data
            if self.is_output:
                tensor = tensor.detach()
                tensor._grad_fn, tensor._requires_grad = node, True
                if self.output_nr:
                    tensor._output_nr = self.output_nr
            return tensor

    return SavedTensor


_DETACHED_IN_PLACE = (
    "Trying to use a saved tensor that has been detached in-place, i.e. with .detach_().This "
    "is not supported, please use out-of-place `.detach()` instead"
)


# --- chapter 07: grad modes -------------------------------------------------------------


def mode_class(grad_mode_class, mode, name):
    """``no_grad`` (mode False) or ``enable_grad`` (True) made from the learner's GradMode.

    ``with no_grad():``, ``@no_grad()`` and ``@no_grad`` (no parentheses) all work.
    """

    def __new__(cls, orig_func=None):
        if orig_func is not None and callable(orig_func):  # @no_grad without parentheses
            return grad_mode_class(mode)(orig_func)
        return object.__new__(cls)

    def __init__(self, orig_func=None):
        grad_mode_class.__init__(self, mode)

    return type(name, (grad_mode_class,), {"__new__": __new__, "__init__": __init__})


def state_from(grad_state_class, old):
    """An instance of the learner's GradState carrying this thread's current switches."""
    state = grad_state_class()
    state.grad_enabled = old.grad_enabled
    state.inference_mode = old.inference_mode
    return state


# --- chapter 08: training ---------------------------------------------------------------


def parameters_with(parameters):
    def method(self, recurse=True):
        if not recurse:
            return iter([p for p in self._parameters.values() if p is not None])
        return iter(list(parameters(self)))

    method.__name__ = "parameters"
    return method


def sgd_step_with(sgd_momentum_step, reference_step):
    """``SGD.step`` calling the learner's step for every plain group (no decay, dampening,
    nesterov or maximize); other groups keep minigrad's rule."""

    def step(self, closure=None):
        plain = all(
            not group["weight_decay"]
            and not group["dampening"]
            and not group["nesterov"]
            and not group["maximize"]
            for group in self.param_groups
        )
        if not plain:
            return reference_step(self, closure)
        loss = None
        if closure is not None:
            import minigrad as mg

            with mg.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = list(group["params"])
            buffers = [self.state[p].get("momentum_buffer") for p in params]
            sgd_momentum_step(params, buffers, group["lr"], group["momentum"])
            if group["momentum"]:
                for p, buffer in zip(params, buffers):
                    if buffer is not None:
                        self.state[p]["momentum_buffer"] = buffer
        return loss

    step.__name__ = "step"
    return step
