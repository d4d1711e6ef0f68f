"""Runners that let the learner's pieces work inside today's minigrad.

The learner writes pieces in the shape of chapter 10's protocol: a Function
with ``forward(ctx, ...)`` beside ``backward(ctx, grad)``, a backward loop
that calls ``node(grad)``. Today's minigrad records its nodes another way, so
these runners translate: they do for a learner's Function what the engine's
one ``Function.apply`` will do once the engine has a single seam (issue 13),
and they drive the engine's policies (hooks, retain_grad, autograd.grad's
capture, freeing saved tensors) around the learner's loop.

Everything here is scaffold, not a piece: the learner never writes it. When
the seam lands, most of this module goes away (see coursekit/BUILD.md,
"Seams the engine still needs").
"""

from __future__ import annotations

import numpy as np

from minigrad import engine, grad_mode, graph, scalar
from minigrad.creation import zeros_like
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


# --- chapter 02: the learner's backward loop drives the engine --------------------------


class ScalarStep:
    """A Scalar graph node as the learner's loop sees it: ``step(grad)`` runs it."""

    def __init__(self, node, walk):
        self.node, self._walk = node, walk

    @property
    def next_functions(self):
        return tuple(
            (None if child is None else self._walk.step(child), nr)
            for child, nr in self.node.next_functions
        )

    def name(self):
        return self.node.name()

    def __repr__(self):
        return repr(self.node)

    def __call__(self, grad):
        node = self.node
        if isinstance(node, scalar.ScalarAccumulateGrad):
            leaf = node.variable
            leaf._grad = grad if leaf._grad is None else leaf._grad + grad
            return ()
        if node.backward_fn is None:
            raise RuntimeError(graph._FREED_MESSAGE)
        grads = node.backward_fn(grad)
        if not self._walk.retain_graph and node.saves:
            node.backward_fn = None  # free the values the closure captured
        return grads


class ScalarWalk:
    def __init__(self, retain_graph):
        self.retain_graph = retain_graph
        self._steps = {}

    def step(self, node):
        if node not in self._steps:
            self._steps[node] = ScalarStep(node, self)
        return self._steps[node]


def scalar_backward(loop):
    """``Scalar.backward`` running the learner's loop."""

    def backward(self, retain_graph=False):
        if not self._requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        root = scalar._edge(self)[0]
        loop(ScalarWalk(retain_graph).step(root), 1.0)

    return backward


class Step:
    """A tensor graph node as the learner's loop sees it.

    ``step(grad)`` runs the node *with the engine's policies around it*: the
    hooks on its output and retain_grad (chapter 4), autograd.grad's capture
    and pruning, AccumulateGrad for a leaf, freeing the saved tensors after
    backward (unless retain_graph). The learner's loop decides the order and
    sums the gradients at fan-in; the engine does the rest.
    """

    def __init__(self, node, walk):
        self.node, self._walk = node, walk
        self._next = None

    @property
    def next_functions(self):
        if self._next is None:
            self._next = tuple(
                (None if child is None else self._walk.step(child), nr)
                for child, nr in self.node.next_functions
            )
        return self._next

    def name(self):
        return self.node.name()

    def __repr__(self):
        return repr(self.node)

    def __call__(self, grad):
        node, walk = self.node, self._walk
        if node._pre_hooks or node._retained is not None:
            grad = engine._call_pre_hooks(node, grad)  # hooks, then retain_grad
        for i in walk.capture_at.get(node, ()):
            walk.captured[i] = grad
        is_accumulator = node.__class__ is graph.AccumulateGrad
        if walk.needed is not None and (is_accumulator or node not in walk.needed):
            return (None,) * len(node.next_functions)
        if is_accumulator:
            if walk.accumulate:
                node.accumulate(grad, walk.create_graph)
                if walk.on_step is not None:
                    walk.on_step(engine.Step(node, grad, ()))
            return ()
        try:
            grads = node.apply(grad)
        except Exception:
            engine._blame(node)
            raise
        if walk.on_step is not None:
            walk.on_step(engine.Step(node, grad, tuple(grads)))
        if not walk.retain_graph and node._saved is not None:
            node.release_saved()
        return grads


class Roots:
    """Several outputs at once (``autograd.backward([y1, y2])``): one start node for the loop."""

    def __init__(self, steps):
        self.next_functions = tuple((step, 0) for step in steps)

    def name(self):
        return "Roots"

    def __call__(self, grads):
        return grads


class Walk:
    """One backward pass's settings, shared by its Steps."""

    def __init__(self, retain_graph, create_graph, accumulate, on_step):
        self.retain_graph, self.create_graph = retain_graph, create_graph
        self.accumulate, self.on_step = accumulate, on_step
        self.capture_at, self.captured, self.needed = {}, [], None
        self._steps = {}

    def step(self, node):
        if node not in self._steps:
            self._steps[node] = Step(node, self)
        return self._steps[node]


def tensor_run_backward(loop):
    """``minigrad.engine.run_backward`` running the learner's loop (same signature)."""

    def run_backward(
        tensors,
        grad_tensors,
        retain_graph,
        create_graph,
        inputs=None,
        allow_unused=False,
        accumulate=True,
        on_step=None,
    ):
        grads = engine._make_root_grads(tensors, grad_tensors)
        if retain_graph is None:
            retain_graph = create_graph
        roots = {}
        for t, g in zip(tensors, grads):
            node = engine._root_node(t)
            roots[node] = roots[node] + g if node in roots else g
        walk = Walk(retain_graph, create_graph, accumulate, on_step)
        if inputs is not None:
            _prepare_capture(walk, roots, inputs)
        if len(roots) == 1:
            ((node, grad),) = roots.items()
            start = walk.step(node)
        else:
            start, grad = Roots([walk.step(n) for n in roots]), tuple(roots.values())
        state = grad_mode._state
        previous = (state.grad_enabled, state.inference_mode)
        grad_mode._set_state(create_graph, False)
        try:
            loop(start, grad)
        finally:
            grad_mode._set_state(*previous)
        if inputs is None:
            return None
        return _captured(walk, allow_unused, create_graph)

    return run_backward


def _prepare_capture(walk, roots, inputs):
    """autograd.grad: where each input's gradient arrives, and which nodes lead there."""
    _, nodes = engine._count_dependencies(roots)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"all inputs have to be Tensors, but got {type(t).__name__}")
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
        walk.capture_at.setdefault(engine._root_node(t), []).append(i)
    walk.needed = engine._nodes_leading_to([n for n in walk.capture_at if n in nodes], nodes)
    walk.captured = [None] * len(inputs)


def _captured(walk, allow_unused, create_graph):
    for i, g in enumerate(walk.captured):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"The differentiated Tensor at index {i} appears to not have been used in the "
                "graph. Set allow_unused=True if this is the desired behavior."
            )
        if g is not None and not create_graph:
            walk.captured[i] = g.detach()
    return tuple(walk.captured)


# --- chapter 04: leaves and retain_grad -------------------------------------------------


def accumulate_with(accumulate_grad):
    """``AccumulateGrad.accumulate`` calling the learner's ``accumulate_grad``.

    The engine still runs the leaf's hooks and converts the dtype first; under
    ``create_graph=True`` it records the sum itself (chapter 10's business).
    """

    def accumulate(self, grad, create_graph, unshared=False):
        variable = self.variable
        if variable._hooks:
            grad = graph.call_hooks(variable._hooks, grad)
        if grad.dtype is not variable.dtype:
            grad = grad.to(variable.dtype)
        if not create_graph:
            accumulate_grad(variable, grad)
        elif variable._grad is None:
            variable._grad = zeros_like(variable).copy_(grad)  # recorded: .grad has a graph
        else:
            variable._grad = variable._grad + grad

    return accumulate


def pre_hooks_with(store_retained_grad):
    """The engine's pre-hook step: the tensor's hooks, then the learner's retain_grad store."""

    def call_pre_hooks(node, grad):
        if node._pre_hooks:
            grad = graph.call_hooks(node._pre_hooks, grad)
        if node._retained is not None:
            store_retained_grad(node._retained, grad)
        return grad

    return call_pre_hooks


# --- chapter 05 and 06 ------------------------------------------------------------------


def detach_with(detach):
    """``Tensor.detach`` calling the learner's; the inference flag (chapter 7) is copied."""

    def method(self):
        out = detach(self)
        if isinstance(out, Tensor):
            out._is_inference = self._is_inference
        return out

    method.__name__ = "detach"
    return method


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
        __slots__ = ("is_output", "tensor", "version", "yours")

        def __init__(self, tensor, is_output=False):
            if tensor._is_inference:
                raise RuntimeError(_INFERENCE_SAVED)
            self.version = tensor._version_counter.value
            self.is_output = is_output
            self.tensor = tensor._alias() if is_output else tensor
            self.yours = learner_class(self.tensor)

        def unpack(self, node):
            try:
                tensor = self.yours.unpack()
            except RuntimeError:
                raise RuntimeError(version_message(self, node)) from None
            if self.is_output:
                tensor = tensor._alias()
                tensor._grad_fn, tensor._requires_grad = node, True
            return tensor

    return SavedTensor


def version_message(saved, node):
    """PyTorch's text for a saved tensor changed in place, built from the facts."""
    tensor = saved.tensor
    producer = node if saved.is_output else tensor._grad_fn
    which = f", which is output 0 of {graph._op_name(producer)}," if producer is not None else ""
    return (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: {graph.tensor_description(tensor)}{which} is at version "
        f"{tensor._version_counter.value}; expected version {saved.version} instead. Hint: "
        "enable anomaly detection to find the operation that failed to compute its gradient, "
        "with minigrad.autograd.set_detect_anomaly(True, check_nan=False)."
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
