"""A bare autograd engine on numpy: the floor for any engine written in Python.

Each result keeps its parents and a function from its gradient to theirs;
``backward`` sorts the graph and applies those functions. Nothing else: no
dtypes or broadcasting rules, no grad modes, no version counters or checks of
saved values, no hooks, no ``create_graph``, no freeing of the graph, no
``requires_grad`` bookkeeping beyond the leaves. It is not part of minigrad:
the ops benchmark runs it beside minigrad and PyTorch to show how much of
minigrad's time per op any Python engine pays, and how much buys behaving
like PyTorch.

Only what the benchmarks use: +, *, @, tanh and sum on same-shape arrays (the
ops benchmark), and linear, relu, log_softmax and nll_loss (the training
step, one op each where minigrad and PyTorch record one node). The backward
functions capture arrays, not the result, so a graph makes no reference cycle
(micrograd's closures do) and is freed at once.
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


def linear(x, w, b):
    """x @ w.T + b as one op (PyTorch's addmm). ``x`` may be a plain array: a
    constant input, which gets no gradient (as the data batch of a training step)."""
    xd, wd = (x.data, w.data) if isinstance(x, Bare) else (x, w.data)
    out = xd @ wd.T
    out += b.data
    if isinstance(x, Bare):
        return Bare(out, (x, w, b), lambda g: (g @ wd, g.T @ xd, g.sum(axis=0)))
    return Bare(out, (w, b), lambda g: (g.T @ xd, g.sum(axis=0)))


def relu(x):
    positive = x.data > 0
    return Bare(x.data * positive, (x,), lambda g: (g * positive,))


def log_softmax(x):
    """Along dim 1. Its backward: g - softmax(x) * (sum of g along dim 1)."""
    z = x.data - x.data.max(axis=1, keepdims=True)
    out = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return Bare(out, (x,), lambda g: (g - np.exp(out) * g.sum(axis=1, keepdims=True),))


def nll_loss(logp, labels):
    """mean over rows i of -logp[i, labels[i]]; its gradient is -1/n at those places."""
    rows, shape = np.arange(len(labels)), logp.data.shape

    def backward(g):
        grad = np.zeros(shape, dtype=logp.data.dtype)
        grad[rows, labels] = -g / len(labels)
        return (grad,)

    return Bare(np.asarray(-logp.data[rows, labels].mean()), (logp,), backward)


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
