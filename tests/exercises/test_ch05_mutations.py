"""Chapter 05's checks reject plausible wrong work with a message that says what is wrong.

Each test runs learner code in a fresh namespace, as a notebook cell would, and calls
``check`` from there.  The right solutions are read from the solutions notebook itself,
so the tests also prove that what learners are shown as correct passes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from exercise_cells import run_after_setup, solution_cell
from piece_cells import merged, setup_imports

from coursekit.checks import ch05
from coursekit.nbgrader_cells import CODE_STUB, replace_solutions

ROOT = Path(__file__).parents[2]
SOLUTIONS = ROOT / "solutions" / "ch05_detach.ipynb"


def cell(grade_id: str) -> str:
    return solution_cell(SOLUTIONS, grade_id)


# What the notebook imports (its setup cell), and what the learner code below uses besides.
PRELUDE = setup_imports("ch05", "import numpy as np", "import warnings")


def run(learner_code: str, check_id: str, hidden: bool = False) -> str:
    """Run learner code and the check as notebook cells; 'PASSED' or 'FAILED <message>'."""
    return run_after_setup(PRELUDE, learner_code, f"check({check_id!r}, hidden={hidden})")


CENTER_BUGGY = (
    cell("ex3-given")
    .split("\n\n\nxs,")[0]
    .replace("grads_and_centered_buggy", "grads_and_centered")
)

# Plausible wrong solutions of every exercise where the learner writes code, by check id.
# Each must fail in the notebook (the visible check) exactly as it fails in grading:
# test_checks_agree_with_the_grader.py grades them all and compares.
WRONG = {
    "ch05.fit_value": {
        "the buggy fit unchanged": cell("ex2-given")
        .split("\n\n\ntransitions =")[0]
        .replace("fit_value_buggy", "fit_value"),
        "w.grad never reset": cell("ex2-fix").replace("        w.grad = None\n", ""),
        "the prediction detached instead of the target": cell("ex2-fix")
        .replace(
            "target = (r + gamma * (w * s_next)).detach()", "target = r + gamma * (w * s_next)"
        )
        .replace("prediction = w * s", "prediction = (w * s).detach()"),
    },
    "ch05.grads_and_centered": {
        "the buggy centering through .data unchanged": CENTER_BUGGY,
        "detach instead of .data, still in place": CENTER_BUGGY.replace("h.data", "h.detach()"),
        "centred from h itself, with its graph": cell("ex3-fix")
        .replace("    values = h.detach()\n", "")
        .replace("values - values.mean()", "h - h.mean()"),
        "backward() left out": cell("ex3-fix").replace("    loss.backward()\n", ""),
    },
}
WRONG = merged(WRONG, "ch05")  # the pieces of your engine


@pytest.mark.parametrize(
    "grade_id,check_id",
    [
        ("ex1-answer", "ch05.shares"),
        ("ex2-fix", "ch05.fit_value"),
        ("ex3-fix", "ch05.grads_and_centered"),
        ("ex4-answer", "ch05.detach_metric"),
    ],
)
def test_the_notebooks_solutions_pass_visible_and_hidden_cases(grade_id, check_id):
    assert run(cell(grade_id), check_id) == "PASSED"
    assert run(cell(grade_id), check_id, hidden=True) == "PASSED"


@pytest.mark.parametrize(
    "grade_id,check_id",
    [
        ("ex1-answer", "ch05.shares"),
        ("ex2-fix", "ch05.fit_value"),
        ("ex3-fix", "ch05.grads_and_centered"),
        ("ex4-answer", "ch05.detach_metric"),
    ],
)
def test_every_released_stub_says_not_implemented_yet(grade_id, check_id):
    stub, replaced = replace_solutions(cell(grade_id), CODE_STUB)
    assert replaced
    assert "not implemented yet" in run(stub, check_id)  # the stub cell itself runs


def shown_program(grade_id: str) -> str:
    """The python code block of an exercise's markdown."""
    return cell(grade_id).split("```python\n")[1].split("```")[0]


# -- 1. predict: what detach shares ----------------------------------------------------------


def test_the_shown_programs_are_the_ones_the_checks_run():
    assert shown_program("ex1-text") == ch05.SHARES_PROGRAM
    assert shown_program("ex4-text") == ch05.METRIC_PROGRAM


def test_predicting_that_data_shares_the_version_counter_is_refused_with_a_hint():
    answers = cell("ex1-answer").replace(
        "answer_versions = (2, 2, 1)", "answer_versions = (3, 3, 3)"
    )
    result = run(answers, "ch05.shares")
    assert "`answer_versions`, [3, 3, 3], is not what the program gives" in result
    assert ".data gets a counter of its own" in result


def test_predicting_that_the_detached_change_goes_unnoticed_is_refused():
    answers = cell("ex1-answer").replace("answer_raises = True", "answer_raises = False")
    assert "`answer_raises`, False, is not what the program gives" in run(answers, "ch05.shares")


def test_versions_written_as_one_number_are_explained():
    answers = cell("ex1-answer").replace("answer_versions = (2, 2, 1)", "answer_versions = 2")
    assert "(y._version, d._version, e._version)" in run(answers, "ch05.shares")


# -- 2. find the bug: the target is not detached ------------------------------------------------


def test_the_buggy_value_fit_is_rejected():
    buggy = WRONG["ch05.fit_value"]["the buggy fit unchanged"]
    assert "the target still depends on w" in run(buggy, "ch05.fit_value")


def test_a_fit_that_never_resets_w_grad_is_told_so_not_sent_to_the_target():
    # The target is detached here: the rule's hint about the target's history was no help.
    code = WRONG["ch05.fit_value"]["w.grad never reset"]
    assert ".detach()" in code and "w.grad = None" not in code
    result = run(code, "ch05.fit_value")
    assert "the detached loop with w.grad never reset: backward() adds into .grad" in result
    assert "compare the sign of w.grad" not in result


def test_the_fixed_value_fit_reaches_the_fixed_point_shown_in_the_exercise():
    namespace = {}
    exec("import minigrad as mg\n" + cell("ex2-fix"), namespace)  # noqa: S102
    transitions = [(1.0, 1.0, 0.5), (2.0, 0.0, 1.0), (1.0, -0.5, 0.0)]
    fixed_point = sum(r * s for s, r, _ in transitions) / sum(
        s * s - 0.9 * s * n for s, _, n in transitions
    )
    assert namespace["fit_value"](transitions, 0.9, 0.1, 300) == pytest.approx(
        fixed_point, abs=1e-3
    )


# -- 3. find the bug: .data hides an in-place change ------------------------------------------------


def test_the_buggy_centering_through_data_is_rejected_as_silently_wrong():
    buggy = WRONG["ch05.grads_and_centered"]["the buggy centering through .data unchanged"]
    result = run(buggy, "ch05.grads_and_centered")
    assert "w.grad is an array of shape (3,)" in result
    assert "this is the buggy gradient" in result


def test_swapping_data_for_detach_alone_raises_the_version_error_and_is_reported():
    code = WRONG["ch05.grads_and_centered"]["detach instead of .data, still in place"]
    result = run(code, "ch05.grads_and_centered")
    assert (
        "your function raised RuntimeError: one of the variables needed for gradient computation"
        in result
    )
    assert "shares h's memory and version counter" in result and "leave h alone" in result
    # the error is quoted whole, up to PyTorch's own hint (it was cut at 160 characters,
    # inside "is at version", before the versions that say what happened)
    assert "is at version 1; expected version 0 instead (the version check" in result
    assert "anomaly detection" not in result


def test_a_clone_then_in_place_is_accepted():
    fix = cell("ex3-fix").replace(
        "    values = h.detach()\n    centered = values - values.mean()",
        "    centered = h.detach().clone()\n    centered -= centered.mean()",
    )
    assert "clone()" in fix
    assert run(fix, "ch05.grads_and_centered", hidden=True) == "PASSED"


# -- 4. predict: the seed example ----------------------------------------------------------------


def test_a_wrong_w_grad_prediction_gets_the_algebra_hint_without_the_answer():
    answers = cell("ex4-answer").replace(
        "answer_w_grad = [[3.0, 2.0, 3.0], [3.0, 2.0, 3.0], [3.0, 2.0, 3.0]]",
        "answer_w_grad = [[3.0, 3.0, 2.0], [3.0, 3.0, 2.0], [3.0, 3.0, 2.0]]",
    )
    result = run(answers, "ch05.detach_metric")
    assert "`answer_w_grad`" in result and "sum over j of x[k, j]" in result
    assert "[3, 2, 3]" not in result


def test_a_grad_for_the_detached_copy_is_refused():
    answers = cell("ex4-answer").replace(
        "answer_detach_grad = None", "answer_detach_grad = [[1.0] * 3] * 3"
    )
    assert "`answer_detach_grad`" in run(answers, "ch05.detach_metric")


def test_every_seed_item_of_the_chapter_is_exercised_and_tagged():
    from coursekit.seed_items import SEED_ITEMS

    nb = json.loads(SOLUTIONS.read_text(encoding="utf-8"))
    # Tagged in the cell's metadata (seed:<item>), never written in the learner's text.
    tags = {tag for c in nb["cells"] for tag in c.get("metadata", {}).get("tags", [])}
    homed = [item for item, (chapter, _) in SEED_ITEMS.items() if chapter == "ch05"]
    assert homed
    assert [item for item in homed if f"seed:{item}" not in tags] == []


def test_a_log_entry_that_keeps_hs_graph_is_told_to_detach():
    with_graph = WRONG["ch05.grads_and_centered"]["centred from h itself, with its graph"]
    assert "h - h.mean()" in with_graph and ".detach()" not in with_graph
    result = run(with_graph, "ch05.grads_and_centered")
    assert "centered requires grad: it was computed from h itself" in result
    assert "compute it from h.detach()" in result


def test_a_missing_backward_is_asked_about_not_blamed_on_a_return():
    result = run(WRONG["ch05.grads_and_centered"]["backward() left out"], "ch05.grads_and_centered")
    assert "w.grad is None: no gradient reached w. Hint: was loss.backward() called?" in result
