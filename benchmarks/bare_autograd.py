"""A bare autograd engine on numpy: the floor for any engine written in Python.

Each result keeps its parents and a function from its gradient to theirs;
``backward`` sorts the graph and applies those functions. Nothing else: no
dtypes or broadcasting rules, no grad modes, no version counters or checks of
saved values, no hooks, no ``create_graph``, no freeing of the graph, no
``requires_grad`` bookkeeping beyond the leaves. It is not part of minigrad:
the ops benchmark runs it beside minigrad and PyTorch to show how much of
minigrad's time per op any Python engine pays, and how much buys behaving
like PyTorch.

Only what the ops benchmark uses: +, *, @, tanh and sum, on same-shape arrays.
The backward functions capture the input *arrays*, not the result, so a graph
makes no reference cycle (micrograd's closures do) and is freed at once.
"""

import numpy as np


class Bare:
    __slots__ = ("backward_fn", "data", "grad", "parents")

    def __init__(self, data, parents=(), backward_fn=None):
        self.data = data
        self.grad = None
        self.parents = parents
        self.backward_fn = backward_fn  # None for a leaf

    def __add__(self, other):
        return Bare(self.data + other.data, (self, other), _pass_to_both)

    def __mul__(self, other):
        a, b = self.data, other.data
        return Bare(a * b, (self, other), lambda g: (g * b, g * a))

    def __matmul__(self, other):
        a, b = self.data, other.data
        return Bare(a @ b, (self, other), lambda g: (g @ b.T, a.T @ g))

    def sum(self):
        shape = self.data.shape
        return Bare(self.data.sum(), (self,), lambda g: (np.broadcast_to(g, shape),))

    def backward(self):
        """Add d(self)/d(leaf) into every leaf's ``.grad``."""
        grads = {self: np.ones_like(self.data)}
        for node in _topological_order(self):
            grad = grads.pop(node)
            if node.backward_fn is None:
                node.grad = grad if node.grad is None else node.grad + grad
                continue
            for parent, parent_grad in zip(node.parents, node.backward_fn(grad)):
                waiting = grads.get(parent)
                grads[parent] = parent_grad if waiting is None else waiting + parent_grad


def tanh(x):
    t = np.tanh(x.data)
    return Bare(t, (x,), lambda g: (g * (1 - t * t),))


def _pass_to_both(g):
    return g, g


def _topological_order(root):
    """Every node before the nodes it sends gradients to (explicit stack, no recursion)."""
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents if parent not in visited)
    order.reverse()
    return order
