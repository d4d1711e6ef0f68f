"""Loss modules: wrap the functional losses with a fixed `reduction`."""

from minigrad.nn import functional as F
from minigrad.nn.module import Module


class MSELoss(Module):
    """Mean squared error: mean((input - target) ** 2)."""

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(Module):
    """Cross entropy of logits (N, C) against class indices (N,): mean of -log softmax[target].

    Takes raw scores, not probabilities: the log-softmax inside is computed
    stably, so logits of 1000 give finite losses and gradients.
    """

    def __init__(self, reduction="mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):
        return F.cross_entropy(input, target, reduction=self.reduction)
