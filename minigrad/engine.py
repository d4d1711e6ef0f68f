"""The backward pass: one iterative walk over the recorded graph.

``backward`` and ``autograd.grad`` both come here. The walk (``run_backward``):

1. count, for each node reachable from the outputs, how many edges lead into
   it (its dependencies);
2. start from the outputs' nodes with their gradients; a node runs once all
   gradients flowing into it have arrived and been summed (dependencies 0);
3. running a node calls its backward formula, which returns one gradient per
   input; each is added into the buffer of the node it flows to;
4. ``AccumulateGrad`` nodes add into the leaves' ``.grad``; non-leaf tensors
   pass gradients on without storing them (unless ``retain_grad()``).

Among ready nodes the most recently created runs first, as in PyTorch. No
recursion anywhere: a chain of a million nodes is fine. Unless the backward
is itself recorded (``create_graph=True``), gradients travel between nodes
as numpy arrays and become tensors only where you can see them. What the walk
does beside that (hooks and ``retain_grad``, filling ``.grad``, freeing what a
node saved, ``autograd.grad``'s capture) is each a small function below it.
"""

import collections
import concurrent.futures
import heapq
import itertools
import sys
import threading
import warnings

import numpy as np

from . import creation, views
from ._warn_once import warn_once
from .function import as_tensor, refuse_inference_write
from .grad_mode import _state, set_grad_enabled
from .graph import AccumulateGrad, anomaly_state, gradient_edge
from .tensor import Tensor, _wrap

Step = collections.namedtuple("Step", ["node", "grad_output", "grad_inputs"])


def run_backward(roots, grads, dependencies, retain_graph, create_graph, capture, on_step=None):
    """The walk from ``roots`` (a node and which of its outputs) with their gradients.

    ``capture`` (autograd.grad) takes gradients instead of accumulating them, and
    ``on_step`` (trace_backward) is told of every node run: ``loss.backward()`` has
    neither.

    Speed: a node that is the only one ready (most of a chain's) runs next without
    passing through the heap, which would give it next anyway: about 3% of the 4x4 add
    chain (benchmarks/README.md, "Speed copies re-measured").
    tests/unit/test_engine.py checks the order against PyTorch's.
    """
    buffers = {}  # node -> the gradients that reached it so far, summed
    for (node, nr), grad in zip(roots, grads):
        add_to_buffer(buffers, node, nr, grad)
    order = itertools.count()  # ties between ready nodes: first in, first out
    ready = [(-n._sequence_nr, next(order), n) for n in buffers if not dependencies.get(n)]
    heapq.heapify(ready)
    following = None  # a node that became ready while no other was: it runs next
    while ready or following is not None:
        node = following if following is not None else heapq.heappop(ready)[2]
        following = None
        grad = buffers.pop(node, None)  # None: no gradient reached it, yet it runs
        if node._pre_hooks or node._retained is not None:  # autograd.grad: only on its way
            if capture is None or node in capture.visited:
                grad = call_pre_hooks(node, grad)
        if capture is not None:
            # numpy's 0-d results are scalars: as one array, the gradient an input takes
            # is the one the node passes on (``t + 1``'s gradient is its input's, as PyTorch)
            grad = np.asarray(grad) if isinstance(grad, np.generic) else grad
            if capture.take(node, grad):
                continue  # no input of autograd.grad lies behind this node
        if node.__class__ is AccumulateGrad:
            accumulate(node.variable, grad, create_graph)
            grad_inputs = ()
        else:
            grad_inputs = call_node(node, grad, retain_graph)
        if on_step is not None:
            trace_step(on_step, node, grad, grad_inputs)
        for (child, nr), child_grad in zip(node.next_functions, grad_inputs):
            if child is None:
                continue
            if child_grad is not None and child._num_outputs == 1:  # gradients add up
                buffers[child] = buffers[child] + child_grad if child in buffers else child_grad
            elif child_grad is not None:  # a node with several outputs: a sum for each
                add_to_buffer(buffers, child, nr, child_grad)
            dependencies[child] -= 1
            if dependencies[child]:
                continue  # more gradients are to come
            if following is not None:  # two are ready now: both wait in the heap
                heapq.heappush(ready, (-following._sequence_nr, next(order), following))
            if ready:
                heapq.heappush(ready, (-child._sequence_nr, next(order), child))
                following = None
            else:  # the only node ready (most of a chain's): the heap would give it next
                following = child
        grad = grad_inputs = child_grad = None  # let go: the buffers hold what is needed


def count_dependencies(roots):
    """How many edges enter each node reachable from ``roots`` (an iterative DFS)."""
    dependencies, seen = {}, set(roots)
    stack = list(seen)
    while stack:
        for child, _ in stack.pop().next_functions:
            if child is not None:
                dependencies[child] = dependencies.get(child, 0) + 1
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
    return dependencies, seen


def add_to_buffer(buffers, node, nr, grad):
    """Sum the gradients arriving at output ``nr`` of ``node``, one per use of it.

    A node has one output, except a custom Function's with several: its buffer
    is then a list, one gradient per output (None until one arrives).
    """
    if grad is None:  # a start without a gradient (gradcheck tries that): the node runs
        buffers.setdefault(node, None if node._num_outputs == 1 else [None] * node._num_outputs)
        return
    if node._num_outputs == 1:
        buffers[node] = buffers[node] + grad if node in buffers else grad
        return
    grads = buffers.setdefault(node, [None] * node._num_outputs)
    grads[nr] = grad if grads[nr] is None else grads[nr] + grad


def call_node(node, grad, retain_graph):
    """Run one node's backward formula, then free what it saved (unless retained).

    The common case first: a built-in op's node given an array runs its formula on
    arrays (``FunctionCtx.__call__``'s steps for that case, without the call of a node
    object and the checks for the other cases: 0.4-0.5 us a node of the 4x4 op +
    backward chains). tests/unit/test_engine.py compares it with ``node(grad)``.
    """
    if grad is None and node._arrays_backward:
        # No gradient reached a built-in op: none goes on to its inputs, but as in PyTorch
        # what it saved is still checked (freed? changed in place?). (Your Function's
        # backward runs on zeros instead: see ``FunctionCtx.__call__``.)
        node.saved_tensors  # noqa: B018 - reading them is the check
        grad_inputs = (None,) * len(node.next_functions)
    else:
        try:
            if node._arrays_backward and not isinstance(grad, Tensor):  # Speed: written
                node._as_arrays = True  # here, not in a function of its own: a call fewer
                grad_inputs = node._function.backward(node, grad)  # a node (0.1 us)
                if grad_inputs.__class__ is not tuple:
                    grad_inputs = (grad_inputs,)
                if node._inputs is not None or len(grad_inputs) != len(node.needs_input_grad):
                    grad_inputs = node._check_gradients(grad_inputs)
            elif node._num_outputs == 1:
                grad_inputs = node(grad)
            else:  # one gradient per output
                grad_inputs = node(*(grad or [None] * node._num_outputs))
            if anomaly_state.enabled and anomaly_state.check_nan:
                check_nan(node, grad_inputs)
        except Exception:
            _blame(node)
            raise
    if not retain_graph and node._saved:
        node.release_saved()
    return grad_inputs


def check_nan(node, grad_inputs):
    """Anomaly mode: a gradient with nan in it is blamed on the node that returned it."""
    for i, g in enumerate(grad_inputs):
        if g is not None and np.isnan(g._data if isinstance(g, Tensor) else g).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


def _blame(node):
    """With anomaly detection on, point at the forward line that made a failing node."""
    stack = node.__dict__.get("_forward_stack")
    if stack:
        warnings.warn(
            f"Error detected in {node.name()}. Traceback of forward call that caused "
            f"the error:\n{stack}",
            UserWarning,
            stacklevel=4,
        )


def trace_step(on_step, node, grad, grad_inputs):
    """trace_backward's record of a node run (a leaf's only if a gradient reached it)."""
    if grad is None and node.__class__ is AccumulateGrad:
        return
    grad_output = tuple(map(as_tensor, grad)) if node._num_outputs > 1 else as_tensor(grad)
    on_step(Step(node, grad_output, tuple(as_tensor(g) for g in grad_inputs)))


def call_pre_hooks(node, grad):
    """Hooks registered on the node's output tensor, then ``retain_grad``.

    (A custom Function's node may have several outputs: each hook, and each
    retained tensor, belongs to one of them.)
    """
    grads = grad if node._num_outputs > 1 else [grad]
    for nr, hook in list((node._pre_hooks or {}).values()):  # in the order registered
        grads[nr] = call_hooks([hook], grads[nr])
    for nr, retained in (node._retained or {}).items():
        tensor = retained()  # a weak reference: the tensor may be gone
        if tensor is not None and grads[nr] is not None:
            store_retained_grad(tensor, grads[nr])
    return grads if node._num_outputs > 1 else grads[0]


def store_retained_grad(tensor, grad):
    """``retain_grad()``'s store: the first gradient copied into ``tensor.grad``, later
    ones added (out of place: the old ``.grad`` is left as it was)."""
    if tensor._grad is None:
        grad = as_tensor(grad)  # (recorded under create_graph: a clone)
        tensor._grad = grad.clone() if _state.grad_enabled else _wrap(np.array(grad._data))
    else:
        tensor._grad = tensor._grad + as_tensor(grad)


def call_hooks(hooks, grad):
    """Run gradient hooks in order; a hook may return a replacement: a tensor of the same
    dtype and size (PyTorch's checks, in its order and words)."""
    tensor = as_tensor(grad)
    for hook in hooks:
        result = hook(tensor)
        if result is None:
            continue
        name = getattr(hook, "__name__", "<unknown>")
        if tensor is None:
            raise RuntimeError("can't replace a None gradient with a non-None value")
        if not isinstance(result, Tensor):
            raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")
        if result.dtype != tensor.dtype:
            raise RuntimeError(
                f"hook '{name}' has changed the type of value (was "
                f"minigrad.{tensor.dtype.legacy_name} got minigrad.{result.dtype.legacy_name})"
            )
        if result.shape != tensor.shape:
            raise RuntimeError(f"hook '{name}' has changed the size of value")
        tensor = result
    return tensor if grad is None or isinstance(grad, Tensor) else tensor._data


def accumulate(leaf, grad, create_graph):
    """AccumulateGrad: the first gradient becomes ``leaf.grad``, later ones add up.

    The first is a new array (the engine may have passed the same gradient on
    elsewhere); the adding happens in place, unless the backward is recorded
    (create_graph).
    """
    if leaf._hooks:
        grad = call_hooks(list(leaf._hooks.values()), grad)
    if grad is None:
        return
    if leaf._grad_fn is not None:  # an in-place op since gave the leaf a history (as PyTorch)
        raise RuntimeError("leaf variable has been moved into the graph interior")
    if not leaf._requires_grad:  # switched off since
        return
    if create_graph:  # recorded, so that .grad itself can be differentiated
        grad = grad if grad.dtype is leaf.dtype else grad.to(leaf.dtype)
        if leaf._grad is None:
            leaf._grad = creation.zeros_like(leaf).copy_(grad)
        else:
            leaf._grad = leaf._grad + grad
        return
    accumulate_grad(leaf, grad)


def accumulate_grad(leaf, grad):
    """The first gradient becomes a new ``leaf.grad``; later ones are added into it, in
    place (its version goes up). ``grad`` is a tensor or an array; ``.grad`` keeps the
    leaf's dtype."""
    grad = grad._data if isinstance(grad, Tensor) else grad
    if leaf._grad is None:
        leaf._grad = _wrap(first_gradient(grad, leaf._data.dtype))
    else:  # (a .grad made in inference mode refuses it outside, once added: chapter 7)
        np.add(leaf._grad._data, grad, out=leaf._grad._data, casting="unsafe")
        refuse_inference_write(leaf._grad)
        leaf._grad._version_counter.value += 1


COUNTS_EVERY_REFERENCE = sys.implementation.name == "cpython" and sys.version_info < (3, 14)


def first_gradient(grad, dtype):
    """The array that becomes a leaf's first ``.grad``: a copy of ``grad`` in ``dtype``.

    Speed: when only the engine sees ``grad`` (``unshared``), it is kept instead of
    copied, as PyTorch's AccumulateGrad "steals" a gradient nobody else uses. The
    512x512 matmul benchmark pays a copy per leaf without it (1.39x numpy's time
    against 1.04x, fresh process).
    """
    if grad.dtype == dtype and unshared(grad, 5):
        return grad
    return np.array(grad, dtype=dtype)


def unshared(array, references):
    """True if only the engine sees ``array``: it owns its writable memory and has no
    references but the engine's own ``references`` (getrefcount's argument included).

    (``first_gradient`` asks, to keep a leaf's first gradient without a copy.)
    Only where every name holding an object counts in ``sys.getrefcount``: from
    Python 3.14 on, a local can be lent to a call without being counted, and a
    shared array could then look unshared, so there the answer is always False.
    """
    return (
        COUNTS_EVERY_REFERENCE
        and array.__class__ is np.ndarray
        and array.base is None
        and array.flags.writeable
        and sys.getrefcount(array) == references + 1
    )


class Capture:
    """What ``autograd.grad`` collects: the gradient arriving at each input's node (a
    leaf's AccumulateGrad, a non-leaf's grad_fn). Nodes from which no input can be
    reached are skipped, and no leaf's ``.grad`` is touched.

    ``visited``: the nodes the walk reaches, whose hooks run: those on the way to an
    input, the inputs' own, and a single output's node (PyTorch starts the walk there:
    its hooks run even when no input lies behind it)."""

    def __init__(self, inputs, nodes, into_grad=False, roots=()):
        self.into_grad = into_grad  # backward(inputs=...): into .grad, nothing captured
        self.grads = [None] * len(inputs)
        self.places = {}
        for i, t in enumerate(inputs):
            if not isinstance(t, Tensor):
                raise RuntimeError(
                    f"all inputs have to be Tensors or GradientEdges, but got {type(t).__name__}"
                )
            if not t.requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            node, nr = gradient_edge(t)  # a view made with grad mode off has none:
            self.places.setdefault(node or object(), []).append((i, nr))  # never reached
        self.needed = _nodes_leading_to([n for n in self.places if n in nodes], nodes)
        self.visited = self.needed | set(self.places) | {n for n, _ in roots if len(roots) == 1}

    def take(self, node, grad):
        """Keep ``grad`` if it belongs to an input; True if the node need not run.

        A leaf input's hooks run first, as they would before ``.grad`` is filled; so do a
        leaf output's (a visited leaf), with None if no gradient came.
        (``backward(inputs=...)``: an input leaf's AccumulateGrad runs.)
        """
        if self.into_grad and node in self.places:
            return node.__class__ is not AccumulateGrad and node not in self.needed
        if node.__class__ is AccumulateGrad and node in self.visited and node.variable._hooks:
            grad = call_hooks(list(node.variable._hooks.values()), grad)
        if node in self.places:
            for i, nr in self.places[node] if grad is not None else ():
                self.grads[i] = grad[nr] if node._num_outputs > 1 else grad
        return node.__class__ is AccumulateGrad or node not in self.needed

    def results(self, allow_unused, create_graph):
        for i, g in enumerate(self.grads):
            if g is None and not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior."
                )
        if create_graph:
            return tuple(self.grads)
        return _handed_out(self.grads)


def _handed_out(computed):
    """The gradients as autograd.grad returns them. The same gradient for two inputs (an
    add passes its gradient on unchanged) is one tensor, as in PyTorch. One that looks into another array (the
    backward of ``sum`` expands, of ``unsqueeze`` squeezes) is, as in PyTorch, a view,
    made with grad mode off. Gradients that look into the same memory (``x.T``'s is the
    transpose of ``x``'s) share their base, so an in-place change to one counts in the
    other's version, as in PyTorch."""
    tensors = {id(g): as_tensor(g).detach() for g in computed if g is not None}
    grads = [None if g is None else tensors[id(g)] for g in computed]
    bases = {id(g._data): g for g in grads if g is not None and g._data.base is None}
    for g in grads:
        if g is not None and g._data.base is not None:
            memory = id(_memory_owner(g._data))
            views.made_without_grad(g, bases.setdefault(memory, _wrap(g._data.base)))
    return tuple(grads)


def _memory_owner(array):
    """The object whose memory ``array`` looks into, at the end of numpy's chain of
    ``base`` (which stops early at an expanded array's helper object)."""
    while getattr(array, "base", None) is not None:
        array = array.base
    return array


def _nodes_leading_to(targets, nodes):
    """The nodes from which some target is reachable: the only ones autograd.grad runs
    (a target itself only if another target lies behind it)."""
    parents = collections.defaultdict(list)  # edges walked backwards
    for node in nodes:
        for child, _ in node.next_functions:
            if child is not None:
                parents[child].append(node)
    needed, stack = set(), list(targets)
    while stack:
        for parent in parents.get(stack.pop(), ()):
            if parent not in needed:
                needed.add(parent)
                stack.append(parent)
    return needed


def _make_root_grads(tensors, grad_tensors):
    """Pick the outputs' starting gradients (ones for a scalar), then check the outputs.

    In PyTorch's order: each gradient given against its output, their count, and
    then whether every output has a graph to walk back through.
    """
    grads = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not isinstance(t, Tensor):
            raise AssertionError("Expected output to be a minigrad.Tensor")
        if g is None:
            if t.requires_grad and t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = _wrap(np.ones_like(t._data))
        else:
            if not isinstance(g, Tensor):
                raise TypeError(
                    f"gradients can be either Tensors or None, but got {type(g).__name__}"
                )
            if g.shape != t.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape!r} and "
                    f"output[{i}] has a shape of {t.shape!r}."
                )
        grads.append(g)
    if len(grads) < len(tensors):  # (more gradients than outputs: the rest is ignored)
        raise RuntimeError(f"got {len(tensors)} tensors and {len(grads)} gradients")
    for i, t in enumerate(tensors):
        # (a view made with grad mode off requires grad, as its base does, but leads nowhere)
        if not t.requires_grad or t.grad_fn is None and not t._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
    return grads


class _Depth(threading.local):
    """How deeply backward calls nest in this thread (a backward run inside a backward)."""

    value = 0


_depth = _Depth()
MAX_DEPTH = 40  # nested deeper, a backward runs in a thread of its own (PyTorch: 60)


def execute(tensors, grads, retain_graph, create_graph, inputs=None, on_step=None, into_grad=False):
    """Run the walk from ``tensors`` (their starting gradients ``grads``, checked by
    ``_make_root_grads``) with grad mode set to ``create_graph``; returns the Capture of
    ``inputs`` (or None).

    A custom Function's backward (or a hook) may itself call backward. Each
    level costs Python stack, so past ``MAX_DEPTH`` levels the walk runs in a
    new thread, whose stack starts empty, as PyTorch's engine does: 2,000
    nested levels are fine. Its errors reach the caller.
    """
    if _depth.value >= MAX_DEPTH:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as thread:
            arguments = (tensors, grads, retain_graph, create_graph, inputs, on_step, into_grad)
            return thread.submit(execute, *arguments).result()
    roots = [gradient_edge(t) for t in tensors]
    dependencies, nodes = count_dependencies([node for node, _ in roots])
    capture = Capture(inputs, nodes, into_grad, roots) if inputs is not None else None
    if not create_graph:  # (None: no gradient at all, as gradcheck tries)
        grads = [None if g is None else g._data for g in grads]
    keep = create_graph if retain_graph is None else retain_graph
    _depth.value += 1
    try:  # grad mode is create_graph; inference mode stays (.grad made in it is one)
        with set_grad_enabled(bool(create_graph)):  # PyTorch gives inf and nan without a
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # warning
                run_backward(roots, grads, dependencies, keep, create_graph, capture, on_step)
    finally:
        _depth.value -= 1
    return capture


def _as_tuple(x):
    """A tensor, or a sequence of them, as a tuple (None raises PyTorch's TypeError, from
    ``tuple(None)``)."""
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _as_grads(grads, count):
    """The starting gradients given: None is None for every output."""
    return (None,) * count if grads is None else _as_tuple(grads)


def _as_inputs(inputs, function):
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError(f"`inputs` argument to `{function}()` cannot be empty.")
    return inputs


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Add the gradients of ``tensors`` with respect to the graph's leaves into ``.grad``.

    With ``inputs``, only those get a gradient: leaves in ``.grad``, and a non-leaf
    too (it retains its grad, as after ``retain_grad()``).
    """
    tensors = _as_tuple(tensors)
    inputs = None if inputs is None else _as_inputs(inputs, "backward")
    grads = _make_root_grads(tensors, _as_grads(grad_tensors, len(tensors)))
    if create_graph:
        warn_reference_cycle()
    for t in inputs or ():
        if isinstance(t, Tensor) and (t._grad_fn is not None or not t.requires_grad):
            t.retain_grad()  # (as PyTorch: it refuses a tensor that does not require grad)
    execute(tensors, grads, retain_graph, create_graph, inputs, into_grad=True)


def warn_reference_cycle():
    """PyTorch's warning, once per process (``set_warn_always(True)``: every time)."""
    warn_once(
        "Using backward() with create_graph=True will create a reference cycle between the "
        "parameter and its gradient which can cause a memory leak. We recommend using "
        "autograd.grad when creating the graph to avoid this. If you have to use this "
        "function, make sure to reset the .grad fields of your parameters to None after use "
        "to break the cycle and avoid the leak.",
        UserWarning,
        stacklevel=4,
    )


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=None,
    materialize_grads=False,
):
    """Return the gradients of ``outputs`` with respect to ``inputs``; ``.grad`` is untouched.

    ``materialize_grads=True``: zeros (requiring grad under ``create_graph``) instead of
    None for an input the outputs do not depend on.
    """
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, "
            "but got: allow_unused=False."
        )
    outputs, inputs = _as_tuple(outputs), _as_inputs(inputs, "grad")
    grads = _make_root_grads(outputs, _as_grads(grad_outputs, len(outputs)))
    capture = execute(outputs, grads, retain_graph, create_graph, inputs)
    result = capture.results(allow_unused or materialize_grads, create_graph)  # (None: False)
    if materialize_grads:
        result = tuple(
            _wrap(np.zeros_like(t._data)).requires_grad_(create_graph) if g is None else g
            for g, t in zip(result, inputs)
        )
    return result


def trace_backward(tensor, gradient=None, retain_graph=True):
    """Run a real backward and return its steps, in order, for teaching tools.

    Each step is ``Step(node, grad_output, grad_inputs)``: the gradient that
    flowed into the node and the gradients it sent on (one per input).
    """
    steps = []
    grads = _make_root_grads((tensor,), (gradient,))
    execute((tensor,), grads, retain_graph, False, on_step=steps.append)
    return steps
