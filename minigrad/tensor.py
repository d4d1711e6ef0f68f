"""Tensor: a numpy array plus the autograd metadata PyTorch keeps beside it.

The numbers live in ``_data`` (a numpy array). Autograd adds: ``requires_grad``,
``grad_fn`` (the node that made this tensor, ``None`` for leaves), ``grad`` (filled
by backward, on leaves only), and a version counter bumped by every in-place
change. The operations at the end of the class are one line each: every
operation is a Function in ``minigrad/ops``, its forward beside its backward.
"""

import warnings
import weakref

import numpy as np

from . import dtypes
from .grad_mode import _state
from .graph import AccumulateGrad, RemovableHandle, VersionCounter

_NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information."
)
_NUMPY_OF_REQUIRES_GRAD = (
    "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
)


# The default of an argument whose absence matters: ``t.sum()`` and ``t.sum(None)`` differ
# in PyTorch (a dim given, even None, is the other overload, SumBackward1, and takes a
# keepdim), and ``t.max(None)`` or ``t.sum(0, keepdim=None)`` are refused.
NOT_GIVEN = object()


def by_keyword(value):
    """A sequence given by keyword (``t.view(size=(2, 3))``) as the one positional argument
    it stands for; nothing if it was not given."""
    return () if value is NOT_GIVEN else (value,)


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``minigrad.Size([2, 3])``."""

    def __repr__(self):
        return f"minigrad.Size({list(self)})"


class device:
    """Where a tensor lives. minigrad computes on the CPU only."""

    def __init__(self, type="cpu"):
        self.type = type

    def __repr__(self):
        return f"device(type='{self.type}')"

    def __str__(self):
        return self.type

    def __eq__(self, other):
        return isinstance(other, device) and other.type == self.type or other == self.type

    def __hash__(self):
        return hash(self.type)


_CPU = device("cpu")


def non_leaf_flag_error(value):
    """PyTorch's error for setting ``requires_grad`` on a tensor an op made."""
    message = "you can only change requires_grad flags of leaf variables."
    if not value:
        message += (
            " If you want to use a computed variable in a subgraph that doesn't require "
            "differentiation use var_no_grad = var.detach()."
        )
    return RuntimeError(message)


def check_assigned_grad(tensor, value):
    """What ``tensor.grad = value`` accepts besides None: a tensor, not ``tensor`` itself,
    of its shape and dtype, as PyTorch's setter checks."""
    if not isinstance(value, Tensor):
        raise TypeError(
            "assigned grad expected to be a Tensor or None but got grad of type "
            f"{type(value).__name__}"
        )
    if value is tensor:
        raise RuntimeError("can't assign Variable as its own grad")
    if value.shape != tensor.shape:
        raise RuntimeError(
            f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor "
            f"of size '{list(tensor.shape)}'. Please ensure that the gradient and the "
            "tensor are the same size"
        )
    if value.dtype is not tensor.dtype:
        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{value.dtype.c_name}' to a "
            f"tensor with grad_dtype '{tensor.dtype.scalar_name}'. The gradient must "
            "match the tensor's grad_dtype (defaults to the tensor's dtype). You can set the "
            "tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype. "
            "Set grad_dtype with caution. Diverging the dtypes of a tensor and its gradient "
            "may break downstream systems that assume they match."
        )


def typename(obj):
    """The name PyTorch's messages give a value's type (``torch.typename``):
    'minigrad.FloatTensor' for a tensor, 'int', 'minigrad.nn.linear.Linear'..."""
    if isinstance(obj, Tensor):
        return f"minigrad.{obj.dtype.legacy_name}"
    cls = type(obj)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


def _wrap(array, grad_fn=None, version_counter=None):
    """A new tensor around ``array`` (no copy); the op that made it is ``grad_fn``."""
    if array.__class__ is not np.ndarray:
        array = np.asarray(array)  # numpy returns scalars for 0-d results; keep arrays
    t = object.__new__(Tensor)
    t._data = array
    t._requires_grad = grad_fn is not None
    t._grad_fn = grad_fn
    t._version_counter = version_counter or VersionCounter()
    t._is_inference = _state.inference_mode
    t._view, t._output_nr, t._accumulator = None, 0, None
    return t


def detach(tensor):
    """``tensor.detach()``: a new tensor around the same memory, sharing its version
    counter (an in-place change through either is seen by both), with no history."""
    return _wrap(tensor._data, None, tensor._version_counter)


class Tensor:
    """A multi-dimensional array that can record the operations applied to it."""

    # Every tensor sets these eight; the rarely used rest start from the class
    # defaults below and live in the instance's __dict__ only once set. (Speed: the three
    # every op reads are slots too: _view and _output_nr of each input, _accumulator of a
    # leaf. Python 3.11 specialises a slot's read, not a class default's: 30 machine
    # instructions against 150-300; benchmarks/README.md, "Attribute reads (speed7)".)
    __slots__ = (
        "__dict__",
        "__weakref__",
        "_data",
        "_grad_fn",
        "_is_inference",
        "_requires_grad",
        "_version_counter",
        "_view",  # a view's ViewInfo: how it was made from _base (minigrad/views.py); or None
        "_output_nr",  # which output of its grad_fn it is (a custom Function may have several)
        "_accumulator",  # weak reference to this leaf's AccumulateGrad node, once made
    )
    _grad = None  # filled by backward (leaves), or retain_grad()
    _hooks = None  # {handle id: hook} for register_hook on a leaf
    _base = None  # the tensor this one is a view of
    _retains_grad = False
    _is_wrapped_number = False  # made from a Python number by an op (``t * 2``)
    _counts_versions = False  # an inference tensor detached outside inference mode does
    # Make numpy hand mixed expressions (np.float32(2) * t) to our operators.
    __array_ufunc__ = None

    def __init__(self, data=(), requires_grad=False):
        made = creation.tensor(data, dtype=None if isinstance(data, Tensor) else dtypes.float32)
        for name in Tensor.__slots__[2:]:
            setattr(self, name, getattr(made, name))
        if requires_grad:
            self.requires_grad = True

    # --- autograd metadata --------------------------------------------------
    @property
    def requires_grad(self):
        """Set by you, or made by a recorded op, or a view of a tensor that requires grad."""
        base = self._base
        return self._requires_grad or base is not None and base._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        value = bool(value)
        if self.grad_fn is not None:
            raise non_leaf_flag_error(value)
        if value and not self.dtype.is_floating_point:
            raise RuntimeError(
                "only Tensors of floating point and complex dtype can require gradients"
            )
        if value and self._is_inference and not _state.inference_mode:
            raise RuntimeError(
                "Setting requires_grad=True on inference tensor outside InferenceMode is not "
                "allowed."
            )
        self._requires_grad = value

    @requires_grad.deleter
    def requires_grad(self):
        raise RuntimeError("requires_grad must be a bool")

    def requires_grad_(self, requires_grad=True):
        """Make this leaf require grad (or not); returns it. Asking a non-leaf, which
        requires grad already, again is allowed (only switching it off is refused)."""
        arguments.bool_argument(requires_grad, "requires_grad_", "requires_grad", position=1)
        if requires_grad and self.grad_fn is not None:  # (a view's is rebuilt if need be)
            return self
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        """Made by the user (or not requiring grad) rather than by a recorded op."""
        return self.grad_fn is None

    @property
    def grad_fn(self):
        """The node that made this tensor; a view's is rebuilt if its memory changed since."""
        return self._grad_fn if self._view is None else views.current_grad_fn(self)

    @property
    def grad(self):
        if self._grad_fn is not None and not self._retains_grad and self._grad is None:
            warnings.warn(_NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            check_assigned_grad(self, value)
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def _version(self):
        if self._is_inference and not self._counts_versions:
            raise RuntimeError("Inference tensors do not track version counter.")
        return self._version_counter.value

    def retain_grad(self):
        """Ask backward to store this non-leaf tensor's gradient in ``.grad``."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains_grad:  # a leaf (a view's is not rebuilt here)
            return
        node = self.grad_fn  # (a view's may refuse to be rebuilt: before anything changes)
        self._retains_grad = True  # the node holds the tensor weakly: it keeps nothing alive
        node._retained = {**(node._retained or {}), self._output_nr: weakref.ref(self)}

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed.

        A hook may return a new gradient to use instead. Returns a handle whose
        ``remove()`` unregisters it.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        grad_fn = self.grad_fn
        if grad_fn is not None:
            return grad_fn.register_prehook(hook, self._output_nr)
        if self._hooks is None:
            self._hooks = {}
        return RemovableHandle(self._hooks, hook)

    def _get_accumulator(self):
        """The AccumulateGrad node of this leaf (one per leaf, made on first use)."""
        node = self._accumulator() if self._accumulator is not None else None
        if node is None:
            node = AccumulateGrad(self)
            self._accumulator = weakref.ref(node)
        return node

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Compute the gradient of this tensor with respect to the graph's leaves."""
        engine.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # --- sharing memory -------------------------------------------------------
    def detach(self):
        """A tensor with the same data (memory *and* version counter) and no history."""
        t = detach(self)
        t._is_inference = self._is_inference  # an inference tensor stays one (chapter 7)
        if self._is_inference and not _state.inference_mode:
            # PyTorch: one detached outside inference mode counts its own versions, so it
            # may be changed in place (x.grad.detach().zero_() of a .grad made in it)
            t._version_counter, t._counts_versions = VersionCounter(), True
        return t

    def detach_(self):
        if _state.inference_mode:  # PyTorch's detach_ is autograd's: off in inference mode
            return self
        if self._base is not None:
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using "
                "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set "
                "as True, gradients are views of DDP buckets, and hence detach_() cannot be "
                "called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution."
            )
        self._grad_fn = None
        self._requires_grad = False
        self._output_nr = 0
        return self

    @property
    def data(self):
        """The values without history, sharing memory but NOT the version counter.

        That is the difference from ``detach()``: changes made through ``.data``
        are invisible to autograd's checks, which is why PyTorch discourages it.
        """
        t = _wrap(self._data)
        t._is_inference = self._is_inference
        return t

    @data.setter
    def data(self, value):
        if self._requires_grad and not value.dtype.is_floating_point:
            raise RuntimeError(
                "data set to a tensor that requires gradients must be floating point or "
                "complex dtype"
            )
        self._data = value._data

    # --- plain metadata ---------------------------------------------------------
    # fmt: off
    shape = property(lambda self: Size(self._data.shape))
    dtype = property(lambda self: dtypes._BY_NUMPY[self._data.dtype])
    ndim = property(lambda self: self._data.ndim)
    device = property(lambda self: _CPU)
    output_nr = property(lambda self: self._output_nr)
    retains_grad = property(lambda self: self._retains_grad)
    def is_inference(self): return self._is_inference
    def size(self, dim=None): return self.shape if dim is None else self._data.shape[common.size_dim(self, dim)]
    def dim(self): return self._data.ndim
    def numel(self): return self._data.size
    def element_size(self): return self._data.itemsize
    def is_floating_point(self): return self.dtype.is_floating_point
    def is_contiguous(self): return self._data.flags["C_CONTIGUOUS"]
    def _is_view(self): return self._base is not None
    def tolist(self): return self._data.tolist()
    def __float__(self): return float(common.only_element(self, to_float=True))
    def __int__(self): return int(common.only_element(self))
    # fmt: on

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def numpy(self):
        """The numpy array behind this tensor (shares memory).

        Refused for a tensor that requires grad while grad mode is on: numpy's
        operations on it would escape the graph unnoticed.
        """
        return self.__array__()

    def __array__(self, dtype=None, copy=None):
        if self.requires_grad and _state.grad_enabled:
            raise RuntimeError(_NUMPY_OF_REQUIRES_GRAD)
        return self._data if dtype is None else self._data.astype(dtype)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def __index__(self):
        if self.dtype.category != 1 or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    __hash__ = object.__hash__

    def __repr__(self):
        suffixes = []  # format_tensor adds dtype= where PyTorch shows it
        try:
            grad_fn = self.grad_fn
        except RuntimeError:  # a view whose grad_fn cannot be rebuilt (views.check_view_change)
            grad_fn = "Invalid"
        if grad_fn is not None:
            # The repr shows the class name: <CopySlices>, not its "torch::autograd::" name().
            name = grad_fn if grad_fn == "Invalid" else grad_fn.name().split("::")[-1]
            suffixes.append(f"grad_fn=<{name}>")
        elif self.requires_grad:
            suffixes.append("requires_grad=True")
        return _tensor_str.format_tensor(self._data, suffixes)

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0 and spec:
            return format(self.item(), spec)
        return repr(self)

    def __deepcopy__(self, memo):
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment.  If you were attempting to deepcopy a module, this may "
                "be because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001"
            )
        new = _wrap(self._data.copy())
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = _wrap(self._grad._data.copy())
        memo[id(self)] = new
        return new

    def __reduce_ex__(self, protocol):
        # pickle (and copy.copy) keep the numbers and requires_grad, as PyTorch does: the
        # copy is a new leaf, with no history and no .grad, and a Parameter stays one
        return (creation.from_pickle, (type(self), self._data.copy(), self.requires_grad))

    # --- operations: each is a Function in minigrad/ops ---------------------------
    # fmt: off
    def __add__(self, other): return common.operator(elementwise.add, self, other)
    def __sub__(self, other): return common.operator(elementwise.sub, self, other)
    def __rsub__(self, other): return common.operator(elementwise.rsub, self, other)
    def __mul__(self, other): return common.operator(elementwise.mul, self, other)
    def __truediv__(self, other): return common.operator(elementwise.div, self, other)
    def __rtruediv__(self, other): return common.operator(elementwise.rdiv, self, other)
    def __pow__(self, other): return common.operator(elementwise.pow, self, other)
    def __rpow__(self, other):
        return elementwise.pow(other, self) if common.is_operand(other) else NotImplemented
    def __matmul__(self, other):
        return matrix.matmul(self, other) if isinstance(other, Tensor) else NotImplemented
    def __eq__(self, other): return common.operator(compare.eq, self, other)
    def __ne__(self, other): return common.operator(compare.ne, self, other)
    def __lt__(self, other): return common.operator(compare.lt, self, other)
    def __le__(self, other): return common.operator(compare.le, self, other)
    def __gt__(self, other): return common.operator(compare.gt, self, other)
    def __ge__(self, other): return common.operator(compare.ge, self, other)
    def __iadd__(self, other): return common.operator(inplace.add_, self, other)
    def __isub__(self, other): return common.operator(inplace.sub_, self, other)
    def __imul__(self, other): return common.operator(inplace.mul_, self, other)
    def __itruediv__(self, other): return common.operator(inplace.div_, self, other)
    __radd__, __rmul__ = __add__, __mul__
    def __neg__(self): return elementwise.neg(self)
    def __abs__(self): return elementwise.abs(self)
    def __invert__(self): return common.invert(self)
    def __getitem__(self, key): return indexing.getitem(self, key)
    def __setitem__(self, key, value): inplace.setitem(self, key, value)

    def add(self, other, alpha=1): return elementwise.add(self, other, alpha)
    def sub(self, other, alpha=1): return elementwise.sub(self, other, alpha)
    def mul(self, other): return elementwise.mul(self, other)
    def div(self, other): return elementwise.div(self, other)
    def pow(self, exponent): return elementwise.pow(self, exponent)
    def maximum(self, other): return compare.maximum(self, other, other_position=1)
    def minimum(self, other): return compare.minimum(self, other, other_position=1)
    def eq(self, other): return compare.eq(self, other)
    def ne(self, other): return compare.ne(self, other)
    def lt(self, other): return compare.lt(self, other)
    def le(self, other): return compare.le(self, other)
    def gt(self, other): return compare.gt(self, other)
    def ge(self, other): return compare.ge(self, other)
    def neg(self): return elementwise.neg(self)
    def exp(self): return elementwise.exp(self)
    def log(self): return elementwise.log(self)
    def tanh(self): return elementwise.tanh(self)
    def sigmoid(self): return elementwise.sigmoid(self)
    def relu(self): return elementwise.relu(self)
    def reciprocal(self): return elementwise.reciprocal(self)
    def sqrt(self): return elementwise.sqrt(self)
    def abs(self): return elementwise.abs(self)
    def sign(self): return elementwise.sign(self)
    def logical_not(self): return compare.logical_not(self)

    def sum(self, dim=NOT_GIVEN, keepdim=NOT_GIVEN, dtype=None, *, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
        return reduce.sum(self, dim, keepdim, dtype, axis, keepdims)
    def mean(self, dim=NOT_GIVEN, keepdim=NOT_GIVEN, *, dtype=None, axis=NOT_GIVEN, keepdims=NOT_GIVEN):
        return reduce.mean(self, dim, keepdim, dtype, axis, keepdims)
    # (axis= and keepdims=: numpy's names, which PyTorch takes too)
    def max(self, dim=NOT_GIVEN, keepdim=NOT_GIVEN, **numpy): return reduce.max(self, dim, keepdim, **numpy)
    def min(self, dim=NOT_GIVEN, keepdim=NOT_GIVEN, **numpy): return reduce.min(self, dim, keepdim, **numpy)
    def argmax(self, dim=None, keepdim=False, **numpy): return reduce.argmax(self, dim, keepdim, **numpy)
    def all(self, dim=None, keepdim=NOT_GIVEN, **numpy): return reduce.all(self, dim, keepdim, **numpy)
    def any(self, dim=None, keepdim=NOT_GIVEN, **numpy): return reduce.any(self, dim, keepdim, **numpy)
    def softmax(self, dim=NOT_GIVEN, dtype=None, *, axis=NOT_GIVEN): return reduce.softmax(self, dim, dtype, axis=axis)
    def log_softmax(self, dim=NOT_GIVEN, dtype=None, *, axis=NOT_GIVEN): return reduce.log_softmax(self, dim, dtype, axis=axis)
    def mm(self, mat2): return matrix.mm(self, mat2)
    def matmul(self, other): return matrix.matmul(self, other)
    def dot(self, other): return matrix.dot(self, other)

    def view(self, *sizes, size=NOT_GIVEN): return shape.view(self, *sizes, *by_keyword(size))
    def reshape(self, *sizes, shape=NOT_GIVEN): return _reshape(self, *sizes, shape=shape)
    def flatten(self, start_dim=0, end_dim=-1): return shape.flatten(self, start_dim, end_dim)
    def transpose(self, dim0, dim1): return shape.transpose(self, dim0, dim1)
    def t(self): return shape.t(self)
    T = property(lambda self: shape.transposed(self))
    mT = property(lambda self: shape.matrix_transposed(self))
    def permute(self, *order, dims=NOT_GIVEN): return shape.permute(self, *order, *by_keyword(dims))
    def unsqueeze(self, dim=NOT_GIVEN, *, axis=NOT_GIVEN): return shape.unsqueeze(self, dim, axis=axis)
    def squeeze(self, dim=NOT_GIVEN, *, axis=NOT_GIVEN): return shape.squeeze(self, dim, axis=axis)
    def expand(self, *sizes, size=NOT_GIVEN): return shape.expand(self, *sizes, *by_keyword(size))
    def clone(self): return shape.clone(self)
    def contiguous(self): return shape.contiguous(self)
    def to(self, dtype=None, copy=False): return shape.to(self, dtype, copy)
    def float(self): return shape.to(self, dtypes.float32)
    def double(self): return shape.to(self, dtypes.float64)
    def long(self): return shape.to(self, dtypes.int64)
    def int(self): return shape.to(self, dtypes.int32)
    def bool(self): return shape.to(self, dtypes.bool)

    def add_(self, other, alpha=1): return inplace.add_(self, other, alpha)
    def sub_(self, other, alpha=1): return inplace.sub_(self, other, alpha)
    def mul_(self, other): return inplace.mul_(self, other)
    def div_(self, other): return inplace.div_(self, other)
    def zero_(self): return inplace.zero_(self)
    def fill_(self, value): return inplace.fill_(self, value)
    def copy_(self, src): return inplace.copy_(self, src)
    # fmt: on


# The operations, the engine and the printer all use Tensor: they load after it.
from . import _tensor_str, arguments, creation, engine, views  # noqa: E402
from .ops import common, compare, elementwise, indexing, inplace, matrix, reduce, shape  # noqa: E402
from .ops.shape import reshape as _reshape  # noqa: E402 (reshape's argument is named shape)
