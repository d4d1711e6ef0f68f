"""Chapter 04's checks reject plausible wrong work with a message that says what is wrong.

Each test runs learner code in a fresh namespace, as a notebook cell would, and calls
``check`` from there.  The right solutions are read from the solutions notebook itself,
so the tests also prove that what learners are shown as correct passes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from exercise_cells import run_after_setup, solution_cell
from piece_cells import merged, setup_imports

from coursekit.checks import ch04
from coursekit.nbgrader_cells import CODE_STUB, replace_solutions

ROOT = Path(__file__).parents[2]
SOLUTIONS = ROOT / "solutions" / "ch04_leaves_and_grad.ipynb"


def cell(grade_id: str) -> str:
    return solution_cell(SOLUTIONS, grade_id)


# What the notebook imports (its setup cell), and numpy, which the learner code below uses.
PRELUDE = setup_imports("ch04", "import numpy as np")


def run(learner_code: str, check_id: str, hidden: bool = False) -> str:
    """Run learner code and the check as notebook cells; 'PASSED' or 'FAILED <message>'."""
    return run_after_setup(PRELUDE, learner_code, f"check({check_id!r}, hidden={hidden})")


# Plausible wrong solutions of every exercise where the learner writes code, by check id.
# Each must fail in the notebook (the visible check) exactly as it fails in grading:
# test_checks_agree_with_the_grader.py grades them all and compares.
WRONG = {
    "ch04.accumulate_grad": {
        "replacing grad instead of adding": """
def accumulate_grad(leaf, grad):
    leaf.grad = grad.clone()
""",
        "storing the first gradient without a copy": """
def accumulate_grad(leaf, grad):
    if leaf.grad is None:
        leaf.grad = grad
    else:
        leaf.grad += grad
""",
        "adding out of place": """
def accumulate_grad(leaf, grad):
    if leaf.grad is None:
        leaf.grad = grad.clone()
    else:
        leaf.grad = leaf.grad + grad
""",
        "adding even to a .grad that is None": """
def accumulate_grad(leaf, grad):
    leaf.grad.add_(grad)
""",
        "only adding when a gradient exists": """
def accumulate_grad(leaf, grad):
    if leaf.grad is not None:
        leaf.grad.add_(grad)
""",
        "keeping only the first gradient": """
def accumulate_grad(leaf, grad):
    if leaf.grad is None:
        leaf.grad = grad.clone()
""",
        "failing only on a 0-dim leaf": """
def accumulate_grad(leaf, grad):
    if leaf.grad is None:
        leaf.grad = grad.clone()
    elif leaf.ndim == 0:
        leaf.grad = grad.clone()
    else:
        leaf.grad.add_(grad)
""",
    },
    "ch04.fit_line": {
        "the buggy loop unchanged": cell("ex4-given")
        .split("\n\n\nxs =")[0]
        .replace("fit_line_buggy", "fit_line"),
        "zeroing between backward and the update": cell("ex4-fix").replace(
            "        with mg.no_grad():",
            "        w.grad = None\n        b.grad = None\n        w.grad = mg.zeros(1)\n"
            "        b.grad = mg.zeros(1)\n        with mg.no_grad():",
        ),
    },
    "ch04.hidden_grads": {
        "the buggy function unchanged": cell("ex5-given")
        .split("\n\n\nwith")[0]
        .replace("hidden_grads_buggy", "hidden_grads"),
        "detaching h to make it a leaf": cell("ex5-fix").replace(
            "h.retain_grad()", "h = h.detach().requires_grad_()"
        ),
        "W2.T written for the gradient of h": cell("ex5-fix").replace(
            "return h.grad, W1.grad", "return W2.T, W1.grad"
        ),
        "retain_grad after backward": cell("ex5-fix")
        .replace(
            "    h.retain_grad()  # h is not a leaf: ask the engine to keep its gradient\n", ""
        )
        .replace("    loss.backward()\n", "    loss.backward()\n    h.retain_grad()\n"),
    },
}
WRONG = merged(WRONG, "ch04")  # the pieces of your engine


@pytest.mark.parametrize(
    "grade_id,check_id",
    [
        ("ex1-impl", "ch04.accumulate_grad"),
        ("ex2-answer", "ch04.leaves"),
        ("ex3-answer", "ch04.errors"),
        ("ex4-fix", "ch04.fit_line"),
        ("ex5-fix", "ch04.hidden_grads"),
    ],
)
def test_the_notebooks_solutions_pass_visible_and_hidden_cases(grade_id, check_id):
    assert run(cell(grade_id), check_id) == "PASSED"
    assert run(cell(grade_id), check_id, hidden=True) == "PASSED"


@pytest.mark.parametrize(
    "grade_id,check_id",
    [
        ("ex1-impl", "ch04.accumulate_grad"),
        ("ex2-answer", "ch04.leaves"),
        ("ex3-answer", "ch04.errors"),
        ("ex4-fix", "ch04.fit_line"),
        ("ex5-fix", "ch04.hidden_grads"),
    ],
)
def test_every_released_stub_says_not_implemented_yet(grade_id, check_id):
    stub, replaced = replace_solutions(cell(grade_id), CODE_STUB)
    assert replaced
    assert "not implemented yet" in run(stub, check_id)  # the stub cell itself runs


# -- 1. accumulate_grad -------------------------------------------------------------------


def test_replacing_grad_instead_of_adding_is_told_gradients_add_up():
    code = WRONG["ch04.accumulate_grad"]["replacing grad instead of adding"]
    result = run(code, "ch04.accumulate_grad")
    assert result.startswith(
        "FAILED ✗ accumulate_grad(leaf, grad): leaf a gets g1, then g2: a.grad is"
    )
    assert "you replaced .grad instead of adding to it" in result
    assert "Rule: a leaf's .grad is the sum" in result


def test_storing_the_first_gradient_without_a_copy_is_caught_by_the_shared_gradient():
    code = WRONG["ch04.accumulate_grad"]["storing the first gradient without a copy"]
    result = run(code, "ch04.accumulate_grad")
    assert "the incoming gradient `g1` was changed by your function" in result
    assert "store a copy of grad" in result


def test_adding_out_of_place_is_told_pytorch_keeps_the_same_grad_tensor():
    code = WRONG["ch04.accumulate_grad"]["adding out of place"]
    result = run(code, "ch04.accumulate_grad")
    assert "a.grad has the right values but is a new tensor" in result
    assert "with an in-place addition" in result


def test_only_adding_when_grad_exists_leaves_grad_none_and_says_so():
    code = WRONG["ch04.accumulate_grad"]["only adding when a gradient exists"]
    assert "a.grad is None after its gradients arrived" in run(code, "ch04.accumulate_grad")


def test_adding_to_a_grad_that_is_none_is_told_what_is_none():
    code = WRONG["ch04.accumulate_grad"]["adding even to a .grad that is None"]
    result = run(code, "ch04.accumulate_grad")
    assert "your code raised AttributeError: 'NoneType' object has no attribute 'add_'" in result
    assert "That means: a value on that line is None: a .grad before any gradient arrived" in result


def test_keeping_only_the_first_gradient_is_named():
    code = WRONG["ch04.accumulate_grad"]["keeping only the first gradient"]
    assert "that is the first gradient alone" in run(code, "ch04.accumulate_grad")


def test_the_notebook_catches_a_solution_that_fails_only_on_a_zero_dim_leaf():
    code = WRONG["ch04.accumulate_grad"]["failing only on a 0-dim leaf"]
    result = run(code, "ch04.accumulate_grad")
    assert "a 0-dim leaf gets g1, then g2" in result and "(a hidden case)" not in result
    assert run(code, "ch04.accumulate_grad", hidden=True).startswith("FAILED")


def test_the_stub_says_not_implemented_yet():
    stub = "def accumulate_grad(leaf, grad):\n    raise NotImplementedError()\n"
    assert "not implemented yet" in run(stub, "ch04.accumulate_grad")


# -- 2. predict: leaves ---------------------------------------------------------------------


def test_a_wrong_leaf_prediction_names_the_entry_without_revealing_it():
    answers = cell("ex2-answer").replace('"b": None, "c"', '"b": [2.0, 2.0, 2.0], "c"')
    result = run(answers, "ch04.leaves")
    assert "`answer_grad['b']`, [2, 2, 2], is not what the program gives" in result
    assert "passes its gradient on without storing it" in result


def test_a_grad_fn_for_a_tensor_made_under_no_grad_is_refused():
    answers = cell("ex2-answer").replace(
        '"d": "MulBackward0", "e": None}', '"d": "MulBackward0", "e": "MulBackward0"}'
    )
    result = run(answers, "ch04.leaves")
    assert "`answer_grad_fn['e']`, 'MulBackward0', is not what the program gives" in result
    assert "was anything recorded while e was computed?" in result


def test_a_quoted_boolean_is_told_to_lose_its_quotes():
    answers = cell("ex2-answer").replace('"c": False, "d": True', '"c": "False", "d": True', 1)
    result = run(answers, "ch04.leaves")
    assert "`answer_requires_grad['c']`, 'False', is not what the program gives" in result
    assert "you wrote the string 'False': write the value False itself, without quotes" in result


def test_a_prediction_that_forgets_retain_grad_is_refused():
    answers = cell("ex2-answer").replace('answer_warns = ["b"]', 'answer_warns = ["b", "d"]')
    assert "`answer_warns`" in run(answers, "ch04.leaves")


def test_a_prediction_with_missing_keys_says_which_keys_are_needed():
    answers = cell("ex2-answer").replace('answer_is_leaf = {"a": True, ', "answer_is_leaf = {")
    assert "it must be a dict with the keys 'a', 'b', 'c', 'd', 'e'" in run(answers, "ch04.leaves")


def test_the_shown_program_is_the_one_the_check_runs():
    assert ch04.LEAVES_PROGRAM.strip() in "\n".join(line for line in cell("ex2-text").splitlines())


# -- 3. predict: which line raises -------------------------------------------------------------


def test_the_right_message_on_the_wrong_line_gets_a_hint():
    answers = cell("ex3-answer").replace('answer_p1 = (5, "A")', 'answer_p1 = (4, "A")')
    result = run(answers, "ch04.errors")
    assert (
        "`answer_p1`, [4, 'A'], is not what program p1 does" in result
        or "is not what program p1 does" in result
    )
    assert "which line raises it?" in result


def test_predicting_an_error_for_the_add_only_graph_is_refused():
    answers = cell("ex3-answer").replace("answer_p4 = None", 'answer_p4 = (4, "C")')
    assert "is not what program p4 does" in run(answers, "ch04.errors")


def test_an_answer_that_is_not_plain_data_is_named():
    answers = cell("ex3-answer").replace("answer_p5 = None", "answer_p5 = {4, 'C'}")
    result = run(answers, "ch04.errors")
    assert "`answer_p5` is an object of type set; write plain values" in result


def test_an_answer_of_the_wrong_form_is_explained():
    answers = cell("ex3-answer").replace('answer_p2 = (3, "B")', 'answer_p2 = "B"')
    assert "a pair (line, letter)" in run(answers, "ch04.errors")


def test_the_numbered_programs_shown_are_the_programs_the_check_runs():
    text = cell("ex3-text")
    shown = {}
    name = None
    for line in text.splitlines():
        m = re.match(r"^(p\d)?\s+(\d+)  (.*)$", line)
        if m:
            name = m.group(1) or name
            shown.setdefault(name, []).append(m.group(3))
    assert {k: "\n".join(v) + "\n" for k, v in shown.items()} == ch04.ERROR_PROGRAMS


# -- 4. find the bug: no zero_grad ------------------------------------------------------------


def test_the_buggy_loop_is_rejected_as_still_accumulating():
    result = run(WRONG["ch04.fit_line"]["the buggy loop unchanged"], "ch04.fit_line")
    assert "this is what the buggy loop gives" in result


def test_zeroing_between_backward_and_update_is_told_the_parameters_never_moved():
    code = WRONG["ch04.fit_line"]["zeroing between backward and the update"]
    assert "the parameters never moved" in run(code, "ch04.fit_line")


# -- 5. find the bug: .grad of a non-leaf --------------------------------------------------------


def test_resetting_only_one_of_the_two_gradients_names_the_other():
    code = cell("ex4-fix").replace("        b.grad = None\n", "")
    assert "w.grad = None" in code and "b.grad = None" not in code
    result = run(code, "ch04.fit_line")
    assert "w.grad is reset each step, but b.grad still adds up" in result


def test_reading_grad_of_a_non_leaf_is_rejected_with_retain_grad_hint():
    result = run(WRONG["ch04.hidden_grads"]["the buggy function unchanged"], "ch04.hidden_grads")
    assert "the gradient of h is None: h = tanh(x @ W1) is not a leaf" in result
    assert "ask the engine to keep h's gradient (retain_grad" in result


def test_detaching_h_to_make_it_a_leaf_is_rejected_because_w1_loses_its_gradient():
    code = WRONG["ch04.hidden_grads"]["detaching h to make it a leaf"]
    assert "W1.grad is None" in run(code, "ch04.hidden_grads")


def test_the_transposed_w2_written_for_the_gradient_of_h_fails_in_the_notebook_too():
    # d loss / dh is a row of W2.T per row of x: for a one-row x that is W2.T itself, and
    # the notebook's case had one row, so this answer passed there and failed in grading.
    code = WRONG["ch04.hidden_grads"]["W2.T written for the gradient of h"]
    assert "return W2.T, W1.grad" in code
    result = run(code, "ch04.hidden_grads")
    assert "the gradient of h has shape (1, 3), expected shape (2, 3)" in result


def test_retain_grad_after_backward_is_too_late():
    code = WRONG["ch04.hidden_grads"]["retain_grad after backward"]
    assert "the gradient of h is None" in run(code, "ch04.hidden_grads")


def test_every_seed_item_of_the_chapter_is_exercised_and_tagged():
    from coursekit.seed_items import SEED_ITEMS

    nb = json.loads(SOLUTIONS.read_text(encoding="utf-8"))
    # Tagged in the cell's metadata (seed:<item>), never written in the learner's text.
    tags = {tag for c in nb["cells"] for tag in c.get("metadata", {}).get("tags", [])}
    homed = [item for item, (chapter, _) in SEED_ITEMS.items() if chapter == "ch04"]
    assert homed
    assert [item for item in homed if f"seed:{item}" not in tags] == []
