"""Matrix products: mm, mv, dot, bmm, and matmul, which picks one of them.

For C = A @ B the backward is two more matrix products:
grad_A = grad_C @ B.T and grad_B = A.T @ grad_C. So ``mm`` saves A only if B
needs a gradient, and B only if A needs one (exactly PyTorch's choice).
"""

import numpy as np

from ..function import Op, bump_version, inference_only, is_recording
from ..graph import SavedTensor
from ..tensor import Tensor
from .common import broadcast_error, check_tensor
from .shape import SqueezeInMatmul, T, UnsafeView


class Mm(Op):
    """C = A @ B: grad_A = grad @ B.T, grad_B = A.T @ grad (T: the transpose, an op itself)."""

    node_name = "MmBackward0"

    def forward(ctx, a, b):
        needs = ctx.needs_input_grad
        ctx.save(self=a if needs[1] else None, mat2=b if needs[0] else None)
        return mm_numbers(a, b)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        grad_b = mm_numbers(T.apply(a), grad) if a is not None else None  # the last input's first
        return mm_numbers(grad, T.apply(b)) if b is not None else None, grad_b


def mm_numbers(a, b):
    """``a @ b`` for two matrices, with PyTorch's signs of zero.

    On arrays: PyTorch's kernel sums the products starting from +0.0, so a zero
    result is +0.0 (numpy's too), except for an outer product (inner size 1, at
    least two rows and two columns), whose entries are the products themselves:
    ``-1.0 * 0.0`` stays -0.0 there. On tensors (a backward recorded under
    ``create_graph=True``): ``a @ b``, recorded as an mm of its own.
    """
    if isinstance(a, Tensor):
        return a @ b
    if a.shape[1] == 1 and a.shape[0] > 1 and b.shape[1] > 1:
        return a * b  # (n, 1) * (1, m): every product once, its sign kept
    return a @ b


class MmByLayout(Mm):
    """Mm of a matrix laid out column-major: its gradients as PyTorch records them."""

    def forward(ctx, a, b):
        ctx.column_major = is_column_major(a), is_column_major(b)
        return Mm.forward(ctx, a, b)

    def backward(ctx, grad):
        if isinstance(grad, Tensor):
            return grads_by_layout(ctx, grad)
        return laid_out(Mm.backward(ctx, grad), ctx.column_major)


def laid_out(grads, column_major):
    """On arrays, the gradient of a column-major input as PyTorch makes it: the transpose
    of new memory, so a view (``autograd.grad`` hands it out as one)."""
    return tuple(
        np.ascontiguousarray(g.T).T if g is not None and column else g
        for g, column in zip(grads, column_major)
    )


def is_column_major(x):
    """PyTorch's test in mm's backward: strides (1, rows), counted in elements (a 1x1
    matrix, a transposed one, a linear layer's ``weight.t()``)."""
    return x.strides[0] == x.itemsize and x.strides[1] == x.itemsize * x.shape[0]


def grads_by_layout(ctx, grad):
    """mm's gradients under ``create_graph=True`` when an input is laid out column-major:
    PyTorch (``mm_mat1_backward``, ``mm_mat2_backward``) computes that input's gradient
    transposed, ``(B @ grad.T).T`` or ``(grad.T @ A).T``: the numbers of ``grad @ B.T``
    and ``A.T @ grad``, with a TBackward0 more in the graph."""
    a, b = ctx.saved_tensors
    a_column, b_column = ctx.column_major
    grad_a = grad_b = None
    if a is not None:  # the last input's first, as in Mm
        grad_b = T.apply(T.apply(grad) @ a) if b_column else T.apply(a) @ grad
    if b is not None:
        grad_a = T.apply(b @ T.apply(grad)) if a_column else grad @ T.apply(b)
    return grad_a, grad_b


def mm(input, mat2):
    if not isinstance(mat2, Tensor):  # (mg.mm checks input first, as argument 1)
        check_tensor(mat2, "mm", "mat2")
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    a, b = input._data, mat2._data  # Speed: the checks' calls only if one could fail (0.3 us)
    if a.shape[1] != b.shape[0] or a.dtype is not b.dtype:
        check_multipliable(a.shape, b.shape)
        _check_dtypes(
            input, mat2, "expected m1 and m2 to have the same dtype, but got: {a} != {b}", "c_name"
        )
    by_layout = is_column_major(a) or is_column_major(b)
    return (MmByLayout if by_layout else Mm).apply(input, mat2)


def check_multipliable(a, b):
    """Refuse matrices of shapes ``a`` and ``b`` that cannot be multiplied (mm, addmm)."""
    if a[1] != b[0]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({a[0]}x{a[1]} and {b[0]}x{b[1]})"
        )


def _check_dtypes(a, b, message, name="scalar_name"):
    """Refuse two dtypes with the message of the kernel matmul reaches (mm, dot, addmv,
    bmm): ``{a}`` and ``{b}`` in it are the dtypes' names (Float, or mm's C name float).
    PyTorch's autograd records before its kernel checks them: the inputs' grad_fn (a view's
    may refuse to be rebuilt) and saving them (an inference tensor is refused) come first."""
    if a._data.dtype != b._data.dtype:
        if is_recording((a, b)) and not inference_only((a, b)):
            a.grad_fn, b.grad_fn  # noqa: B018 - reading them is the check
            for x, other in ((a, b), (b, a)):
                if x._is_inference and other.requires_grad:
                    SavedTensor(x)  # raises PyTorch's error
        raise RuntimeError(message.format(a=getattr(a.dtype, name), b=getattr(b.dtype, name)))


class Mv(Op):
    """y = M @ v: grad_M = outer(grad, v), grad_v = M.T @ grad."""

    node_name = "MvBackward0"

    def forward(ctx, m, v):
        needs = ctx.needs_input_grad
        ctx.save(self=m if needs[1] else None, vec=v if needs[0] else None)
        return m @ v

    def backward(ctx, grad):
        m, v = ctx.saved_tensors
        outer = grad.reshape(-1, 1) * v if v is not None else None
        return outer, T.apply(m) @ grad if m is not None else None


class Dot(Op):
    """s = a . b: grad_a = grad * b, grad_b = grad * a."""

    node_name = "DotBackward0"

    def forward(ctx, a, b):
        needs = ctx.needs_input_grad
        ctx.save(self=a if needs[1] else None, tensor=b if needs[0] else None)
        return np.asarray(np.dot(a, b))

    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return grad * b if b is not None else None, grad * a if a is not None else None


class Bmm(Op):
    """Batched matrix product: the 2-D rule on every matrix of the batch."""

    node_name = "BmmBackward0"

    def forward(ctx, a, b):
        needs = ctx.needs_input_grad
        ctx.save(self=a if needs[1] else None, mat2=b if needs[0] else None)
        return np.matmul(a, b)

    def backward(ctx, grad):
        a, b = ctx.saved_tensors  # (.mT: the matrices transposed, on arrays and on tensors)
        grad_a = Bmm.apply(grad, b.mT) if b is not None else None
        return grad_a, Bmm.apply(a.mT, grad) if a is not None else None


def matmul(input, other):
    """``a @ b`` for 1-D and 2-D tensors and batches of matrices, like torch.matmul."""
    if input.__class__ is other.__class__ is Tensor and input._data.ndim == other._data.ndim == 2:
        return mm(input, other)  # the common case first: matrix @ matrix (Speed: _data.ndim,
        # not the property: two calls fewer, about 0.1 us)
    check_tensor(other, "matmul", "other")  # (mg.matmul checks input first, as argument 1)
    a, b = input, other
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(
            f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D"
        )
    (n, m) = a._data.shape[0], a._data.shape[-1]
    if a.ndim == b.ndim == 1:
        _check_dtypes(a, b, "dot : expected both vectors to have same dtype, but found {a} and {b}")
        if a._data.shape != b._data.shape:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{n}] and src [{b._data.shape[0]}] "
                f"to have the same number of elements, but got {n} and {b._data.shape[0]} "
                "elements respectively"
            )
        return Dot.apply(a, b)
    if a.ndim == 2 and b.ndim == 1:
        if m != b._data.shape[0]:
            raise RuntimeError(
                f"size mismatch, got input ({n}), mat ({n}x{m}), vec ({b._data.shape[0]})"
            )
        _check_dtypes(
            a, b, "addmv input tensors must have the same dtype, but got {b}, {a}, and {b}"
        )
        return Mv.apply(a, b)
    if a.ndim == 1 and b.ndim == 2:  # vector @ matrix: the vector as a row, then drop it
        out = SqueezeInMatmul.apply(mm(a.unsqueeze(0), b), dims=(0,))
        bump_version(out)  # PyTorch squeezes in place here (squeeze_)
        return out
    if b.ndim >= 3:  # batched: bmm's message
        _check_dtypes(a, b, "expected scalar type {a} but found {b}")
    if a.ndim <= 2 and b.ndim >= 3:
        # PyTorch computes it transposed, (B^T @ a^T)^T, to fold the batch into one mm.
        flipped = matmul(b.mT, a.t() if a.ndim == 2 else a)
        return flipped.mT.contiguous() if a.ndim == 2 else flipped
    if b.ndim <= 2 and a.ndim >= 3:
        # Fold the batch into the rows of one matrix: (b, n, m) @ (m, p) is one mm.
        rows = a.reshape(int(np.prod(a._data.shape[:-1])), m)  # not -1: it may be 0 rows
        return UnsafeView.apply(matmul(rows, b), shape=a._data.shape[:-1] + b._data.shape[1:])
    return _batched(a, b)


def _batched(a, b):
    """Two batches of matrices (both at least 3-D): broadcast the batch dims, flatten
    them, bmm, unflatten."""
    (n, m), (m2, p) = a._data.shape[-2:], b._data.shape[-2:]
    if m != m2:
        size = max(1, int(np.prod(b._data.shape[:-2])))
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{size}, {m}] "
            f"but got: [{size}, {m2}]."
        )
    try:
        batch = np.broadcast_shapes(a._data.shape[:-2], b._data.shape[:-2])
    except ValueError:
        raise broadcast_error(a._data.shape[:-2], b._data.shape[:-2]) from None
    size = int(np.prod(batch))
    a3 = a.expand(*batch, n, m).reshape(size, n, m)
    b3 = b.expand(*batch, m, p).reshape(size, m, p)
    return UnsafeView.apply(Bmm.apply(a3, b3), shape=batch + (n, p))


def dot(input, other):
    check_tensor(other, "dot", "tensor")
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    return matmul(input, other)
