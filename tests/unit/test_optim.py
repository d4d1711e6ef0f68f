"""minigrad.optim: SGD and Adam update rules by hand, and the Optimizer machinery."""

import math

import pytest

import minigrad as mg
from minigrad import nn, optim


def param_with_grad(values, grad):
    p = nn.Parameter(mg.tensor(values, dtype=mg.float64))
    p.grad = mg.tensor(grad, dtype=mg.float64)
    return p


def approx(values):
    return pytest.approx(values, rel=1e-12, abs=1e-15)


# ----------------------------------------------------------------------
# SGD
# ----------------------------------------------------------------------
def test_sgd_step_subtracts_lr_times_grad():
    p = param_with_grad([1.0, -2.0], [0.5, 4.0])
    optim.SGD([p], lr=0.1).step()
    assert p.tolist() == approx([1.0 - 0.05, -2.0 - 0.4])


def test_sgd_weight_decay_adds_decay_times_param_to_the_gradient():
    p = param_with_grad([2.0], [1.0])
    optim.SGD([p], lr=0.1, weight_decay=0.5).step()
    assert p.tolist() == approx([2.0 - 0.1 * (1.0 + 0.5 * 2.0)])


def test_sgd_momentum_buffer_starts_at_the_gradient_then_accumulates():
    p = param_with_grad([0.0], [1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    opt.step()  # buf = g = 1 (no dampening on the first step), p = -0.1
    assert opt.state[p]["momentum_buffer"].tolist() == approx([1.0])
    p.grad = mg.tensor([2.0], dtype=mg.float64)
    opt.step()  # buf = 0.9 * 1 + (1 - 0.5) * 2 = 1.9, p = -0.1 - 0.19
    assert opt.state[p]["momentum_buffer"].tolist() == approx([1.9])
    assert p.tolist() == approx([-0.29])


def test_sgd_nesterov_steps_along_grad_plus_momentum_times_buffer():
    p = param_with_grad([0.0], [1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.5, nesterov=True)
    opt.step()  # buf = 1, d = 1 + 0.5 * 1 = 1.5
    assert p.tolist() == approx([-0.15])
    opt.step()  # buf = 0.5 * 1 + 1 = 1.5, d = 1 + 0.75 = 1.75
    assert p.tolist() == approx([-0.15 - 0.175])


def test_sgd_without_momentum_keeps_no_state():
    p = param_with_grad([1.0], [1.0])
    opt = optim.SGD([p], lr=0.1)
    opt.step()
    assert dict(opt.state[p]) == {}


def test_sgd_maximize_climbs_the_gradient():
    p = param_with_grad([1.0], [2.0])
    optim.SGD([p], lr=0.5, maximize=True).step()
    assert p.tolist() == approx([2.0])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -1.0}, "Invalid learning rate: -1.0"),
        ({"lr": 0.1, "momentum": -0.5}, "Invalid momentum value: -0.5"),
        ({"lr": 0.1, "weight_decay": -1}, "Invalid weight_decay value: -1"),
        ({"lr": 0.1, "nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
    ],
)
def test_sgd_validates_its_hyperparameters_like_torch(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.SGD([nn.Parameter(mg.zeros(1))], **kwargs)


# ----------------------------------------------------------------------
# Adam
# ----------------------------------------------------------------------
def test_adam_first_step_moves_each_weight_by_lr_against_the_gradient_sign():
    # Step 1: m = (1-b1) g, v = (1-b2) g^2; bias correction gives m^ = g, v^ = g^2,
    # so the update is lr * g / (|g| + eps).
    p = param_with_grad([1.0, 1.0, 1.0], [0.5, -3.0, 1e-3])
    optim.Adam([p], lr=0.01, eps=1e-8).step()
    expected = [1.0 - 0.01 * g / (abs(g) + 1e-8) for g in (0.5, -3.0, 1e-3)]
    assert p.tolist() == pytest.approx(expected, rel=1e-9)


def test_adam_second_step_follows_the_bias_corrected_averages():
    b1, b2, lr, eps = 0.9, 0.999, 0.1, 1e-8
    p = param_with_grad([0.0], [1.0])
    opt = optim.Adam([p], lr=lr, betas=(b1, b2), eps=eps)
    opt.step()
    p.grad = mg.tensor([-2.0], dtype=mg.float64)
    opt.step()
    m = b1 * (1 - b1) * 1.0 + (1 - b1) * -2.0
    v = b2 * (1 - b2) * 1.0 + (1 - b2) * 4.0
    second = lr / (1 - b1**2) * m / (math.sqrt(v) / math.sqrt(1 - b2**2) + eps)
    assert p.tolist() == pytest.approx([-lr * 1.0 / (1.0 + eps) - second], rel=1e-9)
    state = opt.state[p]
    assert state["step"].item() == 2.0
    assert state["exp_avg"].tolist() == pytest.approx([m], rel=1e-12)
    assert state["exp_avg_sq"].tolist() == pytest.approx([v], rel=1e-12)


def test_adam_weight_decay_is_added_to_the_gradient():
    # L2 decay (not AdamW): g' = g + wd * p; first step is still lr * sign(g')
    p = param_with_grad([2.0], [-0.5])
    optim.Adam([p], lr=0.1, weight_decay=1.0).step()  # g' = -0.5 + 2 = 1.5 > 0
    assert p.tolist() == pytest.approx([2.0 - 0.1], rel=1e-7)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lr": -0.1}, "Invalid learning rate: -0.1"),
        ({"eps": -1.0}, "Invalid epsilon value: -1.0"),
        ({"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0"),
        ({"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
        ({"weight_decay": -2}, "Invalid weight_decay value: -2"),
    ],
)
def test_adam_validates_its_hyperparameters_like_torch(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.Adam([nn.Parameter(mg.zeros(1))], **kwargs)


# ----------------------------------------------------------------------
# the Optimizer machinery
# ----------------------------------------------------------------------
def test_step_runs_under_no_grad_and_updates_in_place():
    p = param_with_grad([1.0], [1.0])
    version = p._version
    optim.SGD([p], lr=0.1).step()
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    assert p._version > version  # in place: the same tensor object, modified


def test_step_skips_parameters_without_a_gradient():
    p = nn.Parameter(mg.tensor([1.0]))
    opt = optim.Adam([p], lr=0.1)
    opt.step()
    assert p.tolist() == [1.0] and len(opt.state) == 0


def test_zero_grad_sets_to_none_by_default_and_to_zeros_on_request():
    p = param_with_grad([1.0, 2.0], [3.0, 4.0])
    opt = optim.SGD([p], lr=0.1)
    opt.zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_gradients_accumulate_without_zero_grad():
    p = nn.Parameter(mg.tensor([1.0]))
    (p * 3).sum().backward()
    (p * 3).sum().backward()
    assert p.grad.tolist() == [6.0]


def test_param_groups_carry_their_own_hyperparameters():
    a = param_with_grad([0.0], [1.0])
    b = param_with_grad([0.0], [1.0])
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    opt.step()
    assert a.tolist() == approx([-0.1]) and b.tolist() == approx([-1.0])
    assert [g["lr"] for g in opt.param_groups] == [0.1, 1.0]
    assert opt.param_groups[0]["momentum"] == 0


def test_changing_lr_in_param_groups_takes_effect_on_the_next_step():
    p = param_with_grad([0.0], [1.0])
    opt = optim.SGD([p], lr=0.1)
    opt.param_groups[0]["lr"] = 0.5
    opt.step()
    assert p.tolist() == approx([-0.5])


def test_step_calls_the_closure_with_grad_enabled_and_returns_its_loss():
    p = nn.Parameter(mg.tensor([2.0]))
    opt = optim.SGD([p], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with mg.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 4.0 and p.tolist() == [2.0 - 0.25 * 4.0]


def test_optimizer_refuses_a_single_tensor():
    with pytest.raises(
        TypeError,
        match="params argument given to the optimizer should be "
        "an iterable of Tensors or dicts, but got minigrad.FloatTensor",
    ):
        optim.SGD(nn.Parameter(mg.zeros(1)), lr=0.1)


def test_optimizer_refuses_an_empty_parameter_list():
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.Adam([])


def test_optimizer_refuses_non_leaf_tensors():
    x = mg.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([x * 2], lr=0.1)


def test_optimizer_refuses_a_parameter_in_two_groups():
    p = nn.Parameter(mg.zeros(1))
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)


def test_optimizer_repr_lists_each_group_sorted_like_torch():
    opt = optim.SGD([nn.Parameter(mg.zeros(1))], lr=0.1)
    assert repr(opt) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    lr: 0.1\n    maximize: False\n"
        "    momentum: 0\n    nesterov: False\n    weight_decay: 0\n)"
    )


def test_training_a_linear_model_with_sgd_fits_a_line():
    mg.manual_seed(0)
    x = mg.tensor([[0.0], [1.0], [2.0], [3.0]])
    y = 2 * x + 1
    model = nn.Linear(1, 1)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    for _ in range(300):
        opt.zero_grad()
        nn.MSELoss()(model(x), y).backward()
        opt.step()
    assert model.weight.item() == pytest.approx(2.0, abs=1e-3)
    assert model.bias.item() == pytest.approx(1.0, abs=1e-3)
