"""Small helpers for the ported tests: fixed data, values as numpy, closeness, and the
set-ups several ported tests share (each test still names the PyTorch test it follows).

PyTorch's tests draw inputs with ``torch.randn``; these use fixed numbers
from a seeded numpy generator, so both libraries see the same inputs and the
expected values are computed with numpy from those inputs (never by the
library under test).
"""

import contextlib

import numpy as np
import pytest


def numbers(*shape, seed=0, low=-1.0, high=1.0):
    """Nested lists of fixed pseudo-random floats in [low, high)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape).tolist()


def tensor(lib, *shape, seed=0, low=-1.0, high=1.0, dtype="float64", requires_grad=False):
    """``lib.tensor`` of fixed numbers (float64 by default, as test_autograd.py's tests)."""
    data = numbers(*shape, seed=seed, low=low, high=high)
    return lib.tensor(data, dtype=getattr(lib, dtype), requires_grad=requires_grad)


def leaves(lib, *shape, count=2):
    """``count`` leaves that require grad, of fixed numbers (seeds 1, 2, ...): the pair of
    random inputs many of PyTorch's tests start from (``x = torch.randn(..., requires_grad=True)``
    twice)."""
    return tuple(tensor(lib, *shape, seed=seed, requires_grad=True) for seed in range(1, count + 1))


def value(t):
    """A tensor's values as a float64 numpy array (detached)."""
    return np.asarray(t.detach().tolist(), dtype=np.float64)


def assert_close(t, expected, rtol=1e-6, atol=1e-7):
    """``t``'s values equal ``expected`` (numpy data or a tensor) within tolerance."""
    if hasattr(expected, "detach"):
        expected = value(expected)
    np.testing.assert_allclose(value(t), np.asarray(expected, dtype=np.float64), rtol, atol)


def is_inference(lib, t):
    return t.is_inference()


def raises_if(refused, match):
    """Expect ``RuntimeError`` matching ``match`` where PyTorch refuses, no error elsewhere.

    PyTorch's inference-mode tests run each case on a tensor that requires grad
    (refused) and on one that does not (allowed), as ``if requires_grad: with
    self.assertRaisesRegex(...): op()  else: op()``.
    """
    return pytest.raises(RuntimeError, match=match) if refused else contextlib.nullcontext()


def inference_cases(lib):
    """``(requires_grad, s)`` for PyTorch's inference-mode tests: ``s`` is a normal tensor
    ``ones(1, 2, 3)`` that requires grad, then one that does not."""
    for requires_grad in (True, False):
        yield requires_grad, lib.ones(1, 2, 3, requires_grad=requires_grad)


def opposite_grad_modes(lib):
    """``(outer, decorator, recording inside)``: a decorator of the opposite mode, used
    inside a block (PyTorch's test_set_grad_coroutines* tests)."""
    return ((lib.enable_grad, lib.no_grad, False), (lib.no_grad, lib.enable_grad, True))


def quadratic(x, y):
    """``x**2 + y*x + y**2``: its gradients are ``2x + y`` and ``x + 2y`` (PyTorch's
    test_hessian_vector, test_grad, test_grad_nonleaf, test_backward_with_inputs)."""
    return x**2 + y * x + y**2
