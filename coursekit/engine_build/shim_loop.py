"""The learner's backward loop, driving today's minigrad engine.

The learner's ``run_backward(root, grad)`` decides the order and sums the
gradients at fan-in; it calls ``node(grad)`` for each node. The nodes it is
given are :class:`Step` objects: calling one runs the real node *with the
engine's policies around it* (hooks, retain_grad, autograd.grad's capture and
pruning, AccumulateGrad, freeing saved tensors). Scaffold, not a piece.
"""

from __future__ import annotations

from minigrad import engine, grad_mode, graph, scalar
from minigrad.tensor import Tensor


class ScalarStep:
    """A Scalar graph node as the learner's loop sees it: ``step(grad)`` runs it."""

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
