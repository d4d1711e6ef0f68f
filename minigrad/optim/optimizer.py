"""Optimizer: the base class that holds parameter groups and per-parameter state."""

from collections import defaultdict

import minigrad as mg


def zero_grads(params, set_to_none=True):
    """What ``zero_grad`` does to each parameter's ``.grad``: drop it (None), or
    fill it with zeros in place, cut from any graph it had (create_graph=True)."""
    for param in params:
        if param.grad is None:
            continue
        if set_to_none:
            param.grad = None
        else:
            if param.grad.grad_fn is not None:
                param.grad.detach_()
            else:
                param.grad.requires_grad_(False)
            param.grad.zero_()


class Optimizer:
    """Updates Parameters from their .grad; subclasses say how (SGD, Adam).

    `param_groups` is a list of dicts, each with a 'params' list and its own
    hyperparameters (lr, ...), filled from `defaults`. `state[param]` is a dict
    of whatever the rule remembers between steps (momentum buffers, averages).
    `step()` runs under no_grad: updating a weight is not part of any graph.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, mg.Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors "
                "or dicts, but got " + mg.typename(params)
            )
        self.state = defaultdict(dict)
        self.param_groups = []
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a dict {'params': [...], **hyperparameters}; missing ones come from defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {mg.typename(param_group)}")
        params = param_group["params"]
        if isinstance(params, mg.Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        param_group = dict(param_group, params=list(params))
        for param in param_group["params"]:
            if not isinstance(param, mg.Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + mg.typename(param)
                )
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        new_ids = {id(p) for p in param_group["params"]}
        for group in self.param_groups:
            if new_ids & {id(p) for p in group["params"]}:
                raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's .grad: to None (default) or to zeros.

        backward() *adds* into .grad, so without this each step would use the
        sum of all gradients so far.
        """
        for group in self.param_groups:
            zero_grads(group["params"], set_to_none)

    def step(self, closure=None):
        """Update every parameter that has a .grad, by the subclass's rule.

        `closure`, if given, recomputes and returns the loss (run with grad on).
        """
        loss = None
        if closure is not None:
            with mg.enable_grad():
                loss = closure()
        with mg.no_grad():
            for group in self.param_groups:
                for param in group["params"]:
                    if param.grad is not None:
                        self._update(param, param.grad, self.state[param], group)
        return loss

    def _update(self, param, grad, state, group):
        """Change `param` in place from `grad`; `state` is its dict in self.state."""
        raise NotImplementedError

    def __repr__(self):
        text = type(self).__name__ + " ("
        for index, group in enumerate(self.param_groups):
            text += f"\nParameter Group {index}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"
