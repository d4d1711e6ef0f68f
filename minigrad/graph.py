"""The recorded graph: backward nodes, saved tensors and version counters.

Each operation that records creates one :class:`Node` (the output's
``grad_fn``). A node knows where gradients go next (``next_functions``: one
edge per input, ``None`` for inputs that need no gradient) and keeps only the
tensors its backward formula needs (``save``). Leaves that require grad end
the graph in an :class:`AccumulateGrad` node, which adds into their ``.grad``.
"""

import itertools
import math
import os
import re
import sys
import threading
import traceback

# Creation order of nodes. The engine runs the most recently created ready
# node first, as PyTorch does; AccumulateGrad nodes come before all others.
_sequence_numbers = itertools.count()


class _AnomalyState(threading.local):
    """Anomaly detection (``autograd.set_detect_anomaly``): per thread, off by default."""

    enabled = False


anomaly_state = _AnomalyState()


class VersionCounter:
    """How many times a tensor's memory was changed in place.

    ``detach()`` and views share their source's counter, because they share
    its memory: changing one is changing the other.
    """

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    _next_id = itertools.count()

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = next(RemovableHandle._next_id)

    def remove(self):
        self._hooks.pop(self.id, None)


def tensor_description(tensor):
    """``[minigrad.FloatTensor [2, 3]]``: how PyTorch names a tensor in errors."""
    shape = ", ".join(str(n) for n in tensor.shape)
    return f"[minigrad.{tensor.dtype.legacy_name} [{shape}]]"


def _op_name(node):
    """``MulBackward0`` -> ``Mul``: how PyTorch 2.13 names an op in the version error."""
    name = node.name().split("::")[-1]
    return re.sub(r"Backward\d*$", "", name)


def _producer_name(tensor, node, is_output):
    """The op the version error names as having made ``tensor`` (None: no op made it).

    A saved output was made by the saving node itself; a saved input by its
    ``grad_fn``. A saved *view* (``w.t()``, ``a[0]``) whose memory was changed
    in place is named ``AsStrided``: PyTorch rebuilds such a view's ``grad_fn``
    as an ``AsStridedBackward0`` once its base's version moves.
    """
    if is_output:
        return _op_name(node)
    if tensor._grad_fn is None:
        return None
    return "AsStrided" if tensor._base is not None else _op_name(tensor._grad_fn)


# PyTorch's hint in the version error: anomaly mode off, then on (it has a traceback).
_VERSION_HINT = (
    "Hint: enable anomaly detection to find the operation that failed to compute its "
    "gradient, with minigrad.autograd.set_detect_anomaly(True, check_nan=False)."
)
_VERSION_HINT_ANOMALY = (
    "Hint: the backtrace further above shows the operation that failed to compute its "
    "gradient. The variable in question was changed in there or anywhere later. Good luck!"
)


# Where minigrad's operators live: PyTorch's run in C++, so its anomaly traceback
# ends at the Python line that called the operator; minigrad's leave these out.
_OPERATOR_FILES = (os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops", ""),)
_OPERATOR_FILES += tuple(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    for name in ("graph.py", "tensor.py")
)


def _caller_stack():
    """The stack that is recording a node, as text, ending at the operator's caller."""
    frames = traceback.extract_stack()
    while frames and os.path.abspath(frames[-1].filename).startswith(_OPERATOR_FILES):
        frames.pop()
    return "".join(traceback.format_list(frames))


class SavedTensor:
    """A tensor kept for backward, with the version it had when it was saved.

    At backward time :meth:`unpack` compares versions: if the tensor was changed
    in place since, the gradient would be computed from the wrong numbers, so it
    raises PyTorch's error instead. An operation's own output is saved without
    its ``grad_fn`` (that would be a reference cycle) and gets it back on unpack.
    """

    __slots__ = ("is_output", "tensor", "version")

    def __init__(self, tensor, is_output=False):
        if tensor._is_inference:
            raise RuntimeError(
                "Inference tensors cannot be saved for backward. Please do not use Tensors "
                "created in inference mode in computation tracked by autograd. To work around "
                "this, you can make a clone to get a normal tensor and use it in autograd, or "
                "use `minigrad.no_grad()` instead of `minigrad.inference_mode()`."
            )
        self.version = tensor._version_counter.value
        self.is_output = is_output
        if is_output:
            tensor = tensor._alias()  # same memory and version counter, no grad_fn
        self.tensor = tensor

    def unpack(self, node):
        tensor = self.tensor
        if tensor._version_counter.value != self.version:
            # PyTorch names the op that produced the tensor ("Mul" for MulBackward0).
            producer = _producer_name(tensor, node, self.is_output)
            which = "" if producer is None else f", which is output 0 of {producer},"
            hint = _VERSION_HINT_ANOMALY if anomaly_state.enabled else _VERSION_HINT
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by "
                f"an inplace operation: {tensor_description(tensor)}{which} is at version "
                f"{tensor._version_counter.value}; expected version {self.version} instead. " + hint
            )
        if self.is_output:
            # Give the output its grad_fn back, so create_graph=True can
            # differentiate through it (e.g. the second derivative of exp).
            tensor = tensor._alias()
            tensor._grad_fn = node
            tensor._requires_grad = True
        return tensor


_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class Node:
    """A backward function: PyTorch's ``grad_fn``, one per recorded operation.

    ``apply(grad_output)`` receives the gradient of the loss with respect to
    the operation's output and returns one gradient per input, in the order of
    ``next_functions`` (``None`` where an input needs none).
    """

    def __init__(self, *inputs):
        self.next_functions = tuple([gradient_edge(t) for t in inputs])
        self._sequence_nr = next(_sequence_numbers)
        if anomaly_state.enabled:
            # Remember who created this node, to blame the right line later.
            self._forward_stack = _caller_stack()

    # Rarely changed, so they start as class attributes: a node that needs its
    # own sets it on itself, which hides the default (one less write per op).
    _saved = None  # name -> SavedTensor, once something is saved
    _freed = False  # True once backward released the saved tensors
    _pre_hooks = None  # hooks registered on the output tensor
    _retained = None  # the output tensor, if it called retain_grad()

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def needs_grad(self, i):
        """Whether input ``i`` takes a gradient (its edge leads somewhere)."""
        return self.next_functions[i][0] is not None

    # --- saved tensors -------------------------------------------------
    # The tensors this kind of node may save. Which are saved depends on which
    # inputs need a gradient (mul saves `self` only if `other` needs one); an
    # unsaved one reads as None, like PyTorch's ``_saved_self``.
    saved_names = ()
    _kept_values = None

    def save_value(self, name, value):
        """Keep a plain value (not a tensor) that backward needs, e.g. ``alpha``.

        Values are not freed by backward and have no version to check.
        """
        if self._kept_values is None:
            self._kept_values = {}
        self._kept_values[name] = value

    def save(self, name, tensor, is_output=False):
        if self._saved is None:
            self._saved = {}
        self._saved[name] = SavedTensor(tensor, is_output)

    def saved(self, name):
        """The tensor saved as ``name``, checked against in-place changes."""
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE)
        return self._saved[name].unpack(self)

    def release_saved(self):
        """Drop saved tensors after backward (unless ``retain_graph=True``)."""
        if self._saved is not None:
            self._freed_names = tuple(self._saved)
            self._saved = None
            self._freed = True

    def _names_of_saved(self):
        d = self.__dict__
        names = list(type(self).saved_names)
        for source in (
            d.get("_saved") or {},
            d.get("_freed_names") or (),
            d.get("_kept_values") or {},
        ):
            names += [n for n in source if n not in names and isinstance(n, str)]
        return names

    def __getattr__(self, attr):
        # PyTorch exposes what a node saved as ``_saved_<name>`` attributes.
        if attr.startswith("_saved_"):
            name, d = attr[7:], self.__dict__
            values = d.get("_kept_values")
            if values and name in values:
                return values[name]
            if name in self._names_of_saved():
                if d.get("_freed"):
                    raise RuntimeError(_FREED_MESSAGE)
                saved = d.get("_saved")
                return saved[name].unpack(self) if saved and name in saved else None
        raise AttributeError(f"'{self.name()}' object has no attribute '{attr}'")

    def __dir__(self):
        return list(super().__dir__()) + [f"_saved_{n}" for n in self._names_of_saved()]

    def saved_tensors_nbytes(self):
        """Bytes of memory held by this node's saved tensors (for chapter 09)."""
        if not self._saved:
            return 0
        return sum(s.tensor._data.nbytes for s in self._saved.values() if s is not None)

    # --- hooks -------------------------------------------------------------
    def register_prehook(self, hook):
        if self._pre_hooks is None:
            self._pre_hooks = {}
        handle = RemovableHandle(self._pre_hooks)
        self._pre_hooks[handle.id] = hook
        return handle

    def apply(self, grad_output):
        raise NotImplementedError

    def __call__(self, grad_output):
        return self.apply(grad_output)


class AccumulateGrad(Node):
    """The end of the graph for a leaf that requires grad: ``leaf.grad += grad``.

    The first gradient becomes ``.grad``; later ones are added in place, so
    two backward passes without ``zero_grad`` add up (PyTorch does the same).
    """

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()
        self._sequence_nr = math.inf  # run before every other ready node

    def name(self):
        return "minigrad::autograd::AccumulateGrad"  # PyTorch: "torch::autograd::AccumulateGrad"

    def accumulate(self, grad, create_graph, unshared=False):
        """Add ``grad`` into the leaf's ``.grad``. ``unshared``: the engine holds the
        only reference to the ``grad`` tensor (no hook, no other node has it)."""
        variable = self.variable
        if variable._hooks:
            grad = call_hooks(variable._hooks, grad)
            unshared = False  # a hook may have kept it
        if grad.dtype is not variable.dtype:
            grad = grad.to(variable.dtype)
        if variable._grad is None:
            if create_graph:  # the copy is recorded, so .grad can be differentiated
                from .creation import zeros_like

                variable._grad = zeros_like(variable).copy_(grad)
            elif unshared and not grad._requires_grad and owns_its_memory(grad):
                variable._grad = grad  # nobody else can see it: keep it, no copy
            else:
                # A private copy: the incoming gradient may be shared (add sends one
                # gradient to both inputs) or a read-only view of another array.
                variable._grad = grad._detached_copy()
        elif create_graph:
            variable._grad = variable._grad + grad
        else:
            variable._grad._accumulate_(grad)


def owns_its_memory(tensor):
    """True if no other tensor or array can see ``tensor``'s values.

    Its array must own its memory (not a view of another array, which could be
    seen through that array), be writable, and be referred to only by
    ``tensor`` itself: 2 references, counting ``getrefcount``'s own argument.
    """
    return (
        tensor._base is None
        and tensor._data.base is None
        and tensor._data.flags.writeable
        and sys.getrefcount(tensor._data) == 2
    )


def call_hooks(hooks, grad):
    """Run gradient hooks in order; a hook may return a replacement of the same size."""
    for hook in list(hooks.values()):
        result = hook(grad)
        if result is not None:
            if result.shape != grad.shape:
                name = getattr(hook, "__name__", type(hook).__name__)
                raise RuntimeError(f"hook '{name}' has changed the size of value")
            grad = result
    return grad


def gradient_edge(tensor):
    """Where the gradient for ``tensor`` goes: its grad_fn, its accumulator, or nowhere."""
    if tensor is None or not tensor._requires_grad:
        return (None, 0)
    if tensor._grad_fn is not None:
        return (tensor._grad_fn, 0)
    return (tensor._get_accumulator(), 0)
