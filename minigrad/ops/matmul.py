"""Matrix products: mm, mv, dot and matmul.

For C = A @ B the backward is two more matrix products:
grad_A = grad_C @ B.T and grad_B = A.T @ grad_C. So ``mm`` saves A only if B
needs a gradient, and B only if A needs one (exactly PyTorch's choice).
"""

import numpy as np

from ..graph import Node
from ..tensor import Tensor
from .common import is_recording, output
from .shape import SqueezeBackward4, squeeze, unsafe_view


def _dt(t):
    return {
        "float32": "float",
        "float64": "double",
        "int64": "long int",
        "int32": "int",
        "bool": "bool",
    }[t.dtype.name]


class MmBackward0(Node):
    """C = A @ B: grad_A = grad @ B.T, grad_B = A.T @ grad."""

    saved_names = ("self", "mat2")

    def apply(self, grad):
        grad_a = grad_b = None
        if self.needs_grad(0):
            grad_a = grad.mm(self.saved("mat2").t())
        if self.needs_grad(1):
            grad_b = self.saved("self").t().mm(grad)
        return grad_a, grad_b


def mm(a, b):
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError("mm(): argument 'mat2' must be Tensor")
    if a._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if b._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if a._data.shape[1] != b._data.shape[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a._data.shape[0]}x{a._data.shape[1]} "
            f"and {b._data.shape[0]}x{b._data.shape[1]})"
        )
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {_dt(a)} != {_dt(b)}"
        )
    out = a._data @ b._data
    if not is_recording(a, b):
        return output(out)
    node = MmBackward0(a, b)
    if node.needs_grad(0):
        node.save("mat2", b)
    if node.needs_grad(1):
        node.save("self", a)
    return output(out, node)


class MvBackward0(Node):
    """y = M @ v: grad_M = outer(grad, v), grad_v = M.T @ grad."""

    saved_names = ("self", "vec")

    def apply(self, grad):
        grad_m = grad_v = None
        if self.needs_grad(0):
            grad_m = grad.unsqueeze(1) * self.saved("vec").unsqueeze(0)
        if self.needs_grad(1):
            grad_v = matmul(self.saved("self").t(), grad)
        return grad_m, grad_v


class DotBackward0(Node):
    """s = a . b: grad_a = grad * b, grad_b = grad * a."""

    saved_names = ("self", "tensor")

    def apply(self, grad):
        grad_a = grad * self.saved("tensor") if self.needs_grad(0) else None
        grad_b = grad * self.saved("self") if self.needs_grad(1) else None
        return grad_a, grad_b


class BmmBackward0(Node):
    """Batched matrix product: the 2-D rule on every matrix of the batch."""

    saved_names = ("self", "mat2")

    def apply(self, grad):
        grad_a = grad_b = None
        if self.needs_grad(0):
            grad_a = bmm(grad, self.saved("mat2").transpose(1, 2))
        if self.needs_grad(1):
            grad_b = bmm(self.saved("self").transpose(1, 2), grad)
        return grad_a, grad_b


def matmul(a, b):
    """``a @ b`` for 1-D and 2-D tensors and batches of matrices, like torch.matmul."""
    if a.__class__ is Tensor and b.__class__ is Tensor and a._data.ndim == b._data.ndim == 2:
        return mm(a, b)  # the common case first: matrix @ matrix (mm checks the rest)
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError("matmul(): argument 'other' must be Tensor")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
        )
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {_dt(a)} != {_dt(b)}"
        )
    if a.ndim == 2 and b.ndim == 2:
        return mm(a, b)
    if a.ndim == 1 and b.ndim == 1:
        if a._data.shape != b._data.shape:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{a._data.shape[0]}] "
                f"and src [{b._data.shape[0]}] to have the same number of "
                f"elements, but got {a._data.shape[0]} and {b._data.shape[0]} "
                "elements respectively"
            )
        out = np.asarray(np.dot(a._data, b._data))
        if not is_recording(a, b):
            return output(out)
        node = DotBackward0(a, b)
        if node.needs_grad(0):
            node.save("tensor", b)
        if node.needs_grad(1):
            node.save("self", a)
        return output(out, node)
    if a.ndim == 2 and b.ndim == 1:
        if a._data.shape[1] != b._data.shape[0]:
            raise RuntimeError(
                f"size mismatch, got input ({a._data.shape[0]}), mat "
                f"({a._data.shape[0]}x{a._data.shape[1]}), vec ({b._data.shape[0]})"
            )
        out = a._data @ b._data
        if not is_recording(a, b):
            return output(out)
        node = MvBackward0(a, b)
        if node.needs_grad(0):
            node.save("vec", b)
        if node.needs_grad(1):
            node.save("self", a)
        return output(out, node)
    if a.ndim == 1 and b.ndim == 2:  # vector @ matrix: the vector as a row, then drop it
        out = squeeze(mm(a.unsqueeze(0), b), (0,), _node_class=SqueezeBackward4)
        out._version_counter.value += 1  # PyTorch squeezes in place here (squeeze_)
        return out
    if a.ndim <= 2 and b.ndim >= 3:
        # PyTorch computes it transposed, (B^T @ a^T)^T, to fold the batch into one mm.
        flipped = matmul(b.mT, a.t() if a.ndim == 2 else a)
        return flipped.mT.contiguous() if a.ndim == 2 else flipped
    if b.ndim <= 2 and a.ndim >= 3:
        # Fold the batch into the rows of one matrix: (b, n, m) @ (m, p) is one mm.
        rows = a.reshape(-1, a._data.shape[-1])
        folded = mm(rows, b) if b.ndim == 2 else matmul(rows, b)
        out_shape = a._data.shape[:-1] + (b._data.shape[-1],) if b.ndim == 2 else a._data.shape[:-1]
        return unsafe_view(folded, out_shape)
    return _batched(a, b)


def _batched(a, b):
    """Batches of matrices: broadcast the batch dims, flatten them, bmm, unflatten."""
    a_vec, b_vec = a.ndim == 1, b.ndim == 1
    if a_vec:
        a = a.unsqueeze(0)
    if b_vec:
        b = b.unsqueeze(-1)
    (n, m), (m2, p) = a._data.shape[-2:], b._data.shape[-2:]
    if m != m2:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{max(1, int(np.prod(b._data.shape[:-2])))}, {m}] but got: "
            f"[{max(1, int(np.prod(b._data.shape[:-2])))}, {m2}]."
        )
    try:
        batch = np.broadcast_shapes(a._data.shape[:-2], b._data.shape[:-2])
    except ValueError:
        raise RuntimeError(
            f"The size of tensor a must match the size of tensor b at a "
            f"non-singleton dimension: batch shapes {list(a.shape[:-2])} and "
            f"{list(b.shape[:-2])}"
        ) from None
    size = int(np.prod(batch))
    a3 = a.expand(*batch, n, m).reshape(size, n, m)
    b3 = b.expand(*batch, m, p).reshape(size, m, p)
    out = unsafe_view(bmm(a3, b3), batch + (n, p))
    if a_vec:
        out = squeeze(out, (-2,), _node_class=SqueezeBackward4)
    if b_vec:
        out = squeeze(out, (-1,), _node_class=SqueezeBackward4)
    return out


def bmm(a, b):
    """Batched matrix product of two 3-D tensors: one mm per batch entry."""
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(
            "batch1 must be a 3D tensor" if a.ndim != 3 else "batch2 must be a 3D tensor"
        )
    out = np.matmul(a._data, b._data)
    if not is_recording(a, b):
        return output(out)
    node = BmmBackward0(a, b)
    if node.needs_grad(0):
        node.save("mat2", b)
    if node.needs_grad(1):
        node.save("self", a)
    return output(out, node)


def dot(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    return matmul(a, b)
