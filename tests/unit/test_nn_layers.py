"""Layers: Linear, activations, Sequential, Dropout, BatchNorm1d, each rule by hand."""

import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


def np_of(tensor):
    return tensor.detach().numpy()


# ----------------------------------------------------------------------
# Linear
# ----------------------------------------------------------------------
def test_linear_has_torchs_parameter_shapes():
    layer = nn.Linear(5, 3)
    assert tuple(layer.weight.shape) == (3, 5) and tuple(layer.bias.shape) == (3,)
    assert layer.weight.dtype == mg.float32


def test_linear_init_is_uniform_within_one_over_sqrt_fan_in():
    # kaiming_uniform_(a=sqrt(5)): bound = sqrt(3) * sqrt(2 / (1 + 5)) / sqrt(fan_in)
    # = 1 / sqrt(fan_in); the bias uses the same bound.
    mg.manual_seed(0)
    layer = nn.Linear(100, 200)
    bound = 1 / math.sqrt(100)
    weight, bias = np_of(layer.weight), np_of(layer.bias)
    assert np.abs(weight).max() <= bound and np.abs(bias).max() <= bound
    # A uniform on [-b, b] has mean 0 and variance b**2 / 3; 20,000 draws pin both down.
    assert abs(weight.mean()) < 0.05 * bound
    assert weight.var() == pytest.approx(bound**2 / 3, rel=0.05)
    assert np.abs(weight).max() > 0.98 * bound  # it really reaches out to the bound


def test_linear_init_is_reproducible_with_manual_seed():
    mg.manual_seed(123)
    first = np_of(nn.Linear(4, 3).weight)
    mg.manual_seed(123)
    second = np_of(nn.Linear(4, 3).weight)
    third = np_of(nn.Linear(4, 3).weight)
    assert (first == second).all() and not (first == third).all()


def test_linear_computes_x_times_weight_transposed_plus_bias():
    layer = nn.Linear(3, 2)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    expected = x @ np_of(layer.weight).T + np_of(layer.bias)
    np.testing.assert_allclose(np_of(layer(mg.tensor(x))), expected, rtol=1e-6)


def test_linear_without_bias_has_no_bias_parameter():
    layer = nn.Linear(3, 2, bias=False)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]


def test_linear_gradients_are_the_matmul_rules():
    # loss = sum(x @ W.T + b): dW[i, j] = sum_n x[n, j], db[i] = N
    layer = nn.Linear(3, 2)
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    layer(mg.tensor(x)).sum().backward()
    assert layer.weight.grad.tolist() == [[5.0, 7.0, 9.0]] * 2
    assert layer.bias.grad.tolist() == [2.0, 2.0]


# ----------------------------------------------------------------------
# activations and Sequential
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "module, rule",
    [
        (nn.ReLU(), lambda v: np.maximum(v, 0)),
        (nn.Tanh(), np.tanh),
        (nn.Sigmoid(), lambda v: 1 / (1 + np.exp(-v))),
    ],
)
def test_activation_modules_apply_their_formula_elementwise(module, rule):
    x = np.array([[-2.0, -0.5, 0.0], [0.5, 1.0, 3.0]], dtype=np.float32)
    np.testing.assert_allclose(np_of(module(mg.tensor(x))), rule(x), rtol=1e-6, atol=1e-7)


def test_sequential_feeds_each_module_the_previous_output():
    first, second = nn.Linear(3, 4), nn.Linear(4, 2)
    model = nn.Sequential(first, nn.ReLU(), second)
    x = mg.randn(5, 3)
    np.testing.assert_allclose(np_of(model(x)), np_of(second(mg.relu(first(x)))))


def test_sequential_supports_len_iteration_indexing_and_slicing():
    layers = [nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and list(model) == layers
    assert model[0] is layers[0] and model[-1] is layers[2]
    tail = model[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == layers[1:]
    with pytest.raises(IndexError):
        model[3]


# ----------------------------------------------------------------------
# Dropout
# ----------------------------------------------------------------------
@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_probabilities_outside_0_1(p):
    with pytest.raises(
        ValueError, match=f"dropout probability has to be between 0 and 1, but got {p}"
    ):
        nn.Dropout(p)


def test_dropout_in_training_zeroes_some_elements_and_scales_the_rest():
    mg.manual_seed(0)
    p = 0.25
    x = mg.ones(200, 100) * 3.0
    out = np_of(nn.Dropout(p)(x))
    kept = out != 0
    # survivors are x / (1 - p); the kept fraction is 1 - p within 4 standard errors
    np.testing.assert_allclose(out[kept], 3.0 / (1 - p), rtol=1e-6)
    assert abs(kept.mean() - (1 - p)) < 4 * math.sqrt(p * (1 - p) / kept.size)


def test_dropout_keeps_the_mean_unchanged_in_expectation():
    mg.manual_seed(1)
    out = np_of(nn.Dropout(0.5)(mg.ones(100, 100)))
    assert out.mean() == pytest.approx(1.0, abs=4 * 1.0 / 100)  # std of the mean is 1/100


def test_dropout_gradient_is_the_same_mask_and_scale():
    mg.manual_seed(2)
    x = mg.ones(10, 10, requires_grad=True)
    out = nn.Dropout(0.4)(x)
    out.sum().backward()
    np.testing.assert_allclose(np_of(x.grad), np_of(out))  # d(x * m)/dx = m, and x = 1


def test_dropout_in_eval_returns_its_input_unchanged():
    x = mg.randn(4, 5, requires_grad=True)
    drop = nn.Dropout(0.9).eval()
    assert drop(x) is x


def test_dropout_under_no_grad_still_drops_because_only_eval_switches_it_off():
    mg.manual_seed(3)
    drop = nn.Dropout(0.5)
    with mg.no_grad():
        out = np_of(drop(mg.ones(50, 50)))
    assert (out == 0).any() and (out == 2.0).any()


def test_dropout_masks_repeat_with_manual_seed():
    mg.manual_seed(4)
    first = np_of(nn.Dropout()(mg.ones(8, 8)))
    mg.manual_seed(4)
    assert (np_of(nn.Dropout()(mg.ones(8, 8))) == first).all()


def test_dropout_with_p_one_zeroes_everything_and_p_zero_is_identity():
    x = mg.ones(3, 3)
    assert np_of(nn.Dropout(1.0)(x)).tolist() == [[0.0] * 3] * 3
    assert nn.Dropout(0.0)(x) is x


# ----------------------------------------------------------------------
# BatchNorm1d
# ----------------------------------------------------------------------
BATCH = np.array([[1.0, 10.0], [2.0, 20.0], [6.0, 0.0]], dtype=np.float32)


def test_batchnorm_starts_as_identity_affine_with_zero_one_running_stats():
    bn = nn.BatchNorm1d(3)
    assert bn.weight.tolist() == [1.0] * 3 and bn.bias.tolist() == [0.0] * 3
    assert bn.running_mean.tolist() == [0.0] * 3 and bn.running_var.tolist() == [1.0] * 3
    assert bn.num_batches_tracked.item() == 0 and bn.num_batches_tracked.dtype == mg.int64
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in bn.named_buffers()] == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]


def test_batchnorm_in_training_normalises_with_the_batch_mean_and_biased_variance():
    # column 0: mean 3, biased var ((1-3)^2 + (2-3)^2 + (6-3)^2) / 3 = 14/3
    # column 1: mean 10, biased var (0 + 100 + 100) / 3 = 200/3
    out = np_of(nn.BatchNorm1d(2)(mg.tensor(BATCH)))
    eps = 1e-5
    expected = np.stack(
        [
            (BATCH[:, 0] - 3.0) / math.sqrt(14 / 3 + eps),
            (BATCH[:, 1] - 10.0) / math.sqrt(200 / 3 + eps),
        ],
        axis=1,
    )
    np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_batchnorm_updates_running_stats_with_momentum_and_unbiased_variance():
    bn = nn.BatchNorm1d(2)
    bn(mg.tensor(BATCH))
    # running = 0.9 * running + 0.1 * batch; unbiased var = sum of squares / (n - 1)
    np.testing.assert_allclose(np_of(bn.running_mean), [0.1 * 3.0, 0.1 * 10.0], rtol=1e-6)
    np.testing.assert_allclose(
        np_of(bn.running_var), [0.9 + 0.1 * 14 / 2, 0.9 + 0.1 * 200 / 2], rtol=1e-6
    )
    assert bn.num_batches_tracked.item() == 1
    bn(mg.tensor(BATCH))
    np.testing.assert_allclose(np_of(bn.running_mean), [0.19 * 3.0, 0.19 * 10.0], rtol=1e-6)
    assert bn.num_batches_tracked.item() == 2


def test_batchnorm_in_eval_uses_running_stats_and_leaves_them_alone():
    bn = nn.BatchNorm1d(2)
    with mg.no_grad():
        bn.running_mean.copy_(mg.tensor([1.0, -2.0]))
        bn.running_var.copy_(mg.tensor([4.0, 0.25]))
        bn.weight.copy_(mg.tensor([2.0, 1.0]))
        bn.bias.copy_(mg.tensor([0.5, 0.0]))
    bn.eval()
    out = np_of(bn(mg.tensor([[3.0, -1.0]])))  # one sample is fine in eval
    expected = [
        2.0 * (3.0 - 1.0) / math.sqrt(4.0 + 1e-5) + 0.5,
        (-1.0 + 2.0) / math.sqrt(0.25 + 1e-5),
    ]
    np.testing.assert_allclose(out, [expected], rtol=1e-6)
    assert bn.running_mean.tolist() == [1.0, -2.0] and bn.num_batches_tracked.item() == 0


def test_batchnorm_under_no_grad_in_training_mode_still_updates_running_stats():
    bn = nn.BatchNorm1d(2)
    with mg.no_grad():
        bn(mg.tensor(BATCH))
    assert bn.num_batches_tracked.item() == 1 and bn.running_mean.tolist() != [0.0, 0.0]


def test_batchnorm_with_momentum_none_keeps_a_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None)
    bn(mg.tensor(BATCH))
    bn(mg.tensor(BATCH * 2))
    # plain average of the two batch means: (3 + 6) / 2 and (10 + 20) / 2
    np.testing.assert_allclose(np_of(bn.running_mean), [4.5, 15.0], rtol=1e-6)


def test_batchnorm_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((4, 3))
    weights = rng.standard_normal((4, 3))  # loss = sum(weights * bn(x)), not symmetric

    def loss_of(values, requires_grad=False):
        bn = nn.BatchNorm1d(3, dtype=mg.float64)
        x = mg.tensor(values, dtype=mg.float64, requires_grad=requires_grad)
        return (bn(x) * mg.tensor(weights, dtype=mg.float64)).sum(), x

    loss, x = loss_of(x0, requires_grad=True)
    loss.backward()
    numeric = np.zeros_like(x0)
    h = 1e-6
    for index in np.ndindex(*x0.shape):
        up, down = x0.copy(), x0.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (loss_of(up)[0].item() - loss_of(down)[0].item()) / (2 * h)
    np.testing.assert_allclose(np_of(x.grad), numeric, rtol=1e-5, atol=1e-7)


def test_batchnorm_accepts_n_c_l_input_and_normalises_over_n_and_l():
    x = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    out = np_of(nn.BatchNorm1d(3)(mg.tensor(x)))
    per_channel = x.transpose(1, 0, 2).reshape(3, -1)
    mean = per_channel.mean(1)[None, :, None]
    var = per_channel.var(1)[None, :, None]
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-5, atol=1e-6)


def test_batchnorm_refuses_a_single_sample_batch_in_training():
    with pytest.raises(
        ValueError,
        match=(
            r"Expected more than 1 value per channel when training, "
            r"got input size minigrad.Size\(\[1, 3\]\)"
        ),
    ):
        nn.BatchNorm1d(3)(mg.ones(1, 3))


def test_batchnorm_refuses_1d_input():
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 1D input\)"):
        nn.BatchNorm1d(3)(mg.ones(3))


def test_relu_inplace_overwrites_its_input_and_still_backpropagates():
    x = mg.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    hidden = x * 1.0  # a non-leaf: in place on a leaf that requires grad is an error
    out = nn.ReLU(inplace=True)(hidden)
    assert out is hidden and hidden.tolist() == [0.0, 2.0, 0.0, 4.0]
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 1.0]
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
