"""Observations: what a parity program writes down about the library it runs on.

A parity program runs the same code with ``lib`` = torch or minigrad and
reports what it sees through an :class:`Observer`. Everything recorded is
turned into plain JSON data (lists, numbers, strings, None) in a
library-neutral form, so the two runs can be compared field by field:
``torch.float32`` and ``minigrad.float32`` both become ``'float32'``, and
``torch.`` / ``minigrad.`` inside reprs and messages both become ``'LIB.'``.

One observation is a dict with a ``label`` (the program's name for it), a
``kind`` and kind-specific fields:

- ``tensor`` (and ``grad``, the same without ``version``, for gradients):
  ``value`` (nested lists), ``dtype``, ``shape``,
  ``requires_grad``, ``is_leaf``, ``retains_grad``, ``is_inference``,
  ``grad_fn`` (node name or None), ``next_functions`` (see
  :func:`node_tree`), ``version``, ``repr`` and ``grad`` (None or a small
  dict), plus ``grad_warnings`` (warnings raised while reading ``.grad``).
  A field whose reading raised holds ``{"error": [type name, message]}``.
- ``value``: ``value``, a plain Python value after :func:`plain`.
- ``raises``: ``error``, ``[type name, message]`` or None if nothing raised.
- ``warns``: ``warnings``, a list of ``[category name, message]``, and
  ``error`` if the call raised.
- ``crash`` (written by the runner): the program stopped with an exception
  that it did not expect; ``error`` holds it.
- ``stray_warnings`` (written by the runner): warnings that were emitted
  outside ``warns`` / ``tensor`` during the program.
"""

import re
import threading
import warnings

from coursekit.compare import without_cpp_origin

# ``torch.`` / ``minigrad.`` at the start of a word (not ``pytorch.org``), and
# the C++-style namespace of some node names (``torch::autograd::CopySlices``).
_LIBRARY_PREFIX = re.compile(r"\b(?:torch|minigrad)\.")
_LIBRARY_NAMESPACE = re.compile(r"\b(?:torch|minigrad)::")
# Memory addresses differ from run to run and between the libraries.
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")

# How many levels of ``next_functions`` a tensor observation shows.
GRAPH_DEPTH = 4


def neutral_text(text):
    """Make a repr or message library-neutral: ``torch.`` -> ``LIB.``, addresses -> ``0x?``.

    PyTorch's note of the C++ source line a warning came from is dropped.
    """
    text = without_cpp_origin(text)
    text = _LIBRARY_NAMESPACE.sub("LIB::", _LIBRARY_PREFIX.sub("LIB.", text))
    return _ADDRESS.sub("0x?", text)


def dtype_name(dtype):
    """``torch.float32`` / ``minigrad.float32`` -> ``'float32'``."""
    return str(dtype).rsplit(".", 1)[-1]


def _is_dtype(value):
    module = type(value).__module__ or ""
    return type(value).__name__ == "dtype" and module.split(".")[0] in ("torch", "minigrad")


def _is_tensor(value):
    return hasattr(value, "grad_fn") and hasattr(value, "requires_grad") and hasattr(value, "shape")


def plain(value):
    """Turn an observed Python value into comparable JSON data.

    Tuples become lists (a ``Size`` too: its repr is observed separately when
    it matters); dtypes become their short name; strings are made
    library-neutral. Tensors are refused: observe them with ``obs.tensor``.
    """
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return neutral_text(value)
    if _is_dtype(value):
        return dtype_name(value)
    if _is_tensor(value):
        raise TypeError("observe tensors with obs.tensor(), not obs.value()")
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    raise TypeError(f"cannot observe a value of type {type(value).__name__}")


def error_record(exc):
    """``[type name, library-neutral message]`` of an exception."""
    return [type(exc).__name__, neutral_text(str(exc))]


def warning_records(caught):
    return [[w.category.__name__, neutral_text(str(w.message))] for w in caught]


def node_tree(node, depth=GRAPH_DEPTH):
    """A graph node and its ``next_functions``, as nested lists.

    A node is ``[name, [edge, edge, ...]]`` with one entry per
    ``next_functions`` entry; an edge to nowhere is ``None``; an edge whose
    input number is not 0 is named ``'Name:1'``. Below ``depth`` levels a node
    is only ``[name]``. Example for ``(a * b).sum()`` with ``b`` not requiring
    grad: ``['SumBackward0', [['MulBackward0', [['AccumulateGrad', []], None]]]]``.

    The name is ``node.name()`` without PyTorch's C++ namespace: its
    ``AccumulateGrad.name()`` is ``'torch::autograd::AccumulateGrad'``
    (``CopySlices`` and ``CopyBackwards`` likewise); the full name is still
    compared in each tensor's ``grad_fn`` field and by ``grad_accumulate_grad_node``.
    """
    if node is None:
        return None
    name = node.name().rsplit("::", 1)[-1]
    if depth <= 0:
        return [name]
    edges = []
    for child, input_nr in node.next_functions:
        if child is None:
            edges.append(None)
            continue
        sub = node_tree(child, depth - 1)
        if input_nr != 0:
            sub[0] = f"{sub[0]}:{input_nr}"
        edges.append(sub)
    return [name, edges]


def _read(fn):
    """Call ``fn``; its plain result, or ``{"error": ...}`` if it raised."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - an error is an observation too
        return {"error": error_record(exc)}


def _grad_summary(grad):
    if grad is None:
        return None
    return {
        "value": _read(lambda: plain(grad.tolist())),
        "dtype": _read(lambda: dtype_name(grad.dtype)),
        "shape": _read(lambda: list(grad.shape)),
        "requires_grad": _read(lambda: grad.requires_grad),
        "grad_fn": _read(
            lambda: None if grad.grad_fn is None else neutral_text(grad.grad_fn.name())
        ),
    }


def describe_tensor(t):
    """Every observable field of a tensor, each read on its own (see module doc)."""
    record = {
        "value": _read(lambda: plain(t.tolist())),
        "dtype": _read(lambda: dtype_name(t.dtype)),
        "shape": _read(lambda: list(t.shape)),
        "requires_grad": _read(lambda: t.requires_grad),
        "is_leaf": _read(lambda: t.is_leaf),
        "retains_grad": _read(lambda: t.retains_grad),
        "is_inference": _read(lambda: t.is_inference()),
        "grad_fn": _read(lambda: None if t.grad_fn is None else neutral_text(t.grad_fn.name())),
        "next_functions": _read(lambda: node_tree(t.grad_fn)),
        "version": _read(lambda: t._version),
        "repr": _read(lambda: neutral_text(repr(t))),
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        record["grad"] = _read(lambda: _grad_summary(t.grad))
    record["grad_warnings"] = warning_records(caught)
    return record


class Observer:
    """Collects the observations of one program run, in order.

    Labels must be unique within a program: they are how a difference is
    reported. Thread-safe, so a program may observe from a worker thread.
    """

    def __init__(self):
        self.records = []
        self._labels = set()
        self._lock = threading.Lock()

    def _add(self, label, kind, **fields):
        with self._lock:
            if label in self._labels:
                raise ValueError(f"duplicate observation label {label!r}")
            self._labels.add(label)
            self.records.append({"label": label, "kind": kind, **fields})

    def tensor(self, label, t, skip=()):
        """Observe a tensor (or None) with all its fields, except those in ``skip``.

        Skip a field only where PyTorch's value is an accident of how it
        implements an op (say so at the call site).
        """
        if t is None:
            self._add(label, "tensor", none=True)
            return
        record = describe_tensor(t)
        for field in skip:
            del record[field]
        self._add(label, "tensor", **record)

    def grad(self, label, t):
        """Observe a gradient tensor (``x.grad``, a result of ``autograd.grad``, a
        hook's argument): every field of :meth:`tensor` except ``version``.

        How often PyTorch's engine writes into a gradient buffer it made itself
        (and so that buffer's ``_version``) is an implementation detail, not
        behaviour a learner relies on; the version of tensors a program
        changes in place is observed everywhere else.
        """
        if t is None:
            self._add(label, "grad", none=True)
            return
        record = describe_tensor(t)
        del record["version"]
        self._add(label, "grad", **record)

    def value(self, label, value):
        """Observe a plain value: bool, int, float, str, None, dtype, or lists of them."""
        self._add(label, "value", value=plain(value))

    def raises(self, label, fn):
        """Call ``fn()`` and observe the exception it raises (None if it raises nothing).

        Returns fn's result when it did not raise, so a program can go on.
        """
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001 - the error is what we observe
            self._add(label, "raises", error=error_record(exc))
            return None
        self._add(label, "raises", error=None)
        return result

    def warns(self, label, fn):
        """Call ``fn()`` and observe the warnings it emits; returns fn's result."""
        result = None
        error = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001
                error = error_record(exc)
        self._add(label, "warns", warnings=warning_records(caught), error=error)
        return result


def run_program(program, lib):
    """Run one program on ``lib``; its list of observations.

    An unexpected exception ends the program with a ``crash`` observation;
    warnings nobody asked to observe end up in ``stray_warnings``. Grad mode
    must be back to its default when the program returns (programs restore it
    in ``finally``); if not, the runner restores it and records a crash, so a
    leaking program cannot spoil the next one.
    """
    obs = Observer()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            program(lib, obs)
        except Exception as exc:  # noqa: BLE001
            obs.records.append({"label": "<crash>", "kind": "crash", "error": error_record(exc)})
    if caught:
        obs.records.append(
            {
                "label": "<stray warnings>",
                "kind": "stray_warnings",
                "warnings": warning_records(caught),
            }
        )
    leaked = _grad_state(lib)
    if leaked != (True, False):
        lib.set_grad_enabled(True)
        obs.records.append(
            {
                "label": "<grad mode leaked>",
                "kind": "crash",
                "error": [
                    "LeakedGradMode",
                    f"(is_grad_enabled, is_inference_mode_enabled) = {leaked}",
                ],
            }
        )
    return obs.records


def _grad_state(lib):
    inference = _read(lib.is_inference_mode_enabled)
    return (lib.is_grad_enabled(), inference if isinstance(inference, bool) else False)
