"""The checks of chapters 03 to 06: tensor ops, unbroadcast, leaves, detach, versions."""

from __future__ import annotations

import numpy as np

import minigrad as mg

from .observe import (
    ATOL,
    RTOL,
    Mismatch,
    case,
    error,
    facts,
    grad,
    graph_text,
    leaf,
    node_names,
    saved_names,
)

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


@case("ch03.Mul", "b changed in place, when only b needs a gradient (and so a, not b, is saved)")
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


@case(
    "ch03.Mul",
    "a second derivative: d/dx of d(x*x*x)/dx (create_graph=True); backward's own graph shows "
    "the order of its products (PyTorch's: grad * other)",
)
def _(piece):
    x = leaf([1.0, -3.0])
    (g,) = mg.autograd.grad((x * x * x).sum(), x, create_graph=True)
    g.sum().backward()
    return {"g": g.tolist(), "x.grad": grad(x), "g.grad_fn": graph_text(g.grad_fn, 4)}


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
        case = f"a grad of shape {grad_shape} for a tensor of shape {shape}"
        if got.shape != want.shape:
            raise Mismatch(
                f"{case}: your result has shape {got.shape}, expected shape {want.shape}"
            )
        if not np.allclose(got, want, rtol=RTOL, atol=ATOL):
            raise Mismatch(
                f"{case}: expected {np.round(want, 4).tolist()}, got {np.round(got, 4).tolist()}"
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


@case("ch03.Mm", "b changed in place, when only b needs a gradient (and so a, not b, is saved)")
def _(piece):
    a = mg.tensor([[1.0, 2.0], [0.5, -1.0]])  # does not require grad
    w = leaf([[3.0, 4.0], [1.0, 2.0]])
    b = w * 1.0
    c = mg.mm(a, b)
    b.add_(1.0)  # mat2 (b) is only needed for a's gradient, and a needs none
    return {"backward": error(lambda: c.sum().backward()), "w.grad": grad(w)}


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


@case("ch03.Mm", "an outer product (inner size 1): PyTorch's -0.0 for -1.0 * 0.0")
def _(piece):
    a, b = leaf([[-1.0], [2.0]]), leaf([[0.0, 3.0]])
    return str(mg.mm(a, b).tolist())  # as text: -0.0 == 0.0 would hide the sign


@case("ch03.Mm", "the saved second matrix changed in place: backward refuses")
def _(piece):
    a, w = leaf([[1.0, 2.0]]), leaf([[1.0], [3.0]])
    b = w * 1.0
    c = mg.mm(a, b)
    b.mul_(2.0)
    return error(lambda: c.sum().backward())


# === chapter 04: leaves and .grad ===========================================================


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
    first, first_tensor = grad(b), b.grad
    c.backward()
    return {
        "b.grad after the first pass": first,
        "b.grad after the second pass": grad(b),
        "the first pass's b.grad tensor, read after the second pass": first_tensor.tolist(),
    }


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


@case("ch05.detach", "detach(tensor) by hand shares the memory", direct=True)
def _(piece):
    a = leaf([1.0, 2.0])
    d = piece(a)
    if d is None:
        raise Mismatch("detach returned None: return the new tensor (is `return` missing?)")
    if not isinstance(d, mg.Tensor):
        raise Mismatch(f"expected a minigrad Tensor, got {type(d).__name__}")
    if d is a:
        raise Mismatch("detach must return a new tensor, not the tensor itself")
    if not np.shares_memory(d.numpy(), a.detach().numpy()):
        raise Mismatch("the detached tensor has its own copy of the numbers: share the memory")


@case("ch05.detach", "d = a.detach(): what d is")
def _(piece):
    a = leaf([1.0, 2.0])
    b = a * 2.0
    return {
        "a.detach()": facts(a.detach()),
        "b.detach()": facts(b.detach()),
        "repr(b.detach())": repr(b.detach()),
    }


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
