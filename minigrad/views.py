"""Views: tensors that share their base's memory, and in-place ops on them.

``x[0]``, ``x.view(2, 2)``, ``x.t()``, ``x.expand(3, 2)``... compute nothing:
the result looks into the memory of ``x``. Such a view remembers (PyTorch's
view metadata):

- its **base**, the tensor that owns the memory (a view of a view has the same base);
- the **steps** that made it from the base, so that they can be replayed on
  another tensor of the base's shape, such as a gradient;
- the grad mode it was **made in** (PyTorch's ``CreationMeta``);
- the **version** its ``grad_fn`` belongs to.

A view requires grad when its base does, whenever the view was made.

An in-place op on a view changes its base too, so it rewrites the base's
history: the base's ``grad_fn`` becomes ``CopySlices`` (the old history, with
the op's node applied to the view's part of it). Every view of that base then
has a stale ``grad_fn``: the next time it is read, it is rebuilt from the base
(``AsStridedBackward0``). Changing the base itself in place does the same to
its views.
"""

import numpy as np

from .grad_mode import _state, is_recording_enabled
from .graph import FREED_MESSAGE, Node, _op_name, _sequence_numbers, gradient_edge
from .tensor import _wrap

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))  # only these can require grad

# The grad mode a view was made in (PyTorch's CreationMeta).
DEFAULT = "default"
NO_GRAD = "no_grad"
INFERENCE = "inference_mode"
CUSTOM = "custom_function"  # returned by your Function's forward


class ViewInfo:
    """What a view remembers besides its base: how it was made, when, and for which version."""

    __slots__ = ("creation", "steps", "version")

    def __init__(self, steps, creation, version):
        self.steps = steps  # (Function, options, ctx) per step from the base, in order
        self.creation = creation
        self.version = version  # the version counter's value its grad_fn belongs to


def remember(view, input, step):
    """Make ``view`` (just computed from ``input`` by ``step``) a view of input's base."""
    parent = input._view
    view._base = input if input._base is None else input._base
    own = () if step is None else (step,)  # None: the same elements, as they are
    steps = own if parent is None else parent.steps + own
    creation = INFERENCE if _state.inference_mode else DEFAULT if _state.grad_enabled else NO_GRAD
    if parent is not None and parent.creation != DEFAULT:  # a view of a view keeps the warning
        if creation == DEFAULT or parent.creation == INFERENCE:
            creation = parent.creation
    view._view = ViewInfo(steps, creation, view._version_counter.value)


def made_without_grad(view, base):
    """Make ``view`` a view of ``base`` made with grad mode off: what PyTorch's backward
    hands out for an expanded gradient (the backward of ``sum``)."""
    view._base, view._version_counter = base, base._version_counter
    view._view = ViewInfo((), NO_GRAD, base._version_counter.value)


def view_of(input, array, node=None, step=None):
    """A result sharing memory with ``input``: it shares its version counter too, and
    remembers how it was made from their base (``views.remember``).

    An inference tensor keeps no views: its view is a plain inference tensor (sharing
    the counter inside inference mode). A normal tensor's view is a normal tensor, even
    when inference mode made it.
    """
    t = _wrap(array, node)
    if input._is_inference:  # (nothing records an op on inference tensors alone)
        t._is_inference, t._grad_fn, t._requires_grad = True, None, False
        if _state.inference_mode:
            t._version_counter = input._version_counter
        return t
    t._version_counter, t._is_inference = input._version_counter, False
    remember(t, input, step)
    return t


def rebase(t, node):
    """What an in-place op does to ``t`` once its values changed: one more on its version
    counter and, when recorded, ``node`` as its new ``grad_fn``, whose input is the old
    one: the history is rewritten, not lost. A view's change rewrites its base's history
    (``CopySlices``), and the view's own is rebuilt from it at once; an integer tensor
    never gets a history."""
    bump_version(t)
    if node is None or t._data.dtype not in FLOATS:
        return t
    if t._view is None:
        set_grad_fn(t, node)
    else:
        set_grad_fn(t._base, CopySlices(t._base, t._view.steps, node))
        current_grad_fn(t)
    return t


def bump_version(t):
    """What every in-place change does: one more on the tensor's version counter."""
    t._version_counter.value += 1


def refuse_inference_write(t):
    """An inference tensor counts no versions outside inference mode: PyTorch refuses a
    change to one when it would count it, after the values were written."""
    if t._is_inference and not _state.inference_mode and not t._counts_versions:
        raise RuntimeError(
            "Inplace update to inference tensor outside InferenceMode is not allowed.You can "
            "make a clone to get a normal tensor before doing inplace update.See "
            "https://github.com/pytorch/rfcs/pull/17 for more details."
        )


def replay(steps, x):
    """Make the same view of ``x`` (an array or a tensor of the base's shape)."""
    for function, options, _ in steps:
        x = function.apply(x, **options)
    return x


def current_grad_fn(view):
    """A view's ``grad_fn``, rebuilt from its base if the memory changed since it was set.

    (PyTorch's ``VariableHooks::grad_fn``.) A view that has no history and whose
    base does not require grad has nothing to rebuild.
    """
    base, info = view._base, view._view
    if view._grad_fn is None and not base._requires_grad:
        return None
    version = view._version_counter.value
    if info.version != version:
        check_view_change(view, indirect=True)
        set_grad_fn(view, AsStridedBackward0(base, info.steps))
        info.version = version
    return view._grad_fn


def check_view_change(view, indirect):
    """Refuse to change a view made with grad mode off, with grad mode on (PyTorch's
    handle_view_on_rebase): which history should the change get, the view's or none?"""
    creation = view._view.creation
    if creation == DEFAULT:
        return
    what = "its base or another view of its base has been" if indirect else "is being"
    grad_fn = view._grad_fn
    if creation == CUSTOM and grad_fn is not None:
        message = f"Output 0 of {_op_name(grad_fn)} is a view and {what} modified inplace."
    else:  # no history: the view was made with grad mode off, whatever else is true
        prefix = "A view was created in"
        if grad_fn is not None:
            prefix = f"Output 0 of {_op_name(grad_fn)} is a view of a view which was created in"
        if creation == INFERENCE:
            message = f"{prefix} inference mode and {what} modified inplace in normal mode."
        else:
            message = f"{prefix} no_grad mode and {what} modified inplace with grad mode enabled."
    if creation == CUSTOM:
        raise RuntimeError(f"{message} {_CUSTOM_HINT}")
    raise RuntimeError(
        f"{message} Given that this use case is ambiguous and error-prone, it is forbidden. "
        "You can clarify your code by moving both the view and the inplace either both inside "
        f"the {creation} block (if you don't want the inplace to be tracked) or both outside "
        "(if you want the inplace to be tracked)."
    )


def made_by_custom_function(view, recorded):
    """A view your Function returned: changing it in place later is refused (your
    backward would be bypassed). If recorded, your node is its grad_fn, valid for the
    version it has now."""
    view._view.creation = CUSTOM
    if recorded:
        view._view.version = view._version_counter.value


_CUSTOM_HINT = (
    "This view was created inside a custom Function (or because an input was returned "
    "as-is) and the autograd logic to handle view+inplace would override the custom "
    "backward associated with the custom Function, leading to incorrect gradients. This "
    "behavior is forbidden. You can fix this by cloning the output of the custom Function."
)


def set_grad_fn(t, node):
    """Give ``t`` a new history: ``node``, whose output 0 it is. ``retain_grad()`` keeps
    the gradient of a tensor's *current* version, so it moves from the old grad_fn to the
    new one (hooks registered with register_hook stay where they were)."""
    old, nr = t._grad_fn, t._output_nr
    t._grad_fn, t._requires_grad = node, True
    t._output_nr = 0  # it was output nr of a custom Function's node
    retained = None if old is None else old._retained
    if t._retains_grad and retained and nr in retained:
        old._retained = {k: ref for k, ref in retained.items() if k != nr} or None
        node._retained = {**(node._retained or {}), 0: retained[nr]}


class AsStridedBackward0(Node):
    """The grad_fn of a view rebuilt from its base: the view's gradient goes back to
    where the view lies in the base (each step's backward, last step first)."""

    def __init__(self, base, steps):
        self.steps = steps
        self.base_shape = base._data.shape
        self.next_functions = (gradient_edge(base),)
        self._sequence_nr = next(_sequence_numbers)

    def __call__(self, grad):
        if grad is None:  # no gradient reached the view: none for its base either
            return (None,)
        if not isinstance(grad, (np.ndarray, np.generic)) and grad.requires_grad:  # create_graph
            if not grad._data.size:  # PyTorch's as_strided_backward: new zeros, no graph
                return (creation.zeros(self.base_shape, dtype=grad.dtype),)
            return (self.recorded(grad),)
        for function, _, ctx in reversed(self.steps):
            grad = function.backward(ctx, grad)
        # PyTorch's as_strided_backward writes the gradient into new memory (never a view
        # of the incoming one, which may be expanded, as sum's gradient is) and returns a
        # view of it: autograd.grad hands it out as a view (detach_() on it raises).
        grad = _copy(grad)
        return (grad.view() if isinstance(grad, np.ndarray) else grad.view(grad.shape),)

    def recorded(self, grad):
        """The same under create_graph=True, the way PyTorch's as_strided_backward records
        it: the gradient is copied into the view's place in zeros of the base's shape, and
        the result is a view of those zeros (its grad_fn AsStridedBackward0 over
        CopySlices). PyTorch leaves out the dims of size 1: the gradient is squeezed."""
        storage = creation.zeros(self.base_shape, dtype=grad.dtype)
        whole, place = storage.view(self.base_shape), replay(self.steps, storage)
        for d in reversed(range(grad.ndim)):  # (last first, as PyTorch)
            if grad.shape[d] == 1:
                grad, place = grad.squeeze(d), place.squeeze(d)
        place.copy_(grad)
        return whole


class CopySlices(Node):
    """The base's grad_fn after an in-place op on one of its views.

    ``fn`` is the in-place op's node; it knows the gradient for the view's part
    only. Backward: the base's gradient is copied, the view's part of the copy
    goes through ``fn``, and ``fn``'s result is written back into that part. The
    other inputs of the op (``v`` in ``view.mul_(v)``) get fn's gradients.
    """

    def __init__(self, base, steps, fn):
        self.steps, self.fn = steps, fn
        self.next_functions = (gradient_edge(base),) + tuple(fn.next_functions[1:])
        self._sequence_nr = next(_sequence_numbers)

    def name(self):
        return "minigrad::autograd::CopySlices"  # PyTorch: "torch::autograd::CopySlices"

    @property
    def _saved(self):
        """What backward frees unless retain_graph=True: here, the wrapped node."""
        return {} if self.fn is None else {None: self.fn}

    def release_saved(self):
        self.fn = None

    def __call__(self, grad):
        if grad is None:  # no gradient reached the base: none for the op's inputs either
            return [None] * len(self.next_functions)
        if self.fn is None:  # (after the check above, as in PyTorch: no gradient, no error)
            raise RuntimeError(FREED_MESSAGE)
        result = _copy_into_new(grad)
        part = _part(self.steps, result)  # where the view lies, in the copy
        grads = list(self.fn(_copy(part)))
        if grads[0] is not None:
            _write(part, grads[0])
            grads[0] = result
        return grads


def _part(steps, result):
    """The view's place in ``result``; under create_graph, recorded as PyTorch does it
    (``as_strided``: one AsStridedBackward0 node, not one node per view step)."""
    if isinstance(result, np.ndarray) or not result._requires_grad:
        return replay(steps, result)
    saved = (_state.grad_enabled, _state.inference_mode)
    _state.grad_enabled = False
    try:
        part = replay(steps, result)
    finally:
        _state.grad_enabled, _state.inference_mode = saved
    part._view.creation = DEFAULT
    set_grad_fn(part, AsStridedBackward0(result, steps))
    return part


def _copy(x):
    """A copy of a gradient: an array (numpy gives numbers for 0-d ones) or a tensor."""
    return np.array(x) if isinstance(x, (np.ndarray, np.generic)) else x.clone()


def _copy_into_new(grad):
    """CopySlices' copy of the base's gradient: PyTorch copies it into new memory with
    ``copy_`` (recorded under create_graph: ``CopyBackwards``, not ``CloneBackward0``)."""
    if isinstance(grad, (np.ndarray, np.generic)):
        return np.array(grad)
    return creation.empty(grad.shape, dtype=grad.dtype).copy_(grad)


def _write(part, values):
    if isinstance(part, np.ndarray):
        check_overlap(part)  # as PyTorch's copy_: an expanded view cannot take the values
        part[...] = values
    else:
        part.copy_(values)


# --- writing into shared memory: what an in-place op must refuse (PyTorch checks it
# in its kernels, after autograd's checks) ---------------------------------------
_SHARED_ELEMENTS = (
    "unsupported operation: more than one element of the written-to tensor refers to a single "
    "memory location. Please clone() the tensor before performing the operation."
)


def check_overlap(written, operand=None):
    """Refuse a write whose result would depend on the order elements are visited in:
    ``written`` has positions sharing one element (an expanded tensor), or ``operand``
    partly overlaps it. (fill_ and zero_ write one value: they may.)"""
    if written.size > 1 and any(s == 0 and n > 1 for n, s in zip(written.shape, written.strides)):
        raise RuntimeError(_SHARED_ELEMENTS)
    if operand is not None and _overlap(written, operand) == "partial":
        raise RuntimeError(
            "unsupported operation: some elements of the input tensor and the written-to "
            "tensor refer to a single memory location. Please clone() the tensor before "
            "performing the operation."
        )


def _overlap(a, b):
    """PyTorch's get_overlap_status for two dense arrays: "full" (the same elements in the
    same layout), "partial", or None (apart, or too hard to tell)."""
    if a is b or not (_dense(a) and _dense(b)) or not np.may_share_memory(a, b):
        return "full" if a is b else None
    a_begin, b_begin = a.__array_interface__["data"][0], b.__array_interface__["data"][0]
    a_end, b_end = a_begin + a.nbytes, b_begin + b.nbytes
    if (a_begin, a_end) == (b_begin, b_end):
        return "full" if a.strides == b.strides else "partial"
    return "partial" if a_begin < b_end and b_begin < a_end else None


def _dense(a):
    """No gaps and no shared elements, in some order of the dimensions."""
    expected = a.itemsize
    for stride, size in sorted((s, n) for n, s in zip(a.shape, a.strides) if n != 1):
        if stride != expected:
            return False
        expected *= size
    return a.size > 0


def requires_grad(x):
    """PyTorch's ``requires_grad``: set on ``x``, or ``x`` was made by a recorded op, or
    ``x`` is a view of a tensor that requires grad (whenever the view was made)."""
    return x._requires_grad or x._base is not None and x._base._requires_grad


def check_inplace(t, recording):
    """Refuse an in-place change that would make autograd silently wrong.

    Only a change that is recorded is checked (grad mode on, something requires grad);
    an inference tensor's is refused once written (``refuse_inference_write``).
    """
    if not recording or not is_recording_enabled():  # inference mode wins
        return
    if t._view is not None:
        check_view_change(t, indirect=False)
        if requires_grad(t) and t._base._grad_fn is None:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )
    if requires_grad(t) and t._grad_fn is None:  # as PyTorch: a stale view's is not rebuilt here
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )


# creation.py needs Tensor, and tensor.py loads this module: load it after both
# (as a module: when tensor.py loads this one, creation.py is still loading).
from . import creation  # noqa: E402
