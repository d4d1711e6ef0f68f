"""backward walks the graph iteratively: depth is limited by memory, not by recursion.

Python's recursion limit is about a thousand frames, so a recursive graph walk
(micrograd's topological sort) fails long before these chains end. No timing
is asserted here: benchmarks measure speed, tests only behaviour.
"""

import sys

import pytest

import minigrad as mg


def _chain(x, length, step):
    y = x
    for _ in range(length):
        y = step(y)
    return y


def test_backward_through_a_chain_far_deeper_than_the_recursion_limit():
    length = 10 * sys.getrecursionlimit()
    x = mg.tensor(1.0, requires_grad=True)
    _chain(x, length, lambda y: y + 1.0).backward()
    assert x.grad.item() == 1.0  # d(x + n)/dx
    assert sys.getrecursionlimit() < length


def test_autograd_grad_through_a_deep_chain_of_saving_ops():
    x = mg.tensor(1.0, dtype=mg.float64, requires_grad=True)
    y = _chain(x, 10_000, lambda y: y * 1.0001)
    (g,) = mg.autograd.grad(y, x)
    assert abs(g.item() - 1.0001**10_000) < 1e-9 * 1.0001**10_000  # d(c^n x)/dx = c^n


def test_a_deep_chain_is_freed_without_recursion_errors():
    x = mg.tensor(1.0, requires_grad=True)
    y = _chain(x, 30_000, lambda y: y.clone())
    del y  # dropping a 30,000-node graph must not overflow the C stack either
    z = (x * 2).sum()
    z.backward()
    assert x.grad.item() == 2.0


@pytest.mark.slow
def test_backward_is_iterative():
    """A chain of 1,000,000 nodes (clone: the cheapest node to build) backpropagates."""
    x = mg.tensor(2.0, requires_grad=True)
    y = _chain(x, 1_000_000, lambda y: y.clone())
    (y * 3).backward()
    assert x.grad.item() == 3.0
