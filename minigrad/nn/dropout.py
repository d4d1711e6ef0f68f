"""Dropout: randomly zero activations while training, do nothing in eval."""

from minigrad.nn import functional as F
from minigrad.nn.module import Module


class Dropout(Module):
    """Zero each element with probability p in training mode, scaling survivors by 1/(1-p).

    The scaling ("inverted dropout") keeps each activation's expected value
    unchanged, so in eval mode the layer is the identity and returns its input.
    The switch is `model.eval()`, not `no_grad()`: grad mode never changes it.
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
