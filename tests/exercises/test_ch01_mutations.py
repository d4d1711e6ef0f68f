"""Chapter 01's checks reject plausible wrong work with a message that helps.

Each test runs learner code in a fresh namespace, as a notebook cell would,
then the check cell, and reads the one-line verdict. The graph helpers of
coursekit/checks/ch01.py derive graphs from a spec without minigrad; the last
tests compare them with the graphs minigrad really records.
"""

from __future__ import annotations

import pytest
from exercise_cells import run_after_setup, visible_and_hidden
from piece_cells import merged, setup_imports

from coursekit.checks import ch01, registry
from coursekit.checks.core import make_cases, notebook_seed

# What the notebook imports (its setup cell), and numpy, which the learner code below uses.
PRELUDE = setup_imports("ch01", "import numpy as np")


def run(learner_code: str, call: str) -> str:
    """Run learner code and a check call as notebook cells; return PASSED or the failure."""
    return run_after_setup(PRELUDE, learner_code, call)


def both(learner_code: str, check_id: str) -> list:
    return visible_and_hidden(run, learner_code, check_id)


# -- 1. predict: names, leaves and edges ---------------------------------------------

GRAPH_RIGHT = """
answer_e_grad_fn = "TanhBackward0"
answer_b_is_leaf = True
answer_c_next = ["AccumulateGrad", None]
answer_d_next = ["MulBackward0", "AccumulateGrad"]
answer_a_grad = None
"""


def test_the_right_graph_prediction_passes_also_written_as_edge_pairs_with_namespaces():
    assert run(GRAPH_RIGHT, 'check("ch01.graph_names")') == "PASSED"
    pairs = GRAPH_RIGHT.replace(
        '["AccumulateGrad", None]', '[("minigrad::autograd::AccumulateGrad", 0), (None, 0)]'
    )
    assert run(pairs, 'check("ch01.graph_names")') == "PASSED"


def test_leaving_out_the_none_edge_is_refused_with_a_hint_and_without_the_answer():
    result = run(
        GRAPH_RIGHT.replace('["AccumulateGrad", None]', '["AccumulateGrad"]'),
        'check("ch01.graph_names")',
    )
    assert (
        "`answer_c_next`, ['AccumulateGrad'], is not what c.grad_fn.next_functions gives" in result
    )
    assert "one entry per input" in result
    assert "None]" not in result


def test_calling_a_leaf_that_does_not_require_grad_a_non_leaf_gets_the_leaf_hint():
    result = run(
        GRAPH_RIGHT.replace("answer_b_is_leaf = True", "answer_b_is_leaf = False"),
        'check("ch01.graph_names")',
    )
    assert (
        "`answer_b_is_leaf`, False" in result
        and "a leaf is any value you created yourself" in result
    )


def test_an_answer_in_the_wrong_form_is_told_its_form_not_the_answer():
    quoted = run(
        GRAPH_RIGHT.replace("answer_b_is_leaf = True", 'answer_b_is_leaf = "True"'),
        'check("ch01.graph_names")',
    )
    assert "you wrote the string 'True': write the value True itself, without quotes" in quoted
    printed = run(
        GRAPH_RIGHT.replace('"TanhBackward0"', '"<TanhBackward0 object at 0x7f3a>"'),
        'check("ch01.graph_names")',
    )
    assert "that is how a node prints (its repr): write the node's name" in printed
    short = run(GRAPH_RIGHT.replace('"TanhBackward0"', '"Tanh"'), 'check("ch01.graph_names")')
    assert "the operation's name then Backward and a number" in short
    assert "TanhBackward0" not in short


# -- 2. predict: requires_grad flows -----------------------------------------------------

FLOW_RIGHT = (
    "answer_h = False\nanswer_y = True\nanswer_z = True\nanswer_u = False\nanswer_v = False\n"
)


def test_the_right_flow_prediction_passes_and_each_wrong_answer_is_named():
    assert run(FLOW_RIGHT, 'check("ch01.requires_grad_flow")') == "PASSED"
    everything_true = FLOW_RIGHT.replace("False", "True")
    assert "`answer_h`, True, is not what h.requires_grad gives" in run(
        everything_true, 'check("ch01.requires_grad_flow")'
    )
    no_grad_ignored = FLOW_RIGHT.replace("answer_v = False", "answer_v = True")
    assert "`answer_v`, True" in run(no_grad_ignored, 'check("ch01.requires_grad_flow")')
    assert "answer True or False" in run(
        FLOW_RIGHT.replace("answer_u = False", "answer_u = 0"), 'check("ch01.requires_grad_flow")'
    )


# -- 3. find the bug: a parameter with no gradient -----------------------------------------

FIT_STEP_BUGGY = """
def fit_step(w0, b0, x, target):
    w = mg.Scalar(w0)
    b = mg.Scalar(b0, requires_grad=True)
    loss = (w * x + b - target) ** 2
    loss.backward()
    return w.grad, b.grad
"""
FIT_STEP_FIXED = FIT_STEP_BUGGY.replace("mg.Scalar(w0)", "mg.Scalar(w0, requires_grad=True)")

# Plausible wrong solutions of every exercise where the learner writes code, by check id.
# Each must fail in the notebook (the visible check) exactly as it fails in grading:
# test_checks_agree_with_the_grader.py grades them all and compares.
WRONG = {
    "ch01.fit_step": {
        "the buggy fit_step unchanged": FIT_STEP_BUGGY,
        "requires_grad moved from b to w": FIT_STEP_FIXED.replace(
            "mg.Scalar(b0, requires_grad=True)", "mg.Scalar(b0)"
        ),
        "backward() left out": FIT_STEP_FIXED.replace("    loss.backward()\n", ""),
        "the pair in the wrong order": FIT_STEP_FIXED.replace(
            "return w.grad, b.grad", "return b.grad, w.grad"
        ),
    },
}
WRONG = merged(WRONG, "ch01")  # the pieces of your engine: Add, Mul, Tanh


def test_the_unfixed_fit_step_is_rejected_because_w_grad_is_none():
    result = run(FIT_STEP_BUGGY, 'check("ch01.fit_step")')
    assert "w.grad is None, expected" in result and "without requires_grad=True" in result


def test_the_fixed_fit_step_passes_and_a_fix_that_detaches_b_instead_does_not():
    assert both(FIT_STEP_FIXED, "ch01.fit_step") == ["PASSED", "PASSED"]
    swapped = WRONG["ch01.fit_step"]["requires_grad moved from b to w"]
    assert "b.grad is None" in run(swapped, 'check("ch01.fit_step")')


def test_a_fit_step_without_backward_is_asked_about_backward_not_requires_grad():
    result = run(WRONG["ch01.fit_step"]["backward() left out"], 'check("ch01.fit_step")')
    assert "w.grad and b.grad are both None" in result
    assert "was loss.backward() called" in result
    assert "without requires_grad=True gets no edge" not in result


def test_the_gradients_in_the_wrong_order_are_named_as_such():
    result = run(WRONG["ch01.fit_step"]["the pair in the wrong order"], 'check("ch01.fit_step")')
    assert "the right gradients in the wrong order. Hint: return (w.grad, b.grad)" in result


# -- 4. predict: how many nodes ------------------------------------------------------------

NODES_RIGHT = """
answer_nodes = 5
answer_arrows_into_c = 2
answer_visits = 9
"""


def test_the_right_node_count_passes():
    assert run(NODES_RIGHT, 'check("ch01.node_count")') == "PASSED"


def test_counting_every_path_as_a_node_fails_without_telling_the_answer():
    tree = NODES_RIGHT.replace("answer_nodes = 5", "answer_nodes = 9")
    result = run(tree, 'check("ch01.node_count")')
    assert "`answer_nodes`, 9, is not what the number of distinct nodes gives" in result
    assert "5" not in result


def test_one_arrow_into_c_and_a_walk_that_counts_nodes_once_fail():
    one_arrow = NODES_RIGHT.replace("answer_arrows_into_c = 2", "answer_arrows_into_c = 1")
    assert "answer_arrows_into_c" in run(one_arrow, 'check("ch01.node_count")')
    once = NODES_RIGHT.replace("answer_visits = 9", "answer_visits = 5")
    result = run(once, 'check("ch01.node_count")')
    assert "answer_visits" in result and "once for every path that leads to it" in result
    assert "draw the graph" not in result  # the shared hint is about the nodes, not the walk
    assert "9" not in result


def test_a_node_count_given_as_a_float_is_refused():
    as_float = NODES_RIGHT.replace("answer_nodes = 5", "answer_nodes = 5.0")
    assert "answer with an int" in run(as_float, 'check("ch01.node_count")')


# -- the spec helpers against the graphs minigrad records ----------------------------------


def minigrad_graph(spec):
    """Nodes and edges of the Scalar graph minigrad builds for ``spec``, labelled like the probes."""
    values = ch01.build_scalars(spec)
    label = {}
    for name, value in values.items():
        if value.grad_fn is not None:
            label[value.grad_fn] = f"{value.grad_fn.name()}({name})"
        elif value._accumulator is not None:
            label[value._accumulator] = f"AccumulateGrad({name})"
    root = values[spec["output"]].grad_fn
    seen, stack, edges = {root}, [root], []
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            edges.append([label[node], label[child]])
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return sorted(label[n] for n in seen), sorted(edges)


@pytest.mark.parametrize("hidden", [False, True])
def test_the_graphs_derived_from_specs_are_the_graphs_minigrad_records(hidden):
    definition = registry.get("ch02.backward_loop")  # cases that are graph specs
    for case in make_cases(definition, notebook_seed(definition.id, hidden), hidden):
        derived = ch01.spec_graph(case)
        assert minigrad_graph(case) == (derived["nodes"], sorted(derived["edges"]))
