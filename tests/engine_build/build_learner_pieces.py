"""Every piece of the build, written as a learner would write it in the exercise notebooks.

Not minigrad's objects: new code, using only what the exercises offer (the
public API, ``minigrad.grad_mode``'s state functions, ``_wrap``, ``_version``).
The tests install these pieces and expect the engine to behave exactly as
minigrad's own does.
"""

import functools
import inspect
import math
import threading

import minigrad as mg
from minigrad import grad_mode
from minigrad.tensor import _wrap

# --- chapter 01 --------------------------------------------------------------------------


class Add(mg.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Mul(mg.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a


class Tanh(mg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        t = math.tanh(x)
        ctx.save_for_backward(t)
        return t

    @staticmethod
    def backward(ctx, grad):
        (t,) = ctx.saved_tensors
        return grad * (1 - t * t)


# --- chapter 02 --------------------------------------------------------------------------


def topological_order(root):
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, finished = stack.pop()
        if finished:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            for child, _ in node.next_functions:
                if child is not None and child not in visited:
                    stack.append((child, False))
    return order[::-1]


def run_backward(root, grad):
    grads = {root: grad}
    for node in topological_order(root):
        grad = grads.pop(node, None)
        for (child, _), child_grad in zip(node.next_functions, node(grad)):
            if child is None or child_grad is None:
                continue
            grads[child] = grads[child] + child_grad if child in grads else child_grad


# --- chapter 03 --------------------------------------------------------------------------


class TensorMul(mg.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        needs_a, needs_b = ctx.needs_input_grad
        ctx.save(self=a if needs_b else None, other=b if needs_a else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (grad * b if b is not None else None, grad * a if a is not None else None)


def unbroadcast(grad, shape):
    lead = len(grad.shape) - len(shape)
    if lead > 0:
        grad = grad.sum(axis=tuple(range(lead)))
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if ones:
        grad = grad.sum(axis=ones, keepdims=True)
    return grad


class Mm(mg.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        needs_a, needs_b = ctx.needs_input_grad
        ctx.save(self=a if needs_b else None, mat2=b if needs_a else None)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (grad @ b.T if b is not None else None, a.T @ grad if a is not None else None)


# --- chapter 04 --------------------------------------------------------------------------


def accumulate_grad(leaf, grad):
    if leaf.grad is None:
        leaf.grad = grad.clone()
    else:
        leaf.grad.add_(grad)


def store_retained_grad(tensor, grad):
    if tensor.grad is None:
        tensor.grad = grad.clone()
    else:
        tensor.grad = tensor.grad + grad


# --- chapters 05 and 06 ----------------------------------------------------------------


def detach(tensor):
    out = _wrap(tensor._data)
    out._version_counter = tensor._version_counter
    return out


def bump_version(tensor):
    tensor._version_counter.value += 1


class SavedTensor:
    def __init__(self, tensor):
        self.tensor = tensor
        self.version = tensor._version

    def unpack(self):
        now = self.tensor._version
        if now != self.version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: is at version {now}; expected version {self.version} instead."
            )
        return self.tensor


# --- chapter 07 --------------------------------------------------------------------------


class GradState(threading.local):
    def __init__(self):
        self.grad_enabled = True
        self.inference_mode = False


class GradMode:
    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.previous = (grad_mode.is_grad_enabled(), grad_mode.is_inference_mode_enabled())
        grad_mode._set_state(self.mode, self.previous[1])

    def __exit__(self, exc_type, exc_value, traceback):
        grad_mode._set_state(*self.previous)
        return False

    def __call__(self, func):
        mode = self.mode
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def generator(*args, **kwargs):
                gen = func(*args, **kwargs)
                while True:
                    with GradMode(mode):
                        try:
                            value = next(gen)
                        except StopIteration as stop:
                            return stop.value
                    yield value

            return generator

        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with GradMode(mode):
                return func(*args, **kwargs)

        return decorated


# --- chapter 08 --------------------------------------------------------------------------


def parameters(module):
    found, seen = [], set()

    def visit(m):
        for p in m._parameters.values():
            if p is not None and id(p) not in seen:
                seen.add(id(p))
                found.append(p)
        for child in m._modules.values():
            if child is not None:
                visit(child)

    visit(module)
    return found


def sgd_momentum_step(params, buffers, lr, momentum):
    with mg.no_grad():
        for i, p in enumerate(params):
            if p.grad is None:
                continue
            if buffers[i] is None:
                buffers[i] = p.grad.clone()
            else:
                buffers[i].mul_(momentum).add_(p.grad)
            p -= lr * buffers[i]


# --- chapter 10 --------------------------------------------------------------------------


class ReLU(mg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        result = mg.where(x > 0, x, mg.zeros_like(x))
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return grad * (result > 0)


PIECES = {
    "ch01.Add": Add,
    "ch01.Mul": Mul,
    "ch01.Tanh": Tanh,
    "ch02.topological_order": topological_order,
    "ch02.run_backward": run_backward,
    "ch03.Mul": TensorMul,
    "ch03.unbroadcast": unbroadcast,
    "ch03.Mm": Mm,
    "ch04.accumulate_grad": accumulate_grad,
    "ch04.store_retained_grad": store_retained_grad,
    "ch05.detach": detach,
    "ch06.bump_version": bump_version,
    "ch06.SavedTensor": SavedTensor,
    "ch07.GradState": GradState,
    "ch07.GradMode": GradMode,
    "ch08.parameters": parameters,
    "ch08.sgd_momentum_step": sgd_momentum_step,
    "ch10.ReLU": ReLU,
}
