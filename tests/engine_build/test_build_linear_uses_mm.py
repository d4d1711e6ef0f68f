"""nn.Linear is one fused node, ``AddmmBackward0`` (as in PyTorch), whose matrix gradients
are the engine's Mm backward: a learner's ch03 Mm piece therefore runs when a linear layer
trains, and a wrong one changes the layer's gradients.

Expected gradients come from live PyTorch 2.13 (the reference engine must give them) and
from the wrong piece's own formula, written out in numpy (the learner's engine must give
those)."""

import numpy as np
import pytest
import wrong_pieces
from solution_pieces import PIECES

import minigrad as mg
from coursekit.engine_build.switchboard import BOARD

RNG = np.random.default_rng(7)
# Square matrices, so that a backward that forgets its transposes still runs.
WEIGHT = RNG.standard_normal((4, 4))
BIAS = RNG.standard_normal(4)
BATCH = RNG.standard_normal((4, 4))


def linear_grads(input_requires_grad=True):
    """A Linear layer's forward and a squared-sum loss on minigrad; its node and gradients."""
    layer = mg.nn.Linear(4, 4, dtype=mg.float64)
    with mg.no_grad():
        layer.weight.copy_(mg.tensor(WEIGHT))
        layer.bias.copy_(mg.tensor(BIAS))
    x = mg.tensor(BATCH, requires_grad=input_requires_grad)
    out = layer(x)
    (out * out).sum().backward()
    grads = {"weight": layer.weight.grad.numpy(), "bias": layer.bias.grad.numpy()}
    if input_requires_grad:
        grads["input"] = x.grad.numpy()
    return out.grad_fn.name(), grads


def pytorch_linear_grads():
    torch = pytest.importorskip("torch")
    layer = torch.nn.Linear(4, 4, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(WEIGHT))
        layer.bias.copy_(torch.tensor(BIAS))
    x = torch.tensor(BATCH, requires_grad=True)
    out = layer(x)
    (out * out).sum().backward()
    grads = {"weight": layer.weight.grad.numpy(), "bias": layer.bias.grad.numpy()}
    return out.grad_fn.name(), {**grads, "input": x.grad.numpy()}


class CountingMm(PIECES["ch03.Mm"]):
    """The learner's right Mm, counting its backward calls."""

    calls = 0

    @staticmethod
    def backward(ctx, grad):
        CountingMm.calls += 1
        return PIECES["ch03.Mm"].backward(ctx, grad)


def assert_same(have, want):
    assert set(have) == set(want)
    for name in want:
        np.testing.assert_allclose(have[name], want[name], rtol=1e-12, err_msg=name)


@pytest.mark.torch_live
def test_linear_on_minigrads_own_mm_is_pytorchs_addmm():
    name, grads = linear_grads()
    torch_name, torch_grads = pytorch_linear_grads()
    assert name == torch_name == "AddmmBackward0"
    assert_same(grads, torch_grads)


@pytest.mark.torch_live
def test_linear_trains_through_the_learners_mm_and_keeps_pytorchs_node():
    CountingMm.calls = 0
    with BOARD.trial("ch03.Mm", CountingMm):  # minigrad's own Mm switched off
        name, grads = linear_grads()
    assert CountingMm.calls == 1  # the one addmm node asked the learner's Mm
    torch_name, torch_grads = pytorch_linear_grads()
    assert name == torch_name == "AddmmBackward0"
    assert_same(grads, torch_grads)


def test_a_wrong_mm_piece_changes_linears_gradients():
    BOARD.install("ch03.Mm", wrong_pieces.named("ch03.Mm", "forgets the transposes").obj)
    name, grads = linear_grads()
    assert name == "AddmmBackward0"
    # addmm(bias, x, W.T): out = x @ W.T + bias, and dL/dout = 2 * out. The wrong piece
    # returns grad @ mat2 for x and mat1 @ grad for W.T (no transposes); the engine hands
    # W.T's gradient through t() to W, transposed.
    out = BATCH @ WEIGHT.T + BIAS
    grad_out = 2 * out
    wrong_input = grad_out @ WEIGHT.T
    wrong_weight = (BATCH @ grad_out).T
    np.testing.assert_allclose(grads["input"], wrong_input, rtol=1e-12)
    np.testing.assert_allclose(grads["weight"], wrong_weight, rtol=1e-12)
    np.testing.assert_allclose(grads["bias"], grad_out.sum(axis=0), rtol=1e-12)
    # and the right formulas differ from these (so the comparison above can fail)
    assert not np.allclose(wrong_weight, grad_out.T @ BATCH)
    assert not np.allclose(wrong_input, grad_out @ WEIGHT)


def test_linear_with_an_input_that_needs_no_gradient_runs_the_learners_mm():
    """The first layer's input needs no gradient: addmm saves mat1 only, Mm's rule."""
    CountingMm.calls = 0
    with BOARD.trial("ch03.Mm", CountingMm):
        _, grads = linear_grads(input_requires_grad=False)
    _, reference = linear_grads(input_requires_grad=False)
    assert CountingMm.calls == 1
    assert_same(grads, reference)
