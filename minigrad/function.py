"""Function: the one place where an operation becomes a graph node.

Every operation, built-in (``a * b``, ``x.exp()``, ``t.sum()``), in place
(``t.add_(1)``) or your own (``class MyOp(Function)``), is a Function: a
``forward(ctx, *inputs)`` that computes the result and, beside it, a
``backward(ctx, grad)`` that turns the gradient of the result into one
gradient per input. ``Function.apply`` runs forward and, when the recording
rule holds, keeps ``ctx`` as the result's ``grad_fn``: the ctx *is* the node.
"""

import warnings

import numpy as np

from . import dtypes
from .grad_mode import _state, no_grad
from .graph import (
    FREED,
    FREED_MESSAGE,
    Node,
    SavedTensor,
    _caller_stack,
    _sequence_numbers,
    anomaly_state,
    gradient_edge,
    saved_attribute,
)
from .tensor import Tensor, _wrap
from .views import (  # noqa: F401 (check_inplace: the name the ops import)
    check_inplace,
    check_view_change,
    made_by_custom_function,
    move_retained_grad,
    rebase_view,
    remember,
    requires_grad,
)


def is_recording(inputs):
    """The recording rule: grad mode is on and some input requires grad.

    Inference mode records nothing, even inside ``enable_grad()``; numbers
    and ``None`` among the inputs never require grad.
    """
    if not _state.grad_enabled or _state.inference_mode:
        return False
    for x in inputs:
        if getattr(x, "_requires_grad", False) or getattr(x, "_view", None) and requires_grad(x):
            return True
    return False


def inference_only(inputs):
    """True if every tensor among a built-in op's inputs is an inference tensor: PyTorch
    leaves such an op out of autograd (a number, which the op takes as a tensor, is not
    one)."""
    for x in inputs:
        if isinstance(x, Tensor) and not x._is_inference:
            return False
    return True


class FunctionCtx(Node):
    """The ``ctx`` a Function's forward and backward receive, and the node it records.

    ``needs_input_grad`` says which inputs take a gradient; what forward saves
    stays here, version-checked, until backward (then it is freed).
    """

    needs_input_grad = (False,) * 8  # a ctx that records nothing: no input needs one
    _non_differentiable = ()
    _forward = None  # while forward runs and records: (its arguments, the inputs)
    _later = ()  # names of what forward saved that is no input: its result, or a new array
    _as_arrays = False  # the backward now running reads saved tensors as arrays
    _inputs = None  # what each gradient is fitted to: (shape, dtype) per input, if needed
    _outputs = ()  # your Function's outputs: (shape, dtype) per tensor, NUMBER for others
    _materialize = True  # your backward gets zeros for an output no gradient reached
    _exposed = frozenset()  # the names this node class shows as _saved_<name> (expose)

    def _record(self, inputs, args):
        """Make this ctx a graph node: edges to the inputs' nodes (numbers have none, None
        an edge to nowhere), and what its gradients will be checked against (``fit``), if
        anything. (A built-in op on plain tensors is recorded by ``Op.apply`` instead, in
        one loop: minigrad/op.py.)"""
        function = self._function
        # Each input's edge: a tensor's node, an edge to nowhere for None, none for a number.
        edges = [
            gradient_edge(x) if isinstance(x, Tensor) else (None, 0) if x is None else None
            for x in inputs
        ]
        self.next_functions = tuple([edge for edge in edges if edge is not None])
        # An input needs a gradient only where an edge leads: a view made in no_grad of a
        # tensor that requires grad has none (and PyTorch saves nothing for it).
        self.needs_input_grad = tuple([edge is not None and edge[0] is not None for edge in edges])
        # A built-in op's gradients have their input's shape and dtype unless it broadcast
        # inputs of different shapes or dtypes: only then (and always for your Functions)
        # are they fitted to them.
        if function.broadcasts or not function.on_arrays:
            metas = [_input_meta(x) for x in inputs]
            if not function.on_arrays or metas.count(metas[0]) != len(metas):
                self._inputs = metas
        self._sequence_nr = next(_sequence_numbers)
        self._forward = (args, inputs)
        self._saved = {}
        if anomaly_state.enabled:  # remember who made this node, to blame the right line
            self._forward_stack = _caller_stack()

    def name(self):
        function = self._function  # your Function's name may change after its class is made
        return function.node_name or f"{function.__name__}Backward"

    def save(self, /, **named):
        """Keep what backward needs under PyTorch's names (``_saved_self``).

        An input (for a built-in op, its array) is kept with its tensor and the
        version it has now: changing it in place before backward raises
        PyTorch's error. ``None`` marks one not needed; any other value
        (``alpha=2``) is kept as it is and is also an attribute of ctx.
        """
        if self._forward is not None:  # else nothing is recorded: no backward will run
            self._save(named)

    def save_for_backward(self, *tensors):
        """PyTorch's way for your Functions: save tensors by position."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    "save_for_backward can only save variables, but argument "
                    f"{i} is of type {type(t).__name__}"
                )
        if self._forward is not None:
            self._saved = {}
            self._save(dict(enumerate(tensors)))

    def _save(self, named):
        args, inputs = self._forward
        if self._function.inplace:  # an in-place op's input 0 is its result, saved later
            args, inputs = args[1:], inputs[1:]
        saved = self._saved
        for name, value in named.items():
            if name not in self._exposed:  # ctx._saved_<name>, from now on
                expose(self, name)
            if value is None:  # Speed: the two common cases (an input not needed, an
                saved[name] = None  # array) without the isinstance below (see _arguments)
                continue
            if value.__class__ is np.ndarray or isinstance(value, (Tensor, np.generic)):
                for i, arg in enumerate(args):
                    if value is arg:  # an input: kept with its version now
                        value = SavedTensor(inputs[i])
                        break
                else:  # the result, or a new array: kept once the result is wrapped
                    self._later += (name,)
            else:  # a plain value: kept apart, never freed
                setattr(self, name, value)
                self._values = {**(self._values or {}), name: value}
                continue
            saved[name] = value

    def mark_non_differentiable(self, *outputs):
        self._non_differentiable = {id(t) for t in outputs}

    @property
    def saved_tensors(self):
        """The saved tensors in order, each checked against in-place changes since."""
        as_arrays = self._as_arrays
        values = []
        for saved in self._saved.values():
            if saved is FREED:
                raise RuntimeError(FREED_MESSAGE)
            values.append(None if saved is None else saved.unpack(self, as_arrays, True))
        return tuple(values)

    def _keep_saved_results(self, out, result):
        """After forward: what it saved that is no input is its result (kept without its
        grad_fn) or a new array of its own."""
        self._forward = None
        outs, results = (out, result) if out.__class__ is tuple else ((out,), (result,))
        for name in self._later:
            value = self._saved[name]
            for o, r in zip(outs, results):
                if value is o:
                    value = SavedTensor(r, is_output=r._grad_fn is self)
                    break
            else:
                value = SavedTensor(value if isinstance(value, Tensor) else _wrap(value))
            self._saved[name] = value

    def set_materialize_grads(self, value):
        """Whether your backward gets zeros (True, the default) or None for an output
        that received no gradient."""
        self._materialize = bool(value)

    def __call__(self, *grads):
        """Run the Function's backward: ``grad_fn(grad)`` in PyTorch (one gradient per
        output of forward).

        A built-in op's backward gets arrays when the engine passes arrays (no
        graph is recorded for the backward), tensors otherwise; yours always
        gets tensors. Each gradient is then fitted to its input (``fit``).
        """
        function = self._function
        if not function.on_arrays:
            return self._call_yours(grads)
        self._as_arrays = not isinstance(grads[0], Tensor)
        result = function.backward(self, *grads)
        result = result if result.__class__ is tuple else (result,)
        if self._inputs is None and len(result) == len(self.needs_input_grad):
            return result  # Speed: nothing to trim or fit, without a call (see _arguments)
        return self._check_gradients(result)

    def _call_yours(self, grads):
        """Your backward gets tensors, one per output of forward: zeros for a tensor
        output that received no gradient (unless ``set_materialize_grads(False)``), None
        for an output that is no tensor. The engine gets arrays back if it passed arrays."""
        if any(g is not None for g in grads):
            as_arrays = not any(isinstance(g, Tensor) for g in grads)
        else:  # no gradient reached the node: the engine records only under create_graph
            as_arrays = not _state.grad_enabled
        materialize = self._materialize
        grads = [
            as_tensor(g) if g is not None or not materialize else zeros(meta)
            for g, meta in zip(grads, self._outputs)
        ]
        result = self._function.backward(self, *grads)
        grads = self._check_gradients(result if result.__class__ is tuple else (result,))
        return [None if g is None else g._data for g in grads] if as_arrays else grads

    def _check_gradients(self, result):
        """One gradient per input (trailing Nones beyond them ignored, as PyTorch does),
        each fitted to its input (``fit``)."""
        expected = len(self.needs_input_grad)
        if len(result) > expected and all(g is None for g in result[expected:]):
            result = result[:expected]
        if len(result) != expected:
            raise RuntimeError(
                f"function {self.name()} returned an incorrect number of gradients "
                f"(expected {expected}, got {len(result)})"
            )
        inputs = self._inputs
        if inputs is None:  # nothing to fit (see _record)
            return result
        grads = [fit(g, inputs[i], self, i) for i, g in enumerate(result)]
        if len(grads) != len(self.next_functions):  # your Function had numbers among its inputs
            grads = [g for g, meta in zip(grads, inputs) if meta is not NUMBER]
        return grads


def expose(ctx, name):
    """Make what ctx's nodes save as ``name`` readable as ``node._saved_<name>``, as in
    PyTorch (a property of the node class, ``graph.saved_attribute``; numbered names,
    ``save_for_backward``'s, have none)."""
    node_class = type(ctx)
    if "_exposed" not in vars(node_class):
        node_class._exposed = set()
    node_class._exposed.add(name)
    if isinstance(name, str):
        saved_attribute(node_class, name)


def as_tensor(grad):
    return grad if grad is None or isinstance(grad, Tensor) else _wrap(grad)


def zeros(meta):
    """The gradient of an output that received none: zeros like it (None for a non-tensor)."""
    return None if meta is NUMBER or meta is None else _wrap(np.zeros(meta[0], meta[1]))


NUMBER = "not a tensor"  # an input of your Function that has no edge (a number)


def _input_meta(x):
    """What ``fit`` checks a gradient for input ``x`` against: its shape and dtype."""
    if isinstance(x, Tensor):
        return x._data.shape, x._data.dtype
    return None if x is None else NUMBER


FLOATS = (np.dtype(np.float32), np.dtype(np.float64))  # only these can require grad


class Function:
    """An operation: ``forward(ctx, *inputs)`` beside ``backward(ctx, grad)``.

    Subclass it with the two static methods and call ``YourOp.apply(*inputs)``
    (inputs by position; options such as ``dim=0`` by keyword, passed on to
    forward). forward computes the result and saves what backward needs
    (``ctx.save_for_backward``); backward returns one gradient per input, or
    ``None`` for an input that needs none.
    """

    node_name = None  # the node's name; by default PyTorch's "<Class>Backward"
    _ctx_class = FunctionCtx  # the node class is made from it (a built-in op's: op.OpCtx)
    on_arrays = False  # True for built-in ops: they compute on numpy arrays (Op)
    # The inputs may differ in shape and dtype (``a + b``): forward gets them cast to their
    # common dtype (PyTorch's promotion), and each gradient is fitted back to its input.
    broadcasts = False
    view = False  # the result is a view of input 0: same memory, same version counter
    inplace = False  # forward changes input 0 in place; the result is input 0 itself
    optional_inputs = False  # some inputs may be None (batch norm without a weight)

    @staticmethod
    def forward(ctx, *inputs):
        raise NotImplementedError(
            "You must implement the forward function for custom autograd.Function."
        )

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    def __init__(self, *args, **kwargs):
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions "
            "are all static, so you should invoke them on the class itself. Instantiating an "
            "autograd function will raise an error in a future version of PyTorch.",
            DeprecationWarning,
            stacklevel=2,
        )

    def __call__(self, *args, **kwargs):
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please "
            "use new-style autograd function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    def __init_subclass__(cls, **kwargs):
        # PyTorch makes one node class per Function, named after it (``MyOpBackward``);
        # built-in ops give PyTorch's own names (``MulBackward0``).
        super().__init_subclass__(**kwargs)
        name = cls.node_name or f"{cls.__name__}Backward"
        attributes = {"_function": cls, "__module__": cls.__module__}
        cls._node_class = type(name.split("::")[-1], (cls._ctx_class,), attributes)
        cls._plain = cls.on_arrays and not cls.inplace and not cls.view  # one new tensor
        cls._tensors_only = cls.on_arrays and not cls.optional_inputs

    @classmethod
    def apply(cls, *inputs, **options):
        """Run forward; if the recording rule holds, the ctx becomes the result's grad_fn."""
        if cls.on_arrays and not isinstance(inputs[0], Tensor):  # inside a backward, on arrays
            return cls.forward(IDLE, *inputs, **options)
        ctx = cls._node_class()
        if cls.on_arrays:
            recording = is_recording(inputs) and not inference_only(inputs)
        else:  # yours: grad mode alone decides, even in inference mode (as PyTorch's apply)
            recording = _state.grad_enabled and any(
                isinstance(x, Tensor) and requires_grad(x) for x in inputs
            )
        args = cls._arguments(inputs)
        if recording:
            ctx._record(inputs, args)
        else:  # one entry per input, as in PyTorch: ``a, b = ctx.needs_input_grad`` works
            ctx.needs_input_grad = (False,) * len(inputs)
        if cls.inplace:
            check_inplace(inputs[0], recording)
        with np.errstate(all="ignore"):  # inf and nan without numpy's warnings, as PyTorch
            if cls.on_arrays:
                out = cls.forward(ctx, *args, **options)
            else:
                with no_grad():  # the operations inside your forward are not recorded
                    out = cls.forward(ctx, *args, **options)
        step = (cls, options, ctx) if cls.view else None  # how a view is made again
        result = cls._wrap_result(out, inputs, ctx if recording else None, step)
        if recording:
            ctx._keep_saved_results(out, result)
        return result

    @classmethod
    def _wrap_yours(cls, outs, inputs, node):
        """Your forward's outputs: each tensor among them is output ``nr`` of ``node``
        (numbers, None and the like stay as they are)."""
        if node is not None:
            node._outputs = [_input_meta(o) for o in outs]
            node._num_outputs = len(outs)
        return tuple(
            _your_output(o, nr, inputs, node) if isinstance(o, Tensor) else o
            for nr, o in enumerate(outs)
        )

    @classmethod
    def _arguments(cls, inputs):
        """What forward receives: your Function the tensors, a built-in op their arrays
        (cast to their common dtype if the op broadcasts)."""
        if cls._tensors_only:  # the common case first
            # Speed: one or two inputs without a comprehension. With the other "Speed:"
            # notes of this module it took the 4x4 op + backward chains from 1.89-1.91x to
            # 1.77-1.79x PyTorch, before Op.apply took the common case (benchmarks/README.md,
            # "The seam's cost"); they still serve views, in-place ops and create_graph.
            if len(inputs) == 1:
                return [inputs[0]._data]
            if len(inputs) == 2:
                a, b = inputs[0]._data, inputs[1]._data
                # t and t.detach() share one array, but ctx.save tells inputs apart by it
                b = b.view() if a is b and inputs[0] is not inputs[1] else b
                if a.dtype is b.dtype or not cls.broadcasts or cls.inplace:
                    return [a, b]
                return promote([a, b], inputs)
            arrays = [x._data for x in inputs]
        elif cls.on_arrays:
            arrays = [None if x is None else x._data for x in inputs]
        else:
            return inputs
        return promote(arrays, inputs) if cls.broadcasts and not cls.inplace else arrays

    @classmethod
    def _wrap_result(cls, out, inputs, node, step=None):
        """The result tensor(s); only a floating-point result records ``node``."""
        if cls._plain and out.__class__ is np.ndarray:  # the common case first
            return _wrap(out, node if node is not None and out.dtype in FLOATS else None)
        if not cls.on_arrays:  # your Function: one output or several
            outs = cls._wrap_yours(out if isinstance(out, tuple) else (out,), inputs, node)
            return outs if isinstance(out, tuple) else outs[0]
        if isinstance(out, tuple):
            return tuple(cls._wrap_result(o, inputs, node) for o in out)
        if cls.inplace:
            return rebase(inputs[0], node)
        if node is not None and np.asarray(out).dtype not in FLOATS:
            node = None  # integers and bools never require grad
        return view_of(inputs[0], out, node, step) if cls.view else _wrap(out, node)


def _your_output(out, nr, inputs, node):
    """Output ``nr`` of your Function: recorded as such unless it cannot take a gradient
    (marked non-differentiable, or not floating point). An input returned as it is
    becomes a view of it (a detached alias if it is not recorded but requires grad)."""
    differentiable = (
        node is not None and id(out) not in node._non_differentiable and out._data.dtype in FLOATS
    )
    if any(out is x for x in inputs):
        out = out.detach() if out.requires_grad and not differentiable else view_of(out, out._data)
    if differentiable:
        out._grad_fn, out._requires_grad = node, True
        if nr or "_output_nr" in out.__dict__:
            out._output_nr = nr
    marked = node is not None and id(out) in node._non_differentiable
    if out._view is not None and not marked and out._data.dtype in FLOATS:
        made_by_custom_function(out, differentiable)  # your view: your backward only
    return out


IDLE = FunctionCtx()  # the ctx of a forward run inside a backward formula: records nothing


def promote(arrays, inputs):
    """The arrays of a binary op (or cat) cast to their common dtype, PyTorch's promotion."""
    for array in arrays:
        if array.dtype is not arrays[0].dtype:
            dtype = dtypes.result_type(*inputs).numpy
            return [a.astype(dtype, copy=False) for a in arrays]
    return arrays


def fit(grad, meta, node, i):
    """Check the gradient for input ``i`` against the input (PyTorch's validate_outputs).

    A gradient that broadcasts to the input's shape is summed back to it
    (``unbroadcast``); one of another dtype is converted to the input's dtype.
    """
    if grad is None or meta is None or meta is NUMBER:
        return None
    shape, dtype = meta
    if grad.__class__ is np.ndarray and grad.shape == shape and grad.dtype is dtype:
        return grad  # the common case, checked first
    if not isinstance(grad, (Tensor, np.ndarray)):
        if not node._function.on_arrays or not isinstance(grad, np.generic):
            raise TypeError(
                f"function {node.name()} returned a gradient that is not a Tensor for argument {i}"
            )
        grad = np.asarray(grad)  # numpy gives numbers, not 0-d arrays, for 0-d results
    if grad.shape != shape:
        try:
            expandable = np.broadcast_shapes(shape, grad.shape) == tuple(grad.shape)
        except ValueError:
            expandable = False
        if not expandable:
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got "
                f"{list(grad.shape)} but expected shape compatible with {list(shape)}"
            )
        grad = unbroadcast(grad, shape)
    if isinstance(grad, Tensor):
        return grad if grad._data.dtype == dtype else grad.to(dtypes._BY_NUMPY[dtype])
    return grad if grad.dtype == dtype else grad.astype(dtype)


def unbroadcast(grad, shape):
    """Sum ``grad`` back down to ``shape``: the backward of broadcasting.

    Broadcasting copied an input along new leading dimensions and along its
    dimensions of size 1, so the gradients of all the copies add up. It works
    on arrays and on tensors alike:

    >>> unbroadcast(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    """
    if not shape:  # to a single number: the sum of everything
        return grad.sum()
    lead = len(grad.shape) - len(shape)
    dims = tuple(range(lead)) + tuple(  # new leading dimensions, and those of size 1
        i for i in range(lead, len(grad.shape)) if shape[i - lead] == 1 and grad.shape[i] != 1
    )
    if dims:  # summed keeping every dimension (PyTorch's sum_to), then the new ones dropped
        grad = grad.sum(axis=dims, keepdims=True)
    return grad.reshape(shape) if lead else grad


def view_of(input, array, node=None, step=None):
    """A result sharing memory with ``input``: it shares its version counter too, and
    remembers how it was made from their base (``views.remember``).

    An inference tensor keeps no versions and no views: its view is a plain tensor.
    """
    t = _wrap(array, node)
    if input._is_inference and not _state.inference_mode:  # PyTorch tracks no view of these
        t._is_inference = True
        return t
    t._version_counter = input._version_counter
    t._is_inference = input._is_inference
    if input._is_inference:
        t._grad_fn, t._requires_grad = None, False
    else:
        remember(t, input, step)
    return t


def rebase(t, node):
    """What an in-place op does to ``t`` once its values changed: one more on its version
    counter and, when recorded, ``node`` as its new ``grad_fn``, whose input is the old
    one: the history is rewritten, not lost. A view's change rewrites its base's history
    (``views.rebase_view``); an integer tensor never gets a history."""
    bump_version(t)
    if node is None or t._data.dtype not in FLOATS:
        return t
    old, nr = t._grad_fn, t._output_nr
    t.__dict__.pop("_output_nr", None)  # it was output k of a custom Function's node
    if t._view is not None:
        rebase_view(t, node)
    else:
        t._grad_fn, t._requires_grad = node, True
        move_retained_grad(t, old, node, nr)
    return t


def bump_version(t):
    """What every in-place change does: one more on the tensor's version counter."""
    t._version_counter.value += 1


# Built-in ops subclass Op, which lives in op.py with its straight path (op.py needs what
# is above, so it is imported last).
from .op import Op  # noqa: E402, F401
