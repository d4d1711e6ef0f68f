"""Activation layers: elementwise nonlinearities with no parameters."""

from minigrad.nn import functional as F
from minigrad.nn.module import Module


class ReLU(Module):
    """max(0, x) elementwise; the gradient is 1 where x > 0 and 0 elsewhere."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Tanh(Module):
    """tanh(x) elementwise; the gradient is 1 - tanh(x)**2."""

    def forward(self, input):
        return F.tanh(input)


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise; the gradient is s * (1 - s)."""

    def forward(self, input):
        return F.sigmoid(input)
