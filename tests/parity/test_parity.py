"""minigrad against PyTorch: the same programs, the same observations.

Default run (no PyTorch needed): every program in programs.py runs on
minigrad and its observations are compared with torch_observations.json,
recorded from PyTorch 2.13.0 by record.py. A failure lists each difference:
the observation's label, the field, PyTorch's value and minigrad's.

Marked ``torch_live`` (needs torch 2.13.0): the recording is checked against
what PyTorch does now, and minigrad is compared with live PyTorch.
"""

import copy
import hashlib
import inspect
import json
import re
from functools import cache
from pathlib import Path

import pytest

from .compare import compare_runs, report
from .libraries import load
from .observe import run_program
from .programs import PROGRAMS

HERE = Path(__file__).resolve().parent
RECORDING = HERE / "torch_observations.json"
COVERAGE = HERE / "COVERAGE.md"
NAMES = list(PROGRAMS)


@cache
def recording():
    return json.loads(RECORDING.read_text(encoding="utf-8"))


def recorded(name):
    return recording()["programs"][name]["observations"]


def source_hash(program):
    # The same hash as record.py (not imported: record.py puts the repository
    # root on sys.path, which a test module must not do).
    return hashlib.sha256(inspect.getsource(program).encode()).hexdigest()[:16]


def fail_with(name, differences, names=("torch", "minigrad")):
    pytest.fail(report(name, differences, names), pytrace=False)


# --- (a) minigrad against the recording -----------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_minigrad_observes_what_pytorch_observed(name):
    minigrad = load("minigrad")
    differences = compare_runs(recorded(name), run_program(PROGRAMS[name], minigrad))
    if differences:
        fail_with(name, differences)


def test_every_program_has_a_current_recording():
    programs = recording()["programs"]
    missing = [n for n in NAMES if n not in programs]
    stale = [
        n for n in NAMES if n in programs and programs[n]["source_hash"] != source_hash(PROGRAMS[n])
    ]
    unknown = [n for n in programs if n not in PROGRAMS]
    assert not (missing or stale or unknown), (
        f"re-record with `python tests/parity/record.py`: missing {missing}, "
        f"changed since recorded {stale}, recorded but gone {unknown}"
    )


def test_recording_was_made_with_pytorch_2_13_and_every_program_ran_to_its_end():
    assert recording()["torch_version"].split("+")[0] == "2.13.0"
    for name in NAMES:
        kinds = {r["kind"] for r in recorded(name)}
        assert kinds, f"{name} observed nothing"
        assert not kinds & {"crash", "stray_warnings"}, name


# --- (b) live PyTorch -------------------------------------------------------


@pytest.mark.torch_live
@pytest.mark.parametrize("name", NAMES)
def test_recording_is_still_what_pytorch_does(name):
    differences = compare_runs(recorded(name), run_program(PROGRAMS[name], load("torch")))
    if differences:
        fail_with(name, differences, ("recording", "torch now"))


@pytest.mark.torch_live
@pytest.mark.parametrize("name", NAMES)
def test_minigrad_observes_what_live_pytorch_observes(name):
    torch_run = run_program(PROGRAMS[name], load("torch"))
    differences = compare_runs(torch_run, run_program(PROGRAMS[name], load("minigrad")))
    if differences:
        fail_with(name, differences)


# --- (c) the comparison can fail ------------------------------------------


def _first(records, kind, **having):
    for i, r in enumerate(records):
        if r["kind"] == kind and all(r.get(k) == v for k, v in having.items()):
            return i
    raise LookupError(kind)


def test_comparison_reports_every_kind_of_perturbation():
    expected = recorded("seed_002_example1_non_leaf_grad")
    i_b = _first(expected, "tensor", label="b")
    i_raise = _first(expected, "raises")
    i_warn = _first(expected, "warns")
    i_value = _first(expected, "value", label="b.requires_grad")
    i_grad = _first(expected, "grad", label="a.grad")

    cases = {
        ("b", "value"): lambda o: o[i_b]["value"][0].__setitem__(0, 0.5649),
        ("b", "grad_fn"): lambda o: o[i_b].__setitem__("grad_fn", "MulBackward1"),
        ("b", "next_functions"): lambda o: o[i_b]["next_functions"][1][0].__setitem__(
            0, "AddBackward0"
        ),
        ("b", "version"): lambda o: o[i_b].__setitem__("version", 1),
        ("b", "repr"): lambda o: o[i_b].__setitem__("repr", o[i_b]["repr"].replace("Mul", "Add")),
        ("b", "dtype"): lambda o: o[i_b].__setitem__("dtype", "float64"),
        ("b", "grad_warnings"): lambda o: o[i_b].__setitem__("grad_warnings", []),
        (expected[i_raise]["label"], "error"): lambda o: o[i_raise]["error"].__setitem__(
            1, "element 0 of tensors"
        ),
        (expected[i_warn]["label"], "warnings"): lambda o: o[i_warn].__setitem__("warnings", []),
        ("b.requires_grad", "value"): lambda o: o[i_value].__setitem__("value", 1),
        ("a.grad", "value"): lambda o: o[i_grad]["value"][2].__setitem__(3, 2.0001),
        ("a.grad", "is_leaf"): lambda o: o[i_grad].__setitem__("is_leaf", False),
    }
    for (label, field), perturb in cases.items():
        actual = copy.deepcopy(expected)
        perturb(actual)
        differences = compare_runs(expected, actual)
        assert [(d.label, d.path) for d in differences] == [(label, field)], (label, field)
        assert "torch:" in report("p", differences) and "minigrad:" in report("p", differences)


def test_comparison_reports_missing_extra_and_reordered_observations():
    expected = recorded("seed_001_mm_sum_grad")
    assert compare_runs(expected, expected[:-1])[0].actual == "<no such observation>"
    extra = expected + [{"label": "<crash>", "kind": "crash", "error": ["E", "m"]}]
    assert compare_runs(expected, extra)[0].label == "<crash>"
    swapped = [expected[1], expected[0]] + expected[2:]
    differences = compare_runs(expected, swapped)
    assert len(differences) == 1 and differences[0].label == expected[0]["label"]


def test_comparison_tolerates_float32_rounding_but_not_more():
    expected = [{"label": "x", "kind": "value", "value": [1.0, 100.0, 0.0]}]
    near = [{"label": "x", "kind": "value", "value": [1.0 + 5e-7, 100.0 * (1 + 5e-6), 5e-7]}]
    far = [{"label": "x", "kind": "value", "value": [1.0, 100.0 * (1 + 5e-5), 0.0]}]
    assert compare_runs(expected, near) == []
    assert len(compare_runs(expected, far)) == 1
    nan = [{"label": "x", "kind": "value", "value": float("nan")}]
    assert compare_runs(nan, nan) == []
    assert compare_runs(nan, expected)
    as_int = [{"label": "x", "kind": "value", "value": 1}]
    as_float = [{"label": "x", "kind": "value", "value": 1.0}]
    as_bool = [{"label": "x", "kind": "value", "value": True}]
    assert compare_runs(as_int, as_float) and compare_runs(as_int, as_bool)


class _FakeLib:
    """Just enough of a library for run_program's bookkeeping."""

    def __init__(self):
        self.enabled = True

    def is_grad_enabled(self):
        return self.enabled

    def set_grad_enabled(self, mode):
        self.enabled = mode

    def is_inference_mode_enabled(self):
        return False


def test_runner_records_a_crash_a_stray_warning_and_a_leaked_grad_mode():
    import warnings

    def crashes(lib, obs):
        obs.value("before", 1)
        raise KeyError("boom")

    def warns_unasked(lib, obs):
        warnings.warn("stray", UserWarning, stacklevel=2)

    def leaks(lib, obs):
        lib.set_grad_enabled(False)

    lib = _FakeLib()
    assert run_program(crashes, lib)[-1] == {
        "label": "<crash>",
        "kind": "crash",
        "error": ["KeyError", "'boom'"],
    }
    assert run_program(warns_unasked, lib)[-1]["warnings"] == [["UserWarning", "stray"]]
    assert run_program(leaks, lib)[-1]["kind"] == "crash"
    assert lib.is_grad_enabled() is True  # restored for the next program


# --- coverage --------------------------------------------------------------


def _coverage_names():
    """Names in backticks in the last column of COVERAGE.md's tables (its "Programs")."""
    names = set()
    for line in COVERAGE.read_text(encoding="utf-8").splitlines():
        cells = [c for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) >= 2 and not set(cells[-1].strip()) <= set("-"):
            names |= set(re.findall(r"`([A-Za-z0-9_]+)`", cells[-1]))
    return names - {"Programs"}


def test_every_program_named_in_coverage_exists():
    named = _coverage_names()
    assert len(named) > 100, "COVERAGE.md lists (almost) no programs"
    assert sorted(named - set(PROGRAMS)) == []


def test_every_program_is_listed_in_coverage():
    assert sorted(set(PROGRAMS) - _coverage_names()) == []


def test_every_seed_post_has_programs():
    for prefix in ("seed_000_", "seed_001_", "seed_002_", "seed_003_", "seed_004_"):
        assert any(n.startswith(prefix) for n in PROGRAMS), prefix
