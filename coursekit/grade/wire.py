"""What comes back from the learner's kernel, read as untrusted data.

A probe prints one frame, ``<<coursekit:NONCE>>JSON<</coursekit:NONCE>>``,
holding what ``run_probe`` (checks/probes.py) returned.  The learner's code
runs in the same kernel and can change what is printed (patch
``json.dumps``, print a frame of its own, return a dict that imitates a
numpy array), so before anything judges it the frame is

1. bounded: at most :data:`MAX_FRAME` characters, parsed by ``json.loads``
   (whose own nesting limit is caught like any other parse error);
2. checked against the schema of a probe result (:func:`checked`):
   nesting at most :data:`MAX_DEPTH` deep, every case result one of the
   shapes ``run_probe`` writes, every array ``{"__ndarray__": ...}`` with
   a list of numbers that matches its shape.

What does not fit costs only that case: it comes back as unreadable, or as
"not plain data" for a fake array, and the exercise fails with the check's
usual message.  Nothing the kernel sent can make the grader raise.
"""

from __future__ import annotations

import ast
import json
import math
import re
import secrets
import traceback
from pathlib import Path

from ..checks.core import PROBES_SOURCE, Outcome, judge_all
from ..checks.messages import unreadable
from . import watch

WATCH_SOURCE = Path(watch.__file__).read_text(encoding="utf-8")

MAX_FRAME = 8 << 20  # characters; the grader captures no more than this of a probe's output
MAX_DEPTH = 64  # probes refuse values nested deeper than 50; results wrap them in 4 levels more
MAX_ITEMS = 2_000_000  # probes refuse results of more than a million items
STATUSES = ("ok", "not-implemented", "raised", "not-data")
FAKE_ARRAY = {"status": "not-data", "what": "a dict that imitates a numpy array"}
UNREADABLE = {"status": "unreadable"}


def read_frame(stdout: str, opener: str, closer: str):
    """The probe's data, or None if it is missing, forged (twice), too large or not JSON."""
    found = re.findall(re.escape(opener) + "(.*?)" + re.escape(closer), stdout, re.DOTALL)
    if len(found) != 1 or len(found[0]) > MAX_FRAME:
        return None
    try:
        data = json.loads(found[0])
        text = json.dumps(data, ensure_ascii=False)
    except (ValueError, RecursionError):
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a \udc80 escape (valid JSON, not text): read as "?"
        return json.loads(text.encode("utf-8", "replace").decode("utf-8"))
    return data


class _Misfit(ValueError):
    """A value that does not fit the schema (message: how)."""


def _plain(value, depth: int, budget: list) -> None:
    """Raise :class:`_Misfit` unless ``value`` is plain data a probe could send."""
    budget[0] -= 1
    if depth > MAX_DEPTH or budget[0] < 0:
        raise _Misfit("too deep or too large")
    if value is None or isinstance(value, (bool, int, str)):
        return
    if isinstance(value, float):
        return  # NaN and infinities are allowed on the wire
    if isinstance(value, list):
        for item in value:
            _plain(item, depth + 1, budget)
        return
    if isinstance(value, dict):
        if "__ndarray__" in value:
            _array(value, depth, budget)
            return
        for item in value.values():
            _plain(item, depth + 1, budget)
        return
    raise _Misfit(f"a {type(value).__name__}")  # json.loads makes nothing else


def _array(value: dict, depth: int, budget: list) -> None:
    """``{"__ndarray__": nested lists of numbers, "shape": [...], "dtype": "..."}``, consistent."""
    shape, dtype, data = value.get("shape"), value.get("dtype"), value.get("__ndarray__")
    if set(value) != {"__ndarray__", "shape", "dtype"} or not isinstance(dtype, str):
        raise _Misfit("fake array")
    if not isinstance(shape, list) or len(shape) > 32:
        raise _Misfit("fake array")
    if not all(type(n) is int and 0 <= n for n in shape):
        raise _Misfit("fake array")
    size = math.prod(shape)
    budget[0] -= size
    if budget[0] < 0:
        raise _Misfit("too large")
    level = [data]
    for length in shape:  # walk one level of nesting per dimension
        following = []
        for item in level:
            if not isinstance(item, list) or len(item) != length:
                raise _Misfit("fake array")
            following.extend(item)
        level = following
    if not all(type(x) in (int, float, bool) for x in level):
        raise _Misfit("fake array")


def _case_result(result) -> dict:
    """One case's result as ``run_probe`` writes it, or a stand-in that says why not."""
    if not isinstance(result, dict) or result.get("status") not in STATUSES:
        return dict(UNREADABLE)
    status = result["status"]
    if status == "ok":
        if "value" not in result:
            return dict(UNREADABLE)
        try:
            _plain(result["value"], 0, [MAX_ITEMS])
        except _Misfit as misfit:
            return dict(FAKE_ARRAY) if str(misfit) == "fake array" else dict(UNREADABLE)
        return {"status": "ok", "value": result["value"]}
    if status == "raised":
        out = {
            "status": "raised",
            "type": _text(result.get("type"), "an error"),
            "message": _text(result.get("message"), ""),
        }
        if isinstance(result.get("function"), str) and type(result.get("line")) is int:
            out["function"], out["line"] = _text(result["function"], "?"), result["line"]
        return out
    if status == "not-data":
        return {"status": "not-data", "what": _text(result.get("what"), "something else")}
    return {"status": status}


def _text(value, default: str, limit: int = 300) -> str:
    return value[:limit] if isinstance(value, str) else default


def checked(data):
    """``data`` fitted to the schema of a probe result; None if it is not one at all.

    ``{"missing": [names]}`` or ``{"results": [one dict per case]}``; a case
    result that does not fit is replaced (see the module docstring).
    """
    if not isinstance(data, dict):
        return None
    if "missing" in data:
        names = data["missing"]
        if not isinstance(names, list):
            return None
        return {"missing": [_text(n, "?", 100) for n in names[:5]]}
    results = data.get("results")
    if not isinstance(results, list) or len(results) > 10_000:
        return None
    return {"results": [_case_result(r) for r in results]}


def _frame() -> tuple:
    nonce = secrets.token_hex(16)
    return f"<<coursekit:{nonce}>>", f"<</coursekit:{nonce}>>"


def probe_imports(checks) -> list:
    """What the probes of ``checks`` import from minigrad and coursekit, for the snapshot
    (``from a import b`` gives ``a`` and ``a.b``: ``b`` may be a module)."""
    found = set()
    for check in checks:
        for node in ast.walk(ast.parse(check.probe_source)):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return sorted(name for name in found if name.split(".")[0] in watch.PACKAGES)


def watch_snippet(holder: str, imports: list) -> tuple:
    """``(code, opener, closer)``: what a new kernel runs before any learner code: it
    imports ``imports`` (:func:`probe_imports`), takes the snapshot (``watch.py``), keeps it
    in a module of its own named ``holder``, and sends the ids it found
    (:func:`snapshot_ids` reads them)."""
    opener, closer = _frame()
    code = f"""\
def _coursekit_watch_():
    import builtins, json, sys, types
    watch = {{"__name__": "coursekit_watch"}}
    builtins.exec(builtins.compile({WATCH_SOURCE!r}, "<coursekit-watch>", "exec"), watch)
    holder = types.ModuleType({holder!r})
    holder.snapshot = watch["take"]({imports!r})
    sys.modules[{holder!r}] = holder
    ids = watch["numbers"](holder.snapshot[1])
    text = {opener!r} + json.dumps({{"ids": ids}}) + {closer!r} + "\\n"
    for start in range(0, len(text), 8192):  # (in one write, its 150 kB cost 24 MB of memory)
        sys.stdout.write(text[start : start + 8192])
        sys.stdout.flush()
try:
    _coursekit_watch_()
finally:
    del _coursekit_watch_
"""
    return code, opener, closer


def snapshot_ids(data) -> list | None:
    """The ids a new kernel's snapshot found, or None if what it sent is not that."""
    ids = data.get("ids") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not ids or not all(type(n) is int for n in ids):
        return None
    return ids


def watch_report(data) -> tuple:
    """``(digest, changed)`` from what a probe sent: ``("", [])`` if it sent none."""
    seen = data.get("watch") if isinstance(data, dict) else None
    if not isinstance(seen, dict) or not isinstance(seen.get("digest"), str):
        return "", []
    changed = seen.get("changed")
    changed = [_text(c, "?", 200) for c in changed[:3]] if isinstance(changed, list) else []
    return seen["digest"][:64], changed


def probe_snippet(check, cases: list, holder: str, salt: str) -> tuple:
    """``(code, opener, closer)``: what the kernel runs for one check call.  It walks what
    the grading relies on first (``watch.py``; the snapshot is in module ``holder``) and
    sends the walk's digest salted with ``salt``."""
    opener, closer = _frame()
    code = f"""\
def _coursekit_probe_():
    import builtins  # (a notebook's own exec, compile or globals would stand in for these)
    watch = {{"__name__": "coursekit_watch"}}
    builtins.exec(builtins.compile({WATCH_SOURCE!r}, "<coursekit-watch>", "exec"), watch)
    seen = watch["report"]({holder!r}, {salt!r})  # before anything of the learner's is called
    ns = {{"__name__": "coursekit_probe"}}
    builtins.exec(builtins.compile({PROBES_SOURCE!r}, "<coursekit-probes>", "exec"), ns)
    builtins.exec(builtins.compile({check.probe_source!r}, "<coursekit-probe>", "exec"), ns)
    cases = ns["json"].loads({json.dumps(cases)!r})
    out = ns["run_probe"](
        ns[{check.probe.__name__!r}], {tuple(check.reads)!r}, cases, builtins.globals()
    )
    out["watch"] = seen
    ns["sys"].stdout.write({opener!r} + ns["dumps"](out) + {closer!r} + "\\n")
    ns["sys"].stdout.flush()
try:
    _coursekit_probe_()
finally:
    del _coursekit_probe_
"""
    return code, opener, closer


def judge_safely(check, data, cases: list, hidden: bool) -> Outcome:
    """The verdict on what the kernel sent, checked first; never raises."""
    fitted = checked(data)
    if fitted is None:
        return Outcome(check.id, "failed", unreadable(), hidden=hidden)
    try:
        return judge_all(check, fitted, cases, hidden=hidden)
    except Exception as exc:  # noqa: BLE001 - the learner's data, a case the check did not foresee
        traceback.print_exc()  # into the worker's log, for the instructor
        message = f"your result is not of the expected form ({type(exc).__name__})"
        return Outcome(check.id, "failed", message, hidden=hidden)
