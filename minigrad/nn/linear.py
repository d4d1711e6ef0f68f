"""Linear: the affine layer y = x @ W.T + b."""

import math

import minigrad as mg
from minigrad.nn import functional as F
from minigrad.nn import init
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter


class Linear(Module):
    """y = x @ weight.T + bias, with weight of shape (out_features, in_features).

    With a bias it is one node, ``AddmmBackward0`` as in PyTorch, whose two matrix
    gradients come from the matrix product's own backward (``Mm.backward``, see
    ``ops/fused.py``): the same formula trains a layer and runs ``x @ w``.

    PyTorch's default initialisation: kaiming_uniform_ with a = sqrt(5), which
    works out to U(-1/sqrt(in_features), 1/sqrt(in_features)) for the weight,
    and the same bound for the bias.
    """

    def __init__(self, in_features, out_features, bias=True, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(mg.zeros(out_features, in_features, dtype=dtype))
        if bias:
            self.bias = Parameter(mg.zeros(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
