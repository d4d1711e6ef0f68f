"""Plausible wrong versions of the pieces: each must be rejected by its check.

Every entry is (what is wrong, the object, a phrase the check's message must contain).
"""

import math
import threading

from build_learner_pieces import GradMode, topological_order  # noqa: F401 - run_backward uses it

import minigrad as mg
from minigrad import grad_mode
from minigrad.tensor import _wrap


class AddOneGradient(mg.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad  # one gradient for two inputs: b gets none


class MulSwapped(mg.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * a, grad * b


class TanhOfInput(mg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return math.tanh(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (1 - x * x)


def topological_order_recursive(root):
    order, seen = [], set()

    def visit(node):
        seen.add(node)
        for child, _ in node.next_functions:
            if child is not None and child not in seen:
                visit(child)
        order.append(node)

    visit(root)
    return order[::-1]


def topological_order_breadth_first(root):
    order, seen, queue = [], {root}, [root]
    while queue:
        node = queue.pop(0)
        order.append(node)
        for child, _ in node.next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                queue.append(child)
    return order


def run_backward_without_waiting(root, grad):
    stack = [(root, grad)]
    while stack:
        node, g = stack.pop()
        for (child, _), child_grad in zip(node.next_functions, node(g)):
            if child is not None and child_grad is not None:
                stack.append((child, child_grad))


def run_backward_overwrites(root, grad):
    grads = {root: grad}
    for node in topological_order(root):
        grad = grads.pop(node, None)
        for (child, _), child_grad in zip(node.next_functions, node(grad)):
            if child is not None and child_grad is not None:
                grads[child] = child_grad  # the sum at fan-in is lost


class MulSavesBoth(mg.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save(self=a, other=b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b, grad * a


class TensorMulSwapped(mg.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        needs_a, needs_b = ctx.needs_input_grad
        ctx.save(self=a if needs_b else None, other=b if needs_a else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (grad * a if a is not None else None, grad * b if b is not None else None)


def unbroadcast_without_keepdims(grad, shape):
    lead = len(grad.shape) - len(shape)
    if lead > 0:
        grad = grad.sum(axis=tuple(range(lead)))
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if ones:
        grad = grad.sum(axis=ones)
    return grad


def unbroadcast_leading_only(grad, shape):
    lead = len(grad.shape) - len(shape)
    return grad.sum(axis=tuple(range(lead))) if lead > 0 else grad


class MmWithoutTranspose(mg.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save(self=a, mat2=b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad @ b, a @ grad


def accumulate_grad_no_copy(leaf, grad):
    if leaf.grad is None:
        leaf.grad = grad
    else:
        leaf.grad.add_(grad)


def accumulate_grad_out_of_place(leaf, grad):
    leaf.grad = grad.clone() if leaf.grad is None else leaf.grad + grad


def store_retained_grad_overwrites(tensor, grad):
    tensor.grad = grad.clone()


def detach_copies(tensor):
    return _wrap(tensor._data.copy())


def detach_new_counter(tensor):
    return _wrap(tensor._data)


def bump_version_forgets(tensor):
    pass


class SavedTensorNeverRefuses:
    def __init__(self, tensor):
        self.tensor = tensor

    def unpack(self):
        return self.tensor


class SavedTensorWrongWords:
    def __init__(self, tensor):
        self.tensor, self.version = tensor, tensor._version

    def unpack(self):
        if self.tensor._version != self.version:
            raise ValueError("changed")
        return self.tensor


class GradStateShared:  # not threading.local: every thread sees the same switches
    def __init__(self):
        self.grad_enabled = True
        self.inference_mode = False


class GradStateNoDefaults(threading.local):
    pass


class GradModeRestoresWrongly(GradMode):
    def __exit__(self, exc_type, exc_value, traceback):
        grad_mode._set_state(not self.mode, grad_mode.is_inference_mode_enabled())
        return False


class GradModeReusesItself(GradMode):
    def __call__(self, func):
        def decorated(*args, **kwargs):
            with self:  # one block shared by every call: recursion breaks it
                return func(*args, **kwargs)

        return decorated


def parameters_own_only(module):
    return [p for p in module._parameters.values() if p is not None]


def parameters_with_duplicates(module):
    found = [p for p in module._parameters.values() if p is not None]
    for child in module._modules.values():
        found += parameters_with_duplicates(child)
    return found


def sgd_buffer_not_copied(params, buffers, lr, momentum):
    with mg.no_grad():
        for i, p in enumerate(params):
            if p.grad is None:
                continue
            if buffers[i] is None:
                buffers[i] = p.grad  # zero_grad(set_to_none=False) will zero it
            else:
                buffers[i].mul_(momentum).add_(p.grad)
            p -= lr * buffers[i]


def sgd_out_of_place(params, buffers, lr, momentum):
    with mg.no_grad():
        for i, p in enumerate(params):
            if p.grad is None:
                continue
            buffers[i] = p.grad.clone() if buffers[i] is None else buffers[i] * momentum + p.grad
            p = p - lr * buffers[i]  # a new tensor: the parameter is unchanged


class ReLUSavesInput(mg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return mg.where(x > 0, x, mg.zeros_like(x))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (x > 0)


class ReLUGradientAtZero(mg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        result = mg.where(x > 0, x, mg.zeros_like(x))
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad):
        (result,) = ctx.saved_tensors
        return grad * (result >= 0)


WRONG = [
    ("ch01.Add", "one gradient for two inputs", AddOneGradient, "c = a + b"),
    ("ch01.Mul", "gradients swapped", MulSwapped, "expected"),
    ("ch01.Tanh", "1 - x*x from the input", TanhOfInput, "expected"),
    ("ch02.topological_order", "recursive", topological_order_recursive, "3000"),
    ("ch02.topological_order", "breadth first", topological_order_breadth_first, "comes before"),
    (
        "ch02.run_backward",
        "runs nodes before all gradients arrived",
        run_backward_without_waiting,
        "",
    ),
    ("ch02.run_backward", "overwrites at fan-in", run_backward_overwrites, "expected"),
    ("ch03.Mul", "saves both inputs always", MulSavesBoth, "not needed"),
    ("ch03.Mul", "gradients swapped", TensorMulSwapped, "expected"),
    ("ch03.unbroadcast", "drops the size-1 dimensions", unbroadcast_without_keepdims, "(2, 1)"),
    ("ch03.unbroadcast", "sums only leading dimensions", unbroadcast_leading_only, "expected"),
    ("ch03.Mm", "forgets the transposes", MmWithoutTranspose, ""),
    ("ch04.accumulate_grad", "no copy", accumulate_grad_no_copy, "copy"),
    ("ch04.accumulate_grad", "out of place", accumulate_grad_out_of_place, "in place"),
    ("ch04.store_retained_grad", "overwrites", store_retained_grad_overwrites, "expected"),
    ("ch05.detach", "copies the numbers", detach_copies, "expected"),
    ("ch05.detach", "a new version counter", detach_new_counter, "version"),
    ("ch06.bump_version", "forgets to count", bump_version_forgets, "expected"),
    ("ch06.SavedTensor", "never refuses", SavedTensorNeverRefuses, "must raise"),
    ("ch06.SavedTensor", "raises ValueError", SavedTensorWrongWords, "ValueError"),
    ("ch07.GradState", "one state for all threads", GradStateShared, "thread"),
    ("ch07.GradState", "no defaults", GradStateNoDefaults, "AttributeError"),
    ("ch07.GradMode", "restores the opposite", GradModeRestoresWrongly, "expected"),
    ("ch07.GradMode", "one block for every call", GradModeReusesItself, "expected"),
    ("ch08.parameters", "own parameters only", parameters_own_only, "expected"),
    ("ch08.parameters", "a shared layer twice", parameters_with_duplicates, "expected"),
    ("ch08.sgd_momentum_step", "buffer not copied", sgd_buffer_not_copied, "expected"),
    ("ch08.sgd_momentum_step", "out of place", sgd_out_of_place, "expected"),
    ("ch10.ReLU", "saves its input", ReLUSavesInput, "result changed in place"),
    ("ch10.ReLU", "gradient 1 at zero", ReLUGradientAtZero, "expected"),
]
