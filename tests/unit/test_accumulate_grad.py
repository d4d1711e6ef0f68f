"""AccumulateGrad: a leaf's first gradient becomes its ``.grad``, later ones are
added into it in place, and nothing else ever sees those additions.

The danger of adding in place is aliasing: if another tensor shared the memory
of ``.grad``, the in-place additions of a later backward would change that
tensor too. Each aliasing test below runs a second backward and checks that
what was observed after the first one did not move.
"""

import numpy as np
import pytest

import minigrad as mg


def leaves(*shapes):
    rng = np.random.default_rng(0)
    return [
        mg.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in shapes
    ]


def test_gradients_from_matmul_are_right():
    a, b = leaves((3, 4), (4, 2))
    g = mg.ones(3, 2)
    (a @ b).backward(g)
    # d(a@b)/da = g @ b.T, d/db = a.T @ g: the values are right all the same.
    np.testing.assert_allclose(a.grad.numpy(), g.numpy() @ b.detach().numpy().T, rtol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), a.detach().numpy().T @ g.numpy(), rtol=1e-6)


def test_one_gradient_sent_to_two_leaves_is_copied_for_each():
    a, b = leaves((3,), (3,))
    w = mg.tensor([1.0, 2.0, 3.0])
    ((a + b) * w).sum().backward()  # add sends the same gradient to a and b
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.add_(1.0)
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 2.0, 3.0])


def test_a_users_gradient_is_never_kept():
    (a,) = leaves((3,))
    g = mg.tensor([1.0, 2.0, 3.0])
    (a * 1.0).backward(g)  # MulBackward1 returns a new tensor: kept
    a.grad = None
    a.backward(g)  # a leaf's own root gradient is the user's tensor: copied
    a.backward(g)  # and the second backward adds in place into that copy
    np.testing.assert_array_equal(g.numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 4.0, 6.0])


def test_a_gradient_a_hook_kept_is_not_changed_by_the_next_backward():
    (a,) = leaves((3,))
    seen = []
    a.register_hook(lambda g: seen.append(g))
    w = mg.tensor([1.0, 2.0, 3.0])
    (a * w).sum().backward()
    (a * w).sum().backward()
    np.testing.assert_array_equal(seen[0].numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 4.0, 6.0])


def test_traced_gradients_are_not_changed_by_the_next_backward():
    (a,) = leaves((3,))
    w = mg.tensor([1.0, 2.0, 3.0])
    loss = (a * w).sum()
    steps = mg.engine.trace_backward(loss)
    to_leaf = next(s for s in steps if s.node.name().endswith("AccumulateGrad"))
    loss.backward()
    np.testing.assert_array_equal(to_leaf.grad_output.numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 4.0, 6.0])


def test_autograd_grad_results_do_not_share_memory_with_grad():
    (a,) = leaves((3,))
    w = mg.tensor([1.0, 2.0, 3.0])
    (found,) = mg.autograd.grad((a * w).sum(), a)
    (a * w).sum().backward()
    (a * w).sum().backward()
    np.testing.assert_array_equal(found.numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 4.0, 6.0])


def test_two_backward_passes_add_up_with_or_without_hooks():
    """Two backward passes add up, with a hook on the way or not: compare both routes."""
    a, b = leaves((3, 4), (4, 2))
    c, d = (mg.tensor(t.detach().numpy(), requires_grad=True) for t in (a, b))
    for _ in range(2):
        (a @ b).sum().backward()  # sum's backward is a broadcast view: mm makes fresh ones
        loss = (c @ d).sum()
        loss.register_hook(lambda g: g)  # hooks anywhere do not stop keeping at the leaves
        loss.backward()
    np.testing.assert_allclose(a.grad.numpy(), c.grad.numpy())
    np.testing.assert_allclose(b.grad.numpy(), d.grad.numpy())
    expected_a = 2 * np.ones((3, 2), np.float32) @ b.detach().numpy().T
    np.testing.assert_allclose(a.grad.numpy(), expected_a, rtol=1e-6)


# --- the engine's sums: gradients arriving at one node from several uses ------
def test_many_uses_sum_up():
    """x is used in five products: d/dx sum_k (c_k * x) = sum_k c_k, elementwise."""
    (x,) = leaves((3,))
    coefficients = [mg.tensor([float(k), 1.0, -1.0]) for k in range(1, 6)]
    loss = sum((c * x).sum() for c in coefficients)
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [15.0, 5.0, -5.0])


def test_a_gradient_a_hook_kept_is_not_summed_into():
    """The gradient a hook saw reaches h's buffer first (add passes it on as it
    is); the sum with h's other gradient must be a new tensor, not made in it."""
    (x,) = leaves((3,))
    h = x * 1.0
    other_use = (h * mg.tensor([10.0, 20.0, 30.0])).sum()  # recorded first: runs last
    y = h + 0.0
    seen = []
    y.register_hook(lambda g: seen.append(g))
    (other_use + (y * mg.tensor([1.0, 2.0, 3.0])).sum()).backward()
    np.testing.assert_array_equal(seen[0].numpy(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x.grad.numpy(), [11.0, 22.0, 33.0])


def test_sums_with_create_graph_are_recorded():
    """With create_graph=True the sum must be an op of the new graph (no in-place).

    y = x**2 is used twice, and each gradient arriving at it depends on x:
    L = sum(y * x) + sum(2 * y * x) = 3 sum(x**3), so dL/dx = 9 x**2 and
    d(sum dL/dx)/dx = 18 x.
    """
    (x,) = leaves((2,))
    y = x * x
    (g,) = mg.autograd.grad((y * x).sum() + (y * x * 2.0).sum(), x, create_graph=True)
    (g2,) = mg.autograd.grad(g.sum(), x)
    values = x.detach().numpy()
    np.testing.assert_allclose(g.detach().numpy(), 9 * values**2, rtol=1e-5)
    np.testing.assert_allclose(g2.numpy(), 18 * values, rtol=1e-5)


# --- keeping a first gradient instead of copying it (PyTorch "steals" it too) -----
@pytest.mark.skipif(
    not mg.engine.COUNTS_EVERY_REFERENCE, reason="this Python may not count a lent local"
)
def test_an_array_counts_as_unshared_only_while_nobody_else_holds_it():
    array = np.ones(3)
    assert mg.engine.unshared(array, 2)  # this frame's name and unshared's own parameter
    other = array
    assert not mg.engine.unshared(array, 2)  # one more name sees it
    del other
    assert mg.engine.unshared(array, 2)
    view = array[1:]
    assert not mg.engine.unshared(view, 2)  # a view of another array's memory
    assert not mg.engine.unshared(np.broadcast_to(array, (2, 3)), 2)  # read-only


def test_a_kept_gradient_is_not_seen_by_a_later_backward_through_a_shared_input():
    """``a`` and ``c`` receive the same gradient (add passes it to both); whichever
    accumulates first must copy, or the second backward would add into both."""
    a, c = leaves((3,), (3,))
    w = mg.tensor([1.0, 2.0, 3.0])
    for _ in range(2):
        ((a + c) * w).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(c.grad.numpy(), [2.0, 4.0, 6.0])
    assert not np.shares_memory(a.grad.numpy(), c.grad.numpy())
