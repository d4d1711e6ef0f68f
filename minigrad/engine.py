"""The backward pass: one iterative walk over the recorded graph.

``backward`` and ``autograd.grad`` both come here. The walk:

1. find every node reachable from the outputs and count, for each node, how
   many edges lead into it (its dependencies);
2. start from the outputs' nodes with their gradients; a node runs once all
   gradients flowing into it have arrived and been summed (dependencies 0);
3. running a node calls its backward formula, which returns one gradient per
   input; each is added into the buffer of the node it flows to;
4. ``AccumulateGrad`` nodes add into the leaves' ``.grad``; non-leaf tensors
   pass gradients on without storing them (unless ``retain_grad()``).

Among ready nodes the most recently created runs first, as in PyTorch. No
recursion anywhere: a chain of a million nodes is fine.
"""

import collections
import heapq
import itertools
import sys
import warnings

import numpy as np

from .grad_mode import _set_state, _state
from .graph import AccumulateGrad, call_hooks, owns_its_memory
from .tensor import Tensor, _wrap

Step = collections.namedtuple("Step", ["node", "grad_output", "grad_inputs"])


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


def _make_root_grads(tensors, grad_tensors):
    """Check the outputs and pick their starting gradients (ones for a scalar)."""
    grads = []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t._requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = _wrap(np.ones_like(t._data))
        else:
            if not isinstance(g, Tensor):
                from .creation import tensor

                g = tensor(g, dtype=t.dtype)
            if g.shape != t.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape!r} and "
                    f"output[{i}] has a shape of {t.shape!r}."
                )
        grads.append(g)
    return grads


def _root_node(t):
    return t._grad_fn if t._grad_fn is not None else t._get_accumulator()


def _count_dependencies(roots):
    """How many edges enter each node reachable from ``roots`` (iterative DFS)."""
    dependencies = {}
    seen = set(roots)
    stack = list(seen)
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            dependencies[child] = dependencies.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return dependencies, seen


def _nodes_leading_to(targets, nodes):
    """The nodes from which some target is reachable (targets included)."""
    # Walk edges backwards: from each target to the nodes that point at it.
    parents = collections.defaultdict(list)
    for node in nodes:
        for child, _ in node.next_functions:
            if child is not None:
                parents[child].append(node)
    needed = set(targets)
    stack = list(targets)
    while stack:
        node = stack.pop()
        for parent in parents.get(node, ()):
            if parent not in needed:
                needed.add(parent)
                stack.append(parent)
    return needed


def _call_pre_hooks(node, grad):
    """Hooks registered on the node's output tensor, then retain_grad."""
    if node._pre_hooks:
        grad = call_hooks(node._pre_hooks, grad)
    retained = node._retained
    if retained is not None:
        if retained._grad is None:
            retained._grad = grad.detach().clone() if not _state.grad_enabled else grad.clone()
        else:
            retained._grad = retained._grad + grad
    return grad


def _add_to_buffer(buffers, node, grad, in_place):
    """Sum the gradients arriving at ``node`` (one per use of its output).

    The sum is made in place when nothing could tell: no graph is being
    recorded, the buffer holds the only reference to the partial sum (2,
    counting getrefcount's argument; counted before any name is bound to it)
    and its array is its own. Otherwise a new tensor. PyTorch's engine (its
    InputBuffer) makes the same choice.
    """
    if node not in buffers:
        buffers[node] = grad
        return
    if in_place and sys.getrefcount(buffers[node]) == 2:
        partial = buffers[node]
        if (
            not partial._requires_grad
            and owns_its_memory(partial)
            and partial._data.dtype is grad._data.dtype
            and partial._data.shape == grad._data.shape
        ):
            np.add(partial._data, grad._data, out=partial._data)
            return
    buffers[node] = buffers[node] + grad


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
    """The engine. Returns the gradients of ``inputs`` when ``accumulate`` is False
    (``autograd.grad``); otherwise adds into the leaves' ``.grad`` (``backward``)."""
    grads = _make_root_grads(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph

    roots = {}
    for t, g in zip(tensors, grads):
        node = _root_node(t)
        roots[node] = roots[node] + g if node in roots else g
    dependencies, nodes = _count_dependencies(roots)

    # What to capture (autograd.grad): a leaf's gradient arrives at its
    # AccumulateGrad node, a non-leaf's at its grad_fn.
    capture_at = {}
    if inputs is not None:
        for i, t in enumerate(inputs):
            if not isinstance(t, Tensor):
                raise TypeError(f"all inputs have to be Tensors, but got {type(t).__name__}")
            if not t._requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            capture_at.setdefault(_root_node(t), []).append(i)
        needed = _nodes_leading_to([n for n in capture_at if n in nodes], nodes)
    else:
        needed = None
    captured = [None] * (len(inputs) if inputs is not None else 0)

    buffers = dict(roots)
    # Ties (several AccumulateGrad nodes ready at once) go first in, first out.
    arrival = itertools.count()
    ready = [
        (-node._sequence_nr, next(arrival), node)
        for node in roots
        if dependencies.get(node, 0) == 0
    ]
    heapq.heapify(ready)
    # A leaf's first gradient is copied into .grad, unless nobody but the engine
    # can see it: then AccumulateGrad keeps it (PyTorch "steals" it too). Not when
    # hooks, tracing or autograd.grad may hold on to gradients.
    may_keep = accumulate and not create_graph and on_step is None and inputs is None
    previous_mode = (_state.grad_enabled, _state.inference_mode)
    _set_state(create_graph, False)
    try:
        while ready:
            node = heapq.heappop(ready)[2]
            is_accumulator = node.__class__ is AccumulateGrad
            # Only the buffer refers to it? (getrefcount counts its own argument too.)
            unshared = (
                may_keep
                and is_accumulator
                and not node._pre_hooks
                and sys.getrefcount(buffers.get(node)) == 2
            )
            grad = buffers.pop(node, None)
            if grad is not None and (node._pre_hooks or node._retained is not None):
                grad = _call_pre_hooks(node, grad)
            if capture_at and grad is not None and node in capture_at:
                for i in capture_at[node]:
                    captured[i] = grad
            if needed is not None and (is_accumulator or node not in needed):
                grad_inputs = ()
            elif is_accumulator:
                if grad is not None and accumulate:
                    node.accumulate(grad, create_graph, unshared)
                    if on_step is not None:
                        on_step(Step(node, grad, ()))
                continue
            elif grad is None:
                grad_inputs = (None,) * len(node.next_functions)
            else:
                try:
                    grad_inputs = node.apply(grad)
                except Exception:
                    _blame(node)
                    raise
                if on_step is not None:
                    on_step(Step(node, grad, tuple(grad_inputs)))
                if not retain_graph and node._saved is not None:
                    node.release_saved()
            for (child, _), child_grad in zip(node.next_functions, grad_inputs):
                if child is None:
                    continue
                if child_grad is not None:
                    _add_to_buffer(buffers, child, child_grad, not create_graph)
                remaining = dependencies[child] - 1
                dependencies[child] = remaining
                if remaining == 0:
                    heapq.heappush(ready, (-child._sequence_nr, next(arrival), child))
            # Let go of the gradients just passed on: the buffers now hold them, and
            # an unshared gradient must be seen to be unshared (see `unshared`).
            grad = grad_inputs = child_grad = None
    finally:
        _set_state(*previous_mode)

    if inputs is None:
        return None
    for i, g in enumerate(captured):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"The differentiated Tensor at index {i} appears to not have "
                "been used in the graph. Set allow_unused=True if this is the "
                "desired behavior."
            )
        if g is not None and not create_graph:
            captured[i] = g.detach()
    return tuple(captured)


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Add the gradients of ``tensors`` with respect to the graph's leaves into ``.grad``."""
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors) or (None,) * len(tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(
            "grad can be implicitly created only for scalar outputs"
            if not grad_tensors
            else f"got {len(grad_tensors)} tensors and {len(tensors)} gradients"
        )
    if create_graph:
        warnings.warn(
            "Using backward() with create_graph=True will create a reference cycle between the "
            "parameter and its gradient which can cause a memory leak. We recommend using "
            "autograd.grad when creating the graph to avoid this. If you have to use this "
            "function, make sure to reset the .grad fields of your parameters to None after use "
            "to break the cycle and avoid the leak.",
            UserWarning,
            stacklevel=3,
        )
    if inputs is not None:
        inputs = _as_tuple(inputs)
        found = run_backward(
            tensors,
            grad_tensors,
            retain_graph,
            create_graph,
            inputs=inputs,
            allow_unused=True,
            accumulate=False,
        )
        for t, g in zip(inputs, found):
            if g is not None:
                t._get_accumulator().accumulate(g, create_graph) if t.is_leaf else None
        return
    run_backward(tensors, grad_tensors, retain_graph, create_graph)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph=False,
    allow_unused=None,
    materialize_grads=False,
):
    """Return the gradients of ``outputs`` with respect to ``inputs``; ``.grad`` is untouched."""
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs) or (None,) * len(outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    result = run_backward(
        outputs,
        grad_outputs,
        retain_graph,
        create_graph,
        inputs=inputs,
        allow_unused=allow_unused,
        accumulate=False,
    )
    if materialize_grads:
        result = tuple(
            _wrap(np.zeros_like(t._data)) if g is None else g for g, t in zip(result, inputs)
        )
    return result


def trace_backward(tensor, gradient=None, retain_graph=True):
    """Run a real backward and return its steps, in order, for teaching tools.

    Each step is ``Step(node, grad_output, grad_inputs)``: the gradient that
    flowed into the node and the gradients it sent on (one per input).
    """
    steps = []
    run_backward((tensor,), (gradient,), retain_graph, False, on_step=steps.append)
    return steps
