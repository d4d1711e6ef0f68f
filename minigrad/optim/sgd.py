"""SGD: stochastic gradient descent, with optional momentum and weight decay."""

from minigrad.optim.optimizer import Optimizer


class SGD(Optimizer):
    """p <- p - lr * d, where d is the gradient, optionally with decay and momentum.

    As PyTorch computes it, in this order: g = grad (+ weight_decay * p);
    with momentum, buf = g on the first step, then buf = momentum * buf +
    (1 - dampening) * g, and d = buf (or g + momentum * buf with nesterov).
    """

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
    ):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _update(self, param, grad, state, group):
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"] != 0:
            # L2 penalty wd/2 * p**2 has gradient wd * p
            grad = grad + group["weight_decay"] * param
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = grad.detach().clone()
                state["momentum_buffer"] = buf
            else:
                buf.mul_(momentum)
                buf.add_((1 - group["dampening"]) * grad)
            grad = grad + momentum * buf if group["nesterov"] else buf
        param.add_(grad, alpha=-group["lr"])  # p - lr * d, in one op (as PyTorch writes it)
