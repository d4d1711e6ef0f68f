"""minigrad.nn.functional: the layers and losses as plain functions.

Every function here is composed from engine ops (matmul, exp, log, sum, ...),
so autograd differentiates it with no extra code: the backward pass is the
chain rule through those ops. The modules in minigrad.nn call these.
"""

import warnings

import minigrad as mg
from minigrad.ops import fused
from minigrad.ops import inplace as inplace_ops
from minigrad.ops.common import operands
from minigrad.ops.reduce import floats_only

_REDUCTIONS = ("none", "mean", "sum")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


# ----------------------------------------------------------------------
# layers
# ----------------------------------------------------------------------
def linear(input, weight, bias=None):
    """input @ weight.T + bias: weight has shape (out_features, in_features).

    With a bias and a 2-D input it is one fused op, ``addmm`` (AddmmBackward0),
    as in PyTorch; a batch with more dims is flattened to 2-D and back.
    """
    if bias is None:
        return input.matmul(weight.t())
    if input.ndim == 2:
        return fused.addmm(bias, input, weight.t())
    if input.ndim > 2:
        flat = input.reshape(-1, input.shape[-1])
        return fused.addmm(bias, flat, weight.t()).view(*input.shape[:-1], weight.shape[0])
    return input.matmul(weight.t()) + bias


def relu(input, inplace=False):
    """max(0, x) elementwise; inplace=True overwrites `input` (multiplying it by x > 0)."""
    if inplace:
        return inplace_ops.relu_(input)
    return mg.relu(input)


def tanh(input):
    return mg.tanh(input)


def sigmoid(input):
    return mg.sigmoid(input)


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: keep each element with probability 1-p and divide it by 1-p.

    Outside training (or with p=0) the input itself is returned, untouched.
    The mask comes from mg.rand, so mg.manual_seed makes it reproducible.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        scale = mg.zeros(input.shape, dtype=input.dtype)  # 1/(1-p) would divide by 0
    else:
        keep = mg.rand(*input.shape) < 1.0 - p
        scale = keep.to(input.dtype) / (1.0 - p)
    if inplace:
        return input.mul_(scale)
    return input * scale


def batch_norm(
    input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5
):
    """Normalise each channel (dim 1) of an (N, C) or (N, C, L) input.

    training=True: use this batch's mean and biased variance, and (if given)
    move running_mean / running_var towards the batch's mean and *unbiased*
    variance by `momentum`. training=False: use running_mean / running_var.
    """
    channels = input.shape[1]
    if running_mean is not None and running_mean.numel() != channels:
        raise RuntimeError(
            f"running_mean should contain {channels} elements not {running_mean.numel()}"
        )
    if training:
        count = input.numel() // channels  # values per channel
        if count <= 1:
            raise ValueError(
                "Expected more than 1 value per channel when training, "
                f"got input size {input.size()}"
            )
    # One fused op (NativeBatchNormBackward0): statistics over every dim but dim 1.
    return fused.native_batch_norm(
        input, weight, bias, running_mean, running_var, training, momentum, eps
    )


# ----------------------------------------------------------------------
# softmax family
# ----------------------------------------------------------------------
def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) along `dim`, computed stably by the engine's fused op.

    It equals (x - m) - log(sum(exp(x - m))) for any m; the op takes m = max(x),
    so every exp() is at most 1 and logits of 1000 do not overflow. Its backward
    node is LogSoftmaxBackward0, as in PyTorch.
    """
    dim = _implicit_dim("log_softmax", input) if dim is None else dim
    return input.log_softmax(dim, dtype)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along `dim` (the engine's fused, max-shifted op); with a
    ``dtype``, of the input converted to it first."""
    return input.softmax(_implicit_dim("softmax", input) if dim is None else dim, dtype)


def _implicit_dim(name, input):
    """PyTorch's legacy choice when no dim is given, with its deprecation warning: dim 0
    of a tensor of 0, 1 or 3 dimensions, else dim 1."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to "
        "include dim=X as an argument.",
        UserWarning,
        stacklevel=3,
    )
    return 0 if input.ndim in (0, 1, 3) else 1


# ----------------------------------------------------------------------
# losses
# ----------------------------------------------------------------------
def mse_loss(input, target, reduction="mean"):
    """(input - target) ** 2, averaged (or summed) over every element."""
    _check_reduction(reduction)
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({target.size()}) that is different to the input size "
            f"({input.size()}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            stacklevel=2,
        )
        operands(input, target)  # refuses shapes that do not broadcast, in PyTorch's words
    if input.dtype == target.dtype:  # mixed, they are promoted to a float dtype first
        floats_only(input, "mse_cpu")
    return fused.mse_loss(input, target, reduction)


def nll_loss(input, target, reduction="mean"):
    """Negative log likelihood: -input[i, target[i]] for log-probabilities input (N, C)
    (or -input[target] for one sample, (C,), with a 0-d target).

    The pick is written as a product with a one-hot mask, so it is made of
    elementwise ops; its gradient is -1 at each target position and 0 elsewhere.
    """
    _check_reduction(reduction)
    if input.ndim == 1 and target.numel() != 1:
        raise ValueError(
            f"For 1D input, 1D target must have size 1, but got target size: {target.numel()}"
        )
    batch = target.shape[0] if target.ndim else 0  # (a 0-d target has no batch)
    if input.ndim > 1 and input.shape[0] != batch:
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({batch})."
        )
    if target.dtype != mg.int64:
        raise RuntimeError(
            f"expected target dtype to be Long or Byte, but got {target.dtype.scalar_name}"
        )
    floats_only(input, "nll_loss_out_frame")
    classes = input.shape[-1]
    for label in target.reshape(-1).tolist():
        if not 0 <= label < classes:
            raise IndexError(f"Target {label} is out of bounds.")
    return fused.nll_loss(input, target, reduction)


def cross_entropy(input, target, reduction="mean"):
    """Cross entropy of logits (N, C) against class indices (N,) or class probabilities (N, C).

    It is nll_loss(log_softmax(input)): the stable log-softmax is what makes
    it safe to pass raw scores of any size.
    """
    _check_reduction(reduction)
    log_probs = log_softmax(input, -1)
    if target.dtype in (mg.float32, mg.float64) and target.shape == input.shape:
        # soft labels: -sum_c p_c log q_c
        return _reduce(-(target * log_probs).sum(-1), reduction)
    return nll_loss(log_probs, target, reduction)
