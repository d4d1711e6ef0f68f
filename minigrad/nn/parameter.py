"""Parameter: the tensor type that marks a tensor as a learnable weight of a Module."""

import minigrad as mg
from minigrad.creation import new_leaf_requires_grad
from minigrad.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and that Modules register as a weight.

    Assigning a Parameter to a Module attribute adds it to `parameters()`;
    a plain tensor is not registered. It shares memory (and the version
    counter) with the tensor it wraps, as `detach()` does, like
    torch.nn.Parameter; results of operations on it are ordinary Tensors.
    """

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = mg.empty(0)
        source = data.detach()  # same numbers and version counter, no history
        param = object.__new__(cls)
        for slot in Tensor.__slots__:
            if slot != "__weakref__":
                setattr(param, slot, getattr(source, slot))
        return new_leaf_requires_grad(param, requires_grad)

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happens in __new__; Tensor.__init__ would build a new tensor

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.detach().clone(), self.requires_grad)
        return memo[id(self)]
