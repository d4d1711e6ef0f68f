"""Sequential: a chain of modules, each fed the previous one's output."""

from collections import OrderedDict

from minigrad.nn.module import Module


class Sequential(Module):
    """Run modules in order: Sequential(a, b, c)(x) is c(b(a(x))).

    Children are registered under the names '0', '1', ... (or the keys of an
    OrderedDict), which is why a state_dict has keys like '0.weight'.
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(args):
                self.add_module(str(index), module)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        size = len(self)
        if not -size <= index < size:
            raise IndexError(f"index {index} is out of range")
        return list(self._modules.values())[index % size]

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def forward(self, input):
        for module in self:
            input = module(input)
        return input
