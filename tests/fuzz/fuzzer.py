"""The differential fuzzer: run generated programs on PyTorch and minigrad, compare, shrink.

:func:`compare_program` runs one program on both libraries and returns the
differences (``tests/parity/compare.py`` compares the observations).
:func:`shrink` removes steps (and unwraps blocks) while the program still
shows the same difference, so a failure is reported as a program of a few
lines. :func:`fuzz` runs many programs and groups the differences by
:func:`signature`: the kind of step where the runs first disagree and the
field that differs, a good first guess at a root cause.
"""

import math
import re
import time
from dataclasses import dataclass, field, replace

from tests.parity.compare import compare_runs, report

from .generate import generate
from .program import Program, Step, instrumented_source, reproducer, run

_STEP_LABEL = re.compile(r"^step (\d+)")


@dataclass
class Outcome:
    """What running one program on both libraries gave."""

    program: Program
    differences: list
    expected: list  # PyTorch's observations
    actual: list  # minigrad's

    @property
    def agrees(self):
        return not self.differences


def compare_program(program, torch, minigrad):
    code = compile(instrumented_source(program.steps), "<fuzz program>", "exec")
    expected = run(program, torch, code)
    actual = run(program, minigrad, code)
    _drop_reprs_of_rounded_values(expected, actual)
    return Outcome(program, _compare(expected, actual), expected, actual)


def _compare(expected, actual):
    """``compare_runs``, skipping the observations that are equal as they stand (most)."""
    if len(expected) != len(actual):
        return compare_runs(expected, actual)
    pairs = [(e, a) for e, a in zip(expected, actual) if e != a]
    if any(e["label"] != a["label"] for e, a in pairs):
        return compare_runs(expected, actual)
    return compare_runs([e for e, _ in pairs], [a for _, a in pairs])


def _drop_reprs_of_rounded_values(expected, actual):
    """Don't compare the repr of tensors whose values agree only within rounding.

    Values are compared within float32 tolerance; their repr shows more than
    that: ``-6.9999995`` prints as ``-7.0000`` and ``-7.0`` as ``-7.``.
    """
    for e, a in zip(expected, actual):
        if e.get("label") != a.get("label"):
            break
        if e.get("kind") != "tensor" or "repr" not in e:
            continue
        values = e.get("value"), a.get("value")
        if values[0] != values[1] or any(map(_has_negative_zero, values)):
            e.pop("repr")
            a.pop("repr", None)


def _has_negative_zero(value):
    """-0.0 prints as ``-0.``; which zeros are negative is partly left to PyTorch's
    kernels (tied zeros in max, mm against bmm), outside the contract: see COVERAGE.md."""
    if isinstance(value, list):
        return any(_has_negative_zero(v) for v in value)
    return isinstance(value, float) and value == 0 and math.copysign(1.0, value) < 0


def first_step(difference):
    """The step number a difference's label names, or None (``end ...``, ``<crash>``)."""
    match = _STEP_LABEL.match(difference.label)
    return int(match.group(1)) if match else None


def signature(outcome):
    """``(kind of step, field)`` of the first difference: how failures are grouped."""
    diff = outcome.differences[0]
    index = first_step(diff)
    flat = outcome.program.flat()
    if index is not None and index < len(flat):
        kind = flat[index].kind
    else:
        kind = diff.label.split(" ")[0]
    path = diff.path or "<observation>"
    if path.startswith("grad.") or path.startswith("next_functions"):
        path = path.split(".")[0]
    return (kind, path)


# --- shrinking -----------------------------------------------------------------------


def _descendants(steps):
    """For each flat index of a block, the flat indices of its body (all levels)."""
    result = {}
    counter = [0]

    def walk(items):
        for step in items:
            index = counter[0]
            counter[0] += 1
            start = counter[0]
            walk(step.body)
            if step.body:
                result[index] = set(range(start, counter[0]))

    walk(steps)
    return result


def _first_mentions(flat):
    first = {}
    for i, step in enumerate(flat):
        for name in step.names_used():
            first.setdefault(name, i)
    return first


def _close_drop(flat, drop, descendants):
    """``drop`` plus the bodies of dropped blocks plus every step that uses a name
    only a dropped step made (repeated until nothing changes)."""
    first = _first_mentions(flat)
    drop = set(drop)
    while True:
        before = len(drop)
        for i in list(drop):
            drop |= descendants.get(i, set())
        for j, step in enumerate(flat):
            if j not in drop and any(first.get(n) in drop for n in step.names_used()):
                drop.add(j)
        if len(drop) == before:
            return drop


def _rebuild(steps, keep, unwrap=frozenset()):
    """The tree without the flat indices not in ``keep``; blocks in ``unwrap``
    replaced by their bodies."""
    counter = [0]

    def walk(items):
        out = []
        for step in items:
            index = counter[0]
            counter[0] += 1
            body = walk(step.body)
            if index not in keep:
                continue
            if index in unwrap:
                out.extend(body)
            elif step.body or step.is_block:
                out.append(replace(step, body=tuple(body)))
            else:
                out.append(step)
        return out

    return walk(steps)


_ASSIGNMENT = re.compile(r"^(t\d+) = ")


def python_literal(value):
    """Source for a plain observed value (nested lists of numbers), inf and nan included."""
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value}")'
    if isinstance(value, float):
        return repr(float(f"{value:.4g}"))  # short; the shrinker re-checks the failure
    return repr(value)


def _replace_step(steps, index, new_step):
    counter = [0]

    def walk(items):
        out = []
        for step in items:
            i = counter[0]
            counter[0] += 1
            body = walk(step.body)
            if i == index:
                out.append(new_step)
            else:
                out.append(replace(step, body=tuple(body)) if step.body else step)
        return out

    return walk(steps)


def shrink(program, still_fails, budget_seconds=60.0, literal_for=None):
    """A smaller program for which ``still_fails(program)`` holds.

    Tries, until nothing more can go: dropping each step (later steps first,
    with the steps that depend on it); replacing each block by its body; and
    replacing a step ``tN = <expression>`` by ``tN = lib.tensor(<its value>)``
    (``literal_for(steps, index, name)`` gives that source, or None), which
    lets the steps that made its operands go next.
    """
    deadline = time.monotonic() + budget_seconds
    steps = list(program.steps)
    changed = True
    while changed and time.monotonic() < deadline:
        changed = False
        if literal_for is not None:
            flat = Program(steps).flat()
            for index in reversed(range(len(flat))):
                step = flat[index]
                last = step.code.splitlines()[-1] if step.code else ""
                match = _ASSIGNMENT.match(last)
                if step.is_block or not match or step.kind == "create":
                    continue
                literal = literal_for(steps, index, match.group(1))
                if literal is None:
                    continue
                new = Step(f"{match.group(1)} = {literal}", "create")
                candidate = _replace_step(steps, index, new)
                if still_fails(_like(program, candidate)):
                    steps = candidate
                    flat = Program(steps).flat()
                    changed = True
                if time.monotonic() > deadline:
                    break
        flat = Program(steps).flat()
        descendants = _descendants(steps)
        for index in reversed(range(len(flat))):
            if index >= len(flat):
                continue
            drop = _close_drop(flat, {index}, descendants)
            keep = set(range(len(flat))) - drop
            candidate = _rebuild(steps, keep)
            if candidate and still_fails(_like(program, candidate)):
                steps = candidate
                flat = Program(steps).flat()
                descendants = _descendants(steps)
                changed = True
            if time.monotonic() > deadline:
                break
        for index, step in enumerate(Program(steps).flat()):
            if step.is_block:
                keep = set(range(len(Program(steps).flat())))
                candidate = _rebuild(steps, keep, unwrap={index})
                if still_fails(_like(program, candidate)):
                    steps = candidate
                    changed = True
                    break
    return _like(program, steps)


def _like(program, steps):
    return Program(list(steps), seed=program.seed, features=program.features)


def shrink_outcome(outcome, torch, minigrad, budget_seconds=60.0):
    """Shrink a failing program keeping its :func:`signature`; the new Outcome."""
    wanted = signature(outcome)

    def still_fails(candidate):
        result = compare_program(candidate, torch, minigrad)
        return bool(result.differences) and signature(result) == wanted

    def literal_for(steps, index, name):
        records = run(steps, torch)
        for r in records:
            if r["label"] == f"step {index} {name}" and r["kind"] == "tensor":
                fields = [r.get(k) for k in ("value", "dtype", "requires_grad")]
                if any(isinstance(f, dict) for f in fields) or r.get("is_inference"):
                    return None
                value, dtype, requires_grad = fields
                rg = ", requires_grad=True" if requires_grad else ""
                return f"lib.tensor({python_literal(value)}, dtype=lib.{dtype}{rg})"
        return None

    smaller = shrink(outcome.program, still_fails, budget_seconds, literal_for)
    return compare_program(smaller, torch, minigrad)


def describe_failure(outcome, original_length=None, limit=8):
    """The report of a (shrunk) failing program: the differences and a reproducer."""
    program = outcome.program
    raised = set()
    for records in (outcome.expected, outcome.actual):
        for r in records:
            if r["kind"] == "step" and r["error"] is not None:
                raised.add(int(_STEP_LABEL.match(r["label"]).group(1)))
    first = first_step(outcome.differences[0])
    note = (
        f"seed {program.seed!r}; {len(program)} steps"
        + (f" (shrunk from {original_length})" if original_length else "")
        + f"; first difference: {signature(outcome)}"
    )
    text = reproducer(program, note=note, failing_step=first, guarded=raised)
    return (
        report(f"program {program.seed!r}", outcome.differences, limit=limit)
        + "\n\nRunnable reproducer:\n\n"
        + text
    )


# --- many programs -----------------------------------------------------------------------


@dataclass
class Summary:
    """The result of a fuzz run: how many programs, and the failures by signature."""

    count: int = 0
    seconds: float = 0.0
    failures: dict = field(default_factory=dict)  # signature -> [Outcome, ...]

    @property
    def failed(self):
        return sum(len(v) for v in self.failures.values())


def program_seed(base, k):
    return f"{base}:{k}"


def fuzz(base_seed, count, features, torch, minigrad, on_program=None, time_limit=None):
    """Generate and compare ``count`` programs; a :class:`Summary` of what differed.

    Program ``k`` has the seed ``f"{base_seed}:{k}"``, so any one of them can
    be rebuilt alone with ``generate(seed, features)``.
    """
    summary = Summary()
    start = time.monotonic()
    for k in range(count):
        if time_limit is not None and time.monotonic() - start > time_limit:
            break
        program = generate(program_seed(base_seed, k), features, torch)
        outcome = compare_program(program, torch, minigrad)
        summary.count += 1
        if not outcome.agrees:
            summary.failures.setdefault(signature(outcome), []).append(outcome)
        if on_program is not None:
            on_program(k, outcome)
    summary.seconds = time.monotonic() - start
    return summary
