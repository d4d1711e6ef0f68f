"""Every way minigrad makes a tensor sets the slots the hot paths read without a default.

``_view``, ``_output_nr`` and ``_accumulator`` are slots of ``Tensor`` (a slot's read is
what Python 3.11 specialises; see the comment in ``Tensor``): a tensor made without
setting them would raise AttributeError at its first op. Each case below makes a tensor
by one path and reads the three.
"""

import copy

import numpy as np
import pytest

import minigrad as mg
from minigrad.function import _saved
from minigrad.tensor import _wrap


def _made():
    leaf = mg.tensor([[1.0, 2.0]], requires_grad=True)
    y = leaf * 2.0
    return {
        "mg.tensor": leaf,
        "Tensor()": mg.Tensor([1.0]),
        "_wrap": _wrap(np.ones(2, np.float32)),
        "an op's result": y,
        "a view": y[0],
        "detach()": y.detach(),
        "a saved result": _saved(y, True).tensor,
        "Parameter": mg.nn.Parameter(mg.ones(2)),
        "copy.copy": copy.copy(leaf),
        "copy.deepcopy": copy.deepcopy(leaf),
        "no_grad": _no_grad_result(leaf),
    }


def _no_grad_result(leaf):
    with mg.no_grad():
        return leaf + 1


@pytest.mark.parametrize("how", sorted(_made()))
def test_slots_are_set(how):
    t = _made()[how]
    assert t._output_nr == 0
    assert (t._view is not None) == (how == "a view")
    assert t._accumulator is None or callable(t._accumulator)
