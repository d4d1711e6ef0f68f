"""The recorded graph: backward nodes, saved tensors and version counters.

Each operation that records creates one :class:`Node` (the output's
``grad_fn``). A node knows where gradients go next (``next_functions``: one
edge per input, ``None`` for inputs that need no gradient) and keeps only the
tensors its backward formula needs. Leaves that require grad end the graph in
an :class:`AccumulateGrad` node, which adds into their ``.grad``.
"""

import itertools
import math
import os
import re
import traceback

# Creation order of nodes. The engine runs the most recently created ready
# node first, as PyTorch does; AccumulateGrad nodes come before all others.
_sequence_numbers = itertools.count()


class _AnomalyState:
    """Anomaly detection (``autograd.set_detect_anomaly``): off by default; one switch
    for every thread, as PyTorch's.

    (Speed: the switches are the instance's own attributes, not class defaults: Python
    3.11 specialises a read of an instance's attribute (about 30 machine instructions),
    not one of a class default through it (150-300); every recorded op and every
    backward node reads ``enabled``. benchmarks/README.md, "Attribute reads (speed7)".)
    """

    def __init__(self):
        self.enabled = False
        self.check_nan = True  # with it on: a node whose backward returns nan raises


anomaly_state = _AnomalyState()


class VersionCounter:
    """How many times a tensor's memory was changed in place.

    ``detach()`` and views share their source's counter, because they share
    its memory: changing one is changing the other.
    """

    value = 0  # Speed: a class default, no __init__: a new tensor's counter costs no call


class RemovableHandle:
    """Adds ``hook`` to ``hooks`` (a dict); its ``remove()`` takes it out again."""

    _next_id = itertools.count()

    def __init__(self, hooks, hook):
        self._hooks = hooks
        self.id = next(RemovableHandle._next_id)
        hooks[self.id] = hook

    def remove(self):
        self._hooks.pop(self.id, None)


def tensor_description(tensor):
    """``[minigrad.FloatTensor [2, 3]]``: how PyTorch names a tensor in errors."""
    shape = ", ".join(str(n) for n in tensor.shape)
    return f"[minigrad.{tensor.dtype.legacy_name} [{shape}]]"


def _op_name(node):
    """How PyTorch 2.13 names a node in its errors: ``MulBackward0`` is ``Mul``,
    ``MeanBackward1`` is ``Mean1``, your ``SqBackward`` is ``Sq``; a node whose name
    has a namespace (``minigrad::autograd::CopySlices``) keeps all of it."""
    name = node.name()
    match = re.fullmatch(r"(\w+)Backward(\d*)", name)
    if match is None:
        return name
    op, number = match.groups()
    return op if number == "0" else op + number


# PyTorch's hint in the version error: anomaly mode off, then on (it has a traceback).
_VERSION_HINT = (
    "Hint: enable anomaly detection to find the operation that failed to compute its "
    "gradient, with minigrad.autograd.set_detect_anomaly(True, check_nan=False)."
)
_VERSION_HINT_ANOMALY = (
    "Hint: the backtrace further above shows the operation that failed to compute its "
    "gradient. The variable in question was changed in there or anywhere later. Good luck!"
)


def version_message(saved, node):
    """PyTorch's error for a tensor changed in place since it was saved. It names the op
    that made the tensor (``Mul`` for ``MulBackward0``): a saved output was made by the
    saving ``node`` itself, a saved input by its ``grad_fn``. A saved *view* (``w.t()``,
    ``a[0]``) whose memory was changed in place is named ``AsStrided``: its ``grad_fn`` is
    rebuilt as an ``AsStridedBackward0`` once its base's version moved (``views.py``).
    """
    tensor = saved.tensor
    # (Reading a saved view's grad_fn rebuilds it: for a view made with grad mode off,
    # that raises the view's own error instead, as in PyTorch.)
    producer = node if saved.is_output else tensor.grad_fn
    which = "" if producer is None else f", which is output 0 of {_op_name(producer)},"
    hint = _VERSION_HINT_ANOMALY if anomaly_state.enabled else _VERSION_HINT
    return (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {tensor_description(tensor)}{which} is at version "
        f"{tensor._version_counter.value}; expected version {saved.version} instead. " + hint
    )


# Where minigrad's operators live: PyTorch's run in C++, so its anomaly traceback
# ends at the Python line that called the operator; minigrad's leave these out.
_OPERATOR_FILES = tuple(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    for name in ("ops" + os.sep, "graph.py", "tensor.py", "function.py")
)


def _caller_stack():
    """The stack that is recording a node, as text, ending at the operator's caller."""
    frames = traceback.extract_stack()
    while frames and os.path.abspath(frames[-1].filename).startswith(_OPERATOR_FILES):
        frames.pop()
    return "".join(traceback.format_list(frames))


FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class SavedTensor:
    """A tensor kept for backward, with the version it had when it was saved.

    At backward time :meth:`unpack` compares versions: if the tensor was changed
    in place since, the gradient would be computed from the wrong numbers, so it
    raises PyTorch's error instead. An operation's own output is saved without
    its ``grad_fn`` (that would be a reference cycle) and gets it back on unpack.
    """

    __slots__ = ("is_output", "output_nr", "tensor", "version", "was_non_leaf")

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
        self.output_nr = tensor._output_nr  # which output of the node (custom Functions)
        self.was_non_leaf = not is_output and tensor._grad_fn is not None  # see unpack
        self.tensor = tensor.detach() if is_output else tensor

    def unpack(self, node, as_array=False, for_backward=False):
        """The saved tensor (or, ``as_array``, its numpy array), checked for in-place changes
        (and, ``for_backward``, for a ``detach_()`` that cut it from its graph)."""
        tensor = self.tensor
        if for_backward and self.was_non_leaf and tensor._grad_fn is None:
            raise RuntimeError(
                "Trying to use a saved tensor that has been detached in-place, i.e. with "
                ".detach_().This is not supported, please use out-of-place `.detach()` instead"
            )
        if tensor._version_counter.value != self.version:
            raise RuntimeError(version_message(self, node))
        if as_array:
            return tensor._data
        if self.is_output:
            # Give the output its grad_fn back, so create_graph=True can
            # differentiate through it (e.g. the second derivative of exp).
            tensor = tensor.detach()
            tensor._grad_fn = node
            tensor._requires_grad = True
            if self.output_nr:
                tensor._output_nr = self.output_nr
        return tensor


FREED = object()  # what a saved tensor reads as once backward has freed it


class Node:
    """A backward function: PyTorch's ``grad_fn``, one per recorded operation.

    Calling it with the gradient of the operation's output returns one
    gradient per input, in the order of ``next_functions`` (``None`` where an
    input needs none). What it saved for that is visible, as in PyTorch, as
    ``_saved_<name>`` attributes (``_saved_self``, ``_saved_other``...).
    """

    next_functions = ()
    # Rarely changed, so they start as class attributes: a node that needs its
    # own sets it on itself, which hides the default.
    _saved = None  # name -> SavedTensor (None: not saved)
    _values = None  # name -> a plain value saved (alpha)
    _freed = False  # True once backward released the saved tensors
    _pre_hooks = None  # {handle id: (output number, hook)}: hooks registered on the output
    _retained = None  # {output number: weak reference to the output}, after retain_grad()
    _num_outputs = 1  # a custom Function may have several: gradients then come as a list
    _arrays_backward = False  # a built-in op's node: the engine calls its formula on arrays

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def register_prehook(self, hook, output_nr=0):
        if self._pre_hooks is None:
            self._pre_hooks = {}
        return RemovableHandle(self._pre_hooks, (output_nr, hook))

    def release_saved(self):
        """Drop the saved tensors after backward (unless ``retain_graph=True``).

        Plain values (``alpha``) stay; a saved tensor reads as FREED from now on, a
        None as None (nothing was saved: an op whose inputs need no gradient raises
        nothing). (Speed: marked in place, without a new dict and the call of a
        comprehension: 0.15-0.2 us a node that saved tensors, timeit on two.)
        """
        saved = self._saved
        for name in saved:
            if saved[name] is not None:
                saved[name] = FREED
        self._freed = True

    # PyTorch exposes what a node saved as ``_saved_<name>`` attributes: a node class
    # gets one (``saved_attribute``) when one of its nodes first saves ``name``.
    # (Speed: a property, not ``__getattr__``, which would slow every attribute a node
    # reads, 20 ns each, as Python cannot specialise them: 4x4 op + backward 1.50-1.51x
    # against 1.46-1.47x PyTorch; benchmarks/README.md, "The seam's cost".)

    def __dir__(self):  # this node's _saved_<name>, not every one its class has
        names = [*(self._saved or ()), *(self._values or ())]
        others = [a for a in super().__dir__() if not a.startswith("_saved_")]
        return others + [f"_saved_{n}" for n in names if isinstance(n, str)]

    def saved_tensors_nbytes(self):
        """Bytes of memory held by this node's saved tensors (for chapter 09)."""
        saved = (self._saved or {}).values()
        return sum(s.tensor._data.nbytes for s in saved if isinstance(s, SavedTensor))


def saved_attribute(node_class, name):
    """Give ``node_class`` the attribute ``_saved_<name>``: what a node of it saved as
    ``name``, a tensor checked against in-place changes (or a plain value such as alpha)."""

    def saved(node):
        d = node.__dict__
        if name in (d.get("_saved") or ()):
            value = d["_saved"][name]
            if value is FREED:
                raise RuntimeError(FREED_MESSAGE)
            return None if value is None else value.unpack(node)
        if name in (d.get("_values") or ()):
            return d["_values"][name]
        raise AttributeError(f"'{type(node).__name__}' object has no attribute '_saved_{name}'")

    setattr(node_class, f"_saved_{name}", property(saved))


class AccumulateGrad(Node):
    """The end of the graph for a leaf that requires grad: ``leaf.grad += grad``.

    The first gradient becomes ``.grad``; later ones are added in place, so
    two backward passes without ``zero_grad`` add up (PyTorch does the same).
    The engine does the adding (``engine.accumulate``); the node names the leaf.
    """

    _sequence_nr = math.inf  # ready AccumulateGrad nodes run before every other node

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "minigrad::autograd::AccumulateGrad"  # PyTorch: "torch::autograd::AccumulateGrad"


def gradient_edge(tensor):
    """Where the gradient for ``tensor`` goes: its grad_fn, its accumulator, or nowhere."""
    grad_fn = tensor._grad_fn if tensor._view is None else tensor.grad_fn  # a view's is rebuilt
    if grad_fn is not None:
        return (grad_fn, tensor._output_nr)
    if not tensor._requires_grad:
        return (None, 0)
    return (tensor._get_accumulator(), 0)
