"""Chapter 06's checks reject plausible wrong work with a message that says what is wrong.

Each test runs learner code in a fresh namespace, as a notebook cell would, and calls
``check`` from there.  The right solutions are read from the solutions notebook itself,
so the tests also prove that what learners are shown as correct passes.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from exercise_cells import run_after_setup, solution_cell
from piece_cells import merged, setup_imports

from coursekit.checks import ch06
from coursekit.nbgrader_cells import CODE_STUB, replace_solutions

ROOT = Path(__file__).parents[2]
RENAMED = {"ch06.SavedTensor": "ch06.saved_tensor"}  # the exercise keeps its id
SOLUTIONS = ROOT / "solutions" / "ch06_inplace_and_versions.ipynb"
# What the notebook imports (its setup cell), and numpy, which the learner code below uses.
PRELUDE = setup_imports("ch06", "import numpy as np")


def cell(grade_id: str) -> str:
    return solution_cell(SOLUTIONS, grade_id)


def run(learner_code: str, check_id: str, hidden: bool = False) -> str:
    """Run learner code and the check as notebook cells; 'PASSED' or 'FAILED <message>'."""
    return run_after_setup(PRELUDE, learner_code, f"check({check_id!r}, hidden={hidden})")


def given(grade_id: str, buggy: str, name: str) -> str:
    """The buggy function of a given cell, renamed to the name the check reads."""
    return cell(grade_id).split("\n\n\n")[0].replace(buggy, name)


@pytest.mark.parametrize(
    "grade_id,check_id",
    [
        ("ex1-impl", "ch06.saved_tensor"),
        ("ex2-answer", "ch06.which_line"),
        ("ex3-answer", "ch06.versions"),
        ("ex4-fix", "ch06.smoothed_grad"),
        ("ex5-fix", "ch06.pipeline"),
    ],
)
def test_the_notebooks_solutions_pass_visible_and_hidden_cases(grade_id, check_id):
    assert run(cell(grade_id), check_id) == "PASSED"
    assert run(cell(grade_id), check_id, hidden=True) == "PASSED"


@pytest.mark.parametrize(
    "grade_id,check_id",
    [
        ("ex1-impl", "ch06.saved_tensor"),
        ("ex2-answer", "ch06.which_line"),
        ("ex3-answer", "ch06.versions"),
        ("ex4-fix", "ch06.smoothed_grad"),
        ("ex5-fix", "ch06.pipeline"),
    ],
)
def test_every_released_stub_says_not_implemented_yet(grade_id, check_id):
    stub, replaced = replace_solutions(cell(grade_id), CODE_STUB)
    assert replaced
    assert "not implemented yet" in run(stub, check_id)  # the stub cell itself runs


# -- 1. implement: SavedTensor ------------------------------------------------------------------

MESSAGE = (
    'raise RuntimeError("one of the variables needed for gradient computation has been modified by an '
    'inplace operation: " f"{tensor_description(self.tensor)} is at version {now}; expected version {then} '
    'instead.")'
)


def saved_tensor(init: str, unpack: str) -> str:
    return (
        "class SavedTensor:\n    def __init__(self, tensor):\n"
        + textwrap.indent(textwrap.dedent(init), "        ")
        + "\n    def unpack(self):\n"
        + textwrap.indent(textwrap.dedent(unpack).replace("RAISE", MESSAGE), "        ")
    )


WRONG = {
    "ch06.saved_tensor": {
        "reading the version only at unpack": saved_tensor(
            "self.tensor = tensor\n",
            """\
            version = self.tensor._version
            if self.tensor._version != version:
                raise RuntimeError("changed")
            return self.tensor
            """,
        ),
        "comparing with version 0": saved_tensor(
            "self.tensor = tensor\n",
            """\
            now, then = self.tensor._version, 0
            if now != 0:
                RAISE
            return self.tensor
            """,
        ),
        "the versions swapped in the message": saved_tensor(
            "self.tensor = tensor\nself.version = tensor._version\n",
            """\
            now, then = self.version, self.tensor._version
            if now != then:
                RAISE
            return self.tensor
            """,
        ),
        "comparing values instead of versions": saved_tensor(
            "self.copy = tensor.detach().clone()\nself.tensor = tensor\n"
            "self.version = tensor._version\n",
            """\
            now, then = self.tensor._version, self.version
            if not np.array_equal(self.tensor.numpy(), self.copy.numpy()):
                RAISE
            return self.tensor
            """,
        ),
        "returning a copy made at save time": saved_tensor(
            "self.tensor = tensor\nself.copy = tensor.clone()\nself.version = tensor._version\n",
            """\
            now, then = self.tensor._version, self.version
            if now != then:
                RAISE
            return self.copy
            """,
        ),
        "keeping the counter object instead of its number": saved_tensor(
            "self.tensor = tensor\nself.version = tensor._version_counter\n",
            """\
            now, then = self.tensor._version, self.version
            if now != then:
                RAISE
            return self.tensor
            """,
        ),
        "a message without PyTorch's words": saved_tensor(
            "self.tensor = tensor\nself.version = tensor._version\n",
            """\
            if self.tensor._version != self.version:
                raise RuntimeError("the tensor changed")
            return self.tensor
            """,
        ),
    },
    "ch06.smoothed_grad": {},  # filled in below, beside their tests
    "ch06.pipeline": {},
}
WRONG = merged(WRONG, "ch06", RENAMED)  # the pieces of your engine


def test_reading_the_version_only_at_unpack_never_raises_and_is_told_to_record_it():
    code = WRONG["ch06.saved_tensor"]["reading the version only at unpack"]
    result = run(code, "ch06.saved_tensor")
    assert "t of shape (3,) saved at version 0; then t.add_(1)" in result
    assert (
        "unpack() returned, but t was changed in place after it was saved (version 0 -> 1)"
        in result
    )
    assert "note the tensor's version when it is saved" in result


def test_comparing_with_version_zero_is_caught_by_a_tensor_saved_at_version_two():
    code = WRONG["ch06.saved_tensor"]["comparing with version 0"]
    result = run(code, "ch06.saved_tensor")
    assert "saved at version 2; nothing changes it" in result
    assert "compare with the version recorded in __init__, not with 0" in result


def test_swapped_versions_in_the_message_are_named():
    code = WRONG["ch06.saved_tensor"]["the versions swapped in the message"]
    result = run(code, "ch06.saved_tensor")
    assert 'should say "is at version 1; expected version 0 instead"' in result
    assert "you swapped them" in result


def test_a_message_with_the_wrong_saved_version_quotes_the_versions_it_says():
    code = cell("ex1-impl").replace(
        'f"expected version {self.version} instead."', 'f"expected version {now} instead."'
    )
    result = run(code, "ch06.saved_tensor")
    assert 'yours says "is at version 1; expected version 1 instead"' in result


def test_keeping_the_counter_object_quotes_the_part_of_the_message_that_differs():
    # The message is right up to "expected version", then shows the counter's repr: the
    # check quoted the start of the message (cut short), which is the part that is right.
    code = WRONG["ch06.saved_tensor"]["keeping the counter object instead of its number"]
    result = run(code, "ch06.saved_tensor")
    assert "yours says 'is at version 1; expected version <minigrad.graph.Version" in result
    assert "kept the counter object, which moves with the tensor" in result
    assert "keep the number tensor._version instead" in result


def test_comparing_values_instead_of_versions_is_caught_in_the_notebook_by_mul_by_one():
    code = WRONG["ch06.saved_tensor"]["comparing values instead of versions"]
    result = run(code, "ch06.saved_tensor")
    assert "then t.mul_(1)" in result and "(a hidden case)" not in result
    assert "t.mul_(1) keeps the values but is still an in-place change" in result


def test_returning_a_copy_made_at_save_time_is_caught_in_the_notebook_through_data():
    code = WRONG["ch06.saved_tensor"]["returning a copy made at save time"]
    result = run(code, "ch06.saved_tensor")
    assert "then t.data.mul_(2)" in result and "(a hidden case)" not in result
    assert "not a copy made when it was saved" in result


def test_a_message_without_pytorchs_words_is_refused():
    code = WRONG["ch06.saved_tensor"]["a message without PyTorch's words"]
    assert 'PyTorch\'s message says the tensor was "modified by an inplace operation"' in run(
        code, "ch06.saved_tensor"
    )


def test_the_stub_of_the_released_class_says_not_implemented_yet():
    stub = saved_tensor("raise NotImplementedError()\n", "raise NotImplementedError()\n")
    assert "not implemented yet" in run(stub, "ch06.saved_tensor")


# -- 2. predict: which line raises --------------------------------------------------------------


def test_the_numbered_programs_shown_are_the_programs_the_check_runs():
    shown, name = {}, None
    for line in cell("ex2-text").splitlines():
        m = re.match(r"^([a-e])?\s+(\d+)  (.*)$", line)
        if m:
            name = m.group(1) or name
            shown.setdefault(name, []).append(m.group(3))
    assert {k: "\n".join(v) + "\n" for k, v in shown.items()} == ch06.LINE_PROGRAMS


def test_predicting_that_add_raises_like_mul_is_refused_with_a_hint():
    answers = cell("ex2-answer").replace("answer_b = None", "answer_b = 5")
    result = run(answers, "ch06.which_line")
    assert "`answer_b`, 5, is not what program b gives" in result
    assert "what does y = a + 1 need to save" in result


def test_predicting_that_changing_exps_input_raises_is_refused():
    answers = cell("ex2-answer").replace("answer_d = None", "answer_d = 5")
    assert "exp saves its output, not its input" in run(answers, "ch06.which_line")


def test_swapped_versions_of_the_message_are_refused():
    answers = cell("ex2-answer").replace("answer_a_versions = (1, 0)", "answer_a_versions = (0, 1)")
    assert "`answer_a_versions`, [0, 1], is not what program a's message gives" in run(
        answers, "ch06.which_line"
    )


# -- 3. predict: versions --------------------------------------------------------------------------


def test_the_shown_program_is_the_one_the_check_runs():
    assert cell("ex3-text").split("```python\n")[1].split("```")[0] == ch06.VERSIONS_PROGRAM


def test_predicting_that_data_shares_the_counter_is_refused_with_a_hint():
    answers = cell("ex3-answer").replace('"e": 1}', '"e": 5}')
    result = run(answers, "ch06.versions")
    assert "`answer_versions['e']`, 5, is not what the program gives" in result
    assert ".data gets a counter of its own" in result


def test_predicting_that_no_grad_stops_the_counter_is_refused():
    answers = cell("ex3-answer").replace('{"t": 4, "v": 4, "d": 4', '{"t": 3, "v": 3, "d": 3')
    assert "no_grad() does not stop the counting" in run(answers, "ch06.versions")


# -- 4. find the bug: exp's output changed in place ----------------------------------------------------

SMOOTH_BUGGY = given("ex4-given", "smoothed_grad_buggy", "smoothed_grad")
PIPELINE_BUGGY = given("ex5-given", "train_pipeline_buggy", "train_pipeline")
WRONG["ch06.smoothed_grad"] = {
    "the buggy smoothing unchanged": SMOOTH_BUGGY,
    "in place under no_grad": SMOOTH_BUGGY.replace(
        "    e.add_(1.0)", "    with mg.no_grad():\n        e.add_(1.0)"
    ),
    "in place through .data": SMOOTH_BUGGY.replace("e.add_(1.0)", "e.data.add_(1.0)"),
    "a detached copy": SMOOTH_BUGGY.replace("    e.add_(1.0)", "    e = e.detach() + 1.0"),
    "the smoothing dropped": SMOOTH_BUGGY.replace("    e.add_(1.0)  # add-one smoothing\n", ""),
}
WRONG["ch06.pipeline"] = {
    "the naive pipeline unchanged": PIPELINE_BUGGY,
    "plain SGD one micro-batch at a time": """
def train_pipeline(W1, W2, batches, lr):
    W1 = mg.tensor(W1, requires_grad=True)
    W2 = mg.tensor(W2, requires_grad=True)
    for x, y in batches:
        loss = ((mg.mm(mg.mm(mg.tensor(x), W1).tanh(), W2) - mg.tensor(y)) ** 2).sum()
        loss.backward()
        with mg.no_grad():
            W1 -= lr * W1.grad
            W2 -= lr * W2.grad
        W1.grad = None
        W2.grad = None
    return W1, W2
""",
    "the update hidden from the version check with .data": PIPELINE_BUGGY.replace(
        "            W1 -= lr * W1.grad\n            W2 -= lr * W2.grad",
        "            W1.data -= lr * W1.grad\n            W2.data -= lr * W2.grad",
    ),
}


def test_the_buggy_smoothing_is_rejected_with_the_version_error_explained():
    result = run(SMOOTH_BUGGY, "ch06.smoothed_grad")
    assert "your function raised RuntimeError: one of the variables needed" in result
    assert "which is output 0 of Exp, is at version 1; expected version 0 instead" in result
    assert "exp saved its output e" in result and "an out-of-place addition" in result


def test_smoothing_in_place_under_no_grad_still_raises_and_says_why():
    code = WRONG["ch06.smoothed_grad"]["in place under no_grad"]
    assert "no_grad() does not stop the version counter" in run(code, "ch06.smoothed_grad")


def test_smoothing_through_data_gives_the_silently_wrong_gradient_and_is_named():
    code = WRONG["ch06.smoothed_grad"]["in place through .data"]
    result = run(code, "ch06.smoothed_grad")
    assert "w.grad is an array of shape (3,)" in result
    assert "that is the silently wrong gradient" in result


def test_smoothing_a_detached_copy_loses_the_gradient():
    code = WRONG["ch06.smoothed_grad"]["a detached copy"]
    result = run(code, "ch06.smoothed_grad")
    assert "element 0 of tensors does not require grad" in result
    assert "detaching e cut the path to w" in result


def test_dropping_the_smoothing_is_told_it_changes_the_gradient():
    code = WRONG["ch06.smoothed_grad"]["the smoothing dropped"]
    result = run(code, "ch06.smoothed_grad")
    assert "that is the gradient of the program without its add-one smoothing" in result


# -- 5. find the bug: the naive pipeline --------------------------------------------------------------


def test_the_naive_pipeline_is_rejected_with_the_fix_as_hint():
    result = run(PIPELINE_BUGGY, "ch06.pipeline")
    assert "your function raised RuntimeError: one of the variables needed" in result
    assert "; expected version 0 instead (a weight that a pending backward saved" in result
    assert "run every pending backward first, then update once" in result


def test_plain_sgd_one_micro_batch_at_a_time_is_not_the_pipeline():
    code = WRONG["ch06.pipeline"]["plain SGD one micro-batch at a time"]
    assert "that is plain SGD, one micro-batch after the other" in run(code, "ch06.pipeline")


def test_hiding_the_update_from_the_version_check_with_data_is_named():
    code = WRONG["ch06.pipeline"]["the update hidden from the version check with .data"]
    assert "W2.data -= " in code
    assert "the update was hidden from the version check (.data?)" in run(code, "ch06.pipeline")


def test_weight_stashing_is_accepted_as_a_fix_too():
    code = """
    def train_pipeline(W1, W2, batches, lr):
        W1 = mg.tensor(W1, requires_grad=True)
        W2 = mg.tensor(W2, requires_grad=True)
        copies, losses = [], []
        for x, y in batches:
            w1 = W1.detach().clone().requires_grad_()
            w2 = W2.detach().clone().requires_grad_()
            copies.append((w1, w2))
            losses.append(((mg.mm(mg.mm(mg.tensor(x), w1).tanh(), w2) - mg.tensor(y)) ** 2).sum())
        for loss, (w1, w2) in zip(reversed(losses), reversed(copies)):
            loss.backward()
            with mg.no_grad():
                W1 -= lr * w1.grad
                W2 -= lr * w2.grad
        return W1, W2
    """
    assert run(code, "ch06.pipeline") == "PASSED"
    assert run(code, "ch06.pipeline", hidden=True) == "PASSED"


def test_every_seed_item_of_the_chapter_is_exercised_and_tagged():
    from coursekit.seed_items import SEED_ITEMS

    nb = json.loads(SOLUTIONS.read_text(encoding="utf-8"))
    # Tagged in the cell's metadata (seed:<item>), never written in the learner's text.
    tags = {tag for c in nb["cells"] for tag in c.get("metadata", {}).get("tags", [])}
    homed = [item for item, (chapter, _) in SEED_ITEMS.items() if chapter == "ch06"]
    assert homed
    assert [item for item in homed if f"seed:{item}" not in tags] == []
