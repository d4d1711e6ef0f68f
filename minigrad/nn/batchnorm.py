"""BatchNorm1d: normalise each feature with batch statistics while training."""

import minigrad as mg
from minigrad.nn import functional as F
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter


class BatchNorm1d(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, per feature (channel, dim 1).

    In training mode mean and var are the current batch's (var biased, /n), and
    the buffers running_mean / running_var move towards them by `momentum`
    (running_var with the unbiased /(n-1) variance). In eval mode the running
    statistics are used instead, so one sample's output no longer depends on
    the rest of its batch. This is the flag `model.eval()` flips.
    """

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        dtype=None,
        *,
        bias=True,
    ):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        # An option that is off leaves its parameters or buffers registered, as None.
        n, has_bias, tracked = num_features, affine and bias, track_running_stats
        self.register_parameter("weight", Parameter(mg.ones(n, dtype=dtype)) if affine else None)
        self.register_parameter("bias", Parameter(mg.zeros(n, dtype=dtype)) if has_bias else None)
        self.register_buffer("running_mean", mg.zeros(n, dtype=dtype) if tracked else None)
        self.register_buffer("running_var", mg.ones(n, dtype=dtype) if tracked else None)
        self.register_buffer("num_batches_tracked", mg.tensor(0) if tracked else None)  # int64

    def forward(self, input):
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with mg.no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:
                # momentum=None: a plain (cumulative) average over all batches so far
                momentum = 1.0 / self.num_batches_tracked.item()
        # Batch statistics in training, and also in eval when nothing was tracked.
        use_batch_stats = self.training or self.running_mean is None
        # Eval hands the buffers over to be used; training hands them over to
        # be updated, but only when this layer tracks running statistics.
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch_stats,
            momentum,
            self.eps,
        )

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )
