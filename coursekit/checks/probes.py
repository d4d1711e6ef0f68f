"""What runs in the learner's kernel when a check looks at their work.

A check never judges inside the learner's kernel.  It *probes*: it calls the
learner's function on the check's inputs (or reads their answer) and turns
the result into plain JSON data -- numbers, strings, booleans, None, lists,
dicts, numpy arrays as ``{"__ndarray__": ..., "shape": ..., "dtype": ...}``.
Only that data leaves the kernel, so an object that claims to be equal to
everything is rejected here, before any comparison: it is not plain data.

This file is shipped to the grading kernel as source text and executed in a
fresh namespace, so it may import only the standard library and numpy.  A
check's ``probe`` function runs in that same namespace and can use the
names defined here (``np``, ``math``, ``to_json``, ``NotPlainData``).
"""

import json
import math  # noqa: F401 - offered to probes, which run in this namespace
import sys

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is a course requirement
    np = None

MAX_ITEMS = 1_000_000  # a probe result larger than this is not an answer
MAX_DEPTH = 50
_PROBE_FILES = ("<coursekit-probe>", "<coursekit-probes>")


class NotPlainData(TypeError):
    """The learner's result is not plain data (numbers, lists, arrays...)."""


def _type_name(value) -> str:
    try:
        cls = type(value)
        module = getattr(cls, "__module__", "") or ""
        name = getattr(cls, "__qualname__", "?")
        if module in ("builtins", "__main__", "") or module.startswith("_"):
            return str(name)
        return f"{module}.{name}"
    except Exception:  # noqa: BLE001 - a learner's class may break even this
        return "an unknown type"


def to_json(value, _depth=0, _budget=None):
    """``value`` as plain JSON data, or raise :class:`NotPlainData`.

    Only exact built-in types and exact numpy arrays/scalars are accepted;
    subclasses are refused because they can redefine comparison.  A minigrad
    tensor (or Parameter) is converted through its numpy data.
    """
    if _budget is None:
        _budget = [MAX_ITEMS]
    _budget[0] -= 1
    if _budget[0] < 0:
        raise NotPlainData("a result with more than a million items")
    if _depth > MAX_DEPTH:
        raise NotPlainData("a result nested more than 50 levels deep")
    kind = type(value)
    if value is None or kind is bool or kind is str or kind is int or kind is float:
        return value
    if kind is list or kind is tuple:
        return [to_json(item, _depth + 1, _budget) for item in value]
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise NotPlainData("a dict whose keys are not all strings")
            out[key] = to_json(item, _depth + 1, _budget)
        return out
    if np is not None:
        if kind is np.ndarray:
            if value.dtype.kind not in "biuf":
                raise NotPlainData(f"a numpy array of dtype {value.dtype}")
            if value.size > _budget[0]:
                raise NotPlainData("an array with more than a million items")
            _budget[0] -= value.size
            return {
                "__ndarray__": value.tolist(),
                "shape": list(value.shape),
                "dtype": str(value.dtype),
            }
        if isinstance(value, np.generic) and kind.__module__ == "numpy":
            if value.dtype.kind not in "biuf":
                raise NotPlainData(f"a numpy scalar of dtype {value.dtype}")
            return value.item()
    tensor_class = getattr(sys.modules.get("minigrad"), "Tensor", None)
    if tensor_class is not None and isinstance(value, tensor_class):
        # Tensors and Parameters travel as their numbers; whatever ``_data``
        # holds must itself be plain data, so a subclass gains nothing.
        return to_json(value._data, _depth + 1, _budget)
    if isinstance(value, type):
        name = getattr(value, "__name__", "?")
        raise NotPlainData(f"the class {name} (to answer with a class, write its name as a string)")
    raise NotPlainData(f"an object of type {_type_name(value)}")


def _safe_str(exc, limit=300) -> str:
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a learner's __str__ may raise anything
        text = "(its message could not be printed)"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_library(frame) -> bool:
    """Is this frame running code of an installed module (minigrad, numpy...)?

    A learner's code runs in the notebook's namespace (``__name__`` is
    ``"__main__"``, or absent); a library's functions run in their module's.
    """
    name = frame.f_globals.get("__name__")
    if not isinstance(name, str) or name == "__main__":
        return False
    module = sys.modules.get(name)
    return module is not None and getattr(module, "__file__", None) is not None


def _where(tb):
    """``(function, line, called)``: where the learner's own code was when it failed.

    ``function`` and ``line`` name the innermost frame of the learner's code;
    ``called`` names the library function that line called, when the error was
    raised inside a library (``"minigrad: Tensor.backward"``), else None.
    Without any frame of the learner's, only ``called`` is set.
    """
    frames = []
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_filename not in _PROBE_FILES:
            frames.append((frame, tb.tb_lineno))
        tb = tb.tb_next
    learner = [i for i, (frame, _) in enumerate(frames) if not _is_library(frame)]
    start = learner[-1] + 1 if learner else 0
    called = None
    if start < len(frames):
        frame = frames[start][0]
        code = frame.f_code
        package = str(frame.f_globals.get("__name__", "")).split(".")[0]
        called = f"{package}: {getattr(code, 'co_qualname', code.co_name)}"
    if not learner:
        return None, None, called
    frame, line = frames[learner[-1]]
    return frame.f_code.co_name, line, called


def _named(learner, exc):
    """``{"name": ...}``: the learner's name that holds what was not plain data, if one does
    (an answer that is a set, a class...); empty if none can be told."""
    for name, value in learner.items():
        try:
            to_json(value)
        except NotPlainData as own:
            if str(own) == str(exc):
                return {"name": str(name)}
        except RecursionError:
            continue
    return {}


def _probe_one(probe, learner, case):
    try:
        value = probe(learner, case)
    except NotImplementedError:
        return {"status": "not-implemented"}
    except NotPlainData as exc:
        return {"status": "not-data", "what": _safe_str(exc)}
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - every failure of learner code is reported
        function, line, called = _where(exc.__traceback__)
        result = {"status": "raised", "type": _type_name(exc), "message": _safe_str(exc)}
        if function is not None:
            result["function"], result["line"] = str(function), int(line)
        if called is not None:
            result["called"] = called
        return result
    try:
        return {"status": "ok", "value": to_json(value)}
    except NotPlainData as exc:
        return {"status": "not-data", "what": _safe_str(exc), **_named(learner, exc)}
    except RecursionError:
        return {"status": "not-data", "what": "a result that contains itself"}


def run_probe(probe, reads, cases, namespace):
    """Probe the learner's names in ``namespace`` on every case.

    Returns plain data: ``{"missing": [names], "unanswered": [names]}`` when
    a name is not defined or still holds the exercise's placeholder ``...``
    (those are also listed in ``unanswered``), otherwise ``{"results": [one
    dict per case]}`` with a ``status`` of ``ok`` (and the ``value``),
    ``not-implemented``, ``raised`` or ``not-data``.  Stops at the first
    ``not-implemented``.
    """
    unanswered = [name for name in reads if name in namespace and namespace[name] is Ellipsis]
    missing = [name for name in reads if name not in namespace] + unanswered
    if missing:
        return {"missing": missing, "unanswered": unanswered}
    learner = {name: namespace[name] for name in reads}
    results = []
    for case in cases:
        results.append(_probe_one(probe, learner, case))
        if results[-1]["status"] == "not-implemented":
            break
    return {"results": results}


def dumps(data) -> str:
    """The wire format of probe results (NaN and infinities allowed)."""
    return json.dumps(data, allow_nan=True, separators=(",", ":"))
