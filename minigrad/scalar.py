"""Scalar: the whole autograd idea on single numbers (chapters 1 and 2).

Every operation is a Function: ``forward(ctx, a, b)`` computes the value from
plain floats and saves what the derivative needs; ``backward(ctx, grad)``
beside it returns one gradient per input (the chain rule, one step). The
same shape serves ``Tensor`` (``minigrad/ops``) and your own Functions
(chapter 10). ``Function.apply`` records the node, ``Scalar.backward`` sorts
the graph (iteratively: no recursion limit) and applies the chain rule from
the output back to the leaves. The rules are PyTorch's, as for ``Tensor``:
only leaves that require grad keep ``.grad``; it accumulates; nothing is
recorded under ``no_grad()``; what the graph saved is freed by backward.
"""

import math
import warnings

from .function import is_recording
from .graph import FREED_MESSAGE
from .tensor import _NON_LEAF_GRAD_WARNING, non_leaf_flag_error

_FREED = object()  # what a node's saved values become once backward has used them
NO_EDGE = (None, 0)  # the edge to an input that does not require grad: no path leads there


class ScalarNode:
    """A recorded operation: the ``ctx`` of its Function and the result's ``grad_fn``.

    It holds the edges to its inputs' nodes (``next_functions``) and what forward
    saved for the local derivatives, ``backward_fn(grad)``.
    """

    __slots__ = ("function", "next_functions", "saved")

    def __init__(self, function):
        self.function = function
        self.saved = None

    def name(self):
        function = self.function  # PyTorch's name for most ops: MulBackward0 for Mul
        return function.node_name or f"{function.__name__}Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    def save_for_backward(self, *values):
        self.saved = values

    @property
    def saved_tensors(self):  # PyTorch's name, kept although these are floats
        if self.saved is _FREED:
            raise RuntimeError(FREED_MESSAGE)
        return self.saved

    def backward_fn(self, grad):
        """The local rule: the gradient of each input, from the result's gradient."""
        return self.function.backward(self, grad)


class Function:
    """An operation on Scalars: ``forward`` on floats beside ``backward``."""

    node_name = None  # the node's name, if not "<Class>Backward0" (Rsub's is RsubBackward1)

    @classmethod
    def apply(cls, *inputs, **options):
        """Compute the result; record a node if grad mode is on and some input requires grad.

        Inputs are Scalars (forward gets their floats); options such as an exponent
        are passed on as they are, and get no edge in the graph.
        """
        ctx = ScalarNode(cls)
        values, edges = [], []  # the numbers forward gets; the edges a node would keep
        for x in inputs:
            values.append(x.data)
            edges.append(x._edge)
        out = Scalar(cls.forward(ctx, *values, **options))
        if is_recording(inputs):  # the same rule as for tensors
            ctx.next_functions = tuple(edges)
            out._requires_grad = True
            out.grad_fn = ctx
            out._edge = (ctx, 0)  # what a node that takes ``out`` as input will point at
        return out


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


# --- the operations: forward on floats, backward beside it ---------------------------
class Add(Function):
    def forward(ctx, a, b):
        return a + b

    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    def forward(ctx, a, b):
        return a - b

    def backward(ctx, grad):
        return grad, -grad


class Rsub(Function):
    """number - s, recorded as PyTorch does: RsubBackward1, one input."""

    node_name = "RsubBackward1"

    def forward(ctx, a, number):
        return number - a

    def backward(ctx, grad):
        return (-grad,)


class Mul(Function):
    """a * b: each input's gradient is grad times the *other* input."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a


class Div(Function):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad / b, -grad * a / (b * b)


class Pow(Function):
    """a ** n for a number n: d/da = n * a**(n-1)."""

    def forward(ctx, a, n):
        ctx.save_for_backward(a, n)
        return a**n

    def backward(ctx, grad):
        a, n = ctx.saved_tensors
        return (grad * n * a ** (n - 1),)


class Neg(Function):
    def forward(ctx, a):
        return -a

    def backward(ctx, grad):
        return (-grad,)


class Reciprocal(Function):
    def forward(ctx, a):
        r = 1 / a
        ctx.save_for_backward(r)
        return r

    def backward(ctx, grad):
        (r,) = ctx.saved_tensors
        return (-grad * r * r,)


class Exp(Function):
    """d(e**a)/da = e**a: the backward reuses the result."""

    def forward(ctx, a):
        e = math.exp(a)
        ctx.save_for_backward(e)
        return e

    def backward(ctx, grad):
        (e,) = ctx.saved_tensors
        return (grad * e,)


class Log(Function):
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return math.log(a)

    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return (grad / a,)


class Tanh(Function):
    def forward(ctx, a):
        t = math.tanh(a)
        ctx.save_for_backward(t)
        return t

    def backward(ctx, grad):
        (t,) = ctx.saved_tensors
        return (grad * (1 - t * t),)


class Sigmoid(Function):
    def forward(ctx, a):
        s = 1 / (1 + math.exp(-a)) if a >= 0 else math.exp(a) / (1 + math.exp(a))
        ctx.save_for_backward(s)
        return s

    def backward(ctx, grad):
        (s,) = ctx.saved_tensors
        return (grad * s * (1 - s),)


class Relu(Function):
    def forward(ctx, a):
        r = a if a > 0 else 0.0
        ctx.save_for_backward(r)
        return r

    def backward(ctx, grad):
        (r,) = ctx.saved_tensors
        return (grad if r > 0 else 0.0,)


def _as_scalar(x):
    if x.__class__ is Scalar:  # the common case first: a class check is the cheapest test
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return Scalar(x)
    raise TypeError(f"unsupported operand type for Scalar: {type(x).__name__}")


class Scalar:
    """A number that can remember how it was computed."""

    __slots__ = ("_accumulator", "_edge", "_grad", "_requires_grad", "data", "grad_fn")
    _view = None  # never a view of another's memory: is_recording's getattr finds this

    def __init__(self, data, requires_grad=False):
        # Every operation makes a Scalar from a float it computed: that case
        # skips the checks (a class test is the cheapest thing Python can do).
        if data.__class__ is not float:
            if isinstance(data, bool) or not isinstance(data, (int, float)):
                raise TypeError(f"Scalar expects a number, got {type(data).__name__}")
            data = float(data)
        self.data = data
        self.grad_fn = None
        self._grad = None
        self._accumulator = None
        # _edge: where a gradient for this Scalar goes, the entry a node that takes it
        # as input puts in its next_functions. Nowhere, unless it requires grad.
        self._requires_grad, self._edge = False, NO_EDGE
        if requires_grad:
            self.requires_grad = True

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None:
            raise non_leaf_flag_error(value)
        self._requires_grad = bool(value)
        self._edge = NO_EDGE
        if value:  # a leaf's gradient goes to its AccumulateGrad node, made once
            if self._accumulator is None:
                self._accumulator = ScalarAccumulateGrad(self)
            self._edge = (self._accumulator, 0)

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
        extra = ""
        if self.grad_fn is not None:
            extra = f", grad_fn=<{self.grad_fn.name()}>"
        elif self.requires_grad:
            extra = ", requires_grad=True"
        return f"Scalar({self.data:.4f}{extra})"

    def item(self):
        return self.data

    # --- operators: each one line, the Functions above do the work -------------
    # fmt: off
    def __add__(self, other): return Add.apply(self, _as_scalar(other))
    def __sub__(self, other): return Sub.apply(self, _as_scalar(other))
    def __rsub__(self, other): return Rsub.apply(self, number=_as_scalar(other).data)
    def __mul__(self, other): return Mul.apply(self, _as_scalar(other))
    def __truediv__(self, other): return Div.apply(self, _as_scalar(other))
    __radd__, __rmul__ = __add__, __mul__  # a + b == b + a, a * b == b * a

    def __rtruediv__(self, other):
        """number / s is computed as reciprocal(s) * number, as PyTorch does."""
        return self.reciprocal() * other

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)):
            raise TypeError("Scalar ** only supports a number as the exponent")
        return Pow.apply(self, n=exponent)

    def __neg__(self): return Neg.apply(self)
    def reciprocal(self): return Reciprocal.apply(self)
    def exp(self): return Exp.apply(self)
    def log(self): return Log.apply(self)
    def tanh(self): return Tanh.apply(self)
    def sigmoid(self): return Sigmoid.apply(self)
    def relu(self): return Relu.apply(self)
    # fmt: on

    # --- backward ----------------------------------------------------------
    def backward(self, retain_graph=False):
        """Fill ``.grad`` of every leaf that requires grad with d(self)/d(leaf)."""
        if not self._requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        run_backward(self._edge[0], 1.0, retain_graph)


def run_backward(root, grad, retain_graph=False):
    """The backward loop: each node, in topological order, runs once with the sum of
    the gradients that reached it, and passes one gradient to each of its inputs."""
    grads = {root: grad}
    for node in topological_order(root):
        grad = grads.pop(node, None)
        if grad is None:
            continue
        for (child, _), child_grad in zip(node.next_functions, call_node(node, grad, retain_graph)):
            if child is not None:
                grads[child] = grads.get(child, 0.0) + child_grad


def call_node(node, grad, retain_graph):
    """Run one node: a leaf's accumulator adds ``grad`` into ``.grad``; any other node
    returns one gradient per input and frees what it saved (unless ``retain_graph``)."""
    if node.__class__ is ScalarAccumulateGrad:
        leaf = node.variable
        leaf._grad = grad if leaf._grad is None else leaf._grad + grad
        return ()
    grads = node.backward_fn(grad)
    if not retain_graph and node.saved is not None:
        node.saved = _FREED  # free what forward saved
    return grads


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
