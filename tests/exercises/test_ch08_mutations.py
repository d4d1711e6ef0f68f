"""Chapter 08's checks reject plausible wrong work with a message that helps.

Each test runs learner code in a fresh namespace, as a notebook cell would,
then the check cell, and reads the verdict. The wrong optimizer steps are the
usual ones: recording the update, rebinding instead of changing in place, a
buffer that is the .grad tensor itself, plain SGD, a dampened average, a
parameter without gradient not skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

from exercise_cells import answers, run_after_setup, visible_and_hidden
from piece_cells import merged, setup_imports

# What the notebook imports (its setup cell), and numpy, which the learner code below uses.
PRELUDE = setup_imports("ch08", "import numpy as np")


def run(learner_code: str, call: str) -> str:
    """Run learner code and a check call as notebook cells; return PASSED or the failure."""
    return run_after_setup(PRELUDE, learner_code, call)


def both(learner_code: str, check_id: str) -> list:
    return visible_and_hidden(run, learner_code, check_id)


# -- 1. implement sgd_momentum_step -----------------------------------------------------

STEP = """
def sgd_momentum_step(params, buffers, lr, momentum):
    with mg.no_grad():
        for i, p in enumerate(params):
            if p.grad is None:
                continue
            if buffers[i] is None:
                buffers[i] = p.grad.clone()
            else:
                buffers[i] = momentum * buffers[i] + p.grad
            p -= lr * buffers[i]
"""


TRAIN = """
def train(model, X, y, steps, lr):
    optimizer = mg.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = ((model(X) - y) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
"""

# Plausible wrong solutions of every exercise where the learner writes code, by check id.
# Each must fail in the notebook (the visible check) exactly as it fails in grading:
# test_checks_agree_with_the_grader.py grades them all and compares.
WRONG = {
    "ch08.sgd_momentum_step": {
        "a step recorded outside no_grad": STEP.replace(
            "    with mg.no_grad():\n", "    if True:\n"
        ),
        "rebinding the parameter": STEP.replace("p -= lr * buffers[i]", "p = p - lr * buffers[i]"),
        "a buffer that is the .grad tensor itself": STEP.replace(
            "buffers[i] = p.grad.clone()", "buffers[i] = p.grad"
        ).replace(
            "buffers[i] = momentum * buffers[i] + p.grad", "buffers[i].mul_(momentum).add_(p.grad)"
        ),
        "plain SGD": STEP.replace("p -= lr * buffers[i]", "p -= lr * p.grad"),
        "a dampened average": STEP.replace(
            "momentum * buffers[i] + p.grad", "momentum * buffers[i] + (1 - momentum) * p.grad"
        ),
        "not skipping a parameter without gradient": STEP.replace(
            "            if p.grad is None:\n                continue\n", ""
        ),
    },
    "ch08.train": {
        "the buggy loop unchanged": TRAIN.replace("        optimizer.zero_grad()\n", ""),
        "zeroing between backward and step": TRAIN.replace(
            "        optimizer.zero_grad()\n        loss.backward()\n",
            "        loss.backward()\n        optimizer.zero_grad()\n",
        ),
        "the losses kept as tensors": TRAIN.replace(
            "losses.append(loss.item())", "losses.append(loss)"
        ),
    },
}
WRONG = merged(WRONG, "ch08")  # the pieces of your engine


def test_a_correct_step_passes_written_with_new_buffer_tensors():
    assert both(STEP, "ch08.sgd_momentum_step") == ["PASSED", "PASSED"]


def test_a_step_recorded_outside_no_grad_is_refused_by_the_engine_and_explained():
    recorded = WRONG["ch08.sgd_momentum_step"]["a step recorded outside no_grad"]
    result = run(recorded, 'check("ch08.sgd_momentum_step")')
    assert "your code raised RuntimeError: a leaf Variable that requires grad" in result
    assert "under no_grad()" in result
    assert "That means: a leaf that requires grad may change in place only while" in result
    assert "in-place operation on 3 steps" in result  # the error's own full stop dropped
    assert ". on " not in result


def test_an_update_through_data_is_told_the_versions_count_in_place_updates():
    code = STEP.replace(
        "            p -= lr * buffers[i]", "            p.data = p.data - lr * buffers[i]"
    )
    assert code != STEP
    result = run(code, 'check("ch08.sgd_momentum_step")')
    assert "at the parameters' _version (one more per in-place update)" in result


def test_rebinding_the_parameter_instead_of_changing_it_in_place_is_rejected():
    rebinding = WRONG["ch08.sgd_momentum_step"]["rebinding the parameter"]
    result = run(rebinding, 'check("ch08.sgd_momentum_step")')
    assert "the weight after 3 steps" in result
    assert "the parameter never changed; `p = p - lr * buf` makes a new tensor" in result


def test_a_buffer_that_is_the_grad_tensor_itself_is_rejected():
    aliasing = WRONG["ch08.sgd_momentum_step"]["a buffer that is the .grad tensor itself"]
    result = run(aliasing, 'check("ch08.sgd_momentum_step")')
    assert "a parameter's .grad changed during your step" in result
    assert "keep a copy of the gradient" in result


def test_plain_sgd_and_a_dampened_average_get_hints_of_their_own():
    plain = WRONG["ch08.sgd_momentum_step"]["plain SGD"]
    assert "Hint: this is plain SGD" in run(plain, 'check("ch08.sgd_momentum_step")')
    dampened = WRONG["ch08.sgd_momentum_step"]["a dampened average"]
    result = run(dampened, 'check("ch08.sgd_momentum_step")')
    assert "PyTorch's SGD adds the whole gradient (dampening=0)" in result


def test_a_parameter_without_gradient_must_be_skipped_and_the_notebook_says_so():
    no_skip = WRONG["ch08.sgd_momentum_step"]["not skipping a parameter without gradient"]
    visible, hidden = both(no_skip, "ch08.sgd_momentum_step")
    assert "your code raised" in visible and "one parameter without a gradient" in visible
    assert "(a hidden case)" not in visible and "whose .grad is not None" in visible
    assert hidden.startswith("FAILED")


def test_the_stub_says_not_implemented_yet():
    stub = """
    def sgd_momentum_step(params, buffers, lr, momentum):
        # YOUR CODE HERE
        raise NotImplementedError()
    """
    assert "not implemented yet" in run(stub, 'check("ch08.sgd_momentum_step")')


# -- 2. find the bug: train --------------------------------------------------------------


def test_the_fixed_loop_passes():
    assert both(TRAIN, "ch08.train") == ["PASSED", "PASSED"]


def test_the_unfixed_loop_is_rejected_as_the_buggy_loop():
    result = run(WRONG["ch08.train"]["the buggy loop unchanged"], 'check("ch08.train")')
    assert "the losses" in result
    assert "these are the losses of the buggy loop: each backward() adds to .grad" in result


def test_losses_kept_as_tensors_are_told_to_be_numbers():
    result = run(WRONG["ch08.train"]["the losses kept as tensors"], 'check("ch08.train")')
    assert "your list of losses is a list of 4 items" in result
    assert "its items are 0-dim tensors (or arrays): make each a number with .item()" in result


def test_losses_recorded_after_the_update_are_told_they_are_one_step_late():
    late = TRAIN.replace(
        "losses.append(loss.item())", "losses.append(((model(X) - y) ** 2).mean().item())"
    )
    assert late != TRAIN
    result = run(late, 'check("ch08.train")')
    assert "each of your losses is the next step's" in result


def test_zeroing_between_backward_and_step_is_rejected():
    too_late = WRONG["ch08.train"]["zeroing between backward and step"]
    result = run(too_late, 'check("ch08.train")')
    assert "the loss never changes" in result


# -- 3. and 4. predict -------------------------------------------------------------------

SWITCH_RIGHT = {
    "answer_requires_grad": "False",
    "answer_grad_fn": "None",
    "answer_backward": '"RuntimeError"',
    "answer_grad_fn_after": '"MeanBackward0"',
}


def test_an_exception_class_as_an_answer_is_told_to_be_written_as_its_name():
    result = run(
        answers(SWITCH_RIGHT, answer_backward="RuntimeError"), 'check("ch08.global_switch")'
    )
    assert (
        "`answer_backward` is the class RuntimeError (to answer with a class, write its" in result
    )
    assert "?." not in result  # a hint that ends with a question mark gets no full stop


def test_the_right_switch_prediction_passes_and_wrong_ones_are_refused():
    assert run(answers(SWITCH_RIGHT), 'check("ch08.global_switch")') == "PASSED"
    believed_restored = answers(SWITCH_RIGHT, answer_requires_grad="True")
    result = run(believed_restored, 'check("ch08.global_switch")')
    assert "`answer_requires_grad`, True, is not what the program gives" in result
    assert "lasts until switched back" in result
    message = answers(SWITCH_RIGHT, answer_backward='"RuntimeError: element 0 of tensors"')
    assert "type name only" in run(message, 'check("ch08.global_switch")')
    named = answers(SWITCH_RIGHT, answer_grad_fn='"MeanBackward0"')
    result = run(named, 'check("ch08.global_switch")')
    assert "`answer_grad_fn`, 'MeanBackward0', is not what the program gives" in result


MODES_RIGHT = {
    "answer_p1": "(False, False)",
    "answer_p2": "(True, True)",
    "answer_p3": "(True, 1)",
    "answer_p4": "(False, True)",
}


def test_the_right_modes_prediction_passes_and_confusing_the_switches_is_refused():
    assert run(answers(MODES_RIGHT), 'check("ch08.eval_vs_no_grad")') == "PASSED"
    no_grad_is_eval = answers(MODES_RIGHT, answer_p1="(True, False)")
    result = run(no_grad_is_eval, 'check("ch08.eval_vs_no_grad")')
    assert "`answer_p1`, [True, False], is not what the program gives" in result
    assert "no_grad() decides only whether anything is recorded" in result
    not_updated = answers(MODES_RIGHT, answer_p3="(False, 0)")
    assert "`answer_p3`" in run(not_updated, 'check("ch08.eval_vs_no_grad")')
    single = answers(MODES_RIGHT, answer_p4="False")
    assert "should be a pair" in run(single, 'check("ch08.eval_vs_no_grad")')


# -- seed items ------------------------------------------------------------------------------

SOLUTIONS = Path(__file__).parents[2] / "solutions" / "ch08_training.ipynb"


def test_every_seed_item_of_the_chapter_is_exercised_and_tagged():
    from coursekit.seed_items import SEED_ITEMS

    nb = json.loads(SOLUTIONS.read_text(encoding="utf-8"))
    # Tagged in the cell's metadata (seed:<item>), never written in the learner's text.
    tags = {tag for c in nb["cells"] for tag in c.get("metadata", {}).get("tags", [])}
    homed = [item for item, (chapter, _) in SEED_ITEMS.items() if chapter == "ch08"]
    assert homed
    assert [item for item in homed if f"seed:{item}" not in tags] == []
