"""Chapter 09's checks reject plausible wrong work with a message that helps.

Each test runs learner code in a fresh namespace, as a notebook cell would,
then the check cell, and reads the verdict. The wrong solutions: a graph walk
that counts shared nodes again, stops at the first node, recurses thousands
deep or trips over a missing grad_fn; an evaluation that accumulates
graphs or still records; batches that drop the last rows or ignore the size.
"""

from __future__ import annotations

import json
from pathlib import Path

from exercise_cells import answers, run_after_setup, visible_and_hidden
from piece_cells import setup_imports

# What the notebook imports (its setup cell), and numpy, which the learner code below uses.
PRELUDE = setup_imports("ch09", "import numpy as np")


def run(learner_code: str, call: str) -> str:
    """Run learner code and a check call as notebook cells; return PASSED or the failure."""
    return run_after_setup(PRELUDE, learner_code, call)


def both(learner_code: str, check_id: str) -> list:
    return visible_and_hidden(run, learner_code, check_id)


# -- 1. implement saved_bytes --------------------------------------------------------------

WALK = """
def saved_bytes(output):
    if output.grad_fn is None:
        return 0
    stack, seen, total = [output.grad_fn], set(), 0
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        total += node.saved_tensors_nbytes()
        stack.extend(fn for fn, _ in node.next_functions if fn is not None)
    return total
"""


BUGGY_EVALUATE = """
def evaluate(model, batches):
    total = 0
    for X, y in batches:
        loss = ((model(X) - y) ** 2).mean()
        total = total + loss
    return total / len(batches)
"""
PREDICT = """
def predict_in_batches(model, X, batch_size):
    model.eval()
    with mg.no_grad():
        return mg.cat([model(X[start:start + batch_size]).argmax(dim=1)
                       for start in range(0, X.shape[0], batch_size)])
"""

# Plausible wrong solutions of every exercise where the learner writes code, by check id.
# Each must fail in the notebook (the visible check) exactly as it fails in grading:
# test_checks_agree_with_the_grader.py grades them all and compares.
WRONG = {
    "ch09.saved_bytes": {
        "counting a shared node once per path": WALK.replace(
            "        if node in seen:\n            continue\n", ""
        ),
        "the output's node only": """
def saved_bytes(output):
    return 0 if output.grad_fn is None else output.grad_fn.saved_tensors_nbytes()
""",
        "a recursive walk": """
def saved_bytes(output):
    seen = set()

    def visit(node):
        if node is None or node in seen:
            return 0
        seen.add(node)
        return node.saved_tensors_nbytes() + sum(visit(fn) for fn, _ in node.next_functions)

    return visit(output.grad_fn)
""",
        "a missing grad_fn not checked": WALK.replace(
            "    if output.grad_fn is None:\n        return 0\n", ""
        ).replace(
            "[output.grad_fn]", "[output.grad_fn] + [fn for fn, _ in output.grad_fn.next_functions]"
        ),
        "the lecture's graph_memory": """
def saved_bytes(output):
    return measure.graph_memory(output).saved_bytes
""",
        "the lecture's graph_nodes, imported": """
from coursekit.measure import graph_nodes

def saved_bytes(output):
    return sum(node.saved_tensors_nbytes() for node in graph_nodes(output))
""",
    },
    "ch09.evaluate": {
        "the buggy evaluation unchanged": BUGGY_EVALUATE,
        "item() without no_grad": BUGGY_EVALUATE.replace(
            "total = total + loss", "total = total + loss.item()"
        ),
    },
    "ch09.predict_in_batches": {
        "dropping the last smaller batch": PREDICT.replace(
            "range(0, X.shape[0], batch_size)", "range(0, X.shape[0] - batch_size + 1, batch_size)"
        ),
        "ignoring the batch size": """
def predict_in_batches(model, X, batch_size):
    model.eval()
    with mg.no_grad():
        return model(X).argmax(dim=1)
""",
        "no eval()": PREDICT.replace("    model.eval()\n", ""),
        "argmax over dimension 0": PREDICT.replace("argmax(dim=1)", "argmax(dim=0)"),
        "the outputs, not the classes": PREDICT.replace(".argmax(dim=1)", ""),
        "recording": PREDICT.replace(
            "    with mg.no_grad():\n        return", "    if True:\n        return"
        ),
    },
}


def test_a_correct_walk_passes_and_so_does_one_over_saved_attributes():
    assert both(WALK, "ch09.saved_bytes") == ["PASSED", "PASSED"]
    attributes = WALK.replace(
        "total += node.saved_tensors_nbytes()",
        "total += sum(t.numel() * t.element_size() for t in "
        "(getattr(node, a) for a in dir(node) if a.startswith('_saved_')) "
        "if isinstance(t, mg.Tensor))",
    )
    assert both(attributes, "ch09.saved_bytes") == ["PASSED", "PASSED"]


def test_counting_a_shared_node_once_per_path_is_rejected():
    repeats = WRONG["ch09.saved_bytes"]["counting a shared node once per path"]
    result = run(repeats, 'check("ch09.saved_bytes")')
    assert "z = (y * y + y.exp()).sum()" in result
    assert "saved_bytes returned 180, expected 100" in result
    assert "counted it three times" in result


def test_stopping_at_the_outputs_node_is_rejected():
    first_only = WRONG["ch09.saved_bytes"]["the output's node only"]
    result = run(first_only, 'check("ch09.saved_bytes")')
    assert "that is the output's own node only" in result


def test_a_recursive_walk_fails_on_the_deep_chain_in_the_notebook():
    recursive = WRONG["ch09.saved_bytes"]["a recursive walk"]
    visible, hidden = both(recursive, "ch09.saved_bytes")
    assert "your code raised RecursionError" in visible and "(a hidden case)" not in visible
    assert "a chain of 5000 tanh" in visible and "explicit stack" in visible
    assert "your code raised RecursionError" in hidden


def test_a_missing_grad_fn_must_give_zero():
    no_check = WRONG["ch09.saved_bytes"]["a missing grad_fn not checked"]
    result = run(no_check, 'check("ch09.saved_bytes")')
    assert "your code raised AttributeError" in result and "computed under no_grad()" in result
    assert "a result without grad_fn keeps nothing" in result


def test_the_lectures_measuring_helpers_do_the_walk_and_are_refused():
    for what, helper in (
        ("the lecture's graph_memory", "measure.graph_memory"),
        ("the lecture's graph_nodes, imported", "measure.graph_nodes"),
    ):
        result = run(WRONG["ch09.saved_bytes"][what], 'check("ch09.saved_bytes")')
        assert f"saved_bytes calls {helper}, which walks the graph for you" in result, result


def test_a_function_without_return_is_reminded_that_it_gives_none():
    result = run("def saved_bytes(output):\n    total = 0\n", 'check("ch09.saved_bytes")')
    assert "saved_bytes returned None; it should return a number of bytes (an int)" in result
    assert "(a function that ends without `return` gives None)" in result
    batches = "def predict_in_batches(model, X, batch_size):\n    model.eval()\n"
    result = run(batches, 'check("ch09.predict_in_batches")')
    assert "the result of predict_in_batches is None" in result
    assert "without `return` gives None" in result and "your batches cover" not in result


def test_a_nan_is_told_to_be_a_number_of_bytes():
    result = run("def saved_bytes(output):\n    return float('nan')\n", 'check("ch09.saved_bytes")')
    assert "saved_bytes returned nan; it should return a number of bytes (an int)" in result


def test_the_stub_says_not_implemented_yet():
    stub = "def saved_bytes(output):\n    raise NotImplementedError()\n"
    assert "not implemented yet" in run(stub, 'check("ch09.saved_bytes")')


# -- 2. and 5. predict ---------------------------------------------------------------------

COST_RIGHT = {
    "answer_nodes": "(9, 9)",
    "answer_bytes": "(144, 8064)",
    "answer_no_grad": "(0, 0)",
    "answer_inference": "(0, 0, True)",
}


def test_the_cost_prediction_refuses_bytes_proportional_to_the_batch_and_wrong_counts():
    assert run(answers(COST_RIGHT), 'check("ch09.recording_cost")') == "PASSED"
    proportional = answers(COST_RIGHT, answer_bytes="(144, 14400)")
    result = run(proportional, 'check("ch09.recording_cost")')
    assert "`answer_bytes`, [144, 14400], is not what the program gives" in result
    assert "the transposed weight does not" in result
    growing_nodes = answers(COST_RIGHT, answer_nodes="(9, 900)")
    assert "`answer_nodes`" in run(growing_nodes, 'check("ch09.recording_cost")')
    inference_tensor = answers(COST_RIGHT, answer_inference="(0, 0)")
    assert "should be a tuple (nodes, bytes, is_inference())" in run(
        inference_tensor, 'check("ch09.recording_cost")'
    )


def test_bytes_that_count_the_relu_output_once_are_told_each_node_counts_its_own():
    # 144 = 16 (input) + 32 (ReLU's output) + 32 (the same output, the next addmm's input)
    # + 64 (the second weight, transposed); counting the shared output once gives 112.
    once = answers(COST_RIGHT, answer_bytes="(112, 4864)")
    result = run(once, 'check("ch09.recording_cost")')
    assert "`answer_bytes`, [112, 4864], is not what the program gives" in result
    assert "saved by ReluBackward0 and again, as its input, by the second AddmmBackward0" in result
    other = run(answers(COST_RIGHT, answer_bytes="(100, 4864)"), 'check("ch09.recording_cost")')
    assert "ReluBackward0" not in other


def test_the_feature_statistics_prediction_refuses_a_recorded_mean_as_a_leaf():
    right = {
        "answer_a": "(False, None, True, 0)",
        "answer_b": '(True, "MeanBackward1", False, 4200)',
    }
    assert run(answers(right), 'check("ch09.feature_stats")') == "PASSED"
    leaf = answers(right, answer_b='(True, "MeanBackward1", True, 4200)')
    result = run(leaf, 'check("ch09.feature_stats")')
    assert "`answer_b`" in result and "is not what the program gives" in result
    assert "4200" in result  # the learner's own answer is shown, nothing else
    assert "should be a tuple" in run(answers(right, answer_a="0"), 'check("ch09.feature_stats")')


# -- 3. find the bug: evaluate -------------------------------------------------------------


def test_the_unfixed_evaluation_is_rejected_for_keeping_earlier_graphs_alive():
    result = run(BUGGY_EVALUATE, 'check("ch09.evaluate")')
    assert "the graphs of 2 earlier batches were still alive" in result
    assert "add loss.item() instead" in result


def test_returning_the_accumulated_tensor_of_one_batch_is_caught_after_the_return():
    result = run(BUGGY_EVALUATE, 'check("ch09.evaluate", hidden=True)')
    assert "1 batch of 3 rows (a hidden case)" in result
    assert "the result keeps the batches' graphs alive for as long as the caller keeps it" in result


def test_item_without_no_grad_is_rejected_for_recording_and_no_grad_alone_passes():
    item_only = WRONG["ch09.evaluate"]["item() without no_grad"]
    result = run(item_only, 'check("ch09.evaluate")')
    assert "each batch was still recorded" in result and "no_grad()" in result
    no_grad_only = BUGGY_EVALUATE.replace(
        "    for X, y in batches:", "    with mg.no_grad():\n     for X, y in batches:"
    )
    no_grad_only = no_grad_only.replace("        loss =", "         loss =").replace(
        "        total =", "         total ="
    )
    assert both(no_grad_only, "ch09.evaluate") == ["PASSED", "PASSED"]


# -- 4. implement predict_in_batches --------------------------------------------------------


def test_correct_batched_predictions_pass():
    assert both(PREDICT, "ch09.predict_in_batches") == ["PASSED", "PASSED"]


def test_dropping_the_last_smaller_batch_is_rejected():
    drop_last = WRONG["ch09.predict_in_batches"]["dropping the last smaller batch"]
    result = run(drop_last, 'check("ch09.predict_in_batches")')
    assert "10 rows in batches of 4" in result
    assert "your batches cover 8 of the 10 rows" in result


def test_ignoring_the_batch_size_is_rejected():
    at_once = WRONG["ch09.predict_in_batches"]["ignoring the batch size"]
    result = run(at_once, 'check("ch09.predict_in_batches")')
    assert "called on a batch of 10 rows, more than batch_size = 4" in result


def test_forgetting_eval_or_no_grad_is_rejected():
    no_eval = WRONG["ch09.predict_in_batches"]["no eval()"]
    assert "Hint: call model.eval() first" in run(no_eval, 'check("ch09.predict_in_batches")')
    recording = WRONG["ch09.predict_in_batches"]["recording"]
    assert "the forward passes were recorded" in run(recording, 'check("ch09.predict_in_batches")')


# -- seed items ------------------------------------------------------------------------------

SOLUTIONS = Path(__file__).parents[2] / "solutions" / "ch09_what_no_grad_saves.ipynb"


def test_every_seed_item_of_the_chapter_is_exercised_and_tagged():
    from coursekit.seed_items import SEED_ITEMS

    nb = json.loads(SOLUTIONS.read_text(encoding="utf-8"))
    # Tagged in the cell's metadata (seed:<item>), never written in the learner's text.
    tags = {tag for c in nb["cells"] for tag in c.get("metadata", {}).get("tags", [])}
    homed = [item for item, (chapter, _) in SEED_ITEMS.items() if chapter == "ch09"]
    assert homed
    assert [item for item in homed if f"seed:{item}" not in tags] == []


def test_an_argmax_over_the_wrong_dimension_is_told_which_dimension():
    result = run(
        WRONG["ch09.predict_in_batches"]["argmax over dimension 0"],
        'check("ch09.predict_in_batches")',
    )
    assert "has shape (12,), expected shape (10,)" in result
    assert "take the argmax over dimension 1 (the scores of a row), not over dimension 0" in result


def test_returning_the_scores_is_told_to_take_the_argmax():
    result = run(
        WRONG["ch09.predict_in_batches"]["the outputs, not the classes"],
        'check("ch09.predict_in_batches")',
    )
    assert "has shape (10, 4), expected shape (10,)" in result
    assert "those are the model's outputs, a row of scores per input" in result


def test_the_node_of_the_mean_of_everything_is_told_that_a_mean_over_a_dim_differs():
    code = 'answer_a = (False, None, True, 0)\nanswer_b = (True, "MeanBackward0", False, 4200)'
    result = run(code, 'check("ch09.feature_stats")')
    assert "`answer_b`" in result and "another overload of mean" in result
    assert "MeanBackward1" not in result  # the hint does not give the answer away
