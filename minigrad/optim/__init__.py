"""minigrad.optim: optimizers with torch.optim's names and update rules."""

from minigrad.optim.adam import Adam
from minigrad.optim.optimizer import Optimizer
from minigrad.optim.sgd import SGD
