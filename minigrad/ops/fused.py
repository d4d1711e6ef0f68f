"""Fused operations for the training layer: one node where PyTorch records one.

``linear``, the losses and batch norm could be written with the ops of the
other modules (and minigrad's first version did that), but PyTorch records
each as a single node with its own backward formula: ``AddmmBackward0``,
``MseLossBackward0``, ``NllLossBackward0``, ``NativeBatchNormBackward0``. So
does minigrad, so that ``loss.grad_fn`` reads the same in both.
"""

import numpy as np

from ..graph import Node
from .common import grad_for, is_recording, meta, output
from .elementwise import ReluBackward0
from .inplace import _bump, _rebase, check_inplace
from .shape import scatter_into_zeros


class AddmmBackward0(Node):
    """out = bias + mat1 @ mat2: the bias gets the (unbroadcast) gradient, the
    matrices get the two products of mm's backward."""

    saved_names = ("mat1", "mat2")

    def apply(self, grad):
        grad_bias = grad_for(grad, self.meta) if self.needs_grad(0) else None
        grad_mat1 = grad.mm(self.saved("mat2").t()) if self.needs_grad(1) else None
        grad_mat2 = self.saved("mat1").t().mm(grad) if self.needs_grad(2) else None
        return grad_bias, grad_mat1, grad_mat2


def addmm(bias, mat1, mat2):
    """``bias + mat1 @ mat2`` in one op (how PyTorch's linear layer computes)."""
    (n, m), (m2, p) = mat1._data.shape, mat2._data.shape
    if m != m2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({n}x{m} and {m2}x{p})")
    if mat1._data.dtype != mat2._data.dtype or bias._data.dtype != mat1._data.dtype:
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got "
            f"{mat1.dtype.legacy_name[:-6]} and {mat2.dtype.legacy_name[:-6]}"
        )
    out = mat1._data @ mat2._data
    out += bias._data  # in place into the fresh product: no second array of that size
    if not is_recording(bias, mat1, mat2):
        return output(out)
    node = AddmmBackward0(bias, mat1, mat2)
    node.meta = meta(bias)
    if node.needs_grad(1):
        node.save("mat2", mat2)
    if node.needs_grad(2):
        node.save("mat1", mat1)
    node.save_value("alpha", 1)
    node.save_value("beta", 1)
    return output(out, node)


def _reduce(values, reduction):
    if reduction == "mean":
        return np.asarray(values.mean(), dtype=values.dtype)
    if reduction == "sum":
        return np.asarray(values.sum(), dtype=values.dtype)
    return values


def _spread(grad, shape, count, reduction):
    """The backward of a reduction: the loss gradient for each element."""
    if reduction == "mean":
        return (grad / count).expand(shape)
    if reduction == "sum":
        return grad.expand(shape)
    return grad


class MseLossBackward0(Node):
    """loss = mean((x - t)**2): d/dx = 2 (x - t) / n, d/dt = the negative of that."""

    def apply(self, grad):
        x, t = self.saved("self"), self.saved("target")
        g = _spread(grad, x.shape, x.numel(), self.reduction) * (2 * (x - t))
        return (g if self.needs_grad(0) else None), (-g if self.needs_grad(1) else None)


def mse_loss(input, target, reduction="mean"):
    diff = input._data - target._data
    out = _reduce(diff * diff, reduction)
    if not is_recording(input, target):
        return output(out)
    node = MseLossBackward0(input, target)
    node.reduction = reduction
    node.save("self", input)
    node.save("target", target)
    node.save_value("reduction", reduction)
    return output(out, node)


class NllLossBackward0(Node):
    """loss = -mean(logp[i, target[i]]): the gradient is -1/n at each target position."""

    def apply(self, grad):
        target = self.saved("target")._data
        rows = np.arange(target.shape[0])
        per_row = _spread(grad, target.shape, target.shape[0], self.reduction)
        return (scatter_into_zeros(-per_row, self.shape, (rows, target)),)


def nll_loss(input, target, reduction="mean"):
    """Negative log-likelihood of class indices ``target`` under log-probabilities ``input``."""
    logp = input._data
    picked = -logp[np.arange(logp.shape[0]), target._data]
    out = _reduce(picked, reduction)
    if not is_recording(input):
        return output(out)
    node = NllLossBackward0(input)
    node.reduction, node.shape = reduction, logp.shape
    node.save("target", target)
    node.save_value("reduction", reduction)
    return output(out, node)


class NativeBatchNormBackward0(Node):
    """y = (x - mean) * invstd * weight + bias, per channel.

    In training mean and invstd come from the batch itself, so they depend on x:
    grad_x = invstd / n * (n * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat)),
    with dxhat = grad * weight. In evaluation they are constants: grad_x = dxhat * invstd.
    """

    def apply(self, grad):
        x = self.saved("input")
        mean, invstd = self.mean, self.invstd  # (1, C, ...) constants
        xhat = (x - mean) * invstd
        w = self.saved("weight") if self.has_weight else None
        dxhat = grad * w.reshape(self.channel_shape) if w is not None else grad
        grad_x = grad_w = grad_b = None
        if self.needs_grad(0):
            if self.training:
                dims, n = self.reduce_dims, self.count
                grad_x = (
                    invstd
                    / n
                    * (
                        n * dxhat
                        - dxhat.sum(dims, keepdim=True)
                        - xhat * (dxhat * xhat).sum(dims, keepdim=True)
                    )
                )
            else:
                grad_x = dxhat * invstd
        if self.needs_grad(1):
            grad_w = (grad * xhat).sum(self.reduce_dims)
        if self.needs_grad(2):
            grad_b = grad.sum(self.reduce_dims)
        return grad_x, grad_w, grad_b


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """Batch normalisation over dim 1; in training also updates the running statistics
    in place (so their version counters move, as in PyTorch)."""
    x = input._data
    reduce_dims = (0, *range(2, x.ndim))
    channel_shape = [1] * x.ndim
    channel_shape[1] = x.shape[1]
    count = x.size // x.shape[1]
    if training:
        mean = x.mean(axis=reduce_dims, keepdims=True)
        var = x.var(axis=reduce_dims, keepdims=True)  # biased, for normalising
        if running_mean is not None:
            unbiased = var.reshape(-1) * (count / (count - 1))
            running_mean._data *= 1 - momentum
            running_mean._data += momentum * mean.reshape(-1)
            running_var._data *= 1 - momentum
            running_var._data += momentum * unbiased
            _bump(running_mean)
            _bump(running_var)
    else:
        mean = running_mean._data.reshape(channel_shape)
        var = running_var._data.reshape(channel_shape)
    invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
    out = (x - mean) * invstd
    if weight is not None:
        out = out * weight._data.reshape(channel_shape)
    if bias is not None:
        out = out + bias._data.reshape(channel_shape)
    out = out.astype(x.dtype, copy=False)
    if not is_recording(input, *(t for t in (weight, bias) if t is not None)):
        return output(out)
    node = NativeBatchNormBackward0(input, weight, bias)
    node.training, node.reduce_dims, node.count = training, reduce_dims, count
    node.channel_shape, node.has_weight = tuple(channel_shape), weight is not None
    node.mean = output(mean.astype(x.dtype, copy=False))
    node.invstd = output(invstd)
    node.save("input", input)
    if weight is not None:
        node.save("weight", weight)
    node.save_value("eps", eps)
    node.save_value("training", training)
    return output(out, node)


def relu_(t):
    """In-place relu: t becomes max(t, 0); its new history is a ReluBackward0."""
    check_inplace(t)
    record = is_recording(t)
    node = ReluBackward0(t) if record else None
    np.maximum(t._data, 0, out=t._data)
    _bump(t)
    if node is not None:
        _rebase(t, node)
        node.save("result", t, is_output=True)
    return t
