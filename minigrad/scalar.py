"""Scalar: the whole autograd idea on single numbers (chapters 1 and 2).

Every operation computes its value and records a node that knows two things:
where gradients go next (``next_functions``) and the *local* derivatives,
written as a small function right beside the forward rule. ``backward`` sorts
the graph (iteratively: no recursion limit) and applies the chain rule from
the output back to the leaves. The rules are PyTorch's, the same as for
``Tensor``: only leaves that require grad keep ``.grad``; it accumulates;
nothing is recorded under ``no_grad()``; the graph is freed after backward.
"""

import math
import warnings

from .graph import _FREED_MESSAGE
from .ops.common import is_recording
from .tensor import _NON_LEAF_GRAD_WARNING


class ScalarNode:
    """A backward node: its name, the edges to its inputs' nodes, and the local
    derivatives ``backward_fn(grad) -> one gradient per input``."""

    __slots__ = ("_name", "backward_fn", "next_functions", "saves")

    def __init__(self, name, inputs, backward_fn, saves=True):
        self._name = name
        self.next_functions = tuple([_edge(x) for x in inputs])
        self.backward_fn = backward_fn
        self.saves = saves  # does backward_fn keep values of the forward? (add: no)

    def name(self):
        return self._name

    def __repr__(self):
        return f"<{self._name} object at {hex(id(self))}>"


class ScalarAccumulateGrad:
    """The end of the graph for a leaf: adds the gradient into ``variable.grad``."""

    __slots__ = ("variable",)
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "minigrad::autograd::AccumulateGrad"  # as PyTorch's "torch::autograd::..."

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


def _edge(x):
    if not x._requires_grad:
        return (None, 0)
    if x.grad_fn is not None:
        return (x.grad_fn, 0)
    if x._accumulator is None:
        x._accumulator = ScalarAccumulateGrad(x)
    return (x._accumulator, 0)


def _as_scalar(x):
    if x.__class__ is Scalar:  # the common case first: a class check is the cheapest test
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return Scalar(x)
    raise TypeError(f"unsupported operand type for Scalar: {type(x).__name__}")


class Scalar:
    """A number that can remember how it was computed."""

    __slots__ = ("_accumulator", "_grad", "_requires_grad", "data", "grad_fn")

    def __init__(self, data, requires_grad=False):
        # Every operation makes a Scalar from a float it computed: that case
        # skips the checks (a class test is the cheapest thing Python can do).
        if data.__class__ is not float:
            if isinstance(data, bool) or not isinstance(data, (int, float)):
                raise TypeError(f"Scalar expects a number, got {type(data).__name__}")
            data = float(data)
        self.data = data
        self._requires_grad = bool(requires_grad)
        self.grad_fn = None
        self._grad = None
        self._accumulator = None

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables."
                + (
                    ""
                    if value
                    else " If you want to use a computed variable in a subgraph that "
                    "doesn't require differentiation use var_no_grad = "
                    "var.detach()."
                )
            )
        self._requires_grad = bool(value)

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None:
            warnings.warn(_NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        self._grad = value

    def __repr__(self):
        extra = (
            f", grad_fn=<{self.grad_fn.name()}>"
            if self.grad_fn is not None
            else ", requires_grad=True"
            if self.requires_grad
            else ""
        )
        return f"Scalar({self.data:.4f}{extra})"

    def item(self):
        return self.data

    # --- recording --------------------------------------------------------
    def _result(self, value, name, inputs, backward_fn, saves=True):
        """The output of an op: recorded only if grad mode is on and an input needs grad."""
        out = Scalar(value)
        if is_recording(*inputs):  # the same rule as for tensors
            out._requires_grad = True
            out.grad_fn = ScalarNode(name, inputs, backward_fn, saves)
        return out

    # --- operations: the forward value, then the local derivatives ----------
    def __add__(self, other):
        other = _as_scalar(other)
        return self._result(
            self.data + other.data, "AddBackward0", (self, other), lambda g: (g, g), saves=False
        )

    def __sub__(self, other):
        other = _as_scalar(other)
        return self._result(
            self.data - other.data, "SubBackward0", (self, other), lambda g: (g, -g), saves=False
        )

    def __mul__(self, other):
        other = _as_scalar(other)
        a, b = self.data, other.data
        return self._result(a * b, "MulBackward0", (self, other), lambda g: (g * b, g * a))

    def __truediv__(self, other):
        other = _as_scalar(other)
        a, b = self.data, other.data
        return self._result(
            a / b, "DivBackward0", (self, other), lambda g: (g / b, -g * a / (b * b))
        )

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)):
            raise TypeError("Scalar ** only supports a number as the exponent")
        a = self.data
        return self._result(
            a**exponent, "PowBackward0", (self,), lambda g: (g * exponent * a ** (exponent - 1),)
        )

    def __neg__(self):
        return self._result(-self.data, "NegBackward0", (self,), lambda g: (-g,), saves=False)

    def reciprocal(self):
        r = 1 / self.data
        return self._result(r, "ReciprocalBackward0", (self,), lambda g: (-g * r * r,))

    def exp(self):
        e = math.exp(self.data)
        return self._result(e, "ExpBackward0", (self,), lambda g: (g * e,))

    def log(self):
        a = self.data
        return self._result(math.log(a), "LogBackward0", (self,), lambda g: (g / a,))

    def tanh(self):
        t = math.tanh(self.data)
        return self._result(t, "TanhBackward0", (self,), lambda g: (g * (1 - t * t),))

    def sigmoid(self):
        s = (
            1 / (1 + math.exp(-self.data))
            if self.data >= 0
            else (math.exp(self.data) / (1 + math.exp(self.data)))
        )
        return self._result(s, "SigmoidBackward0", (self,), lambda g: (g * s * (1 - s),))

    def relu(self):
        r = self.data if self.data > 0 else 0.0
        return self._result(r, "ReluBackward0", (self,), lambda g: (g if r > 0 else 0.0,))

    # reflected operators: one line each, in terms of the ones above
    def __radd__(self, other):
        return self + other

    def __rsub__(self, other):
        """number - s, recorded as PyTorch does (RsubBackward1: one input)."""
        return self._result(
            _as_scalar(other).data - self.data,
            "RsubBackward1",
            (self,),
            lambda g: (-g,),
            saves=False,
        )

    def __rmul__(self, other):
        return self * other

    def __rtruediv__(self, other):
        """number / s is computed as reciprocal(s) * number, as PyTorch does."""
        return self.reciprocal() * other

    # --- backward ----------------------------------------------------------
    def backward(self, retain_graph=False):
        """Fill ``.grad`` of every leaf that requires grad with d(self)/d(leaf)."""
        if not self._requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        root = _edge(self)[0]
        grads = {root: 1.0}
        for node in topological_order(root):
            grad = grads.pop(node, None)
            if grad is None:
                continue
            if node.__class__ is ScalarAccumulateGrad:
                leaf = node.variable
                leaf._grad = grad if leaf._grad is None else leaf._grad + grad
                continue
            if node.backward_fn is None:
                raise RuntimeError(_FREED_MESSAGE)
            for (child, _), child_grad in zip(node.next_functions, node.backward_fn(grad)):
                if child is not None:
                    grads[child] = grads.get(child, 0.0) + child_grad
            if not retain_graph and node.saves:
                node.backward_fn = None  # free the values the closure captured


def topological_order(root):
    """Nodes ordered so each comes before the nodes it sends gradients to.

    A depth-first search with an explicit stack (no recursion): a node is
    emitted after everything it leads to, and the list is then reversed.
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for child, _ in node.next_functions:
            if child is not None and child not in visited:
                stack.append((child, False))
    order.reverse()
    return order
