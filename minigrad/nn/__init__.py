"""minigrad.nn: layers, losses and the Module machinery, with torch.nn's names."""

from minigrad.nn import functional, init
from minigrad.nn.activation import ReLU, Sigmoid, Tanh
from minigrad.nn.batchnorm import BatchNorm1d
from minigrad.nn.container import Sequential
from minigrad.nn.dropout import Dropout
from minigrad.nn.linear import Linear
from minigrad.nn.loss import CrossEntropyLoss, MSELoss
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
