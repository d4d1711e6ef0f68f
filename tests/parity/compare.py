"""Compare two runs of a parity program, observation by observation.

The reference run (PyTorch) and the run under test (minigrad) must produce the
same labels in the same order, and every field must agree: floats within
``rtol``/``atol`` (float32 arithmetic done in another order differs in the last
bits), everything else exactly, types included (``1`` is not ``1.0`` and
``True`` is not ``1``: ``item()`` of an int tensor is an int in PyTorch).
"""

import math
from dataclasses import dataclass

RTOL = 1e-5
ATOL = 1e-6


@dataclass
class Difference:
    """One disagreement: where it is, what the reference has, what we got."""

    label: str
    path: str
    expected: object
    actual: object

    def describe(self, names=("torch", "minigrad")):
        where = f"{self.label!r}" + (f" field {self.path}" if self.path else "")
        width = max(len(n) for n in names) + 1
        text = (
            f"{where}:\n    {names[0] + ':':<{width}} {self.expected!r}"
            f"\n    {names[1] + ':':<{width}} {self.actual!r}"
        )
        hint = _text_difference(self.expected, self.actual)
        return text + (f"\n    {hint}" if hint else "")

    def __str__(self):
        return self.describe()


def _first_differing_strings(expected, actual):
    """The first pair of different strings at the same place in two values."""
    if isinstance(expected, str) and isinstance(actual, str):
        return (expected, actual) if expected != actual else None
    if isinstance(expected, list) and isinstance(actual, list):
        for e, a in zip(expected, actual):
            found = _first_differing_strings(e, a)
            if found:
                return found
    return None


def _text_difference(expected, actual, context=30):
    """For long texts (messages, reprs): where they start to differ, and around it."""
    pair = _first_differing_strings(expected, actual)
    if pair is None or max(len(pair[0]), len(pair[1])) < 60:
        return ""
    e, a = pair
    at = next((i for i, (x, y) in enumerate(zip(e, a)) if x != y), min(len(e), len(a)))
    start = max(0, at - context)
    return (
        f"texts differ from character {at}: "
        f"...{e[start : at + context]!r}... vs ...{a[start : at + context]!r}..."
    )


def _floats_close(expected, actual, rtol, atol):
    if math.isnan(expected) or math.isnan(actual):
        return math.isnan(expected) and math.isnan(actual)
    if math.isinf(expected) or math.isinf(actual):
        return expected == actual
    return abs(actual - expected) <= atol + rtol * abs(expected)


def _same_kind(expected, actual):
    # bool is a subclass of int in Python; for parity they are different kinds.
    def kind(v):
        if isinstance(v, bool):
            return "bool"
        if isinstance(v, int):
            return "int"
        if isinstance(v, float):
            return "float"
        if isinstance(v, (list, tuple)):
            return "list"
        return type(v).__name__

    return kind(expected) == kind(actual)


def compare_values(expected, actual, path="", rtol=RTOL, atol=ATOL):
    """Paths (``''`` = the whole value) where two plain values differ.

    A difference inside a list is reported at the whole value, which is what a
    reader wants to see for a tensor's values; a dict is compared key by key.
    """
    if isinstance(expected, dict) and isinstance(actual, dict):
        paths = []
        for key in list(expected) + [k for k in actual if k not in expected]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in expected or key not in actual:
                paths.append(sub)
            else:
                paths += compare_values(expected[key], actual[key], sub, rtol, atol)
        return paths
    return [] if _equal(expected, actual, rtol, atol) else [path]


def _equal(expected, actual, rtol, atol):
    if not _same_kind(expected, actual):
        return False
    if isinstance(expected, float):
        return _floats_close(expected, actual, rtol, atol)
    if isinstance(expected, (list, tuple)):
        return len(expected) == len(actual) and all(
            _equal(e, a, rtol, atol) for e, a in zip(expected, actual)
        )
    if isinstance(expected, dict):
        return not compare_values(expected, actual, "", rtol, atol)
    return expected == actual


def _field(record, path):
    value = record
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return "<missing>"
        value = value[key]
    return value


def compare_runs(expected, actual, rtol=RTOL, atol=ATOL):
    """All differences between two lists of observations (empty list: parity)."""
    differences = []
    for i in range(max(len(expected), len(actual))):
        exp = expected[i] if i < len(expected) else None
        act = actual[i] if i < len(actual) else None
        if exp is None:
            differences.append(Difference(act["label"], "", "<no such observation>", act))
            continue
        if act is None:
            differences.append(Difference(exp["label"], "", exp, "<no such observation>"))
            continue
        if exp["label"] != act["label"]:
            # The runs went different ways; past this point pairs mean nothing.
            differences.append(Difference(exp["label"], "", exp, act))
            break
        for path in compare_values(exp, act, "", rtol, atol):
            differences.append(Difference(exp["label"], path, _field(exp, path), _field(act, path)))
    return differences


def report(program_name, differences, names=("torch", "minigrad"), limit=40):
    """A readable multi-line account of the differences of one program."""
    lines = [f"{program_name}: {len(differences)} difference(s) ({names[0]} vs {names[1]})"]
    for diff in differences[:limit]:
        lines.append("  " + diff.describe(names).replace("\n", "\n  "))
    if len(differences) > limit:
        lines.append(f"  ... and {len(differences) - limit} more")
    return "\n".join(lines)
