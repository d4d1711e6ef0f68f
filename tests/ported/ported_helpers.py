"""Small helpers for the ported tests: fixed data, values as numpy, closeness.

PyTorch's tests draw inputs with ``torch.randn``; these use fixed numbers
from a seeded numpy generator, so both libraries see the same inputs and the
expected values are computed with numpy from those inputs (never by the
library under test).
"""

import numpy as np


def numbers(*shape, seed=0, low=-1.0, high=1.0):
    """Nested lists of fixed pseudo-random floats in [low, high)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape).tolist()


def tensor(lib, *shape, seed=0, low=-1.0, high=1.0, dtype="float64", requires_grad=False):
    """``lib.tensor`` of fixed numbers (float64 by default, as test_autograd.py's tests)."""
    data = numbers(*shape, seed=seed, low=low, high=high)
    return lib.tensor(data, dtype=getattr(lib, dtype), requires_grad=requires_grad)


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
