"""Side by side: run the same example on minigrad and on PyTorch, live or recorded.

An example is a function of ``lib`` (``minigrad`` or ``torch``) returning what
to show. ``side_by_side(example)`` prints minigrad's answer, then PyTorch's
verdict on a line of its own:

- ``PyTorch 2.13.0: the same``: PyTorch is installed and ran the example too;
- ``PyTorch 2.13.0 (recorded): the same``: PyTorch is not installed, so
  minigrad's answer is compared with the answer PyTorch gave for this example
  when the chapter was built (``pytorch_answers.json`` beside this file);
- ``PyTorch ... differs:`` and PyTorch's answer, then an ``AssertionError``: a
  stored notebook can never show minigrad contradicting PyTorch.

The verdict is one rule on two texts (minigrad's answer, PyTorch's answer),
whichever way PyTorch's answer was obtained. ``same_numbers`` does the same
for numbers that agree only to rounding (a training run's losses).

Recording. ``python -m coursekit.notebooks build course/src/chNN_*.py`` with
PyTorch installed sets ``COURSEKIT_RECORD_PYTORCH`` for the kernel: each
comparison then appends what it needs to that file, and the build stores them
for the chapter (``recording``). An answer is found again by the example's
name and source text; an example changed since (by an author or a learner)
has no recorded answer, and the line says so instead of guessing.

Checking. With ``COURSEKIT_CHECK_RECORDINGS=1`` (the test run sets it) every
comparison must find its recorded answer, and where PyTorch of the recorded
version is installed, the recording must be what PyTorch answers now: a
missing or stale recording fails the cell instead of being used.
"""

import contextlib
import functools
import importlib
import importlib.util
import inspect
import json
import os
import pathlib
import re
import tempfile
import warnings

import numpy as np

ANSWERS = pathlib.Path(__file__).resolve().with_name("pytorch_answers.json")
RECORD_ENV = "COURSEKIT_RECORD_PYTORCH"
CHECK_ENV = "COURSEKIT_CHECK_RECORDINGS"
INSTALL = "pip install torch==2.13.0"


def _torch():
    try:
        return importlib.import_module("torch")
    except ImportError:
        return None


# PyTorch ends the text of a warning raised in its C++ code with where in its sources
# it came from: " (Triggered internally at <file>:<line>.)" (torch/csrc/Exceptions.cpp).
_CPP_ORIGIN_NOTE = " (Triggered internally at "
_CPP_ORIGIN_PLACE = re.compile(r"[^\n]*:\d+\.\)")  # what follows it: "<file>:<line>.)"


def without_cpp_origin(text):
    """``text`` without PyTorch's note of where in its C++ code a warning came from.

    Only that exact note, and only where PyTorch puts it, at the very end:

    >>> without_cpp_origin("Told. (Triggered internally at aten/Tensor.h:493.)")
    'Told.'
    >>> without_cpp_origin("Told (Triggered internally at somewhere)")
    'Told (Triggered internally at somewhere)'
    """
    head, note, place = text.rpartition(_CPP_ORIGIN_NOTE)
    return head if note and _CPP_ORIGIN_PLACE.fullmatch(place) else text


def _normalise(value):
    """Text of a result, with library names made neutral (torch. / minigrad.)."""
    text = value if isinstance(value, str) else repr(value)
    text = without_cpp_origin(text)
    text = text.replace("torch.", "LIB.").replace("minigrad.", "LIB.")
    text = text.replace("torch::", "LIB::").replace("minigrad::", "LIB::")
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", text)
    return text.strip()


def _named(text, library):
    """Neutral text back with a library's name: LIB.float32 -> torch.float32."""
    return text.replace("LIB.", f"{library}.").replace("LIB::", f"{library}::")


def run(example, lib):
    """The example's result on ``lib``, or the error it raised, as text."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = example(lib)
        text = _normalise(result)
        for w in caught:
            text = f"{w.category.__name__}: {_normalise(str(w.message))}\n{text}"
        return text
    except Exception as error:  # noqa: BLE001 - the error is the observation
        return f"{type(error).__name__}: {_normalise(str(error))}"


def verdict(mine, theirs, who):
    """The line that says how PyTorch's answer compares, and whether they agree.

    ``who`` names where PyTorch's answer came from: "PyTorch 2.13.0" (live) or
    "PyTorch 2.13.0 (recorded)". One rule for both: the texts are equal or not.
    """
    if theirs == mine:
        return f"{who}: the same", True
    return f"{who} differs:\n{_named(theirs, 'torch')}", False


# --- recorded answers ---------------------------------------------------------


def example_source(example):
    """The example's source text, which (with its name) identifies its recording.

    None when Python cannot show it (a builtin, a ``functools.partial``): such an
    example is compared live only.
    """
    try:
        return inspect.getsource(example)
    except (OSError, TypeError):
        return None


@functools.cache
def recorded_answers(path):
    """{(example name, source): {"pytorch": answer, "version": torch version}}.

    A key recorded with two different answers (the same example in two chapters,
    giving different results there) is left out: which one applies is unknown.
    """
    if not pathlib.Path(path).exists():
        return {}
    data = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    answers, ambiguous = {}, set()
    for entries in data["notebooks"].values():
        for entry in entries:
            key = (entry["example"], entry["source"])
            if key in answers and answers[key]["pytorch"] != entry["pytorch"]:
                ambiguous.add(key)
            answers[key] = {"pytorch": entry["pytorch"], "version": data["torch_version"]}
    return {key: answer for key, answer in answers.items() if key not in ambiguous}


def recorded_answer(example):
    """What PyTorch answered for this very example when it was recorded, or None."""
    source = example_source(example)
    if source is None:
        return None
    return recorded_answers(ANSWERS).get((example.__name__, source))


def _append_record(example, theirs, version):
    """While a chapter is built with PyTorch: note what this comparison needs."""
    source = example_source(example)
    if source is None:
        raise AssertionError(
            f"cannot record {example!r}: Python cannot show its source; "
            "compare a plain function (def) or a lambda"
        )
    record = {"example": example.__name__, "source": source, "pytorch": theirs, "version": version}
    with open(os.environ[RECORD_ENV], "a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")


def _checking():
    return os.environ.get(CHECK_ENV) == "1"


# --- the comparison -------------------------------------------------------------

NOT_COMPARED = (
    "PyTorch: not installed here, and no answer recorded for this example as it now "
    f"reads, so not compared ({INSTALL})"
)


def pytorch_answer(example, answer_on, same):
    """PyTorch's answer to ``example``, and who gave it: live if installed, else recorded.

    ``answer_on(example, lib)`` is how an answer is taken (``run`` for text);
    ``same(a, b)`` says when two of PyTorch's answers agree (a recording with
    what PyTorch says live). Returns ``(answer, "PyTorch 2.13.0")`` live,
    ``(answer, "PyTorch 2.13.0 (recorded)")`` recorded, or ``(None, None)``
    when PyTorch is not installed and nothing is recorded for this example.
    """
    torch = _torch()
    if torch is not None:
        version = torch.__version__.split("+")[0]
        theirs = answer_on(example, torch)
        if os.environ.get(RECORD_ENV):
            _append_record(example, theirs, version)
        elif _checking():
            _check_recording(example, theirs, version, same)
        return theirs, f"PyTorch {version}"
    recorded = recorded_answer(example)
    if recorded is None:
        if _checking():
            raise AssertionError(_missing(example))
        return None, None
    return recorded["pytorch"], f"PyTorch {recorded['version']} (recorded)"


def side_by_side(example):
    """Print minigrad's result and PyTorch's verdict; raise if they disagree."""
    import minigrad

    mine = run(example, minigrad)
    print(_named(mine, "minigrad"))
    theirs, who = pytorch_answer(example, run, same=lambda a, b: a == b)
    if who is None:
        print(NOT_COMPARED)
        return
    line, same = verdict(mine, theirs, who)
    print(line)
    if not same:
        raise AssertionError("minigrad and PyTorch disagree on this example" + _caveat(who))


def same_numbers(example, mine, atol, what):
    """Compare numbers minigrad computed, ``mine = example(minigrad)``, with PyTorch's.

    For results that agree only to rounding (float32 sums in another order).
    Prints ``PyTorch 2.13.0: the same 40 losses, to within 1e-05`` (or
    ``(recorded)``), raises if any number differs by more than ``atol``, and
    returns PyTorch's numbers (a numpy array, None when there are none).
    """
    theirs, who = pytorch_answer(example, _numbers, same=lambda a, b: _gap(a, b) <= atol)
    if who is None:
        print(NOT_COMPARED)
        return None
    gap = _gap(mine, theirs)
    if not gap <= atol:  # written so that a NaN differs too
        print(f"{who} differs: by up to {gap:.3g} (allowed: {atol:g})")
        raise AssertionError(f"minigrad and PyTorch differ by {gap:.3g}" + _caveat(who))
    print(f"{who}: the same {what}, to within {atol:g}")
    return np.array(theirs)


def _numbers(example, lib):
    return [float(value) for value in np.asarray(example(lib), dtype=float).ravel()]


def _gap(a, b):
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if a.shape != b.shape:
        return float("inf")
    return float(np.max(np.abs(a - b), initial=0.0))


def _caveat(who):
    if not who.endswith("(recorded)"):
        return ""
    return (
        " (PyTorch's answer was recorded for the chapter as shipped: if you changed a cell "
        f"this example uses, {INSTALL} to compare live)"
    )


def _missing(example):
    return (
        f"no recorded PyTorch answer for the example {example.__name__!r} as it now reads: "
        "rebuild its chapter with PyTorch 2.13.0 installed "
        "(python -m coursekit.notebooks build course/src/chNN_*.py)"
    )


def _check_recording(example, theirs, version, same):
    """Fail unless the recorded path would give the answer PyTorch gives live."""
    recorded = recorded_answer(example)
    if recorded is None:
        raise AssertionError(_missing(example))
    if recorded["version"] != version:
        return  # another PyTorch: live and recorded may differ for good reason
    if not same(recorded["pytorch"], theirs):
        raise AssertionError(
            f"the recorded PyTorch answer for {example.__name__!r} is stale:\n"
            f"recorded: {_named(str(recorded['pytorch']), 'torch')}\n"
            f"live:     {_named(str(theirs), 'torch')}\n"
            "rebuild its chapter with PyTorch installed to record it again"
        )


# --- recording a chapter ------------------------------------------------------


@contextlib.contextmanager
def recording(notebook, path=ANSWERS):
    """Record PyTorch's answers while ``notebook`` (e.g. "course/ch04_x.ipynb") runs.

    Without PyTorch this does nothing and the chapter's recordings stay as they
    are (its comparisons then use them, and fail if they no longer fit). With
    PyTorch, the chapter's entries are replaced by what its comparisons needed.
    """
    if importlib.util.find_spec("torch") is None:
        yield
        return
    with tempfile.TemporaryDirectory() as folder:
        log = pathlib.Path(folder) / "answers.jsonl"
        log.touch()
        previous = os.environ.get(RECORD_ENV)
        os.environ[RECORD_ENV] = str(log)
        try:
            yield
        finally:
            if previous is None:
                del os.environ[RECORD_ENV]
            else:
                os.environ[RECORD_ENV] = previous
        records = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    store(notebook, records, path)


def store(notebook, records, path=ANSWERS):
    """Replace ``notebook``'s recorded answers by ``records``; one entry per line."""
    path = pathlib.Path(path)
    data = {"notebooks": {}}
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
    versions = {r["version"] for r in records}
    if len(versions) > 1 or (records and data.get("torch_version") not in (None, *versions)):
        raise ValueError(
            f"{notebook}: recorded with PyTorch {sorted(versions)}, the other chapters with "
            f"{data.get('torch_version')}: record every chapter with one version"
        )
    if not records and notebook not in data["notebooks"]:
        return
    answers = {}
    for r in records:
        key = (r["example"], r["source"])
        if answers.setdefault(key, r["pytorch"]) != r["pytorch"]:
            raise ValueError(
                f"{notebook}: the example {r['example']!r} gave PyTorch two different answers: "
                "it depends on state outside it, so a recording cannot stand for it"
            )
    # One entry per comparison, in the order they ran (a test counts them).
    data["notebooks"][notebook] = [
        {"example": r["example"], "source": r["source"], "pytorch": r["pytorch"]} for r in records
    ]
    if records:
        data["torch_version"] = records[0]["version"]
    write(data, path)


def write(data, path=ANSWERS):
    """The answers file, one entry per line: a re-recording shows as a small diff."""
    lines = [
        "{",
        '"about": ' + json.dumps(ABOUT) + ",",
        '"torch_version": ' + json.dumps(data.get("torch_version")) + ",",
        '"notebooks": {',
    ]
    names = sorted(data["notebooks"])
    for i, name in enumerate(names):
        entries = data["notebooks"][name]
        lines.append(json.dumps(name) + ": [")
        for j, entry in enumerate(entries):
            comma = "," if j < len(entries) - 1 else ""
            lines.append(json.dumps(entry, ensure_ascii=False) + comma)
        lines.append("]" + ("," if i < len(names) - 1 else ""))
    lines += ["}", "}"]
    pathlib.Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    recorded_answers.cache_clear()


ABOUT = (
    "PyTorch's answer to every side_by_side comparison in the lecture notebooks, "
    "recorded by coursekit.compare while `python -m coursekit.notebooks build` ran "
    "them with PyTorch installed. Without PyTorch, side_by_side compares minigrad "
    "with these. Keyed by the example's name and source text; do not edit by hand."
)
