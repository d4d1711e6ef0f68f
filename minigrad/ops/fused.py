"""Fused operations for the training layer: one node where PyTorch records one.

``linear``, the losses and batch norm could be written with the ops of the
other modules (and minigrad's first version did that), but PyTorch records
each as a single node with its own backward formula: ``AddmmBackward0``,
``MseLossBackward0``, ``NllLossBackward0``, ``NativeBatchNormBackward0``. So
does minigrad, so that ``loss.grad_fn`` reads the same in both.
"""

import numpy as np

from ..function import Op, bump_version
from ..tensor import Tensor, _wrap
from . import matrix
from .common import zeros_like
from .elementwise import DivNumber, MulNumber, array
from .matrix import check_multipliable


class Addmm(Op):
    """out = bias + mat1 @ mat2: the bias gets the (unbroadcast) gradient, the
    matrices what mm's backward gives them: ``matrix.Mm.backward`` itself, looked up
    at call time, so a linear layer trains with whichever Mm the engine has."""

    node_name = "AddmmBackward0"
    broadcasts = True

    def forward(ctx, bias, mat1, mat2):
        needs = ctx.needs_input_grad
        ctx.save(mat1=mat1 if needs[2] else None, mat2=mat2 if needs[1] else None)
        ctx.save(alpha=1, beta=1)
        out = mat1 @ mat2
        out += bias  # in place into the fresh product: no second array of that size
        return out

    def backward(ctx, grad):
        grad_mat1, grad_mat2 = matrix.Mm.backward(_MmPart(ctx), grad)
        return grad if ctx.needs_input_grad[0] else None, grad_mat1, grad_mat2


class _MmPart:
    """The ctx of the product inside addmm, as Mm's backward reads one: Mm's saved
    ``self``/``mat2`` are addmm's ``mat1``/``mat2`` (saved by the same rule), and its two
    inputs are addmm's last two."""

    def __init__(self, ctx):
        self.saved_tensors = ctx.saved_tensors
        self.needs_input_grad = ctx.needs_input_grad[1:]


class AddmmByLayout(Addmm):
    """Addmm of a matrix laid out column-major (a linear layer's ``weight.t()``): its
    matrices' gradients as PyTorch records them (``matrix.grads_by_layout``)."""

    def forward(ctx, bias, mat1, mat2):
        ctx.column_major = matrix.is_column_major(mat1), matrix.is_column_major(mat2)
        return Addmm.forward(ctx, bias, mat1, mat2)

    def backward(ctx, grad):
        # On arrays, Addmm's own: no program sees weight.t()'s gradient, so it needs no
        # transposed copy (matrix.laid_out)
        if not isinstance(grad, Tensor):
            return Addmm.backward(ctx, grad)
        grad_bias = grad if ctx.needs_input_grad[0] else None
        return grad_bias, *matrix.grads_by_layout(ctx, grad)


def addmm(bias, mat1, mat2):
    """``bias + mat1 @ mat2`` in one op (how PyTorch's linear layer computes)."""
    check_multipliable(mat1._data.shape, mat2._data.shape)
    if mat1._data.dtype != mat2._data.dtype or bias._data.dtype != mat1._data.dtype:
        raise RuntimeError(
            "mat1 and mat2 must have the same dtype, but got "
            f"{mat1.dtype.scalar_name} and {mat2.dtype.scalar_name}"
        )
    by_layout = matrix.is_column_major(mat1._data) or matrix.is_column_major(mat2._data)
    return (AddmmByLayout if by_layout else Addmm).apply(bias, mat1, mat2)


def _reduce(values, reduction):
    if reduction == "none":
        return values
    total = values.sum()  # the mean of nothing is nan, without numpy's warning (as PyTorch)
    return np.asarray(total / values.size if reduction == "mean" else total, dtype=values.dtype)


class MseLoss(Op):
    """loss = mean((x - t)**2): d/dx = 2 (x - t) / n, d/dt = the negative of that."""

    node_name = "MseLossBackward0"
    broadcasts = True

    def forward(ctx, x, target, reduction):
        ctx.save(self=x, target=target, reduction=reduction)
        diff = x - target
        return _reduce(diff * diff, reduction)

    def backward(ctx, grad):
        x, t = ctx.saved_tensors
        needs, reduction = ctx.needs_input_grad, ctx.reduction
        # The target's gradient is the same op with x and t swapped; each in its input's
        # dtype (x and t of two dtypes were cast to one for forward), as PyTorch's.
        x_dtype, t_dtype = (m[1] for m in ctx._inputs) if ctx._inputs else (None, None)
        grad_x = MseLossBackward.apply(grad, x, t, reduction=reduction, dtype=x_dtype)
        grad_t = MseLossBackward.apply(grad, t, x, reduction=reduction, dtype=t_dtype)
        return grad_x if needs[0] else None, grad_t if needs[1] else None


class MseLossBackward(Op):
    """mse_loss's gradient for x, 2 * (x - t) * grad (/ n for the mean), as one op with its
    own backward, as PyTorch has it (``mse_loss_backward``): what a second derivative of
    the loss goes through."""

    node_name = "MseLossBackwardBackward0"
    broadcasts = True

    def forward(ctx, grad, x, t, reduction, dtype=None):
        ctx.save(grad_output=grad, self=x, target=t, reduction=reduction, sizes=(x.size, t.size))
        diff = x - t
        norm = 2 / diff.size if reduction == "mean" and diff.size else 2  # (none: empty)
        return (norm * diff * grad).astype(dtype or diff.dtype, copy=False)

    def backward(ctx, gg):
        grad, x, t = ctx.saved_tensors
        needs, reduction = ctx.needs_input_grad, ctx.reduction

        def twice(g, size):  # d/dx of 2 * (x - t) * grad: 2 * grad (/ n)
            g = MulNumber.apply(g, number=2)
            return DivNumber.apply(g, number=size) if reduction == "mean" else g

        d_t = -twice(gg * grad, ctx.sizes[1]) if needs[2] else None
        d_x = twice(gg * grad, ctx.sizes[0]) if needs[1] else None
        d_grad = None
        if needs[0]:
            d_grad = MseLossBackward.apply(gg, x, t, reduction=reduction)
            d_grad = d_grad if reduction == "none" else d_grad.sum()
        return d_grad, d_x, d_t


def mse_loss(input, target, reduction="mean"):
    return MseLoss.apply(input, target, reduction=reduction)


class NllLoss(Op):
    """loss = -mean(logp[i, target[i]]): the gradient is -1/n at each target position."""

    node_name = "NllLossBackward0"

    def forward(ctx, logp, target, reduction):
        ctx.save(self=logp, target=target, reduction=reduction)
        return _reduce(-np.asarray(logp[picks(logp, target._data)]), reduction)

    def backward(ctx, grad):
        logp, target = ctx.saved_tensors
        return NllLossBackward.apply(grad, logp, target=array(target), reduction=ctx.reduction)


class NllLossBackward(Op):
    """nll_loss's gradient, -grad (/ n for the mean) at each row's target and 0 elsewhere, as
    one op with its own backward, as PyTorch has it (``nll_loss_backward``). It does not
    depend on the log-probabilities (their gradient is 0); for ``grad`` it is nll_loss
    itself."""

    node_name = "NllLossBackwardBackward0"

    def forward(ctx, grad, logp, target, reduction):
        ctx.save(target=target, reduction=reduction)
        out = np.zeros_like(logp)
        out[picks(logp, target)] = -(grad / target.size if reduction == "mean" else grad)
        return out

    def backward(ctx, gg):
        (target,) = ctx.saved_tensors
        d_grad = NllLoss.apply(gg, target=_wrap(array(target)), reduction=ctx.reduction)
        return d_grad, zeros_like(gg)


def picks(logp, target):
    """Where the targets pick their log-probabilities: (row, class) pairs in a batch (N, C);
    the class alone for one sample without a batch dimension (C,), as PyTorch allows."""
    if logp.ndim == 1:
        return (target.reshape(()),)
    return np.arange(target.shape[0]), target


def nll_loss(input, target, reduction="mean"):
    """Negative log-likelihood of class indices ``target`` under log-probabilities ``input``."""
    return NllLoss.apply(input, target=target, reduction=reduction)


class NativeBatchNorm(Op):
    """y = (x - mean) * invstd * weight + bias, per channel (dim 1).

    In training, mean and invstd come from the batch itself, so they depend on x:
    grad_x = invstd / n * (n * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat)),
    with dxhat = grad * weight. In evaluation they are constants: grad_x = dxhat * invstd.
    """

    node_name = "NativeBatchNormBackward0"

    def forward(ctx, x, weight, bias, stats, training, momentum, eps):
        ctx.dims, ctx.training = (0, *range(2, x.ndim)), training
        ctx.channels = [x.shape[1] if d == 1 else 1 for d in range(x.ndim)]
        ctx.count = x.size // x.shape[1]
        mean, var = _batch_statistics(x, ctx, stats, momentum)
        invstd = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
        ctx.save(input=x, weight=weight, result1=mean, result2=invstd, eps=eps, training=training)
        out = (x - mean) * invstd
        if weight is not None:
            out = out * weight.reshape(ctx.channels)
        if bias is not None:
            out = out + bias.reshape(ctx.channels)
        return out.astype(x.dtype, copy=False)

    def backward(ctx, grad):
        x, w, mean, invstd = ctx.saved_tensors
        if ctx.training and isinstance(x, Tensor):
            # Recorded (create_graph): the batch's mean and invstd depend on x, so they are
            # computed again as ops on x (the same numbers as forward's).
            mean = x.mean(ctx.dims, keepdim=True)
            var = ((x - mean) * (x - mean)).mean(ctx.dims, keepdim=True)
            invstd = (var + ctx.eps).sqrt().reciprocal()
        xhat = (x - mean) * invstd
        dxhat = grad * w.reshape(ctx.channels) if w is not None else grad
        dims, n = ctx.dims, ctx.count
        needs = ctx.needs_input_grad
        if not ctx.training:
            grad_x = dxhat * invstd
        else:
            spread = dxhat.sum(axis=dims, keepdims=True)
            spread = spread + xhat * (dxhat * xhat).sum(axis=dims, keepdims=True)
            grad_x = invstd / n * (n * dxhat - spread)
        grad_w = (grad * xhat).sum(axis=dims) if needs[1] else None
        return grad_x if needs[0] else None, grad_w, grad.sum(axis=dims) if needs[2] else None


def _batch_statistics(x, ctx, stats, momentum):
    """Mean and variance per channel: the batch's in training (which also moves the
    running statistics, in place, so their versions move as in PyTorch), else the
    running ones."""
    running_mean, running_var = stats
    if not ctx.training:
        return running_mean._data.reshape(ctx.channels), running_var._data.reshape(ctx.channels)
    mean = x.mean(axis=ctx.dims, keepdims=True)
    var = x.var(axis=ctx.dims, keepdims=True)  # biased, for normalising
    if running_mean is not None:
        unbiased = var.reshape(-1) * (ctx.count / (ctx.count - 1))
        running_mean._data *= 1 - momentum
        running_mean._data += momentum * mean.reshape(-1)
        running_var._data *= 1 - momentum
        running_var._data += momentum * unbiased
        bump_version(running_mean)
        bump_version(running_var)
    return mean, var


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """Batch normalisation over dim 1; in training also updates the running statistics."""
    return NativeBatchNorm.apply(
        input,
        weight,
        bias,
        stats=(running_mean, running_var),
        training=training,
        momentum=momentum,
        eps=eps,
    )
