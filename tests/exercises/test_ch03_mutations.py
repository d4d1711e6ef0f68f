"""Chapter 03's checks reject plausible wrong work with a message that helps.

Each test runs learner code in a fresh namespace, as a notebook cell would,
then the check cell, and reads the one-line verdict.
"""

from __future__ import annotations

from exercise_cells import run_after_setup, visible_and_hidden
from piece_cells import merged, setup_imports

# What the notebook imports (its setup cell), and numpy, which the learner code below uses.
PRELUDE = setup_imports("ch03", "import numpy as np")


def run(learner_code: str, call: str) -> str:
    """Run learner code and a check call as notebook cells; return PASSED or the failure."""
    return run_after_setup(PRELUDE, learner_code, call)


def both(learner_code: str, check_id: str) -> list:
    return visible_and_hidden(run, learner_code, check_id)


# -- 1. predict: dtypes ---------------------------------------------------------------------------

DTYPES_RIGHT = """
answer_a = "int64"
answer_b = "float32"
answer_c = "float32"
answer_d = "float64"
answer_e = "float32"
"""


def test_the_right_dtypes_pass_also_as_dtype_objects_or_with_a_library_prefix():
    assert run(DTYPES_RIGHT, 'check("ch03.dtypes")') == "PASSED"
    mixed = DTYPES_RIGHT.replace('"int64"', "mg.int64").replace(
        'answer_b = "float32"', 'answer_b = "torch.float32"'
    )
    assert run(mixed, 'check("ch03.dtypes")') == "PASSED"


def test_integer_division_and_zero_dim_promotion_mistakes_get_their_hints_not_the_answer():
    result = run(
        DTYPES_RIGHT.replace('answer_b = "float32"', 'answer_b = "int64"'), 'check("ch03.dtypes")'
    )
    assert "`answer_b`, 'int64', is not what (mg.tensor([1, 2]) / 2).dtype gives" in result
    assert "true division" in result
    result = run(
        DTYPES_RIGHT.replace('answer_e = "float32"', 'answer_e = "float64"'), 'check("ch03.dtypes")'
    )
    assert "`answer_e`" in result and "0-dimensional tensor" in result


def test_pytorchs_other_dtype_names_pass_and_tensor_types_or_python_types_are_explained():
    aliases = DTYPES_RIGHT.replace('"int64"', '"long"').replace(
        'answer_d = "float64"', 'answer_d = "double"'
    )
    assert (
        run(aliases.replace('answer_b = "float32"', 'answer_b = "float"'), 'check("ch03.dtypes")')
        == "PASSED"
    )
    tensor_type = run(
        DTYPES_RIGHT.replace('answer_b = "float32"', 'answer_b = "torch.FloatTensor"'),
        'check("ch03.dtypes")',
    )
    assert "names a tensor type (what t.type() gives), not a dtype" in tensor_type
    python_type = run(
        DTYPES_RIGHT.replace('answer_b = "float32"', "answer_b = float"), 'check("ch03.dtypes")'
    )
    assert "`answer_b` is the Python type float, not a dtype" in python_type
    assert "float32" not in python_type.split("Rule")[0]


def test_a_dtype_answer_that_is_not_a_name_is_refused():
    assert "answer with a dtype name" in run(
        DTYPES_RIGHT.replace('answer_a = "int64"', "answer_a = 64"), 'check("ch03.dtypes")'
    )


# -- 2. implement unbroadcast ------------------------------------------------------------------------

UNBROADCAST = """
def unbroadcast(grad, shape):
    lead = grad.ndim - len(shape)
    if lead > 0:
        grad = grad.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad
"""
Y_GRAD_BUGGY = """
def y_grad(n):
    x = mg.arange(n * n).view(n, n)
    y = mg.randn(n, n, requires_grad=True)
    z = mg.sum(mg.mm(x, y))
    z.backward()
    return y.grad
"""
Y_GRAD_FIXED = Y_GRAD_BUGGY.replace("mg.arange(n * n)", "mg.arange(n * n, dtype=mg.float32)")

# Plausible wrong solutions of every exercise where the learner writes code, by check id.
# Each must fail in the notebook (the visible check) exactly as it fails in grading:
# test_checks_agree_with_the_grader.py grades them all and compares.
WRONG = {
    "ch03.unbroadcast": {
        "the gradient unchanged": "def unbroadcast(grad, shape):\n    return grad\n",
        "summing only the leading dims": """
def unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    return grad
""",
        "dropping the size-1 dims": UNBROADCAST.replace("keepdims=True", "keepdims=False"),
        "summing everything": "def unbroadcast(grad, shape):\n    return grad.sum()\n",
        "a numpy result": """
def unbroadcast(grad, shape):
    g = grad.numpy()
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    return g
""",
        "forgetting the 0-dim shape": """
def unbroadcast(grad, shape):
    if len(shape) == 0:
        return grad
    lead = grad.ndim - len(shape)
    if lead > 0:
        grad = grad.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad
""",
    },
    "ch03.y_grad": {
        "the buggy program unchanged": Y_GRAD_BUGGY,
        "a fix that swaps the product": Y_GRAD_FIXED.replace("mg.mm(x, y)", "mg.mm(y, x)"),
        "returning x.grad": Y_GRAD_FIXED.replace("return y.grad", "return x.grad"),
    },
}
WRONG = merged(WRONG, "ch03")


def test_unbroadcast_passes_visible_and_hidden_cases_including_its_use_in_a_backward():
    assert both(UNBROADCAST, "ch03.unbroadcast") == ["PASSED", "PASSED"]


def test_returning_the_gradient_unchanged_is_rejected_as_the_incoming_shape():
    result = run(WRONG["ch03.unbroadcast"]["the gradient unchanged"], 'check("ch03.unbroadcast")')
    assert "the gradient has shape (2, 3), expected shape (3,)" in result
    assert "you returned the incoming shape" in result


def test_summing_only_the_leading_dims_fails_on_a_stretched_size_one_dim():
    code = WRONG["ch03.unbroadcast"]["summing only the leading dims"]
    result = run(code, 'check("ch03.unbroadcast")')
    assert "for a tensor of shape (2, 1)" in result and "expected shape (2, 1)" in result


def test_dropping_the_size_one_dims_gets_the_keepdim_hint():
    code = WRONG["ch03.unbroadcast"]["dropping the size-1 dims"]
    result = run(code, 'check("ch03.unbroadcast")')
    assert "has shape (2,), expected shape (2, 1)" in result and "keepdims=True" in result


def test_summing_everything_is_rejected_with_its_hint():
    code = WRONG["ch03.unbroadcast"]["summing everything"]
    assert "not over everything" in run(code, 'check("ch03.unbroadcast")')


def test_a_numpy_result_is_refused_as_not_a_tensor():
    code = WRONG["ch03.unbroadcast"]["a numpy result"]
    assert "unbroadcast returned a ndarray; return a minigrad tensor" in run(
        code, 'check("ch03.unbroadcast")'
    )


def test_the_notebook_catches_a_solution_that_forgets_the_scalar_shape():
    code = WRONG["ch03.unbroadcast"]["forgetting the 0-dim shape"]
    visible, hidden = both(code, "ch03.unbroadcast")
    assert "a grad of shape (3,) for a tensor of shape ()" in visible
    assert "(a hidden case)" not in visible and hidden.startswith("FAILED")


# -- 3. predict: sum(mm(x, y)) ------------------------------------------------------------------------------

MM_SUM_RIGHT = """
answer_x_grad = None
answer_y_grad = [[9, 9, 9], [12, 12, 12], [15, 15, 15]]
answer_depends_on_y = False
"""


def test_the_seed_prediction_passes_also_as_a_tensor():
    assert run(MM_SUM_RIGHT, 'check("ch03.mm_sum")') == "PASSED"
    as_tensor = MM_SUM_RIGHT.replace(
        "[[9, 9, 9], [12, 12, 12], [15, 15, 15]]",
        "mg.tensor([[9.0, 9, 9], [12, 12, 12], [15, 15, 15]])",
    )
    assert run(as_tensor, 'check("ch03.mm_sum")') == "PASSED"


def test_the_transposed_gradient_and_a_zero_x_grad_are_refused_without_the_answer():
    transposed = MM_SUM_RIGHT.replace(
        "[[9, 9, 9], [12, 12, 12], [15, 15, 15]]", "[[9, 12, 15]] * 3"
    )
    result = run(transposed, 'check("ch03.mm_sum")')
    assert "`answer_y_grad` is not what y.grad gives" in result and "its transpose" in result
    assert "[[9, 9, 9]" not in result
    zeros = MM_SUM_RIGHT.replace("answer_x_grad = None", "answer_x_grad = [[0.0] * 3] * 3")
    assert "look at whether x requires grad" in run(zeros, 'check("ch03.mm_sum")')


def test_believing_the_gradient_depends_on_the_random_values_is_refused():
    result = run(
        MM_SUM_RIGHT.replace("answer_depends_on_y = False", "answer_depends_on_y = True"),
        'check("ch03.mm_sum")',
    )
    assert "`answer_depends_on_y`, True, is not what running again" in result


# -- 4. find the bug: an integer arange --------------------------------------------------------------------


def test_the_unfixed_program_is_rejected_with_its_dtype_error():
    result = run(Y_GRAD_BUGGY, 'check("ch03.y_grad")')
    assert "your code raised RuntimeError: expected m1 and m2 to have the same dtype" in result
    assert "arange of integers gives int64" in result


def test_the_fixed_program_passes_and_a_fix_that_swaps_the_product_is_named():
    assert both(Y_GRAD_FIXED, "ch03.y_grad") == ["PASSED", "PASSED"]
    swapped = WRONG["ch03.y_grad"]["a fix that swaps the product"]
    assert "keep the program's product" in run(swapped, 'check("ch03.y_grad")')
    returns_x_grad = WRONG["ch03.y_grad"]["returning x.grad"]
    assert "y_grad returned None" in run(returns_x_grad, 'check("ch03.y_grad")')
