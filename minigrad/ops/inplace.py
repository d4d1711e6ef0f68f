"""In-place operations: they change a tensor's memory, so they bump its version.

Three rules, all PyTorch's:
1. Every in-place change adds 1 to the tensor's version counter (shared with
   its views and ``detach()``-ed copies). A backward node that saved the tensor
   compares versions later and refuses to use changed numbers.
2. A leaf that requires grad may not be changed in place while recording:
   its ``.grad`` would no longer describe the value it has. (Under
   ``no_grad()`` it may: that is how optimizers update parameters.)
3. A non-leaf changed in place while recording gets a new ``grad_fn`` whose
   input is its old one: the history is rewritten, not lost.
"""

import numpy as np

from .. import dtypes
from ..grad_mode import _state
from ..graph import Node
from ..tensor import Tensor, _wrap
from .common import as_tensor_operand, grad_for, meta, scalar_tensor
from .elementwise import AddBackward0, DivBackward0, MulBackward0, SubBackward0


def check_inplace(t, *others):
    """Refuse in-place changes that would make autograd silently wrong."""
    if t._is_inference and not _state.inference_mode:
        raise RuntimeError(
            "Inplace update to inference tensor outside InferenceMode is not allowed.You can "
            "make a clone to get a normal tensor before doing inplace update.See "
            "https://github.com/pytorch/rfcs/pull/17 for more details."
        )
    if not _state.grad_enabled:
        return
    if t._grad_fn is None and t._requires_grad:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation."
        )
    base = t._base
    if base is not None:
        if base._requires_grad and base._grad_fn is None:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )
        if base._requires_grad or any(o._requires_grad for o in others):
            raise NotImplementedError(
                "minigrad does not support in-place operations on a view of a tensor that "
                "requires grad while recording (PyTorch rewrites the base tensor's history "
                "with CopySlices). Use an out-of-place operation, or clone() first."
            )


def _operand(other, t):
    if (
        other.__class__ is Tensor
        and other._data.dtype is t._data.dtype
        and (other._data.shape == t._data.shape)
    ):
        return other  # the common case (an optimizer's update): nothing to check
    other = as_tensor_operand(other)
    if other is None:
        raise TypeError("in-place operations expect a Tensor or a number")
    if isinstance(other, Tensor) and other._data.shape != t._data.shape:
        try:
            target = np.broadcast_shapes(t._data.shape, other._data.shape)
        except ValueError:
            target = None
        if target != t._data.shape:
            if target is None:
                from .common import broadcast_error

                raise broadcast_error(t._data, other._data)
            raise RuntimeError(
                f"output with shape {list(t._data.shape)} doesn't match the "
                f"broadcast shape {list(target)}"
            )
    result = dtypes.result_type(t, other)
    if not np.can_cast(result.numpy, t._data.dtype, casting="same_kind") or (
        result.category > t.dtype.category
    ):
        raise RuntimeError(
            f"result type {_short(result)} can't be cast to the desired output "
            f"type {_short(t.dtype)}"
        )
    if not isinstance(other, Tensor):
        other = scalar_tensor(other, t.dtype)
    return other


def _short(dt):
    return {
        "float32": "Float",
        "float64": "Double",
        "int64": "Long",
        "int32": "Int",
        "bool": "Bool",
    }[dt.name]


def _bump(t):
    t._version_counter.value += 1


def _rebase(t, node):
    """Point ``t`` at its new history: the in-place op's node."""
    t._grad_fn = node
    t._requires_grad = True


def _recording(t, other=None):
    return (
        _state.grad_enabled
        and not _state.inference_mode
        and (t._requires_grad or (other is not None and other._requires_grad))
    )


def add_(t, other, alpha=1):
    other = _operand(other, t)
    check_inplace(t, other)
    node = None
    if _recording(t, other):
        node = AddBackward0(t, other)
        node.alpha, node.meta = alpha, (meta(t), meta(other))
    o = other._data if alpha == 1 else other._data * alpha
    np.add(t._data, o, out=t._data, casting="unsafe")
    _bump(t)
    if node is not None:
        _rebase(t, node)
    return t


def sub_(t, other, alpha=1):
    other = _operand(other, t)
    check_inplace(t, other)
    node = None
    if _recording(t, other):
        node = SubBackward0(t, other)
        node.alpha, node.meta = alpha, (meta(t), meta(other))
    o = other._data if alpha == 1 else other._data * alpha
    np.subtract(t._data, o, out=t._data, casting="unsafe")
    _bump(t)
    if node is not None:
        _rebase(t, node)
    return t


def _snapshot(t):
    """A copy of t's values *before* an in-place change, when backward needs them."""
    copy = _wrap(t._data.copy())
    return copy


def mul_(t, other):
    other = _operand(other, t)
    check_inplace(t, other)
    node = None
    if _recording(t, other):
        node = MulBackward0(t, other)
        node.meta = (meta(t), meta(other))
        if node.needs_grad(0):
            node.save("other", other)
        if node.needs_grad(1):
            node.save("self", _snapshot(t))
    np.multiply(t._data, other._data, out=t._data, casting="unsafe")
    _bump(t)
    if node is not None:
        _rebase(t, node)
    return t


def div_(t, other):
    other = _operand(other, t)
    if not t.dtype.is_floating_point:
        raise RuntimeError(
            f"result type Float can't be cast to the desired output type {_short(t.dtype)}"
        )
    check_inplace(t, other)
    node = None
    if _recording(t, other):
        node = DivBackward0(t, other)
        node.meta = (meta(t), meta(other))
        node.save("other", other)
        if node.needs_grad(1):
            node.save("self", _snapshot(t))
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(t._data, other._data, out=t._data, casting="unsafe")
    _bump(t)
    if node is not None:
        _rebase(t, node)
    return t


class ZeroBackward0(Node):
    """After t.zero_(), t's old values no longer matter: their gradient is zero."""

    def apply(self, grad):
        return (grad * 0,)


class FillBackward2(ZeroBackward0):
    """After t.fill_(number), the old values no longer matter either."""


class FillBackward3(ZeroBackward0):
    """t.fill_(0-d tensor): as fill_(number); PyTorch names this overload apart."""


def zero_(t):
    check_inplace(t)
    node = ZeroBackward0(t) if _recording(t) else None
    t._data[...] = 0
    _bump(t)
    if node is not None:
        _rebase(t, node)
    return t


def fill_(t, value):
    node_class = FillBackward2
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor "
                f"with {value.ndim} dimensions."
            )
        value, node_class = value.item(), FillBackward3
    check_inplace(t)
    node = node_class(t) if _recording(t) else None
    t._data[...] = value
    _bump(t)
    if node is not None:
        _rebase(t, node)
    return t


class CopyBackwards(Node):
    """t.copy_(src): t's old values are gone (zero gradient); src gets the gradient."""

    def name(self):
        return "minigrad::autograd::CopyBackwards"

    def apply(self, grad):
        grad_src = grad_for(grad, self.meta) if self.needs_grad(1) else None
        return (grad * 0 if self.needs_grad(0) else None), grad_src


def copy_(t, src):
    if not isinstance(src, Tensor):
        src = scalar_tensor(src, t.dtype)
    check_inplace(t, src)
    node = None
    if _recording(t, src):
        node = CopyBackwards(t, src)
        node.meta = meta(src)
    try:
        np.copyto(t._data, np.broadcast_to(src._data, t._data.shape), casting="unsafe")
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a ({t._data.shape[-1] if t.ndim else 1}) must "
            f"match the size of tensor b ({src._data.shape[-1]}) at "
            "non-singleton dimension"
        ) from None
    _bump(t)
    if node is not None:
        _rebase(t, node)
    return t


class CopySlices(Node):
    """t[key] = v: positions at ``key`` now come from v; the rest still from old t."""

    def name(self):
        return "minigrad::autograd::CopySlices"

    def apply(self, grad):
        from .shape import getitem

        grad_t = grad_v = None
        if self.needs_grad(0):
            g = grad._data.copy()
            g[self.key] = 0
            grad_t = _wrap(g)
        if self.needs_grad(1):
            grad_v = grad_for(getitem(grad, self.key), self.meta)
        return grad_t, grad_v


def setitem(t, key, value):
    from .shape import normalize_index

    key = normalize_index(key)
    if not isinstance(value, Tensor):
        value = as_tensor_operand(value)
        if value is None:
            raise TypeError("can only assign a Tensor or a number to a tensor slice")
        value = scalar_tensor(value, t.dtype)
    if t._grad_fn is None and t._requires_grad and _state.grad_enabled:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        )
    check_inplace(t, value)
    node = None
    if _recording(t, value):
        node = CopySlices(t, value)
        node.key, node.meta = key, meta(value)
    target = t._data[key].shape
    try:
        np.broadcast_shapes(value._data.shape, target)
    except ValueError:
        raise RuntimeError(
            f"The expanded size of the tensor ({target[-1] if target else 1}) "
            f"must match the existing size ({value._data.shape[-1]}) at "
            f"non-singleton dimension {len(target) - 1}.  Target sizes: "
            f"{list(target)}.  Tensor sizes: {list(value._data.shape)}"
        ) from None
    t._data[key] = value._data
    _bump(t)
    if node is not None:
        _rebase(t, node)


def accumulate_grad_(grad, new):
    """``grad += new`` for gradient accumulation (no autograd checks; bumps the version)."""
    np.add(grad._data, new._data, out=grad._data, casting="unsafe")
    _bump(grad)
    return grad
