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
from numpy._core._ufunc_config import _extobj_contextvar as _numpy_errors
from numpy._core._ufunc_config import _make_extobj

from . import dtypes
from .grad_mode import _state, no_grad
from .graph import (
    FREED,
    FREED_MESSAGE,
    Node,
    SavedTensor,
    VersionCounter,
    _caller_stack,
    _sequence_numbers,
    anomaly_state,
    gradient_edge,
    saved_attribute,
)
from .tensor import Tensor, _wrap
from .views import (  # noqa: F401 (check_inplace, view_of, rebase, bump_version: the ops')
    FLOATS,
    bump_version,
    check_inplace,
    made_by_custom_function,
    rebase,
    refuse_inference_write,
    requires_grad,
    view_of,
)

# Forward runs with numpy's warnings off (PyTorch makes inf and nan silently). numpy 2
# keeps its error state in a context variable: setting it is np.errstate(all="ignore")
# without errstate's four Python calls (0.3 us an op against 1.3 us).
QUIET = _make_extobj(all="ignore")
_new = object.__new__


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
    return all(x._is_inference for x in inputs if isinstance(x, Tensor))


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

    def name(self):
        function = self._function  # your Function's name may change after its class is made
        return function.node_name or f"{function.__name__}Backward"

    def save(self, /, *tensors, **named):
        """Keep what backward needs under PyTorch's names (``_saved_self``), or by
        position (``save_for_backward``'s).

        An input (for a built-in op, its array) is kept with its tensor and the
        version it has now: changing it in place before backward raises
        PyTorch's error. ``None`` marks one not needed; any other value
        (``alpha=2``) is kept as it is and is also an attribute of ctx.
        """
        if self._forward is None:  # nothing is recorded: no backward will run
            return
        args, inputs = self._forward
        if self._function.inplace:  # an in-place op's input 0 is its result, saved later
            args, inputs = args[1:], inputs[1:]
        saved = self._saved
        for name, value in enumerate(tensors) if tensors else named.items():
            if name not in self._exposed:  # ctx._saved_<name>, from now on
                expose(self, name)
            if value is None:  # an input not needed
                saved[name] = None
            elif value.__class__ is np.ndarray or isinstance(value, (Tensor, np.generic)):
                for arg, x in zip(args, inputs):
                    if value is arg:  # an input: kept with its version now
                        saved[name] = _saved(x)
                        break
                else:  # the result, or a new array: kept once the result is wrapped
                    saved[name] = value
                    self._later += (name,)
            else:  # a plain value: kept apart, never freed
                setattr(self, name, value)
                if self._values is None:  # (this node's own dict, filled in place)
                    self._values = {}
                self._values[name] = value

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
            self.save(*tensors)

    def _keep_saved_results(self, out, result):
        """After forward: what it saved that is no input is its result (kept without its
        grad_fn) or a new array of its own."""
        for name in self._later:
            value = self._saved[name]
            if value is out:  # its one result (tanh, exp): the common case first
                value = _saved(result, result._grad_fn is self)
            elif out.__class__ is tuple and any(value is o for o in out):  # one of several
                r = result[[value is o for o in out].index(True)]
                value = _saved(r, r._grad_fn is self)
            else:
                value = SavedTensor(value if isinstance(value, Tensor) else _wrap(value))
            self._saved[name] = value

    def mark_non_differentiable(self, *outputs):
        self._non_differentiable = {id(t) for t in outputs}

    @property
    def saved_tensors(self):
        """The saved tensors in order, each checked against in-place changes since."""
        values = []
        for saved in self._saved.values():
            if saved is FREED:
                raise RuntimeError(FREED_MESSAGE)
            if saved is None:
                values.append(None)
                continue
            try:  # PyTorch's error for a tensor changed in place (built-in ops: or detached)
                values.append(saved.unpack(self, self._as_arrays, self._function.on_arrays))
            except RuntimeError:
                self._check_in_pytorch_order()
                raise
        return tuple(values)

    def _check_in_pytorch_order(self):
        """Raise the error PyTorch raises first when several saved tensors fail their
        checks: a built-in op's node unpacks its saved inputs in the order of their names
        (``mul`` checks ``other`` before ``self``, ``mm`` ``mat2`` before ``self``), then
        its saved results. (Yours unpacks them in order: the first failed first.)"""
        if not self._function.on_arrays:
            return
        kept = [(n, s) for n, s in self._saved.items() if s is not None and s is not FREED]
        kept.sort(key=lambda item: (bool(getattr(item[1], "is_output", False)), item[0]))
        for _, saved in kept:
            saved.unpack(self, True, True)

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
        return self._check_gradients(result if result.__class__ is tuple else (result,))

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
        if inputs is None:  # nothing to fit (see apply, step 2)
            return result
        grads = [fit(g, inputs[i], self, i) for i, g in enumerate(result)]
        if len(grads) != len(self.next_functions):  # your Function had numbers among its inputs
            grads = [g for g, meta in zip(grads, inputs) if meta is not NUMBER]
        return grads


# graph's own SavedTensor, which _saved writes out (another class put in its place, as
# the course's engine build does, is called). In a tuple: the build replaces every name
# whose value is the class itself.
OWN_SAVED = (SavedTensor,)


def _saved(tensor, is_output=False):
    """``SavedTensor(tensor, is_output)`` for graph's own class, written out (Speed: 0.15 us
    an input, and for a result 1.1 us of a tanh's 8 us: its ``detach()`` makes three
    calls). Another class put in its place (the course's engine build) is called."""
    if SavedTensor is not OWN_SAVED[0] or tensor._is_inference:
        return SavedTensor(tensor, is_output)  # (an inference tensor: the error)
    saved = _new(SavedTensor)
    saved.version, saved.is_output = tensor._version_counter.value, is_output
    saved.output_nr, saved.was_non_leaf = (
        tensor._output_nr,
        not is_output and tensor._grad_fn is not None,
    )
    if is_output:  # without its grad_fn (the node keeps this: a cycle otherwise), detach()
        tensor, result = _new(Tensor), tensor
        tensor._data, tensor._grad_fn, tensor._requires_grad = result._data, None, False
        tensor._version_counter, tensor._is_inference = result._version_counter, False
        tensor._view, tensor._output_nr, tensor._accumulator = None, 0, None
    saved.tensor = tensor
    return saved


def expose(ctx, name):
    """Make what ctx's nodes save as ``name`` readable as ``node._saved_<name>``, as in
    PyTorch (a property of the node class, ``graph.saved_attribute``; numbered names,
    ``save_for_backward``'s, have none)."""
    node_class = type(ctx)
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


class Function:
    """An operation: ``forward(ctx, *inputs)`` beside ``backward(ctx, grad)``.

    Subclass it with the two static methods and call ``YourOp.apply(*inputs)``
    (inputs by position; options such as ``dim=0`` by keyword, passed on to
    forward). forward computes the result and saves what backward needs
    (``ctx.save_for_backward``); backward returns one gradient per input, or
    ``None`` for an input that needs none.
    """

    node_name = None  # the node's name; by default PyTorch's "<Class>Backward"
    on_arrays = False  # True for built-in ops: they compute on numpy arrays (Op)
    # The inputs may differ in shape and dtype (``a + b``): forward gets them cast to their
    # common dtype (PyTorch's promotion), and each gradient is fitted back to its input.
    broadcasts = False
    view = False  # the result is a view of input 0: same memory, same version counter
    inplace = False  # forward changes input 0 in place; the result is input 0 itself

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
        attributes = {"_function": cls, "__module__": cls.__module__, "_exposed": set()}
        # the engine calls a built-in op's backward itself (engine.call_node)
        attributes["_arrays_backward"] = cls.on_arrays
        cls._node_class = type(name.split("::")[-1], (FunctionCtx,), attributes)
        # What apply's common case covers: a built-in op's inputs (_lean), its result (_plain:
        # one new tensor). tests/unit/test_one_apply.py turns them off to compare both ways.
        cls._lean = cls.on_arrays and not cls.inplace
        cls._plain = cls.on_arrays and not cls.inplace and not cls.view

    @classmethod
    def apply(cls, *inputs, **options):
        """Run forward; if the recording rule holds, the ctx becomes the result's grad_fn.

        Every operation comes here: built-in, in place, a view, yours. Each step takes
        the common case (a built-in op on plain tensors of one shape and dtype, one new
        tensor) in a few lines; what differs goes to a helper at the step where it
        differs: ``_connect_any`` (your Function; a number, None, a view, an inference
        tensor among the inputs; two shapes or dtypes), ``_forward_yours``,
        ``_wrap_result`` (several results, a view, an in-place change, yours).
        """
        if cls.on_arrays and not isinstance(inputs[0], Tensor):  # inside a backward, on arrays
            return cls.forward(IDLE, *inputs, **options)
        ctx = cls._node_class()
        # 1. The recording rule; forward's arguments (the arrays); the node's edges.
        recording, args, needs, edges, metas = is_recording(inputs), [], [], [], None
        kind = (lean := cls._lean) and cls.broadcasts  # each read once (30 ns a read)
        if kind:  # a broadcasting op's arrays must all have this shape and dtype
            kind = (inputs[0]._data.shape, inputs[0]._data.dtype)
        for x in inputs:
            if not (lean and isinstance(x, Tensor)) or x._view or x._is_inference:
                break
            data = x._data
            if args and (data is args[0] or kind and kind != (data.shape, data.dtype)):
                break  # t and t.detach(), or two shapes or dtypes
            args.append(data)
            if recording:  # its edge: graph.gradient_edge for a tensor that is no view
                needs.append(x._requires_grad)
                grad_fn = x._grad_fn
                if grad_fn is None and x._requires_grad:  # a leaf: its AccumulateGrad (weakly kept)
                    grad_fn = (weak := x._accumulator) and weak() or x._get_accumulator()
                edges.append(NO_EDGE if grad_fn is None else (grad_fn, x._output_nr))
        if len(args) < len(inputs):  # broken off: the rest is told apart by _connect_any
            recording, args, needs, edges, metas = _connect_any(cls, inputs)
        if recording:  # 2. The node: its edges, what its gradients are fitted to, its rank.
            ctx.needs_input_grad, ctx.next_functions = tuple(needs), tuple(edges)
            ctx._inputs, ctx._sequence_nr = metas, next(_sequence_numbers)
            ctx._forward, ctx._saved = (args, inputs), {}
            if anomaly_state.enabled:  # remember who made this node, to blame the right line
                ctx._forward_stack = _caller_stack()
        else:  # one entry per input, as in PyTorch: ``a, b = ctx.needs_input_grad`` works
            ctx.needs_input_grad = (False,) * len(inputs)
        token = _numpy_errors.set(QUIET)  # 3. forward, inf and nan without numpy's warnings
        try:
            out = (cls.forward if cls.on_arrays else cls._forward_yours)(ctx, *args, **options)
        finally:
            _numpy_errors.reset(token)
        node = ctx if recording else None  # 4. The result: a float tensor records the node
        if cls._plain and out.__class__ is np.ndarray:  # _wrap(out, node) written out, 0.15 us
            result, node = _new(Tensor), node if node is None or out.dtype in FLOATS else None
            result._data, result._grad_fn, result._requires_grad = out, node, node is not None
            result._view, result._output_nr, result._accumulator = None, 0, None
            result._version_counter = VersionCounter()  # (recorded: not in inference mode,
            result._is_inference = not recording and _state.inference_mode  # no state read)
        else:
            result = cls._wrap_result(out, inputs, node, (cls, options, ctx))
        if recording:  # 5. What forward saved that is no input (its result), kept now
            ctx._forward = None
            if ctx._later:
                ctx._keep_saved_results(out, result)
        return result

    @classmethod
    def _forward_yours(cls, ctx, *args, **options):
        """Your forward runs under ``no_grad()``: the operations inside it are not recorded."""
        with no_grad():
            return cls.forward(ctx, *args, **options)

    @classmethod
    def _wrap_result(cls, out, inputs, node, step):
        """The result tensor(s) of forward's ``out``; only a floating-point result
        records ``node``. A view remembers ``step``, how it was made (``views.remember``)."""
        if not cls.on_arrays:  # your Function: one output or several
            outs = out if isinstance(out, tuple) else (out,)
            if node is not None:
                node._outputs, node._num_outputs = [_input_meta(o) for o in outs], len(outs)
            outs = [_your_output(o, nr, inputs, node) for nr, o in enumerate(outs)]
            return tuple(outs) if isinstance(out, tuple) else outs[0]
        if isinstance(out, tuple):
            return tuple(cls._wrap_result(o, inputs, node, None) for o in out)
        if cls.inplace:
            refuse_inference_write(inputs[0])
            return rebase(inputs[0], node)
        if node is not None and np.asarray(out).dtype not in FLOATS:
            node = None  # integers and bools never require grad
        return view_of(inputs[0], out, node, step) if cls.view else _wrap(out, node)


class Op(Function):
    """A built-in operation: forward computes on the inputs' numpy arrays.

    So does backward, when nothing records it; under ``create_graph=True`` it
    runs on tensors instead, so that the gradient gets a graph of its own. One
    formula serves both: ``grad * other`` multiplies arrays or tensors.
    """

    on_arrays = True


NO_EDGE = (None, 0)  # the edge of an input that needs no gradient


def _connect_any(cls, inputs):
    """Step 1 of ``apply`` for the rare inputs: your Function's (forward gets the
    tensors; grad mode alone decides, even in inference mode, as PyTorch's apply),
    numbers (no edge), None (an edge to nowhere), views (their grad_fn rebuilt first),
    inference tensors (a built-in op on nothing else records nothing), two dtypes
    (promoted; gradients fitted back to each input), one array under two tensors."""
    if cls.on_arrays:
        recording = is_recording(inputs) and not inference_only(inputs)
        args = [None if x is None else x._data for x in inputs]
        if len(args) == 2 and args[0] is args[1] and inputs[0] is not inputs[1]:
            args[1] = args[1].view()  # t and t.detach(): save tells inputs apart by array
        if cls.broadcasts and not cls.inplace:
            args = promote(args, inputs)
    else:
        recording = _state.grad_enabled and any(
            isinstance(x, Tensor) and requires_grad(x) for x in inputs
        )
        args = inputs
    needs, edges, metas = _edges(cls, inputs) if recording else (None, None, None)
    if cls.inplace:  # (after the edges: a view's grad_fn is rebuilt, or refused, first)
        check_inplace(inputs[0], recording)
    return recording, args, needs, edges, metas


def _edges(cls, inputs):
    """What ``_connect_any`` records: an edge per tensor (``graph.gradient_edge``), an
    edge to nowhere per None, none for a number; which inputs need a gradient; what the
    gradients are fitted to (``fit``), if anything."""
    edges = [
        gradient_edge(x) if isinstance(x, Tensor) else NO_EDGE if x is None else None
        for x in inputs
    ]
    # An input needs a gradient only where an edge leads: a view made in no_grad of a
    # tensor that requires grad has none (and PyTorch saves nothing for it).
    needs = [edge is not None and edge[0] is not None for edge in edges]
    metas = None  # your Function's gradients are always fitted; a built-in op's only if
    if cls.broadcasts or not cls.on_arrays:  # its inputs differ in shape or dtype
        metas = [_input_meta(x) for x in inputs]
        if cls.on_arrays and metas.count(metas[0]) == len(metas):
            metas = None
    return needs, [edge for edge in edges if edge is not None], metas


def _your_output(out, nr, inputs, node):
    """Output ``nr`` of your Function: a tensor is recorded as such unless it cannot take a
    gradient (marked non-differentiable, or not floating point); anything else (a number,
    None) stays as it is. An input returned as it is becomes a view of it (a detached
    alias if it is not recorded but requires grad)."""
    if not isinstance(out, Tensor):
        return out
    differentiable = (
        node is not None and id(out) not in node._non_differentiable and out._data.dtype in FLOATS
    )
    if any(out is x for x in inputs):
        out = out.detach() if out.requires_grad and not differentiable else view_of(out, out._data)
    if differentiable:
        out._grad_fn, out._requires_grad = node, True
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
    if not isinstance(grad, (Tensor, np.ndarray)):
        if not node._function.on_arrays or not isinstance(grad, np.generic):
            raise RuntimeError(f"expected Variable or None (got {type(grad).__name__})")
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
