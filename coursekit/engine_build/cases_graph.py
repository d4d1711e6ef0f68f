"""The checks of chapters 01 and 02: Scalar Functions, the walk and the backward loop."""

from __future__ import annotations

import minigrad as mg

from .observe import Mismatch, case, error, grad, leaf, node_names

# === chapter 01: Scalar Functions =========================================================

S = mg.Scalar


def _scalar_run(expression, *values):
    """Run ``expression`` on leaves named as its arguments; what the result and leaves show."""
    leaves = [S(v, requires_grad=True) for v in values]
    names = expression.__code__.co_varnames[: len(values)]
    out = expression(*leaves)
    out.backward()
    return {
        "value": out.data,
        "grad_fn": node_names(out.grad_fn),
        "[" + ", ".join(f"{name}.grad" for name in names) + "]": [x.grad for x in leaves],
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


@case("ch01.Add", "L = (a + b) * 3: the gradient that reaches the addition is 3, not 1")
def _(piece):
    return _scalar_run(lambda a, b: (a + b) * 3.0, 0.5, 2.0)


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


@case("ch01.Mul", "L = (a * b) * 3: the gradient that reaches a * b is 3, not 1")
def _(piece):
    return _scalar_run(lambda a, b: (a * b) * 3.0, 2.0, -1.5)


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
    seen = {}
    for v in (0.0, 0.7, -2.0):
        a = S(v, requires_grad=True)
        t = a.tanh()
        t.backward()
        seen[f"t at a = {v}"], seen[f"a.grad at a = {v}"] = t.data, a.grad
        seen[f"t.grad_fn at a = {v}"] = node_names(t.grad_fn)
    return seen


@case("ch01.Tanh", "L = a.tanh() * 3: the gradient that reaches tanh is 3, not 1")
def _(piece):
    return _scalar_run(lambda a: a.tanh() * 3.0, 0.4)


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
    given = set(order)
    missing = [n for n in want if n not in given]
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


@case("ch02.topological_order", "a shortcut: z = a * 2; root = ((z * 3) * 4) + z", direct=True)
def _(piece):
    z = S(1.0, requires_grad=True) * 2.0
    root = ((z * 3.0) * 4.0 + z).grad_fn
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


@case("ch02.run_backward", "c = a * b; L = c * c + c: the node of c runs once", direct=True)
def _(piece):
    a, b = leaf([1.0, 2.0]), leaf([3.0, -1.0])
    c = a * b
    calls = []
    c.register_hook(lambda g: calls.append(g.tolist()))
    once = (
        "run each node once, after every gradient into it has arrived, with their sum "
        "(a node's saved tensors are freed when it has run)"
    )
    try:
        (c * c + c).sum().backward()  # Tensor.backward runs your loop
    except RuntimeError as exc:
        if calls and "a second time" in str(exc):
            raise Mismatch(
                f"the node of c (MulBackward0) ran with {calls[0]}, then was called again: " + once
            ) from None
        raise
    if len(calls) > 1:
        raise Mismatch(
            f"the node of c (MulBackward0) ran {len(calls)} times, once per gradient that "
            f"reached it ({', '.join(map(str, calls))}): " + once
        )
    if calls != [[7.0, -3.0]]:
        raise Mismatch(
            f"the node of c ran with {calls[0] if calls else 'no gradient at all'}, expected "
            "[7.0, -3.0], the sum of the two gradients that reach it (2c + 1)"
        )


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


class _FirstOnly(mg.autograd.Function):
    """a * b with a gradient for a only: backward returns None for b, which requires grad."""

    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, grad):
        return grad * 2.0, None


@case("ch02.run_backward", "a node that returns None for an input: b gets no gradient")
def _(piece):
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (_FirstOnly.apply(a, b) + _FirstOnly.apply(a, b)).sum().backward()
    return {"a.grad": grad(a), "b.grad": grad(b)}


@case("ch02.run_backward", "a node that no gradient reached still runs: what it saved is freed")
def _(piece):
    # PyTorch 2.13 runs such a node too (with an undefined gradient) and frees its saved
    # tensors: y.grad_fn._saved_self then raises, as after any backward.
    a, x = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = x * x  # MulBackward0 saves x; _FirstOnly sends it None
    _FirstOnly.apply(a, y).sum().backward()
    freed = error(lambda: y.grad_fn._saved_self)
    if freed is None:
        raise Mismatch(
            "y's node (MulBackward0) received no gradient and was never run, so what it saved "
            "was not freed: call every node of the order, with None when nothing reached it"
        )
    return {"a.grad": grad(a), "x.grad": grad(x), "y.grad_fn._saved_self": freed}


@case("ch02.run_backward", "tensors: backward from two outputs at once")
def _(piece):
    a = leaf([1.0, 2.0])
    y1, y2 = (a * a).sum(), (a * 3.0).sum()
    mg.autograd.backward([y1, y2])
    return grad(a)
