"""The differential fuzzer in the test suite.

Marked ``torch_live`` (they need PyTorch 2.13.0, installed in CI):

- ``test_random_programs_agree_with_pytorch``: a few thousand generated
  programs with the CI features (``features.CI``: everything except the
  known differences of FINDINGS.md and the PyTorch quirks of COVERAGE.md),
  each run on PyTorch and minigrad and compared after every step. A failure
  prints the shrunk program as a runnable script. Seeded: the same programs
  every run. More by hand: ``MINIGRAD_FUZZ_SEED=7 MINIGRAD_FUZZ_COUNT=20000``
  (and ``MINIGRAD_FUZZ_FEATURES=all``), or ``python -m tests.fuzz``.
- ``test_known_difference_example_agrees_with_pytorch``: each known
  difference's example program, a strict xfail: once minigrad agrees it
  fails, saying to switch the feature on in CI (delete it from
  ``features.KNOWN_DIFFERENCES``).
- tests that the fuzzer can fail: a difference planted in minigrad is found
  and shrunk to a few lines.

Without PyTorch: the shrinker, the runner's bookkeeping and the documents
(FINDINGS.md quotes every example; COVERAGE.md lists every quirk).
"""

import functools
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from .features import CI, FIXED, KNOWN_DIFFERENCES, PYTORCH_QUIRKS, resolve
from .fuzzer import (
    compare_program,
    describe_failure,
    fuzz,
    program_seed,
    shrink,
    shrink_outcome,
    signature,
)
from .generate import ALL, SITUATION_FEATURES, STEP_FEATURES, generate
from .known import EXAMPLES, block, program, step
from .program import Program, instrumented_source, reproducer, run

HERE = Path(__file__).resolve().parent
FINDINGS = HERE / "FINDINGS.md"
COVERAGE = HERE.parent / "parity" / "COVERAGE.md"

SEED = os.environ.get("MINIGRAD_FUZZ_SEED", "ci")
COUNT = int(os.environ.get("MINIGRAD_FUZZ_COUNT", "3000"))
FEATURES = os.environ.get("MINIGRAD_FUZZ_FEATURES", "ci")
CHUNKS = 8  # the CI run in parts, so a failure says where and a run shows progress


@pytest.fixture(scope="module")
def libraries():
    from tests.parity.libraries import load

    return load("torch"), load("minigrad")


# --- the CI run -------------------------------------------------------------------------


@pytest.mark.torch_live
@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_random_programs_agree_with_pytorch(chunk, libraries):
    torch, minigrad = libraries
    features = resolve(FEATURES)
    start, stop = chunk * COUNT // CHUNKS, (chunk + 1) * COUNT // CHUNKS
    failures = {}
    for k in range(start, stop):
        program_ = generate(program_seed(SEED, k), features, torch)
        outcome = compare_program(program_, torch, minigrad)
        if not outcome.agrees:
            failures.setdefault(signature(outcome), outcome)
    if failures:
        reports = []
        for outcome in list(failures.values())[:3]:
            small = shrink_outcome(outcome, torch, minigrad, budget_seconds=30)
            reports.append(describe_failure(small, len(outcome.program)))
        pytest.fail(
            f"{len(failures)} kind(s) of difference in programs {SEED}:{start}..{stop - 1} "
            f"(features {FEATURES!r}); the first, shrunk:\n\n" + "\n\n".join(reports),
            pytrace=False,
        )


# --- the known differences ------------------------------------------------------------------


def _known(feature):
    return pytest.param(
        feature,
        marks=pytest.mark.xfail(
            strict=True,
            raises=AssertionError,
            reason=f"known difference (FINDINGS.md, {feature}): {KNOWN_DIFFERENCES[feature]}",
        ),
    )


@pytest.mark.torch_live
@pytest.mark.parametrize(
    "feature", [_known(f) for f in KNOWN_DIFFERENCES] or [pytest.param(None, id="none-known")]
)
def test_known_difference_example_agrees_with_pytorch(feature, libraries):
    """XPASS (a failure, strict) means it is fixed: switch the feature on in CI.

    With no known difference left, the one case checks that every example in known.py
    is a fixed root cause or a PyTorch quirk (none is left unaccounted for)."""
    if feature is None:
        assert set(EXAMPLES) == set(FIXED) | set(PYTORCH_QUIRKS)
        return
    outcome = compare_program(EXAMPLES[feature], *libraries)
    assert outcome.agrees, describe_failure(outcome)


@pytest.mark.torch_live
@pytest.mark.parametrize("feature", sorted(FIXED))
def test_fixed_difference_example_agrees_with_pytorch(feature, libraries):
    """A root cause fixed since it was found: its example program is a regression test."""
    outcome = compare_program(EXAMPLES[feature], *libraries)
    assert outcome.agrees, describe_failure(outcome)


@pytest.mark.torch_live
@pytest.mark.parametrize("feature", sorted(PYTORCH_QUIRKS))
def test_pytorch_quirk_example_still_differs(feature, libraries):
    """A quirk that minigrad now matches (or PyTorch dropped) can leave COVERAGE.md."""
    outcome = compare_program(EXAMPLES[feature], *libraries)
    assert not outcome.agrees, f"{feature} agrees now: remove it from PYTORCH_QUIRKS"


# --- the fuzzer can fail ----------------------------------------------------------------------


@pytest.mark.torch_live
def test_a_difference_planted_in_minigrad_is_found_and_shrunk(libraries, monkeypatch):
    torch, minigrad = libraries
    exp = minigrad.Tensor.exp
    monkeypatch.setattr(minigrad.Tensor, "exp", lambda self: exp(self) * 1.01)
    features = frozenset({"create", "elementwise", "reduce", "backward"})
    summary = fuzz("planted", 60, features, torch, minigrad)
    assert summary.failed, "the fuzzer missed exp() off by 1%"
    outcome = next(iter(summary.failures.values()))[0]
    small = shrink_outcome(outcome, torch, minigrad)
    assert len(small.program) <= 3, describe_failure(small)
    assert ".exp()" in reproducer(small.program)


@pytest.mark.torch_live
def test_a_wrong_error_message_is_found(libraries, monkeypatch):
    torch, minigrad = libraries
    example = program(
        "t0 = lib.tensor([1.0, 2.0])",
        "t0.backward()",
    )
    assert compare_program(example, torch, minigrad).agrees
    backward = minigrad.Tensor.backward

    def reworded(self, *args, **kwargs):
        try:
            return backward(self, *args, **kwargs)
        except RuntimeError as error:
            raise RuntimeError(str(error).replace("element 0", "the first element")) from None

    monkeypatch.setattr(minigrad.Tensor, "backward", reworded)
    outcome = compare_program(example, torch, minigrad)
    assert [(d.label, d.path) for d in outcome.differences] == [("step 1 (example)", "error")]


@pytest.mark.torch_live
def test_a_seed_gives_the_same_program_every_time(libraries):
    torch, _ = libraries
    first = generate("repeat:1", CI, torch)
    again = generate("repeat:1", CI, torch)
    assert instrumented_source(first.steps) == instrumented_source(again.steps)
    assert instrumented_source(first.steps) != instrumented_source(
        generate("repeat:2", CI, torch).steps
    )


@pytest.mark.torch_live
def test_a_switched_off_feature_stays_out_of_the_programs(libraries):
    torch, _ = libraries
    kinds = set()
    for k in range(150):
        without = generate(f"switch:{k}", ALL - {"views", "inplace", "hooks"}, torch)
        kinds |= {s.kind.split(".")[0] for s in without.flat()}
    assert kinds.isdisjoint({"view", "inplace", "hook"}), kinds
    assert {"create", "backward"} <= kinds


@pytest.mark.torch_live
def test_a_reproducer_runs_on_both_libraries(libraries, capsys):
    text = reproducer(EXAMPLES["view_in_no_grad"], note="test", failing_step=2, guarded={4})
    exec(compile(text, "<reproducer>", "exec"), {"__name__": "__main__"})  # noqa: S102
    out = capsys.readouterr().out
    assert "--- torch" in out and "--- minigrad" in out
    assert "step 4 raised RuntimeError A view was created in no_grad mode" in out


# --- without PyTorch: the parts ------------------------------------------------------------------


def test_the_shrinker_keeps_what_the_failure_needs_and_drops_the_rest():
    original = program(
        "t0 = lib.tensor([1.0, 2.0])",
        "t1 = t0 * 2",
        block("with lib.no_grad():", "t2 = t0 + 1", "t3 = t1.exp()"),
        "t4 = t2 * t3",
        "t5 = t0.sum()",
    )

    def still_fails(candidate):  # "fails" while t3 is computed from t1
        return any(s.code == "t3 = t1.exp()" for s in candidate.flat())

    small = shrink(original, still_fails)
    assert [s.code for s in small.flat()] == [
        "t0 = lib.tensor([1.0, 2.0])",
        "t1 = t0 * 2",
        "t3 = t1.exp()",
    ]


def test_the_shrinker_replaces_an_expression_by_its_value_when_that_still_fails():
    original = program("t0 = lib.ones(2)", "t1 = t0 * 3", "t2 = t1.exp()")

    def still_fails(candidate):
        return any(s.code.startswith("t2 =") for s in candidate.flat())

    small = shrink(original, still_fails, literal_for=lambda steps, i, name: "lib.tensor([3.0])")
    assert [s.code for s in small.flat()] == ["t2 = lib.tensor([3.0])"]


def test_the_runner_records_errors_warnings_hook_calls_and_the_final_state():
    import minigrad

    example = program(
        "t0 = lib.tensor([1.0, 2.0], requires_grad=True)",
        "raise ValueError('boom')",
        "__import__('warnings').warn('careful')",
        "h1 = t0.register_hook(lambda g: log.append(g))",
        "(t0 * 3).sum().backward()",
    )
    records = run(example, minigrad)
    by_label = {r["label"]: r for r in records}
    assert by_label["step 1 (example)"]["error"] == ["ValueError", "boom"]
    assert by_label["step 2 (example)"]["warnings"] == [["UserWarning", "careful"]]
    hook_call = by_label["step 4 hook call 0"]
    assert hook_call["kind"] == "tensor" and hook_call["value"] == [3.0, 3.0]
    assert "version" not in hook_call  # a gradient's _version is not compared
    assert by_label["end t0"]["grad"]["value"] == [3.0, 3.0]
    assert "repr" in by_label["end t0"] and "repr" not in by_label["step 0 t0"]
    assert by_label["grad mode at end"]["mode"] == [True, False]


def test_a_program_that_leaves_grad_mode_off_is_recorded_and_cleaned_up():
    import minigrad

    records = run(program("lib.set_grad_enabled(False)"), minigrad)
    assert [r["mode"] for r in records if r["label"] == "grad mode at end"] == [[False, False]]
    assert minigrad.is_grad_enabled()


def test_every_feature_is_described_and_ci_leaves_out_every_known_difference():
    assert set(STEP_FEATURES) | set(SITUATION_FEATURES) == ALL
    switched_off = set(KNOWN_DIFFERENCES) | set(PYTORCH_QUIRKS)
    assert switched_off <= ALL
    assert not set(KNOWN_DIFFERENCES) & set(PYTORCH_QUIRKS)
    assert not set(FIXED) & (switched_off)
    assert set(FIXED) <= CI
    assert CI == ALL - switched_off
    assert resolve("ci+view_in_no_grad") == CI | {"view_in_no_grad"}
    assert resolve("all-hooks") == ALL - {"hooks"}
    assert resolve("create,views") == {"create", "views"}


def test_every_switched_off_feature_has_an_example():
    assert sorted(set(KNOWN_DIFFERENCES) | set(PYTORCH_QUIRKS) | set(FIXED)) == sorted(EXAMPLES)


def _example_source(feature):
    """The example as FINDINGS.md / COVERAGE.md quote it: its steps, formatted by
    ruff (which formats the Python blocks of Markdown files too)."""
    return _formatted_examples()[feature]


@functools.cache
def _formatted_examples():
    sources = {}
    with tempfile.TemporaryDirectory() as folder:
        for feature in EXAMPLES:
            text = reproducer(EXAMPLES[feature])
            body = text.split("def program(lib):\n")[1].split("    return log")[0]
            lines = [line[4:] for line in body.splitlines()[1:]]  # drop `log = []`, dedent
            (Path(folder) / f"{feature}.py").write_text("\n".join(lines).strip("\n") + "\n")
        subprocess.run(
            [sys.executable, "-m", "ruff", "format", "--no-cache", "--line-length", "100", folder],
            capture_output=True,
            check=True,
        )
        for feature in EXAMPLES:
            sources[feature] = (Path(folder) / f"{feature}.py").read_text().strip("\n")
    return sources


@pytest.mark.parametrize("feature", list(KNOWN_DIFFERENCES) + list(FIXED))
def test_findings_has_a_section_quoting_the_example(feature):
    text = FINDINGS.read_text(encoding="utf-8")
    match = re.search(rf"^### `{feature}`.*?(?=^### |\Z)", text, re.M | re.S)
    assert match, f"FINDINGS.md has no section ### `{feature}`"
    assert _example_source(feature) in match.group(0), (
        f"FINDINGS.md's {feature} section does not quote the example in known.py:\n"
        + _example_source(feature)
    )


@pytest.mark.parametrize("feature", sorted(PYTORCH_QUIRKS))
def test_coverage_lists_the_pytorch_quirk_with_its_example(feature):
    text = COVERAGE.read_text(encoding="utf-8")
    assert f"`{feature}`" in text
    assert _example_source(feature) in text


def test_the_example_steps_are_well_formed():
    for feature, example in EXAMPLES.items():
        assert isinstance(example, Program), feature
        compile(instrumented_source(example.steps), feature, "exec")
    assert step("t0 = 1").watched() == ("t0",)
