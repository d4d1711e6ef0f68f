"""The words a learner reads when a check passes or fails.

Every message is one or two short lines: what was tried, what came back,
what was expected, and -- on a failure -- the rule of autograd at stake and
a hint.  Values are described from plain data (what a probe returns), never
by calling anything the learner wrote.
"""

from __future__ import annotations

import math

PASS = "✓"
FAIL = "✗"
MAX_SHOWN = 12  # arrays up to this many numbers are printed in full


def shape_text(shape) -> str:
    """``[3]`` -> ``(3,)``, like Python prints a tuple."""
    items = list(shape)
    if len(items) == 1:
        return f"({items[0]},)"
    return "(" + ", ".join(str(n) for n in items) + ")"


def number_text(x) -> str:
    if isinstance(x, bool) or x is None:
        return repr(x)
    if isinstance(x, float):
        return "nan" if math.isnan(x) else f"{x:.4g}"
    return repr(x)


def _nested_text(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_nested_text(v) for v in value) + "]"
    return number_text(value)


def _count(value) -> int:
    if isinstance(value, list):
        return sum(_count(v) for v in value)
    return 1


def describe(value) -> str:
    """A short description of one piece of plain data."""
    if isinstance(value, dict) and "__ndarray__" in value:
        data, shape = value["__ndarray__"], value.get("shape", [])
        if _count(data) <= MAX_SHOWN:
            return f"an array of shape {shape_text(shape)}: {_nested_text(data)}"
        return f"an array of shape {shape_text(shape)}"
    if isinstance(value, list):
        text = _nested_text(value) if all(not isinstance(v, dict) for v in value) else repr(value)
        return text if len(text) <= 80 else f"a list of {len(value)} items"
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    if isinstance(value, dict):
        return f"a dict with keys {', '.join(sorted(value))[:60]}"
    return number_text(value)


def form_note(got, expected) -> str:
    """A note when a prediction is written in the wrong *form*, never revealing the value:
    ``'False'`` (a string) where the answer is not a string, a node's repr or a name
    without ``Backward`` where the answer is a node's name. Empty otherwise."""
    if not isinstance(got, str) or isinstance(expected, list):
        return ""
    text = got.strip()
    if not isinstance(expected, str):
        try:
            float(text)
            is_number = True
        except ValueError:
            is_number = False
        if text in ("True", "False", "None") or is_number:
            return f"; you wrote the string {got!r}: write the value {text} itself, without quotes"
        return ""
    if "Backward" in expected or expected == "AccumulateGrad":
        if " object at " in text or text.startswith("<"):
            return (
                "; that is how a node prints (its repr): write the node's name, as "
                "grad_fn.name() gives it, e.g. 'AddBackward0'"
            )
        if "Backward" not in text and text != "AccumulateGrad":
            return "; a node's name is the operation's name then Backward and a number, e.g. 'AddBackward0'"
    return ""


_NONE_RETURNED = (
    "returned a NoneType",
    "returned NoneType",
    "returned None;",
    " is None, expected",
)


def none_returned_note(message: str) -> str:
    """A reminder, when a function's result was None, that a missing ``return`` gives None."""
    if not any(words in message for words in _NONE_RETURNED) or "without `return`" in message:
        return ""
    if "no gradient reached it" in message:  # a .grad: some backward on the way sent None
        return (
            " (a backward sends None to an input when it returns None for it, say from a "
            "formula that reads a saved value that is None, or when it ends without `return`)"
        )
    return " (a function that ends without `return` gives None)"


def case_label(case) -> str:
    """How a case is named in messages: its ``label``, if the author gave one."""
    if isinstance(case, dict) and isinstance(case.get("label"), str):
        return case["label"]
    return ""


def passed(n_cases: int, hidden: bool) -> str:
    which = "hidden case" if hidden else "case"
    if n_cases == 1:
        return f"the {which} passes"
    return f"all {n_cases} {which}s pass"


def not_implemented(title: str) -> str:
    return (
        "not implemented yet: replace `raise NotImplementedError()` with your code, "
        "run that cell, then run this check again."
    )


def missing_names(names: list, unanswered: list = ()) -> str:
    """Names the learner has not written yet, or still hold the placeholder ``...``."""
    parts = []
    if names:
        listed = ", ".join(f"`{n}`" for n in names)
        parts.append(f"{listed} {'is' if len(names) == 1 else 'are'} not defined")
    if unanswered:
        listed = ", ".join(f"`{n}`" for n in unanswered)
        parts.append(f"{listed} {'is' if len(unanswered) == 1 else 'are'} still `...`")
    it = "it" if len(names) + len(unanswered) == 1 else "them"
    return f"not implemented yet: {' and '.join(parts)} (write {it} in the cell above and run that cell)."


def _where(result: dict) -> str:
    """Where learner code failed: their line, and the library function it called."""
    called = result.get("called")
    inside = ""
    if isinstance(called, str) and ": " in called:
        package, function = called.split(": ", 1)
        inside = f"{package}'s `{function}`"
    if "line" in result and "function" in result:
        function = result["function"]
        place = "your cell" if function == "<module>" else f"`{function}`"
        if inside:
            return f" (line {result['line']} of {place}, in its call to {inside})"
        return f" (line {result['line']} of {place})"
    if inside:
        return f" (inside {inside})"
    return ""


# What a few errors that learner code commonly runs into mean (the error's words -> a note).
KNOWN_ERRORS = {
    "returned an incorrect number of gradients": (
        "backward returns one gradient per input of forward, as a tuple (a list counts as "
        "one gradient; None for an input that needs none)"
    ),
    "returned an invalid gradient at index": (
        "a gradient must fit its input's shape (index 0 is the first input). A gradient in "
        "the output's shape is fine: the engine sums it back over the dimensions that "
        "broadcasting added or stretched, as PyTorch's does; a sum by hand over other "
        "dimensions, or without keepdim=True, leaves a shape that does not fit"
    ),
    "grad can be implicitly created only for scalar outputs": (
        "backward() and autograd.grad start from a single number: sum the tensor first, or "
        "pass the starting gradient"
    ),
    "This view was created inside a custom Function (or because an input was returned": (
        "forward returned its input (or a view of it), which was then changed in place: "
        "compute a new tensor in forward and leave its inputs unchanged"
    ),
    "a leaf Variable that requires grad is being used in an in-place operation": (
        "a leaf that requires grad may change in place only while recording is off: do the "
        "update inside `with mg.no_grad():`"
    ),
    "'NoneType' object has no attribute": (
        "a value on that line is None: a .grad before any gradient arrived, the grad_fn of a "
        "leaf, the node of an edge (None, 0) in next_functions (an input that needs no "
        "gradient), or the result of a function without `return`"
    ),
    "'NoneType' and": (
        "one side of that operation is None: a gradient that is None (a node may return "
        "None for an input), a .grad not set yet, or a function without `return`"
    ),
    "has a mismatch in its core dimension": (
        "the sizes of that matrix product do not fit: (n, k) @ (k, m) needs the inner sizes "
        "equal, and .T swaps a matrix's two sizes"
    ),
    "and 'list'": (
        "a list took part in arithmetic: a backward returns its gradients as a tuple, "
        "`return ga, gb` (a list is one value)"
    ),
    "property '_version' of 'Tensor' object has no setter": (
        "_version only reads the tensor's version counter, an object the tensor shares with "
        "its views and detached tensors: change the counter itself"
    ),
    "not enough values to unpack (expected": (
        "fewer values than names on the left; for `... = ctx.saved_tensors`: forward saves "
        "each tensor backward needs with ctx.save_for_backward (values kept as attributes "
        "of ctx are not saved tensors)"
    ),
    "KeyError: <": (
        "a dict has no entry for that object: in a dict of gradients by node, a node that no "
        "gradient has reached has none; read such a dict with a default (dict.get and "
        "dict.pop take one) instead of d[key]"
    ),
    "Boolean value of Tensor with more than one value is ambiguous": (
        "a tensor stood where Python needs one True or False: an `if`, `and`/`or`, or "
        "`p in a_list`, which compares p with each item by == (element by element); to ask "
        "whether this very tensor was seen, keep ids (`id(p) in seen`) or compare with `is`"
    ),
    "save_for_backward can only save variables, but argument": (
        "save_for_backward takes tensors only, as PyTorch's does; a forward that computes "
        "on numpy arrays (the engine's own operations, chapter 3) saves them by name with "
        "ctx.save(self=a, other=b), and a plain number can be an attribute of ctx"
    ),
    "'ScalarNode' object has no attribute": (
        "the ctx of a Scalar Function keeps only what save_for_backward saved (it takes no "
        "other attributes, where PyTorch's ctx does): save the values with "
        "ctx.save_for_backward(...) and read them back with ctx.saved_tensors"
    ),
    "does not require grad and does not have a grad_fn": (
        "nothing was recorded for this tensor: was it computed under no_grad(), detached, or "
        "from tensors that do not require grad?"
    ),
}


def error_text(message: str) -> str:
    """An error's message as a check quotes it: whole, up to PyTorch's own " Hint: ..."
    (about anomaly detection, not about the exercise), and never cut inside a word."""
    return str(message).split(" Hint: ")[0].rstrip(".")


def raised(title: str, result: dict, label: str) -> str:
    on = f" on {label}" if label else ""
    message = str(result.get("message", ""))
    said = message.rstrip(".") if on or _where(result) else message  # no ". on ..."
    text = f"your code raised {result.get('type', 'an error')}: {said}{on}{_where(result)}."
    return text + known_error_note(message, result.get("type", ""))


def known_error_note(message: str, kind: str = "") -> str:
    """`` That means: ...`` for an error in :data:`KNOWN_ERRORS` (its words are looked
    for in ``"<kind>: <message>"``, so a key may name the error's type), else empty."""
    text = f"{kind}: {message}"
    notes = [note for words, note in KNOWN_ERRORS.items() if words in text]
    if not notes:
        return ""
    return f" That means: {notes[0]}" + ("" if notes[0].endswith(("?", "!", ".")) else ".")


def not_data(title: str, what: str, label: str, predict: bool = False, name: str = "") -> str:
    on = f" on {label}" if label else ""
    if predict:
        which = f"`{name}`" if name else "one of your answers"
        return f"{which} is {what}; write plain values: numbers, True, False, None, strings, lists"
    return (
        f"your code returned {what}{on}; the check compares plain values only "
        "(numbers, booleans, strings, lists, tuples, numpy arrays)."
    )


def unreadable() -> str:
    return "the check could not read what your code produced (was print or sys.stdout replaced?)."


def uncomparable(value, exc: Exception) -> str:
    return f"your result, {describe(value)}, is not of the expected form ({type(exc).__name__})."


def format_outcome(check, outcome) -> str:
    """The line(s) the notebook prints, and the grader writes in feedback."""
    title = check.title
    if outcome.passed:
        verdict = "right" if check.kind == "predict" else outcome.message
        return f"{PASS} {title}: {verdict}."
    line = f"{FAIL} {title}: {outcome.message}"
    if outcome.status == "not-implemented":
        return line
    if not line.endswith((".", "?", "!")):
        line += "."
    advice = []
    if check.rule:
        advice.append(f"Rule: {check.rule}")
    if check.hint and "Hint:" not in outcome.message:
        advice.append(f"Hint: {check.hint}")
    if advice:
        line += "\n  " + " ".join(a if a.endswith((".", "?", "!")) else a + "." for a in advice)
    return line
