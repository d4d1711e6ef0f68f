"""What each piece's check tries, and the check itself.

A check runs small programs on the learner's engine with the piece installed
and minigrad's own code for it switched off (``BOARD.trial``). Most programs
are also run on minigrad's own engine, which is held to PyTorch by the
recorded parity tests, and the two runs must observe the same things; a few
judge the piece directly (a topological order has many right answers).

``check(piece_id, obj)`` returns a :class:`Verdict`; it never raises for
anything the learner's code does.
"""

from __future__ import annotations

import linecache
import math
import sys
import threading
import traceback
import types
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad import grad_mode

from . import guard, pieces
from .switchboard import BOARD

RTOL, ATOL = 1e-5, 1e-6


class Mismatch(Exception):
    """A direct program found the piece wrong; the message says how."""


@dataclass(frozen=True)
class Case:
    label: str
    program: object  # program(piece) -> plain data, or raises Mismatch (direct)
    direct: bool = False


@dataclass(frozen=True)
class Verdict:
    """A check's result: ``status`` is passed, failed, not-implemented or refused."""

    piece_id: str
    status: str
    message: str
    cases: int = 0

    @property
    def passed(self) -> bool:
        return self.status == "passed"


CASES: dict = {}


def case(piece_id, label, direct=False):
    """Register a program as one case of a piece's check."""

    def register(program):
        CASES.setdefault(piece_id, []).append(Case(label, program, direct))
        return program

    return register


# --- what programs observe: plain data ------------------------------------------------


def node_names(node, depth=3):
    """``['MulBackward0', [['AccumulateGrad'], None]]``: a node and where its edges go."""
    if node is None:
        return None
    name = node.name().rsplit("::", 1)[-1]
    if depth == 0:
        return [name]
    return [name, [node_names(child, depth - 1) for child, _ in node.next_functions]]


def facts(t):
    """What a tensor shows: values, dtype, shape, requires_grad, is_leaf, grad_fn."""
    return {
        "value": t.tolist(),
        "dtype": str(t.dtype),
        "shape": list(t.shape),
        "requires_grad": t.requires_grad,
        "is_leaf": t.is_leaf,
        "grad_fn": node_names(t.grad_fn, 2),
    }


def grad(t):
    """``t.grad`` as values (None if none), without the warning for non-leaves."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = t.grad
    return None if g is None else g.tolist()


def error(fn):
    """``[type, message]`` of what ``fn()`` raises, or None."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the error is the observation
        return [type(exc).__name__, str(exc)]
    return None


def saved_names(node):
    return sorted(n for n in dir(node) if n.startswith("_saved_"))


def leaf(values, dtype=None):
    return mg.tensor(values, dtype=dtype, requires_grad=True)


# === chapter 01: Scalar Functions =========================================================

S = mg.Scalar


def _scalar_run(expression, *values):
    leaves = [S(v, requires_grad=True) for v in values]
    out = expression(*leaves)
    out.backward()
    return {
        "value": out.data,
        "grad_fn": node_names(out.grad_fn),
        "grads": [x.grad for x in leaves],
    }


@case("ch01.Add", "c = a + b, then backward")
def _(piece):
    return _scalar_run(lambda a, b: a + b, 2.0, -3.0)


@case("ch01.Add", "y = x + x: one input used twice")
def _(piece):
    return _scalar_run(lambda x: x + x, 1.5)


@case("ch01.Add", "a + 2.5 and 2.5 + a: a number as an input")
def _(piece):
    return _scalar_run(lambda a: (a + 2.5) + (2.5 + a), 1.0)


@case("ch01.Add", "backward twice: an addition saves nothing, so it can run again")
def _(piece):
    a, b = S(1.0, requires_grad=True), S(2.0, requires_grad=True)
    y = a + b
    y.backward()
    return {"second backward": error(y.backward), "a.grad": a.grad}


@case("ch01.Add", "no recording: no input requires grad, or inside no_grad()")
def _(piece):
    plain = S(1.0) + S(2.0)
    with mg.no_grad():
        off = S(1.0, requires_grad=True) + S(2.0)
    return [[r.data, r.requires_grad, r.grad_fn is None] for r in (plain, off)]


@case("ch01.Mul", "c = a * b, then backward")
def _(piece):
    return _scalar_run(lambda a, b: a * b, 2.0, -3.0)


@case("ch01.Mul", "y = x * x: each use of x gets a gradient")
def _(piece):
    return _scalar_run(lambda x: x * x, 1.5)


@case("ch01.Mul", "a * 3 and 3 * a: a number as an input")
def _(piece):
    return _scalar_run(lambda a: (a * 3.0) * (3.0 * a), -0.5)


@case("ch01.Mul", "L = a * (a + b) * b: the chain rule through several nodes")
def _(piece):
    return _scalar_run(lambda a, b: a * (a + b) * b, 2.0, -1.5)


@case("ch01.Mul", "backward twice: the saved inputs are freed after the first")
def _(piece):
    a, b = S(1.0, requires_grad=True), S(2.0, requires_grad=True)
    y = a * b
    y.backward()
    return {"second backward": error(y.backward), "a.grad": a.grad}


@case("ch01.Mul", "no recording inside no_grad()")
def _(piece):
    with mg.no_grad():
        r = S(2.0, requires_grad=True) * S(3.0)
    return [r.data, r.requires_grad, r.grad_fn is None]


@case("ch01.Tanh", "t = a.tanh(), then backward")
def _(piece):
    return [_scalar_run(lambda a: a.tanh(), v) for v in (0.0, 0.7, -2.0)]


@case("ch01.Tanh", "tanh inside a larger expression: (a * b).tanh() + a")
def _(piece):
    return _scalar_run(lambda a, b: (a * b).tanh() + a, 0.5, -1.2)


@case("ch01.Tanh", "backward twice: the saved result is freed after the first")
def _(piece):
    a = S(0.3, requires_grad=True)
    y = a.tanh()
    y.backward()
    return {"second backward": error(y.backward), "a.grad": a.grad}


# === chapter 02: the walk and the loop ====================================================


def _reachable(root):
    seen, stack = {root}, [root]
    while stack:
        for child, _ in stack.pop().next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def _judge_order(order, root):
    if not isinstance(order, (list, tuple)):
        raise Mismatch(f"expected a list of nodes, got {type(order).__name__}")
    want = _reachable(root)
    if len(order) != len(set(map(id, order))):
        raise Mismatch("a node appears twice in your order: list each node once")
    missing = [n for n in want if n not in set(order)]
    if missing:
        raise Mismatch(f"{len(missing)} reachable node(s) are missing, e.g. {missing[0].name()}")
    if len(order) != len(want):
        raise Mismatch("your order holds nodes that cannot be reached from the root")
    if order[0] is not root:
        raise Mismatch(f"the root must come first, got {order[0].name()} first")
    place = {id(node): i for i, node in enumerate(order)}
    for node in order:
        for child, _ in node.next_functions:
            if child is not None and place[id(child)] < place[id(node)]:
                raise Mismatch(
                    f"{child.name()} comes before {node.name()}, which sends it gradients: "
                    "a node must come before the nodes in its next_functions"
                )


@case("ch02.topological_order", "a diamond: d = a * b; e = (d + a) * d", direct=True)
def _(piece):
    a, b = S(2.0, requires_grad=True), S(3.0, requires_grad=True)
    d = a * b
    root = ((d + a) * d).grad_fn
    _judge_order(piece(root), root)


@case("ch02.topological_order", "a chain of 3000 nodes (no recursion)", direct=True)
def _(piece):
    x = S(1.0, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    _judge_order(piece(y.grad_fn), y.grad_fn)


@case("ch02.topological_order", "Scalar.backward walks your order: L = a * (a + b) * b")
def _(piece):
    return _scalar_run(lambda a, b: a * (a + b) * b, 2.0, -1.5)


@case("ch02.run_backward", "Scalar: L = a * (a + b) * b (gradients meet at a and b)")
def _(piece):
    return _scalar_run(lambda a, b: a * (a + b) * b, 2.0, -1.5)


@case("ch02.run_backward", "Scalar: a chain of 3000 nodes")
def _(piece):
    return _scalar_run(lambda x: _chain(x, 3000), 1.0)


def _chain(x, n):
    for _ in range(n):
        x = x * 1.0001
    return x


@case("ch02.run_backward", "Scalar: backward twice, then with retain_graph=True")
def _(piece):
    a = S(1.5, requires_grad=True)
    y = a * a + a
    y.backward(retain_graph=True)
    y.backward()
    return {"third backward": error(y.backward), "a.grad": a.grad}


@case("ch02.run_backward", "tensors: c = a * b; d = c * c + c; each node runs once")
def _(piece):
    a, b = leaf([1.0, 2.0]), leaf([3.0, -1.0])
    calls = []
    c = a * b
    c.register_hook(lambda g: calls.append(g.tolist()))
    (c * c + c).sum().backward()
    return {"hook calls": calls, "a.grad": grad(a), "b.grad": grad(b)}


@case("ch02.run_backward", "tensors: sum(mm(x, y)) and autograd.grad")
def _(piece):
    x = mg.arange(6.0).view(2, 3)
    y = leaf([[0.5, -1.0], [2.0, 0.0], [1.0, 1.0]])
    z = mg.sum(mg.mm(x, y) * mg.mm(x, y))
    (gy,) = mg.autograd.grad(z, y, retain_graph=True)
    z.backward()
    return {"autograd.grad": gy.tolist(), "y.grad": grad(y), "x.grad": grad(x)}


@case("ch02.run_backward", "tensors: backward from two outputs at once")
def _(piece):
    a = leaf([1.0, 2.0])
    y1, y2 = (a * a).sum(), (a * 3.0).sum()
    mg.autograd.backward([y1, y2])
    return grad(a)


# === chapter 03: tensors ===================================================================


def _mul_run(a_values, b_values, a_grad=True, b_grad=True):
    a = mg.tensor(a_values, requires_grad=a_grad)
    b = mg.tensor(b_values, requires_grad=b_grad)
    c = a * b
    out = {"c": facts(c), "saved": saved_names(c.grad_fn) if c.grad_fn else None}
    if c.requires_grad:
        (c * mg.tensor(np.arange(1.0, c.numel() + 1).reshape(c.shape).tolist())).sum().backward()
    out["a.grad"], out["b.grad"] = grad(a), grad(b)
    return out


@case("ch03.Mul", "a * b, both require grad")
def _(piece):
    return _mul_run([1.0, -2.0, 3.0], [0.5, 4.0, -1.0])


@case("ch03.Mul", "x * w with w broadcast: shapes (2, 3) and (3,)")
def _(piece):
    return _mul_run([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [0.5, -1.0, 2.0])


@case("ch03.Mul", "only one input requires grad: what is saved")
def _(piece):
    return [_mul_run([1.0, 2.0], [3.0, 4.0], False, True), _mul_run([1.0, 2.0], [3.0, 4.0], True)]


@case("ch03.Mul", "a * 2 and 2 * a, an integer tensor times a float tensor")
def _(piece):
    a = leaf([1.0, -2.0])
    r = (a * 2) * (2 * a)
    r.sum().backward()
    mixed = mg.tensor([1, 2]) * mg.tensor([0.5, 0.25])
    return {"r": facts(r), "a.grad": grad(a), "mixed": facts(mixed)}


@case("ch03.Mul", "an input not needed for backward is changed in place: no error")
def _(piece):
    a = mg.tensor([1.0, 2.0])  # does not require grad: b's gradient needs it, a's is not needed
    w = leaf([3.0, 4.0])
    b = w * 1.0
    c = a * b
    b.add_(1.0)  # other (b) is only needed for a's gradient, and a needs none
    return {"backward": error(lambda: c.sum().backward()), "w.grad": grad(w)}


@case("ch03.Mul", "a saved input changed in place: backward refuses")
def _(piece):
    w = leaf([3.0, 4.0])
    a, b = w * 1.0, leaf([1.0, 2.0])
    c = a * b
    a.mul_(2.0)  # self (a) is saved: b needs a gradient
    return error(lambda: c.sum().backward())


@case("ch03.Mul", "a second derivative: d/dx of d(x*x)/dx (create_graph=True)")
def _(piece):
    x = leaf([1.0, -3.0])
    (g,) = mg.autograd.grad((x * x * x).sum(), x, create_graph=True)
    g.sum().backward()
    return {"g": g.tolist(), "x.grad": grad(x)}


def _unbroadcast_expected(grad_array, shape):
    """The sum of the gradients of all the copies, computed from an index map."""
    size = int(np.prod(shape)) if shape else 1
    index = np.broadcast_to(np.arange(size).reshape(shape), grad_array.shape)
    total = np.bincount(index.ravel(), weights=grad_array.ravel(), minlength=size)
    return total.reshape(shape)


_UNBROADCAST_SHAPES = [
    ((2, 3), (3,)),
    ((2, 3), (2, 1)),
    ((4,), (4,)),
    ((5, 4, 3), (4, 1)),
    ((3,), ()),
    ((2, 1, 3), (1, 1, 3)),
    ((2, 3, 4), (1, 3, 1)),
]


def _as_array(value):
    if isinstance(value, mg.Tensor):
        return value.numpy()
    return np.asarray(value)


@case("ch03.unbroadcast", "numpy arrays of many shapes", direct=True)
def _(piece):
    rng = np.random.default_rng(3)
    for grad_shape, shape in _UNBROADCAST_SHAPES:
        g = np.round(rng.normal(size=grad_shape), 3)
        got = _as_array(piece(g.copy(), shape))
        want = _unbroadcast_expected(g, shape)
        if got.shape != want.shape or not np.allclose(got, want, rtol=RTOL, atol=ATOL):
            raise Mismatch(
                f"a grad of shape {grad_shape} for a tensor of shape {shape}: expected "
                f"{want.tolist()}, got {got.tolist()}"
            )


@case("ch03.unbroadcast", "a minigrad tensor (as under create_graph=True)", direct=True)
def _(piece):
    g = np.arange(6.0).reshape(2, 3)
    got = piece(mg.tensor(g), (3,))
    if not isinstance(got, mg.Tensor):
        raise Mismatch(f"a tensor in must give a tensor out, got {type(got).__name__}")
    if not np.allclose(got.numpy(), [3.0, 5.0, 7.0]):
        raise Mismatch(f"a grad of shape (2, 3) for shape (3,): got {got.tolist()}")


@case("ch03.unbroadcast", "the engine uses it: x + w + b with w and b broadcast")
def _(piece):
    x = leaf([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    w, b = leaf([1.0, 2.0, 3.0]), leaf([[1.0], [2.0]])
    ((x + w + b) * x).sum().backward()
    return [grad(x), grad(w), grad(b)]


@case("ch03.unbroadcast", "the engine uses it: shapes (2, 1, 4) * (3, 1)")
def _(piece):
    x, w = leaf(np.arange(8.0).reshape(2, 1, 4).tolist()), leaf([[1.0], [-1.0], [0.5]])
    (x * w).sum().backward()
    return [grad(x), grad(w)]


def _mm_run(a_grad=True, b_grad=True):
    a = mg.tensor([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]], requires_grad=a_grad)
    b = mg.tensor([[0.5, -1.0], [2.0, 1.0], [1.0, 0.0]], requires_grad=b_grad)
    c = mg.mm(a, b)
    out = {"c": facts(c), "saved": saved_names(c.grad_fn) if c.grad_fn else None}
    (c * mg.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    out["a.grad"], out["b.grad"] = grad(a), grad(b)
    return out


@case("ch03.Mm", "mm(a, b), both require grad")
def _(piece):
    return _mm_run()


@case("ch03.Mm", "only one of a, b requires grad: what is saved")
def _(piece):
    return [_mm_run(True, False), _mm_run(False, True)]


@case("ch03.Mm", "z = sum(mm(x, y)) with an arange x (seed s001)")
def _(piece):
    x = mg.arange(9.0).view(3, 3)
    y = leaf([[-0.281, -2.7142, 1.8053], [-0.6549, 1.073, -1.947], [0.5629, -0.0692, -0.7376]])
    mg.sum(mg.mm(x, y)).backward()
    return {"x.grad": grad(x), "y.grad": grad(y)}


@case("ch03.Mm", "x @ W for a vector and a matrix; shapes that do not fit")
def _(piece):
    v, w = leaf([1.0, 2.0]), leaf([[1.0, 0.0, 2.0], [0.5, -1.0, 1.0]])
    (v @ w).sum().backward()
    bad = error(lambda: mg.mm(mg.ones(2, 3), mg.ones(2, 3)))
    return {"v.grad": grad(v), "w.grad": grad(w), "error": bad}


@case("ch03.Mm", "the saved second matrix changed in place: backward refuses")
def _(piece):
    a, w = leaf([[1.0, 2.0]]), leaf([[1.0], [3.0]])
    b = w * 1.0
    c = mg.mm(a, b)
    b.mul_(2.0)
    return error(lambda: c.sum().backward())


# === chapter 04: leaves and .grad ===========================================================


@case("ch04.accumulate_grad", "two backward passes add up in the same .grad tensor")
def _(piece):
    a = leaf([1.0, 2.0])
    (a * 2.0).sum().backward()
    first = a.grad
    after_one = grad(a)
    (a * 3.0).sum().backward()
    return {"after one": after_one, "after two": grad(a), "same tensor": a.grad is first}


@case("ch04.accumulate_grad", "add sends one gradient to two leaves: each .grad is its own")
def _(piece):
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    a.grad.add_(10.0)
    return {"a.grad": grad(a), "b.grad": grad(b), "grad_fn": node_names(a.grad.grad_fn)}


@case("ch04.accumulate_grad", "a float64 leaf, a leaf used three times")
def _(piece):
    a = leaf([1.0, 2.0], dtype=mg.float64)
    (a * a * a).sum().backward()
    return {"a.grad": grad(a), "dtype": str(a.grad.dtype)}


@case("ch04.accumulate_grad", "accumulate_grad(leaf, grad) called by hand", direct=True)
def _(piece):
    x = leaf([1.0, 2.0])
    g = mg.tensor([3.0, 4.0])
    piece(x, g)
    if x.grad is None:
        raise Mismatch("after the first call, leaf.grad is still None")
    if x.grad is g:
        raise Mismatch("leaf.grad is the incoming gradient itself: store a copy")
    g.add_(100.0)
    if x.grad.tolist() != [3.0, 4.0]:
        raise Mismatch("changing the incoming gradient later changed leaf.grad: store a copy")
    first = x.grad
    piece(x, mg.tensor([1.0, 1.0]))
    if x.grad is not first:
        raise Mismatch("the second call replaced leaf.grad: add into it in place")
    if x.grad.tolist() != [4.0, 5.0]:
        raise Mismatch(f"after [3, 4] then [1, 1], leaf.grad should be [4, 5], got {grad(x)}")


@case("ch04.store_retained_grad", "b = a * 2; b.retain_grad(); backward of sum(b * b)")
def _(piece):
    a = leaf([1.0, 2.0, 3.0])
    b = a * 2.0
    b.retain_grad()
    (b * b).sum().backward()
    return {"b.grad": grad(b), "a.grad": grad(a), "b": facts(b)}


@case("ch04.store_retained_grad", "two backward passes (retain_graph): b.grad adds up")
def _(piece):
    a = leaf([1.0, 2.0])
    b = a * 2.0
    b.retain_grad()
    c = (b * 3.0).sum()
    c.backward(retain_graph=True)
    first = grad(b)
    c.backward()
    return {"first": first, "second": grad(b)}


@case("ch04.store_retained_grad", "a hook on b changes the gradient that b.grad keeps")
def _(piece):
    a = leaf([1.0, 2.0])
    b = a * 1.0
    b.retain_grad()
    b.register_hook(lambda g: g * 10.0)
    b.sum().backward()
    return {"b.grad": grad(b), "a.grad": grad(a)}


@case("ch04.store_retained_grad", "store_retained_grad(tensor, grad) by hand", direct=True)
def _(piece):
    b = leaf([1.0, 2.0]) * 1.0
    b.retain_grad()
    g = mg.tensor([5.0, 6.0])
    piece(b, g)
    if grad(b) != [5.0, 6.0]:
        raise Mismatch(f"after the first gradient [5, 6], tensor.grad is {grad(b)}")
    g.add_(100.0)
    if grad(b) != [5.0, 6.0]:
        raise Mismatch("changing the gradient later changed tensor.grad: keep a copy")
    piece(b, mg.tensor([1.0, 1.0]))
    if grad(b) != [6.0, 7.0]:
        raise Mismatch(f"after [5, 6] then [1, 1], tensor.grad should be [6, 7], got {grad(b)}")


# === chapter 05: detach =======================================================================


@case("ch05.detach", "d = a.detach(): what d is")
def _(piece):
    a = leaf([1.0, 2.0])
    b = a * 2.0
    return [facts(a.detach()), facts(b.detach()), repr(b.detach())]


@case("ch05.detach", "changing d in place changes a, and both see the new version")
def _(piece):
    a = leaf([1.0, 2.0])
    d = a.detach()
    d.zero_()
    return {"a": a.tolist(), "a._version": a._version, "d._version": d._version}


@case("ch05.detach", "b = a.exp(); b.detach() changed in place: b's backward refuses")
def _(piece):
    a = leaf([0.0, 1.0])
    b = a.exp()
    b.detach().add_(1.0)
    return error(lambda: b.sum().backward())


@case("ch05.detach", "detach(tensor) by hand shares the memory", direct=True)
def _(piece):
    a = leaf([1.0, 2.0])
    d = piece(a)
    if not isinstance(d, mg.Tensor):
        raise Mismatch(f"expected a minigrad Tensor, got {type(d).__name__}")
    if d is a:
        raise Mismatch("detach must return a new tensor, not the tensor itself")
    if not np.shares_memory(d.numpy(), a.detach().numpy()):
        raise Mismatch("the detached tensor has its own copy of the numbers: share the memory")


# === chapter 06: versions =====================================================================


@case("ch06.bump_version", "_version after add_, mul_, zero_, fill_, t[0] = ... and copy_")
def _(piece):
    t = mg.tensor([1.0, 2.0, 3.0])
    seen = [t._version]
    for change in (
        lambda: t.add_(1.0),
        lambda: t.mul_(2.0),
        lambda: t.zero_(),
        lambda: t.fill_(5.0),
        lambda: t.__setitem__(0, 7.0),
        lambda: t.copy_(mg.tensor([1.0, 1.0, 1.0])),
    ):
        change()
        seen.append(t._version)
    view = t[1:]
    view.add_(1.0)
    return {"versions": seen, "after a change through a view": [t._version, view._version]}


@case("ch06.bump_version", "a saved tensor changed in place, and an add that saves nothing")
def _(piece):
    a = leaf([1.0, 2.0])
    b, c = a * 1.0, a * 1.0
    y = b * b
    b.add_(1.0)
    z = c + c
    c.add_(1.0)
    return {"mul": error(lambda: y.sum().backward()), "add": error(lambda: z.sum().backward())}


@case("ch06.SavedTensor", "SavedTensor(t).unpack() after changes to t", direct=True)
def _(piece):
    t = mg.tensor([1.0, 2.0, 3.0])
    saved = piece(t)
    if saved.unpack() is not t:
        raise Mismatch("unpack() of an unchanged tensor must return that tensor")
    t2 = t + 1.0  # out of place: t is unchanged
    if saved.unpack() is not t:
        raise Mismatch("an out-of-place operation does not change t: unpack must still work")
    for label, change in (
        ("t.add_(1)", lambda x: x.add_(1.0)),
        ("t[0] = 5", lambda x: x.__setitem__(0, 5.0)),
        ("t.detach().mul_(2)", lambda x: x.detach().mul_(2.0)),
        ("t[1:].zero_()", lambda x: x[1:].zero_()),
    ):
        x = mg.tensor([1.0, 2.0, 3.0])
        saved = piece(x)
        change(x)
        problem = error(saved.unpack)
        if problem is None:
            raise Mismatch(f"after {label}, unpack() returned the changed tensor: it must raise")
        if problem[0] != "RuntimeError" or "is at version 1; expected version 0" not in problem[1]:
            raise Mismatch(
                f"after {label}, unpack() raised {problem[0]}: {problem[1]!r}; expected a "
                "RuntimeError saying 'is at version 1; expected version 0'"
            )
    del t2


@case("ch06.SavedTensor", "the engine saves with it: mul, exp and tanh, changed in place")
def _(piece):
    a = leaf([0.5, 1.0])
    b = a * 1.0
    y1 = b * a
    b.add_(1.0)
    e = a.exp()
    e.mul_(2.0)
    t = a.tanh()
    t2 = t * 1.0
    t.add_(1.0)
    return [error(y.sum().backward) for y in (y1, e, t2)]


@case("ch06.SavedTensor", "the engine saves with it: nothing changed, backward works")
def _(piece):
    a = leaf([0.5, 1.0])
    (a.exp() * a.tanh() * a).sum().backward()
    return grad(a)


# === chapter 07: grad modes ===================================================================


def _in_thread(fn):
    out = []
    worker = threading.Thread(target=lambda: out.append(fn()))
    worker.start()
    worker.join()
    return out[0]


@case("ch07.GradState", "a new GradState, and one read in a new thread", direct=True)
def _(piece):
    state = piece()
    if (state.grad_enabled, state.inference_mode) != (True, False):
        raise Mismatch(
            "a new GradState must start with grad_enabled=True and inference_mode=False, got "
            f"{(state.grad_enabled, state.inference_mode)}"
        )
    state.grad_enabled, state.inference_mode = False, True
    there = _in_thread(lambda: (state.grad_enabled, state.inference_mode))
    if there != (True, False):
        raise Mismatch(
            f"another thread sees {there} after this thread set (False, True): each thread "
            "must have its own switches (threading.local), starting with (True, False)"
        )
    _in_thread(lambda: setattr(state, "grad_enabled", True))
    if state.grad_enabled is not False:
        raise Mismatch("a change made in another thread reached this one")


@case("ch07.GradState", "the engine keeps its switches in it: modes and threads")
def _(piece):
    seen = [mg.is_grad_enabled()]
    with mg.no_grad():
        seen.append(_in_thread(mg.is_grad_enabled))
        seen.append(mg.is_grad_enabled())
        x = leaf([1.0]) * 2.0
    mg.set_grad_enabled(False)
    seen.append(_in_thread(lambda: (leaf([1.0]) * 2.0).requires_grad))
    mg.set_grad_enabled(True)
    with mg.inference_mode():
        seen.append([mg.is_grad_enabled(), mg.is_inference_mode_enabled()])
    return {"seen": seen, "x": facts(x)}


def _modes_program():
    """is_grad_enabled() at each point of nested blocks, decorators and a generator."""
    seen = []
    with mg.no_grad():
        seen.append(mg.is_grad_enabled())
        with mg.enable_grad():
            seen.append(mg.is_grad_enabled())
        seen.append(mg.is_grad_enabled())
    seen.append(mg.is_grad_enabled())
    try:
        with mg.no_grad():
            raise KeyError("inside")
    except KeyError:
        seen.append(mg.is_grad_enabled())

    @mg.no_grad()
    def f(n):
        return [mg.is_grad_enabled()] + (f(n - 1) if n else [])

    @mg.no_grad
    def g():
        return mg.is_grad_enabled()

    @mg.no_grad()
    def gen():
        for _ in range(2):
            yield mg.is_grad_enabled()

    seen += [f(2), g(), mg.is_grad_enabled()]
    steps = []
    for value in gen():
        steps.append([value, mg.is_grad_enabled()])
    seen.append(steps)
    with mg.no_grad():
        seen.append([mg.enable_grad()(lambda: mg.is_grad_enabled())(), mg.is_grad_enabled()])
    return seen


@case("ch07.GradMode", "blocks, nesting, an exception, decorators, a generator")
def _(piece):
    return _modes_program()


@case("ch07.GradMode", "the same, started with recording off and inside inference_mode()")
def _(piece):
    state = grad_mode._state
    previous = (state.grad_enabled, state.inference_mode)
    results = []
    try:
        for start in ((False, False), (False, True)):
            grad_mode._set_state(*start)
            results.append(_modes_program() + [mg.is_inference_mode_enabled()])
    finally:
        grad_mode._set_state(*previous)
    return results


@case("ch07.GradMode", "GradMode(False) used by hand: a result records nothing", direct=True)
def _(piece):
    x = leaf([1.0, 2.0])
    with piece(False):
        y = x * 2.0
    if y.requires_grad:
        raise Mismatch("inside `with GradMode(False):`, x * 2 still requires grad")
    if not mg.is_grad_enabled():
        raise Mismatch("after the block, recording is still off: __exit__ must restore it")


# === chapter 08: training =====================================================================


class _Shared(mg.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = mg.nn.Parameter(mg.tensor([2.0]))
        self.body = mg.nn.Sequential(mg.nn.Linear(3, 2), mg.nn.ReLU(), mg.nn.Linear(2, 2))
        self.again = self.body[0]  # the same layer twice: its parameters are listed once


@case("ch08.parameters", "Sequential, a module with its own Parameter, a shared layer")
def _(piece):
    mg.manual_seed(0)
    models = [mg.nn.Sequential(mg.nn.Linear(3, 4), mg.nn.Tanh(), mg.nn.Linear(4, 1)), _Shared()]
    return [[p.tolist() for p in model.parameters()] for model in models]


@case("ch08.parameters", "an optimizer built from model.parameters() trains the model")
def _(piece):
    mg.manual_seed(1)
    model = mg.nn.Sequential(mg.nn.Linear(2, 3), mg.nn.Tanh(), mg.nn.Linear(3, 1))
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    x, y = mg.tensor([[1.0, 2.0], [0.0, -1.0]]), mg.tensor([[1.0], [0.0]])
    for _ in range(3):
        optimizer.zero_grad()
        ((model(x) - y) * (model(x) - y)).mean().backward()
        optimizer.step()
    return [p.tolist() for p in model.parameters()]


def _sgd_run(momentum, steps=3):
    mg.manual_seed(2)
    layer = mg.nn.Linear(3, 2)
    extra = mg.nn.Parameter(mg.tensor([1.0, 1.0]))  # gets no gradient: skipped
    optimizer = mg.optim.SGD([*layer.parameters(), extra], lr=0.05, momentum=momentum)
    x = mg.tensor([[1.0, -1.0, 2.0], [0.5, 0.0, 1.0]])
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=False)
        (layer(x) * layer(x)).sum().backward()
        optimizer.step()
    return {
        "params": [p.tolist() for p in layer.parameters()],
        "extra": extra.tolist(),
        "versions": [p._version for p in layer.parameters()],
        "requires_grad": [p.requires_grad for p in layer.parameters()],
    }


@case("ch08.sgd_momentum_step", "SGD(momentum=0.9): three steps of a linear layer")
def _(piece):
    return _sgd_run(0.9)


@case("ch08.sgd_momentum_step", "SGD without momentum; a parameter with no gradient")
def _(piece):
    return _sgd_run(0.0)


# === chapter 10: your own Function ============================================================


@case("ch10.ReLU", "x.relu(), mg.relu(x) and F.relu(x): values, gradients, the node")
def _(piece):
    x = leaf([-2.0, -0.5, 0.0, 0.5, 3.0])
    outs = [x.relu(), mg.relu(x), mg.nn.functional.relu(x)]
    sum(((o * mg.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum() for o in outs), mg.tensor(0.0)).backward()
    return {"outs": [facts(o) for o in outs], "x.grad": grad(x)}


@case("ch10.ReLU", "an integer tensor; a tensor that does not require grad")
def _(piece):
    return [facts(mg.tensor([-1, 0, 2]).relu()), facts(mg.tensor([[-1.0, 2.0]]).relu())]


@case("ch10.ReLU", "nn.ReLU inside a model: the model's gradients")
def _(piece):
    mg.manual_seed(4)
    model = mg.nn.Sequential(mg.nn.Linear(3, 4), mg.nn.ReLU(), mg.nn.Linear(4, 1))
    model(mg.tensor([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0]])).sum().backward()
    return [p.grad.tolist() for p in model.parameters()]


@case("ch10.ReLU", "the result changed in place before backward: ReLU saves its result")
def _(piece):
    x = leaf([-1.0, 2.0])
    r = x.relu()
    y = r * 1.0
    r.add_(1.0)
    z = x.relu()
    x2 = x * 1.0
    w = x2.relu()
    x2.add_(5.0)  # the input changed, not the result: no error
    return [error(lambda: y.sum().backward()), error(lambda: (w * z).sum().backward())]


# === running a check ==========================================================================

_OUR_FOLDERS = tuple(str(Path(m.__file__).resolve().parent) for m in (mg, sys.modules["coursekit"]))


def _learner_line(exc):
    """Where in the learner's code an exception happened: ' (your line 3: `return x`)'."""
    found = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        filename = frame.f_code.co_filename
        try:
            resolved = str(Path(filename).resolve())
        except (OSError, ValueError):
            resolved = filename
        if resolved.startswith(_OUR_FOLDERS):
            continue
        found = (frame.f_code.co_name, line, filename)
    if found is None:
        return ""
    text = linecache.getline(found[2], found[1]).strip()
    return f" (in your {found[0]}, line {found[1]}: `{text}`)" if text else ""


def difference(expected, got, where=""):
    """The first place two observations differ, in words; None if they agree."""
    at = f" at {where}" if where else ""
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in expected:
            if key not in got:
                return f"{key!r} is missing{at}"
            found = difference(expected[key], got[key], f"{where}.{key}" if where else str(key))
            if found:
                return found
        return None
    if isinstance(expected, (list, tuple)) and isinstance(got, (list, tuple)):
        if len(expected) != len(got) or any(difference(e, g) for e, g in zip(expected, got)):
            return f"expected {_short(expected)}, got {_short(got)}{at}"
        return None
    if isinstance(expected, bool) or isinstance(got, bool) or expected is None or got is None:
        return None if expected is got else f"expected {expected!r}, got {got!r}{at}"
    if isinstance(expected, float) and isinstance(got, (int, float)):
        if math.isnan(expected) and math.isnan(got):
            return None
        if abs(got - expected) <= ATOL + RTOL * abs(expected):
            return None
        return f"expected {expected!r}, got {got!r}{at}"
    if type(expected) is not type(got) or expected != got:
        return f"expected {_short(expected)}, got {_short(got)}{at}"
    return None


def _short(value, limit=160):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shape_problem(piece, obj):
    if piece.kind == pieces.OP:
        if not isinstance(obj, type) or not all(
            callable(getattr(obj, m, None)) for m in ("forward", "backward")
        ):
            return f"{piece.name} must be a class with forward(ctx, ...) and backward(ctx, grad)"
    elif piece.kind == pieces.CLASS:
        if not isinstance(obj, type):
            return f"{piece.name} must be a class, got {type(obj).__name__}"
    elif not isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)) and not callable(obj):
        return f"{piece.name} must be a function, got {type(obj).__name__}"
    return None


def check(piece_id: str, obj) -> Verdict:
    """Run every case of a piece's check on ``obj``; the first failure is the verdict."""
    piece = pieces.get(piece_id)
    reason = guard.refusal(piece_id, obj)
    if reason:
        return Verdict(piece_id, "refused", reason)
    problem = _shape_problem(piece, obj)
    if problem:
        return Verdict(piece_id, "failed", problem)
    cases = CASES[piece_id]
    with BOARD.only({}), warnings.catch_warnings():  # minigrad's own engine: what to expect
        warnings.simplefilter("ignore")
        expectations = [None if one.direct else one.program(None) for one in cases]
    tried = 0
    for one, expected in zip(cases, expectations):
        tried += 1
        try:
            with BOARD.trial(piece_id, obj), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = one.program(obj)
        except NotImplementedError:
            return Verdict(piece_id, "not-implemented", f"{piece.name} is not written yet", tried)
        except Mismatch as mismatch:
            return Verdict(piece_id, "failed", f"{one.label}: {mismatch}", tried)
        except RecursionError:
            return Verdict(
                piece_id,
                "failed",
                f"{one.label}: your piece recursed too deeply (RecursionError)",
                tried,
            )
        except Exception as exc:  # noqa: BLE001 - anything the learner's code does is reported
            return Verdict(
                piece_id,
                "failed",
                f"{one.label}: raised {type(exc).__name__}: {exc}{_learner_line(exc)}",
                tried,
            )
        found = None if one.direct else difference(expected, got)
        if found:
            return Verdict(piece_id, "failed", f"{one.label}: {found}", tried)
    return Verdict(piece_id, "passed", f"{tried} cases passed", tried)
