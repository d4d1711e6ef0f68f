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

SIN = """
def scalar_sin(x):
    a = x.data
    return x._result(math.sin(a), "SinBackward0", (x,), lambda g: (g * math.cos(a),))
"""

COUNT = """
def count_nodes(output):
    seen, stack = set(), [output.grad_fn]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(fn for fn, _ in node.next_functions if fn is not None)
    return len(seen)
"""

# Plausible wrong solutions of every exercise where the learner writes code, by check id.
# Each must fail in the notebook (the visible check) exactly as it fails in grading:
# test_checks_agree_with_the_grader.py grades them all and compares.
WRONG = {
    "ch01.fit_step": {
        "the buggy fit_step unchanged": FIT_STEP_BUGGY,
        "requires_grad moved from b to w": FIT_STEP_FIXED.replace(
            "mg.Scalar(b0, requires_grad=True)", "mg.Scalar(b0)"
        ),
    },
    "ch01.scalar_sin": {
        "forgetting the incoming gradient": SIN.replace(
            "lambda g: (g * math.cos(a),)", "lambda g: (math.cos(a),)"
        ),
        "the wrong sign": SIN.replace("g * math.cos(a)", "-g * math.cos(a)"),
        "sin for its own derivative": SIN.replace("g * math.cos(a)", "g * math.sin(a)"),
        "recording nothing": "def scalar_sin(x):\n    return mg.Scalar(math.sin(x.data))\n",
        "always recording": """
from minigrad.scalar import ScalarNode

def scalar_sin(x):
    out = mg.Scalar(math.sin(x.data), requires_grad=True)
    out.grad_fn = ScalarNode("SinBackward0", (x,), lambda g: (g * math.cos(x.data),))
    return out
""",
        "recording when x requires grad, even under no_grad": """
from minigrad.scalar import ScalarNode

def scalar_sin(x):
    out = mg.Scalar(math.sin(x.data), requires_grad=x.requires_grad)
    if x.requires_grad:
        out.grad_fn = ScalarNode("SinBackward0", (x,), lambda g: (g * math.cos(x.data),))
    return out
""",
        "a backward that returns a bare number": SIN.replace(
            "lambda g: (g * math.cos(a),)", "lambda g: g * math.cos(a)"
        ),
        "a node named Sin": SIN.replace('"SinBackward0"', '"Sin"'),
    },
    "ch01.count_nodes": {
        "a tree walk without a visited set": """
def count_nodes(output):
    count, stack = 0, [output.grad_fn]
    while stack:
        node = stack.pop()
        count += 1
        stack.extend(fn for fn, _ in node.next_functions if fn is not None)
    return count
""",
        "forgetting AccumulateGrad nodes": COUNT.replace(
            "if fn is not None)", "if fn is not None and fn.next_functions)"
        ),
        "counting None edges as nodes": """
def count_nodes(output):
    seen, stack, count = set(), [output.grad_fn], 0
    while stack:
        node = stack.pop()
        if node is None:  # an edge to nowhere, counted as if it were a node
            count += 1
            continue
        if node not in seen:
            seen.add(node)
            count += 1
            stack.extend(fn for fn, _ in node.next_functions)
    return count
""",
        "returning a float": COUNT.replace("return len(seen)", "return float(len(seen))"),
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


# -- 4. implement scalar_sin ---------------------------------------------------------------


def test_scalar_sin_by_the_recording_helper_passes_visible_and_hidden_cases():
    assert both(SIN, "ch01.scalar_sin") == ["PASSED", "PASSED"]


def test_a_sin_that_forgets_the_incoming_gradient_is_rejected_with_that_hint():
    forgot_g = WRONG["ch01.scalar_sin"]["forgetting the incoming gradient"]
    result = run(forgot_g, 'check("ch01.scalar_sin")')
    assert "x.grad is" in result and "multiply the local derivative by the gradient g" in result


def test_a_sin_with_the_wrong_sign_or_the_wrong_derivative_is_rejected():
    assert "check the sign" in run(
        WRONG["ch01.scalar_sin"]["the wrong sign"], 'check("ch01.scalar_sin")'
    )
    assert "the derivative of sin(x) is cos(x)" in run(
        WRONG["ch01.scalar_sin"]["sin for its own derivative"], 'check("ch01.scalar_sin")'
    )


def test_a_sin_that_records_nothing_is_rejected_as_not_recorded():
    result = run(WRONG["ch01.scalar_sin"]["recording nothing"], 'check("ch01.scalar_sin")')
    assert "has no grad_fn: the operation was not recorded" in result and "x._result" in result


def test_a_sin_that_records_when_it_must_not_is_rejected_in_the_notebook():
    always = WRONG["ch01.scalar_sin"]["always recording"]
    assert "but x does not require grad: nothing must be recorded" in run(
        always, 'check("ch01.scalar_sin")'
    )
    under_no_grad = WRONG["ch01.scalar_sin"]["recording when x requires grad, even under no_grad"]
    visible, hidden = both(under_no_grad, "ch01.scalar_sin")
    assert "under no_grad()" in visible and "but grad mode is off" in visible
    assert "but grad mode is off" in hidden


def test_a_backward_function_that_returns_a_bare_number_gets_the_tuple_hint():
    code = WRONG["ch01.scalar_sin"]["a backward that returns a bare number"]
    result = run(code, 'check("ch01.scalar_sin")')
    assert (
        "your code raised TypeError" in result
        and "returns a tuple, one gradient per input" in result
    )


def test_a_misnamed_node_is_rejected_with_pytorchs_name():
    result = run(WRONG["ch01.scalar_sin"]["a node named Sin"], 'check("ch01.scalar_sin")')
    assert "the node is named 'Sin', expected 'SinBackward0'" in result


# -- 5. implement count_nodes ---------------------------------------------------------------


def test_count_nodes_with_a_visited_set_passes_visible_and_hidden_cases():
    assert both(COUNT, "ch01.count_nodes") == ["PASSED", "PASSED"]


def test_a_tree_walk_without_a_visited_set_is_rejected_as_counting_paths():
    code = WRONG["ch01.count_nodes"]["a tree walk without a visited set"]
    result = run(code, 'check("ch01.count_nodes")')
    assert "count_nodes returned 9, expected 5" in result and "once for every path" in result


def test_forgetting_accumulate_grad_nodes_or_counting_none_edges_gets_its_own_hint():
    no_leaves = WRONG["ch01.count_nodes"]["forgetting AccumulateGrad nodes"]
    assert "count the leaves' AccumulateGrad nodes too" in run(
        no_leaves, 'check("ch01.count_nodes")'
    )
    with_none = WRONG["ch01.count_nodes"]["counting None edges as nodes"]
    assert "is not a node: skip None" in run(with_none, 'check("ch01.count_nodes")')


def test_count_nodes_returning_a_float_is_refused():
    code = WRONG["ch01.count_nodes"]["returning a float"]
    assert "must return an int" in run(code, 'check("ch01.count_nodes")')


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
    definition = registry.get("ch01.count_nodes")
    for case in make_cases(definition, notebook_seed(definition.id, hidden), hidden):
        derived = ch01.spec_graph(case)
        assert minigrad_graph(case) == (derived["nodes"], sorted(derived["edges"]))
