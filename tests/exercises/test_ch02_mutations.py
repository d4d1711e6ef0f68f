"""Chapter 02's checks reject plausible wrong work with a message that helps.

Each test runs learner code in a fresh namespace, as a notebook cell would,
then the check cell, and reads the one-line verdict.
"""

from __future__ import annotations

from exercise_cells import run_after_setup, visible_and_hidden
from piece_cells import merged, setup_imports

# What the notebook imports (its setup cell), and numpy, which the learner code below uses.
PRELUDE = setup_imports("ch02", "import numpy as np")


def run(learner_code: str, call: str) -> str:
    """Run learner code and a check call as notebook cells; return PASSED or the failure."""
    return run_after_setup(PRELUDE, learner_code, call)


def both(learner_code: str, check_id: str) -> list:
    return visible_and_hidden(run, learner_code, check_id)


# -- 1. predict: the chain rule -------------------------------------------------------------


def test_the_right_gradients_pass_and_one_path_only_gets_the_two_paths_hint():
    assert run("answer_a_grad = 21\nanswer_b_grad = 16.0", 'check("ch02.chain_rule")') == "PASSED"
    result = run("answer_a_grad = 15.0\nanswer_b_grad = 16.0", 'check("ch02.chain_rule")')
    assert "`answer_a_grad`, 15, is not what a.grad gives" in result and "along two paths" in result
    assert "21" not in result


def test_a_wrong_b_gradient_is_named():
    assert "`answer_b_grad`, 10" in run(
        "answer_a_grad = 21.0\nanswer_b_grad = 10.0", 'check("ch02.chain_rule")'
    )


# -- 2. implement div_backward --------------------------------------------------------------

DIV = """
def div_backward(grad, a, b):
    return grad / b, -grad * a / (b * b)
"""
TOPO = """
def topological_order(root):
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for child, _ in node.next_functions:
            if child is not None and child not in visited:
                stack.append((child, False))
    order.reverse()
    return order
"""
BUGGY_BACKWARD = """
def backward_loop(output):
    grads = {output.grad_fn: 1.0}
    for node in minigrad.scalar.topological_order(output.grad_fn):
        grad = grads.pop(node, None)
        if grad is None:
            continue
        if isinstance(node, ScalarAccumulateGrad):
            leaf = node.variable
            leaf.grad = grad if leaf.grad is None else leaf.grad + grad
            continue
        for (child, _), child_grad in zip(node.next_functions, node.backward_fn(grad)):
            if child is not None:
                grads[child] = child_grad
"""

# Plausible wrong solutions of every exercise where the learner writes code, by check id.
# Each must fail in the notebook (the visible check) exactly as it fails in grading:
# test_checks_agree_with_the_grader.py grades them all and compares.
WRONG = {
    "ch02.div_backward": {
        "a sign error on b": DIV.replace("-grad * a", "grad * a"),
        "forgetting the incoming gradient": (
            "def div_backward(grad, a, b):\n    return 1 / b, -a / (b * b)\n"
        ),
        "the gradients swapped": (
            "def div_backward(grad, a, b):\n    return -grad * a / (b * b), grad / b\n"
        ),
        "the a missing in grad_b": DIV.replace("-grad * a / (b * b)", "-grad / (b * b)"),
        "b not squared in grad_b": DIV.replace("-grad * a / (b * b)", "-grad * a / b"),
        "a single value": "def div_backward(grad, a, b):\n    return grad / b\n",
    },
    "ch02.topological_order": {
        "a recursive walk": """
def topological_order(root):
    order, visited = [], set()

    def visit(node):
        if node in visited:
            return
        visited.add(node)
        for child, _ in node.next_functions:
            if child is not None:
                visit(child)
        order.append(node)

    visit(root)
    return order[::-1]
""",
        "a walk without a visited set": """
def topological_order(root):
    order, stack = [], [root]
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(child for child, _ in node.next_functions if child is not None)
    return order
""",
        "breadth-first order": """
def topological_order(root):
    order, seen, queue = [], {root}, [root]
    while queue:
        node = queue.pop(0)
        order.append(node)
        for child, _ in node.next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                queue.append(child)
    return order
""",
        "the post-order not reversed": TOPO.replace("    order.reverse()\n", ""),
        "returning Scalars": (
            "def topological_order(root):\n"
            "    return [root.variable] if hasattr(root, 'variable') else [1.0]\n"
        ),
        "not skipping None": TOPO.replace(
            "if child is not None and child not in visited", "if child not in visited"
        ),
    },
    "ch02.backward_loop": {
        "the buggy loop unchanged": BUGGY_BACKWARD,
        "a loop that keeps the first gradient": BUGGY_BACKWARD.replace(
            "grads[child] = child_grad", "grads.setdefault(child, child_grad)"
        ),
    },
}
# The pieces of your engine: topological_order (its wrong walks are above) and run_backward.
WRONG = merged(WRONG, "ch02", skip=("ch02.topological_order",))

# run_backward uses the notebook's topological_order: the grader's learner who has a wrong
# walk (one per wrong solution above) gets a wrong loop too, so there are as many.
LOOP = """
def run_backward(root, grad):
    received = {root: grad}
    for node in topological_order(root):
        results = node(received.pop(node, None))
        for (child, _), child_grad in zip(node.next_functions, results):
            if child is None or child_grad is None:
                continue
            received[child] = received[child] + child_grad if child in received else child_grad
"""
WRONG["ch02.run_backward"].update(
    {
        "the first gradient kept at fan-in": LOOP.replace(
            "received[child] = received[child] + child_grad if child in received else child_grad",
            "received.setdefault(child, child_grad)",
        ),
        "gradients multiplied at fan-in": LOOP.replace(
            "received[child] + child_grad if", "received[child] * child_grad if"
        ),
        "None edges not skipped": LOOP.replace("child is None or child_grad is None", "False"),
        "a node called once per incoming gradient": LOOP.replace(
            "received[child] = received[child] + child_grad if child in received else child_grad",
            "received[child] = child_grad\n            for more in [child_grad]:\n"
            "                pass",
        ),
    }
)


def test_the_quotient_rule_passes_visible_and_hidden_cases_also_for_x_over_x():
    assert both(DIV, "ch02.div_backward") == ["PASSED", "PASSED"]


def test_a_sign_error_on_b_is_rejected_with_the_sign_hint():
    result = run(WRONG["ch02.div_backward"]["a sign error on b"], 'check("ch02.div_backward")')
    assert "grad_b is" in result and "expected" in result and "check the sign" in result


def test_forgetting_the_incoming_gradient_is_rejected():
    code = WRONG["ch02.div_backward"]["forgetting the incoming gradient"]
    assert "multiply by the gradient that arrives" in run(code, 'check("ch02.div_backward")')


def test_swapped_gradients_are_recognised():
    code = WRONG["ch02.div_backward"]["the gradients swapped"]
    assert "the two gradients are swapped" in run(code, 'check("ch02.div_backward")')


def test_a_missing_a_in_the_b_gradient_and_a_single_value_are_rejected():
    assert "the a is missing" in run(
        WRONG["ch02.div_backward"]["the a missing in grad_b"], 'check("ch02.div_backward")'
    )
    single = WRONG["ch02.div_backward"]["a single value"]
    assert "must return a pair (grad_a, grad_b), it returned a float" in run(
        single, 'check("ch02.div_backward")'
    )


def test_forgetting_the_square_of_b_is_named():
    result = run(
        WRONG["ch02.div_backward"]["b not squared in grad_b"], 'check("ch02.div_backward")'
    )
    assert "grad_b is" in result and "b is squared there" in result


# -- 3. predict: saved tensors ----------------------------------------------------------------

SAVED_RIGHT = """
answer_p = ["_saved_self", "_saved_other"]
answer_q = ["_saved_other"]
answer_r = []
answer_s = ["_saved_result"]
"""


def test_the_right_saved_prediction_passes_in_any_order_and_without_the_prefix():
    assert run(SAVED_RIGHT, 'check("ch02.saved_tensors")') == "PASSED"
    short = SAVED_RIGHT.replace('["_saved_self", "_saved_other"]', '("other", "self")')
    assert run(short, 'check("ch02.saved_tensors")') == "PASSED"


def test_saving_both_inputs_when_k_needs_no_grad_is_refused_with_a_hint():
    result = run(
        SAVED_RIGHT.replace(
            'answer_q = ["_saved_other"]', 'answer_q = ["_saved_self", "_saved_other"]'
        ),
        'check("ch02.saved_tensors")',
    )
    assert "`answer_q`" in result and "k does not require grad" in result


def test_exp_saving_its_input_and_add_saving_anything_are_refused():
    assert "exp(x) itself" in run(
        SAVED_RIGHT.replace('["_saved_result"]', '["_saved_self"]'), 'check("ch02.saved_tensors")'
    )
    assert "whatever their values" in run(
        SAVED_RIGHT.replace("answer_r = []", 'answer_r = ["_saved_self"]'),
        'check("ch02.saved_tensors")',
    )


# -- 4. implement topological_order -------------------------------------------------------------


def test_the_iterative_depth_first_order_passes_visible_and_hidden_cases():
    assert both(TOPO, "ch02.topological_order") == ["PASSED", "PASSED"]


def test_a_recursive_walk_fails_on_the_deep_chain_with_the_no_recursion_hint():
    code = WRONG["ch02.topological_order"]["a recursive walk"]
    result = run(code, 'check("ch02.topological_order")')
    assert (
        "your code raised RecursionError" in result and "a chain of 5000 multiplications" in result
    )
    assert "a list as the stack" in result


def test_a_walk_without_a_visited_set_lists_shared_nodes_twice():
    code = WRONG["ch02.topological_order"]["a walk without a visited set"]
    result = run(code, 'check("ch02.topological_order")')
    assert "AccumulateGrad(a) appears 2 times" in result and "keep a set of visited nodes" in result


def test_breadth_first_order_breaks_an_edge_and_says_which():
    code = WRONG["ch02.topological_order"]["breadth-first order"]
    result = run(code, 'check("ch02.topological_order")')
    assert (
        "MulBackward0(c) comes before TanhBackward0(d), but TanhBackward0(d) sends its gradient "
        "to MulBackward0(c)"
    ) in result


def test_forgetting_to_reverse_the_post_order_is_recognised():
    code = WRONG["ch02.topological_order"]["the post-order not reversed"]
    result = run(code, 'check("ch02.topological_order")')
    assert "exactly backwards" in result and "reverse" in result


def test_returning_scalars_or_not_skipping_none_is_rejected():
    scalars = WRONG["ch02.topological_order"]["returning Scalars"]
    assert "not a node of this graph" in run(scalars, 'check("ch02.topological_order")')
    names = WRONG["ch02.topological_order"]["the post-order not reversed"].replace(
        "    return order", "    return [node.name() for node in reversed(order)]"
    )
    result = run(names, 'check("ch02.topological_order")')
    assert "the list holds a str, which is not a node of this graph" in result
    assert "not their names" in result
    no_skip = WRONG["ch02.topological_order"]["not skipping None"]
    assert (
        "your code raised AttributeError: 'NoneType' object has no attribute 'next_functions'"
        in run(no_skip, 'check("ch02.topological_order")')
    )


# -- 5. find the bug: overwritten gradients -------------------------------------------------------


def test_the_unfixed_loop_is_rejected_as_the_buggy_loop():
    result = run(BUGGY_BACKWARD, 'check("ch02.backward_loop")')
    assert "a.grad is" in result and "this is what the buggy loop gives" in result


def test_the_fixed_loop_passes_and_a_loop_that_keeps_the_first_gradient_does_not():
    fixed = BUGGY_BACKWARD.replace(
        "grads[child] = child_grad", "grads[child] = grads.get(child, 0.0) + child_grad"
    )
    assert both(fixed, "ch02.backward_loop") == ["PASSED", "PASSED"]
    keeps_first = WRONG["ch02.backward_loop"]["a loop that keeps the first gradient"]
    assert "expected" in run(keeps_first, 'check("ch02.backward_loop")')
