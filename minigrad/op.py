"""Op: a built-in operation, and the straight path its ``apply`` takes.

Every built-in op (``Mul``, ``Tanh``, ``Mm``...) is an ``Op``: a Function whose
forward and backward compute on numpy arrays. Its ``apply`` is
``Function.apply`` (the rule, which chapter 10 prints) written out in one piece
for the case nearly every op call is: one new tensor made from plain tensors.
Every other case goes to ``Function.apply`` itself.
"""

import numpy as np

from .function import FLOATS, IDLE, Function, FunctionCtx, _input_meta, expose, promote
from .grad_mode import _state
from .graph import (
    FREED,
    FREED_MESSAGE,
    SavedTensor,
    VersionCounter,
    _sequence_numbers,
    anomaly_state,
)
from .tensor import Tensor

_new = object.__new__

try:  # numpy 2's error state is a context variable: np.errstate sets it, then resets it
    from numpy._core._ufunc_config import _extobj_contextvar as _numpy_errors
    from numpy._core._ufunc_config import _make_extobj

    QUIET = _make_extobj(all="ignore")  # np.errstate(all="ignore")'s state, made once
except ImportError:  # pragma: no cover - another numpy: Op.apply leaves it to Function.apply
    _numpy_errors = None

NO_EDGE = (None, 0)  # the edge of an input that needs no gradient
# graph's own SavedTensor, whose check OpCtx.saved_tensors makes inline (another class
# put in its place, as the course's engine build does, is unpacked by its own unpack)
CHECKED_INLINE = (SavedTensor,)


class OpCtx(FunctionCtx):
    """The ctx, and node, of a built-in op: a FunctionCtx whose backward the engine's
    ``run_plain`` calls directly, and whose saving and saved tensors take the common
    cases first.

    Speed: a call fewer per saved value and per saved tensor read (``_save``,
    ``SavedTensor.unpack``); see ``Op.apply`` for the figures. An input saved (mul,
    matmul) and a result saved as itself (tanh) get their ``SavedTensor`` written out,
    without ``__init__``, ``detach`` and ``_wrap``: with add's and matmul's lighter
    dispatch: 4x4 op + backward 1.53-1.58x PyTorch, mul 1.39-1.43x, tanh 1.74-1.77x
    (from 1.58-1.62x, 1.38-1.48x, 1.82-1.89x; benchmarks/README.md, "The seam's cost").
    """

    _arrays_backward = True

    def save(self, /, **named):
        forward = self._forward
        if forward is None:  # nothing is recorded: no backward will run
            return
        args, inputs = forward
        saved, inplace = self._saved, self._function.inplace
        for name, value in named.items():
            if name not in self._exposed:  # ctx._saved_<name>, from now on
                expose(self, name)
            if value.__class__ is np.ndarray and not inplace:
                for arg, x in zip(args, inputs):
                    if value is not arg:
                        continue
                    if x._is_inference or SavedTensor is not CHECKED_INLINE[0]:
                        saved[name] = SavedTensor(x)  # its error, or the class put in its place
                        break
                    saved[name] = kept = _new(SavedTensor)  # an input, kept with its version
                    kept.version, kept.output_nr, kept.tensor = (  # now: SavedTensor(x) inline
                        x._version_counter.value,
                        x._output_nr,
                        x,
                    )
                    kept.is_output, kept.was_non_leaf = False, x._grad_fn is not None
                    break
                else:  # the result, or a new array: kept once the result is wrapped
                    saved[name] = value
                    self._later += (name,)
                continue
            if value is None:
                saved[name] = None
                continue
            if value.__class__ in (int, float, bool):  # a plain value: kept apart, never freed
                setattr(self, name, value)
                if self._values is None:  # (this node's own dict, filled in place)
                    self._values = {}
                self._values[name] = value
                continue
            self._save({name: value})  # an in-place op's input, a tensor, a numpy number

    def _keep_saved_results(self, out, result):
        """FunctionCtx._keep_saved_results, the common case first: forward saved its one
        result (tanh, exp, sigmoid), kept as ``SavedTensor(result, is_output=True)``
        would keep it, without the calls of its ``__init__`` and ``detach``."""
        later, own = self._later, SavedTensor is CHECKED_INLINE[0]
        if own and len(later) == 1 and self._saved[later[0]] is out and result._grad_fn is self:
            saved = _new(SavedTensor)
            saved.version, saved.is_output = result._version_counter.value, True
            saved.output_nr, saved.was_non_leaf = result._output_nr, False
            saved.tensor = detached = _new(Tensor)  # result.detach(), _wrap written out
            detached._data, detached._grad_fn, detached._requires_grad = result._data, None, False
            detached._version_counter, detached._is_inference = result._version_counter, False
            self._saved[later[0]], self._forward = saved, None
            return
        FunctionCtx._keep_saved_results(self, out, result)

    @property
    def saved_tensors(self):
        """FunctionCtx.saved_tensors: each checked against in-place changes since."""
        as_arrays, values = self._as_arrays, []
        for saved in self._saved.values():
            if saved is None:
                values.append(None)
            elif saved is FREED:
                raise RuntimeError(FREED_MESSAGE)
            elif (
                as_arrays
                and saved.__class__ in CHECKED_INLINE
                and saved.tensor._version_counter.value == saved.version
                and (saved.tensor._grad_fn is not None or not saved.was_non_leaf)
            ):  # SavedTensor.unpack's checks pass: its array
                values.append(saved.tensor._data)
            else:  # unpack raises PyTorch's error (or gives the tensor)
                try:
                    values.append(saved.unpack(self, as_arrays, True))
                except RuntimeError:
                    self._check_in_pytorch_order()
                    raise
        return tuple(values)

    def _check_in_pytorch_order(self):
        """Raise the error PyTorch raises first when several saved tensors fail their
        checks: a built-in op's node unpacks its saved inputs in the order of their names
        (``mul`` checks ``other`` before ``self``, ``mm`` ``mat2`` before ``self``), then
        its saved results."""
        kept = [(n, s) for n, s in self._saved.items() if s is not None and s is not FREED]
        kept.sort(key=lambda item: (bool(getattr(item[1], "is_output", False)), item[0]))
        for _, saved in kept:
            saved.unpack(self, True, True)


class Op(Function):
    """A built-in operation: forward computes on the inputs' numpy arrays.

    So does backward, when nothing records it; under ``create_graph=True`` it
    runs on tensors instead, so that the gradient gets a graph of its own. One
    formula serves both: ``grad * other`` multiplies arrays or tensors.
    """

    on_arrays = True
    _ctx_class = OpCtx

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The ops apply's straight path takes: one new tensor, inputs all tensors.
        cls._fast = cls._plain and cls._tensors_only and _numpy_errors is not None

    @classmethod
    def apply(cls, *inputs, **options):
        """``Function.apply`` for a built-in op making one new tensor from plain tensors
        (no views, no inference tensors), outside inference mode and anomaly detection;
        any other case goes to ``Function.apply``. The same steps, in the same order.

        Speed: ``Function.apply`` makes about ten helper calls per op (recording rule,
        edges, arguments, saving, wrapping); here they are one loop and a few lines (the
        result tensor too: ``_wrap`` written out saves 0.25 us an op), and numpy's error
        state is set by two C calls instead of ``np.errstate``'s four Python ones (1.3 us
        against 0.3 us). With ``OpCtx`` and ``engine.run_plain`` it took the 4x4 op +
        backward chains from 2.13x to 1.58-1.62x PyTorch (geometric mean;
        benchmarks/README.md, "The seam's cost"). tests/unit/test_straight_paths.py checks
        that both paths record the same graphs.
        """
        if not isinstance(inputs[0], Tensor):  # inside a backward, on arrays: no recording
            return cls.forward(IDLE, *inputs, **options)
        if not cls._fast or _state.inference_mode or anomaly_state.enabled:
            return Function.apply.__func__(cls, *inputs, **options)
        needs, args, edges, enabled = [], [], [], _state.grad_enabled
        for x in inputs:  # the recording rule and the edges (FunctionCtx._record)
            if not isinstance(x, Tensor) or x._view is not None or x._is_inference:
                return Function.apply.__func__(cls, *inputs, **options)
            needs.append(x._requires_grad)
            args.append(x._data)
            edge = NO_EDGE if x._grad_fn is None else (x._grad_fn, x._output_nr)
            if x._requires_grad and x._grad_fn is None and enabled:  # a leaf: its AccumulateGrad
                node = x._accumulator() if x._accumulator is not None else None
                edge = (node or x._get_accumulator(), 0)  # (a weak reference: made once)
            edges.append(edge)
        if len(args) == 2 and args[0] is args[1] and inputs[0] is not inputs[1]:  # t, t.detach()
            return Function.apply.__func__(cls, *inputs, **options)  # (Function._arguments)
        recording, fitted = enabled and True in needs, None
        if cls.broadcasts and len(args) > 1:  # one dtype for forward; gradients fitted back
            first = args[0]
            for a in args:
                if a.shape != first.shape or a.dtype is not first.dtype:
                    args, fitted = promote(args, inputs), [_input_meta(x) for x in inputs]
                    break
        ctx = cls._node_class()
        if recording:
            ctx.needs_input_grad, ctx.next_functions = tuple(needs), tuple(edges)
            if fitted is not None:
                ctx._inputs = fitted
            ctx._sequence_nr = next(_sequence_numbers)
            ctx._forward, ctx._saved = (args, inputs), {}
        else:
            ctx.needs_input_grad = (False,) * len(inputs)
        token = _numpy_errors.set(QUIET)  # with np.errstate(all="ignore"):
        try:
            out = cls.forward(ctx, *args, **options)
        finally:
            _numpy_errors.reset(token)
        if out.__class__ is np.ndarray:  # _wrap(out, ctx), written out: a float result records
            result, node = _new(Tensor), ctx if recording and out.dtype in FLOATS else None
            result._data, result._grad_fn, result._requires_grad = out, node, node is not None
            result._version_counter, result._is_inference = VersionCounter(), False
        else:
            result = cls._wrap_result(out, inputs, ctx if recording else None)
        if recording:
            ctx._forward = None  # forward is over; what it saved that is no input, kept now:
            if ctx._later:
                ctx._keep_saved_results(out, result)
        return result
