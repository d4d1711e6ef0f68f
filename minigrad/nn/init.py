"""Initialisation: how layers fill their Parameters before training.

Each function fills a tensor in place under no_grad (so it works on leaves
that require grad) and returns it, like torch.nn.init. Draws come from
minigrad's random stream, so `mg.manual_seed(n)` makes them reproducible.
"""

import math
import warnings

import minigrad as mg


def calculate_gain(nonlinearity, param=None):
    """The factor that keeps activations' variance steady through a nonlinearity.

    For 'leaky_relu' with negative slope a, the gain is sqrt(2 / (1 + a**2));
    PyTorch's Linear uses a = sqrt(5), which gives sqrt(1/3).
    """
    linear_like = ("linear", "conv1d", "conv2d", "conv3d", "sigmoid")
    if nonlinearity in linear_like:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"negative_slope {slope} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    """fan_in = inputs per output unit (weight.shape[1]); fan_out = outputs (shape[0])."""
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"
        )
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def uniform_(tensor, a=0.0, b=1.0):
    """Fill `tensor` with draws from U(a, b)."""
    with mg.no_grad():
        draws = mg.rand(*tensor.shape, dtype=tensor.dtype) * (b - a) + a
        tensor.copy_(draws)
    return tensor


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He initialisation: U(-bound, bound) with bound = gain * sqrt(3 / fan).

    A uniform on [-b, b] has variance b**2 / 3, so this bound gives the
    weights a standard deviation of gain / sqrt(fan).
    """
    if 0 in tensor.shape:  # as PyTorch: Linear(0, n) has no weights to fill
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)
