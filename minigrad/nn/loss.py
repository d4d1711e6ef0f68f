"""Loss modules: wrap the functional losses with a fixed `reduction`."""

from minigrad.nn import functional as F
from minigrad.nn.module import Module


class _Loss(Module):
    """What every loss module holds: how it reduces the per-element losses (as torch's _Loss)."""

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction


class MSELoss(_Loss):
    """Mean squared error: mean((input - target) ** 2)."""

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    """Cross entropy of logits (N, C) against class indices (N,): mean of -log softmax[target].

    Takes raw scores, not probabilities: the log-softmax inside is computed
    stably, so logits of 1000 give finite losses and gradients.
    """

    def forward(self, input, target):
        return F.cross_entropy(input, target, reduction=self.reduction)
