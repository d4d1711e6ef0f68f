"""A check: the inputs, the probe, the truth and the judge of one exercise.

A check is defined once, in ``coursekit/checks/chNN.py``, as plain functions
(see ``coursekit/AUTHORING.md``).  The same definition runs in two places:

* in the learner's notebook, ``check("ch02.unbroadcast")`` does everything
  in the learner's own kernel and prints one line;
* in the grader, only ``probe`` runs in the learner's (sandboxed) kernel;
  the cases, the truth (``reference``) and the verdict (``judge``) are
  computed in the grader's own process, from the probe's plain data.

Both paths go through :func:`judge_all`, so a learner sees in the notebook
exactly the message the grader would write in their feedback.
"""

from __future__ import annotations

import builtins
import dis
import hashlib
import inspect
import json
import keyword
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import messages, probes

IMPLEMENT = "implement"
PREDICT = "predict"
FIND_THE_BUG = "find-the-bug"
KINDS = (IMPLEMENT, PREDICT, FIND_THE_BUG)

PROBES_SOURCE = Path(probes.__file__).read_text(encoding="utf-8")


class CheckDefinitionError(ValueError):
    """A check module is written wrongly (an author's mistake, not a learner's)."""


def _probe_namespace_names() -> frozenset:
    namespace: dict = {"__name__": "coursekit_probe"}
    exec(compile(PROBES_SOURCE, "<coursekit-probes>", "exec"), namespace)  # noqa: S102 - our own file
    return frozenset(namespace) | frozenset(dir(builtins))


_PROBE_NAMES = _probe_namespace_names()


def _global_names(code) -> set:
    names = set()
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME", "STORE_GLOBAL", "DELETE_GLOBAL"):
            names.add(instruction.argval)
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _global_names(const)
    return names


def probe_source(probe: Callable) -> str:
    """The source text of a probe, as it is shipped to the learner's kernel."""
    return textwrap.dedent(inspect.getsource(probe))


def validate_probe(probe: Callable, check_id: str) -> None:
    """Refuse a probe that could not run alone in the learner's kernel."""
    where = f"{check_id}: probe {getattr(probe, '__name__', probe)!r}"
    if not inspect.isfunction(probe):
        raise CheckDefinitionError(f"{where} must be a function defined with def")
    if probe.__qualname__ != probe.__name__ or probe.__closure__:
        raise CheckDefinitionError(f"{where} must be defined at the top level of the checks module")
    if probe_source(probe).lstrip().startswith("@"):
        raise CheckDefinitionError(f"{where} must not be decorated")
    unknown = sorted(_global_names(probe.__code__) - _PROBE_NAMES)
    if unknown:
        raise CheckDefinitionError(
            f"{where} uses {', '.join(unknown)}, but a probe runs alone in the learner's kernel: "
            "it may use only its arguments, builtins, np, math, to_json and NotPlainData; "
            "import anything else inside the probe's body"
        )


@dataclass(frozen=True)
class Check:
    """One graded exercise's check.  See AUTHORING.md for every field."""

    id: str
    kind: str
    points: int
    reads: tuple
    title: str
    cases: Callable[[np.random.Generator, bool], list]
    probe: Callable[[dict, dict], Any]
    reference: Callable[[dict], Any]
    judge: Callable[[Any, Any, dict], tuple]
    rule: str = ""
    hint: str = ""

    def __post_init__(self):
        if not isinstance(self.id, str) or self.id.count(".") != 1 or not self.id.startswith("ch"):
            raise CheckDefinitionError(f"check id {self.id!r} must look like 'ch02.unbroadcast'")
        if self.kind not in KINDS:
            raise CheckDefinitionError(f"{self.id}: kind must be one of {KINDS}, not {self.kind!r}")
        if type(self.points) is not int or self.points <= 0:
            raise CheckDefinitionError(f"{self.id}: points must be a positive int")
        reads = (self.reads,) if isinstance(self.reads, str) else tuple(self.reads)
        if not reads or not all(n.isidentifier() and not keyword.iskeyword(n) for n in reads):
            raise CheckDefinitionError(f"{self.id}: reads must name the learner's variables")
        object.__setattr__(self, "reads", reads)
        for name in ("cases", "reference", "judge"):
            if not callable(getattr(self, name)):
                raise CheckDefinitionError(f"{self.id}: {name} must be a function")
        validate_probe(self.probe, self.id)

    @property
    def chapter(self) -> str:
        return self.id.split(".")[0]

    @property
    def probe_source(self) -> str:
        return probe_source(self.probe)


@dataclass
class Outcome:
    """The verdict on one call of a check.

    ``status``: ``passed``, ``failed`` or ``not-implemented``; ``message`` is
    the specific part (no tick, no hint); ``cases`` how many cases were tried.
    """

    check_id: str
    status: str
    message: str
    cases: int = 0
    hidden: bool = False
    detail: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def plain(value) -> Any:
    """``value`` exactly as it would arrive from the learner's kernel."""
    return json.loads(probes.dumps(probes.to_json(value)))


def make_cases(check: Check, seed: int, hidden: bool) -> list:
    """The check's cases for one call, as plain data."""
    cases = check.cases(np.random.default_rng(seed), hidden)
    try:
        return json.loads(probes.dumps(list(cases)))
    except (TypeError, ValueError) as exc:
        raise CheckDefinitionError(f"{check.id}: cases must be plain JSON data ({exc})") from None


def notebook_seed(check_id: str, hidden: bool) -> int:
    """The fixed seed of a check's cases in a notebook (same every run)."""
    digest = hashlib.sha256(
        f"coursekit|{check_id}|{'hidden' if hidden else 'visible'}".encode()
    ).digest()
    return int.from_bytes(digest[:8], "big")


def probe_namespace(check: Check) -> dict:
    """probes.py and the check's probe, compiled from source in a fresh
    namespace: exactly what the grader sends to the learner's kernel."""
    namespace: dict = {"__name__": "coursekit_probe"}
    # Our own source text, compiled apart so that it runs as it will in the grader.
    exec(compile(PROBES_SOURCE, "<coursekit-probes>", "exec"), namespace)  # noqa: S102
    exec(compile(check.probe_source, "<coursekit-probe>", "exec"), namespace)  # noqa: S102
    return namespace


def judge_all(check: Check, data: Any, cases: list, *, hidden: bool = False) -> Outcome:
    """Turn the probe's plain data into a verdict (runs in the trusted process)."""

    def outcome(status, message, n=0, **detail):
        return Outcome(check.id, status, message, n, hidden, detail)

    if not isinstance(data, dict):
        return outcome("failed", messages.unreadable())
    if "missing" in data:
        names = [str(n) for n in data["missing"]][:5] if isinstance(data["missing"], list) else []
        unanswered = data.get("unanswered")
        unanswered = [str(n) for n in unanswered] if isinstance(unanswered, list) else []
        return outcome(
            "not-implemented",
            messages.missing_names([n for n in names if n not in unanswered], unanswered),
            missing=names,
        )
    results = data.get("results")
    if not isinstance(results, list) or not results and cases:
        return outcome("failed", messages.unreadable())
    for index, case in enumerate(cases):
        if index >= len(results) or not isinstance(results[index], dict):
            return outcome("failed", messages.unreadable())
        result = results[index]
        label = messages.case_label(case)
        if hidden:
            label = f"{label} (a hidden case)" if label else "a hidden case"
        status = result.get("status")
        if status == "not-implemented":
            return outcome("not-implemented", messages.not_implemented(check.title), index + 1)
        if status == "raised":
            return outcome(
                "failed", messages.raised(check.title, result, label), index + 1, case=index
            )
        if status == "not-data":
            return outcome(
                "failed",
                messages.not_data(
                    check.title,
                    str(result.get("what", "?")),
                    label,
                    check.kind == PREDICT,
                    name=result.get("name") if isinstance(result.get("name"), str) else "",
                ),
                index + 1,
                case=index,
            )
        if status != "ok":
            return outcome("failed", messages.unreadable())
        expected = plain(check.reference(case))
        try:
            verdict = check.judge(result.get("value"), expected, case)
            passed, message = bool(verdict[0]), str(verdict[1])
        except Exception as exc:  # noqa: BLE001 - learner data the judge did not foresee
            passed, message = False, messages.uncomparable(result.get("value"), exc)
        if not passed:
            if check.kind != PREDICT:
                message += messages.none_returned_note(message)
            return outcome(
                "failed", f"{label}: {message}" if label else message, index + 1, case=index
            )
    return outcome("passed", messages.passed(len(cases), hidden), len(cases))


def run_in_notebook(check: Check, namespace: dict, hidden: bool) -> Outcome:
    """The whole check in the learner's own process (the notebook's path)."""
    cases = make_cases(check, notebook_seed(check.id, hidden), hidden)
    shipped = probe_namespace(check)
    raw = shipped["run_probe"](shipped[check.probe.__name__], check.reads, cases, namespace)
    return judge_all(check, json.loads(shipped["dumps"](raw)), cases, hidden=hidden)
