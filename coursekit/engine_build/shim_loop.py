"""The learner's backward loop, driving minigrad's real nodes.

The learner's ``run_backward(root, grad)`` decides the order and sums the
gradients at fan-in; it calls ``node(grad)`` for each node. The nodes it is
given are :class:`Step` objects: calling one runs the real node with the
engine's own per-node work around it (``engine.call_pre_hooks``,
autograd.grad's capture, ``engine.accumulate`` for a leaf, ``engine.call_node``,
``engine.trace_step``), the very functions minigrad's own loop calls. Scaffold,
not a piece.
"""

from __future__ import annotations

from minigrad import engine, graph, scalar


class Step:
    """A graph node as the learner's loop sees it: ``step(grad)`` runs it,
    ``step.next_functions`` are Steps too."""

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
        return self._walk.run(self.node, grad)

    def __getattr__(self, name):  # only for what a Step does not have
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"a node in run_backward has no attribute {name!r}: call the node itself, "
            "node(grad), which runs its backward (a leaf's node fills .grad) and returns one "
            "gradient per edge of node.next_functions"
        )


class Walk:
    """One backward pass: its settings, and one Step per node."""

    def __init__(self, retain_graph, create_graph=False, capture=None, on_step=None):
        self.retain_graph, self.create_graph = retain_graph, create_graph
        self.capture, self.on_step = capture, on_step
        self._steps = {}

    def step(self, node):
        if node not in self._steps:
            self._steps[node] = Step(node, self)
        return self._steps[node]

    def run(self, node, grad):
        """What minigrad's own loop (``engine.run_backward``) does for one node."""
        if isinstance(grad, Outputs):
            grad = grad.grads
        if self.capture is not None and node not in self.capture.visited:
            return (None,) * len(node.next_functions)  # autograd.grad's walk never reaches it
        if node._pre_hooks or node._retained is not None:
            grad = engine.call_pre_hooks(node, grad)
        if self.capture is not None and self.capture.take(node, grad):
            return (None,) * len(node.next_functions)  # autograd.grad: no input lies behind
        if node.__class__ is graph.AccumulateGrad:
            engine.accumulate(node.variable, grad, self.create_graph)
            grads = ()
        else:
            grads = engine.call_node(node, grad, self.retain_graph)
        if self.on_step is not None:
            engine.trace_step(self.on_step, node, grad, grads)
        if node.__class__ is graph.AccumulateGrad:
            return ()
        return [Outputs.one(child, nr, g) for (child, nr), g in zip(node.next_functions, grads)]


class Outputs:
    """The gradients of a node with several outputs (a custom Function's), one per output:
    what reaches one output adds up with what reaches another under ``+``, so the
    learner's loop sums them as any other gradient."""

    def __init__(self, grads):
        self.grads = grads

    @classmethod
    def one(cls, child, nr, grad):
        if grad is None or child is None or child._num_outputs == 1:
            return grad
        grads = [None] * child._num_outputs
        grads[nr] = grad
        return cls(grads)

    def __add__(self, other):
        return Outputs(
            [a if b is None else b if a is None else a + b for a, b in zip(self.grads, other.grads)]
        )


class ScalarWalk(Walk):
    def run(self, node, grad):
        if grad is None:  # minigrad.scalar.run_backward skips a node nothing reached
            return (None,) * len(node.next_functions)
        return scalar.call_node(node, grad, self.retain_graph)


class Roots:
    """Several outputs at once (``autograd.backward([y1, y2])``): one start node."""

    def __init__(self, steps):
        self.next_functions = tuple((step, 0) for step in steps)

    def name(self):
        return "Roots"

    def __call__(self, grads):
        return grads


def scalar_loop(loop):
    """``minigrad.scalar.run_backward`` running the learner's loop."""

    def run_backward(root, grad, retain_graph=False):
        loop(ScalarWalk(retain_graph).step(root), grad)

    return run_backward


def tensor_loop(loop):
    """``minigrad.engine.run_backward`` running the learner's loop (same signature)."""

    def run_backward(roots, grads, dependencies, retain_graph, create_graph, capture, on_step=None):
        walk = Walk(retain_graph, create_graph, capture, on_step)
        summed = {}
        for (node, nr), grad in zip(roots, grads):
            engine.add_to_buffer(summed, node, nr, grad)
        summed = {n: Outputs(g) if n._num_outputs > 1 else g for n, g in summed.items()}
        if len(summed) == 1:
            ((node, grad),) = summed.items()
            loop(walk.step(node), grad)
        else:
            loop(Roots([walk.step(n) for n in summed]), tuple(summed.values()))

    return run_backward
