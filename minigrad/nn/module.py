"""Module: the base class of every layer and every model.

A Module is an object that owns tensors (its parameters and buffers) and other
Modules (its children). Assigning an attribute is enough to register it, so
`self.fc = Linear(2, 3)` makes `fc.weight` show up in `parameters()` under the
name 'fc.weight', exactly as in PyTorch's torch.nn.Module.
"""

from collections import OrderedDict, namedtuple

import minigrad as mg
from minigrad.nn.parameter import Parameter
from minigrad.optim.optimizer import zero_grads


def _addindent(text, spaces):
    """Indent every line but the first: how a child's repr nests inside its parent's."""
    first, *rest = text.split("\n")
    if not rest:
        return text
    rest = [" " * spaces + line if line.strip() else "" for line in rest]
    return "\n".join([first, *rest])


def _wrong_type(value, slot, expected):
    """PyTorch's TypeError for assigning ``value`` to a registered ``slot`` (such as
    ``parameter 'weight'``) that takes only ``expected`` (``minigrad.nn.Parameter``) or None."""
    return TypeError(
        f"cannot assign '{mg.typename(value)}' as {slot} ({expected} or None expected)"
    )


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict(strict=False) reports: the keys it could not match."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class Module:
    """Base class of all layers: registers Parameters, buffers and sub-Modules.

    Subclasses call `super().__init__()` first, then assign parameters and
    layers as attributes, and define `forward`. Calling the module calls
    `forward`. `train()`/`eval()` set the `training` flag on the whole tree;
    only layers whose behaviour differs (Dropout, BatchNorm1d) look at it.
    """

    def __init__(self):
        # Written through object.__setattr__ because our own __setattr__
        # reads these three dictionaries.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ------------------------------------------------------------------
    # registration: attribute assignment routes values into the dicts
    # ------------------------------------------------------------------
    def __setattr__(self, name, value):
        params = self.__dict__.get("_parameters")
        modules = self.__dict__.get("_modules")
        buffers = self.__dict__.get("_buffers")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise _wrong_type(value, f"parameter '{name}'", "minigrad.nn.Parameter")
            params[name] = None
        elif isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name)
            modules[name] = value
        elif modules is not None and name in modules:
            if value is not None:
                raise _wrong_type(value, f"child module '{name}'", "minigrad.nn.Module")
            modules[name] = None
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, mg.Tensor):
                raise _wrong_type(value, f"buffer '{name}'", "minigrad.Tensor")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Only called when normal lookup fails: registered things live in the dicts.
        for store in ("_parameters", "_buffers", "_modules"):
            registered = self.__dict__.get(store, {})
            if name in registered:
                return registered[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if not self._forget(name):
            object.__delattr__(self, name)

    def _forget(self, name):
        """Remove `name` from wherever it is registered; True if it was."""
        found = False
        for store in ("_parameters", "_buffers", "_modules"):
            registered = self.__dict__.get(store, {})
            if name in registered:
                del registered[name]
                found = True
        if name in self.__dict__:
            del self.__dict__[name]
            found = True
        return found

    def register_parameter(self, name, param):
        """Register a Parameter (or None, a declared slot with no tensor) under `name`."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name("parameter", name, "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{mg.typename(param)}' object to parameter '{name}' "
                "(minigrad.nn.Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name, tensor):
        """Register a tensor that is state but not learnt (BatchNorm's running mean).

        Buffers are saved in state_dict() but are not returned by parameters(),
        so no optimizer ever updates them.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name("buffer", name, "_buffers")
        if tensor is not None and not isinstance(tensor, mg.Tensor):
            raise TypeError(
                f"cannot assign '{mg.typename(tensor)}' object to buffer '{name}' "
                "(minigrad Tensor or None required)"
            )
        self._buffers[name] = tensor

    def add_module(self, name, module):
        """Register a child Module under `name` (what attribute assignment does)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{mg.typename(module)} is not a Module subclass")
        self._check_name("module", name, "_modules")
        self._modules[name] = module

    def _check_name(self, kind, name, store):
        """The name of a new parameter, buffer or module: no ".", not empty, not taken."""
        if "." in name:
            got = f", got: {name}" if kind == "module" else ""  # PyTorch says it for modules
            raise KeyError(f'{kind} name can\'t contain "."{got}')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if hasattr(self, name) and name not in getattr(self, store):
            raise KeyError(f"attribute '{name}' already exists")

    # ------------------------------------------------------------------
    # walking the tree
    # ------------------------------------------------------------------
    def named_modules(self, memo=None, prefix=""):
        """Yield (dotted name, module) for this module and every descendant, depth first;
        a module shared by two parents is listed once."""
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, prefix + ("." if prefix else "") + name)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self):
        for _, child in self.named_children():
            yield child

    def _named_members(self, store, prefix, recurse):
        seen = set()
        owners = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for owner_prefix, owner in owners:
            for name, tensor in owner.__dict__[store].items():
                if tensor is None or id(tensor) in seen:
                    continue  # a weight shared by two layers is listed once
                seen.add(id(tensor))
                yield owner_prefix + ("." if owner_prefix else "") + name, tensor

    def named_parameters(self, prefix="", recurse=True):
        """Yield ('0.weight', Parameter) pairs, with PyTorch's dotted names."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        """Yield every Parameter of this module and its descendants (what optimizers take)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix="", recurse=True):
        yield from self._named_members("_buffers", prefix, recurse)

    def apply(self, fn):
        """Call fn on every child (recursively) and then on self; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------
    # modes and gradients
    # ------------------------------------------------------------------
    def train(self, mode=True):
        """Set `training` on this module and all descendants; returns self.

        The flag changes what some layers compute (Dropout drops, BatchNorm
        uses batch statistics). It has nothing to do with gradient recording:
        that is `no_grad()`'s job, and evaluation normally uses both.
        """
        if not isinstance(mode, bool):
            # ValueError, not TypeError: the exception type PyTorch raises here
            raise ValueError("training mode is expected to be boolean")  # noqa: TRY004
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        """Same as train(False)."""
        return self.train(False)

    def to(self, target):
        """Convert every floating-point parameter and buffer to dtype `target`, in place.

        The Parameter objects stay the same (only their numbers change type),
        so an optimizer built earlier still holds them; integer buffers such as
        num_batches_tracked keep their dtype. A device ('cpu') is accepted and
        changes nothing: minigrad computes on the CPU only. Returns self.
        """
        if not isinstance(target, mg.dtype):
            return self
        for module in self.modules():
            for store in (module._parameters, module._buffers):
                for tensor in store.values():
                    if tensor is None or not tensor.dtype.is_floating_point:
                        continue
                    tensor.data = tensor.data.to(target)
                    if tensor.grad is not None:
                        tensor.grad = tensor.grad.to(target)
        return self

    def float(self):
        return self.to(mg.float32)

    def double(self):
        return self.to(mg.float64)

    def requires_grad_(self, requires_grad=True):
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset the .grad of every parameter: to None (default) or to zeros."""
        zero_grads(self.parameters(), set_to_none)

    # ------------------------------------------------------------------
    # saving and loading
    # ------------------------------------------------------------------
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """An OrderedDict name -> tensor of every parameter and persistent buffer.

        Keys are the dotted names of named_parameters() ('0.weight'), values
        are detached (they share memory with the module but record no graph),
        unless keep_vars=True.
        """
        if destination is None:
            destination = OrderedDict()
        for store in (self._parameters, self._buffers):  # its own parameters, then buffers
            for name, tensor in store.items():
                if tensor is not None:
                    destination[prefix + name] = tensor if keep_vars else tensor.detach()
        for name, child in self._modules.items():
            if child is not None:
                child.state_dict(destination, prefix + name + ".", keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict=True):
        """Copy tensors from `state_dict` into this module's parameters and buffers.

        Copies happen in place under no_grad, so the Parameters an optimizer
        holds stay the same objects. With strict=True, missing or unexpected
        keys raise PyTorch's RuntimeError; shape mismatches always do.
        """
        missing_keys, error_msgs = [], []
        expected = self.state_dict(keep_vars=True)  # a shared child's under each of its names
        for key, target in expected.items():
            if key not in state_dict:
                missing_keys.append(key)
                continue
            source = state_dict[key]
            if not isinstance(source, mg.Tensor):
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected minigrad.Tensor '
                    f"or Tensor-like object from checkpoint but received {type(source)}"
                )
                continue
            if source.shape != target.shape:
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {source.shape} "
                    f"from checkpoint, the shape in current model is {target.shape}."
                )
                continue
            with mg.no_grad():
                target.copy_(source)
        unexpected_keys = [key for key in state_dict if key not in expected]

        for what, keys in (("Unexpected", unexpected_keys), ("Missing", missing_keys)):
            if strict and keys:  # put in front: Missing, Unexpected, then the rest
                names = ", ".join(f'"{k}"' for k in keys)
                error_msgs.insert(0, f"{what} key(s) in state_dict: {names}. ")
        if error_msgs:
            errors = "\n\t".join(error_msgs)
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t{errors}"
            )
        return _IncompatibleKeys(missing_keys, unexpected_keys)

    # ------------------------------------------------------------------
    # printing
    # ------------------------------------------------------------------
    def extra_repr(self):
        """The text between the parentheses of this module's repr; layers override it."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({name}): " + _addindent(repr(child), 2) for name, child in self._modules.items()
        ]
        lines = extra_lines + child_lines
        text = type(self).__name__ + "("
        if len(extra_lines) == 1 and not child_lines:
            text += extra_lines[0]
        elif lines:
            text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"
