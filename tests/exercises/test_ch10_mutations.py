"""Chapter 10's checks reject plausible wrong work with a message that helps.

Each test runs learner code in a fresh namespace, as a notebook cell would,
then the check cell, and reads the verdict. The wrong solutions: a backward
that forgets the chain rule, swaps its inputs, returns one gradient, or keeps
its inputs as plain ctx attributes; an operation that is not a Function; the
sign slip left in place; a Hessian-vector product without create_graph, or
accumulated in x.grad.
"""

from __future__ import annotations

from exercise_cells import run_after_setup, visible_and_hidden
from piece_cells import merged, setup_imports

from coursekit.checks.ch10 import HYPOT as HYPOT_CHECK
from coursekit.checks.core import make_cases

# What the notebook imports (its setup cell), and numpy, which the learner code below uses.
PRELUDE = setup_imports("ch10", "import numpy as np")


def run(learner_code: str, call: str) -> str:
    """Run learner code and a check call as notebook cells; return PASSED or the failure."""
    return run_after_setup(PRELUDE, learner_code, call)


def both(learner_code: str, check_id: str) -> list:
    return visible_and_hidden(run, learner_code, check_id)


# -- 1. implement Hypot --------------------------------------------------------------------

HYPOT = """
class Hypot(mg.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        h = (a * a + b * b).sqrt()
        ctx.save_for_backward(a, b, h)
        return h

    @staticmethod
    def backward(ctx, grad):
        a, b, h = ctx.saved_tensors
        return grad * a / h, grad * b / h
"""


GAUSSIAN = """
class Gaussian(mg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        result = (-(x * x)).exp()
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        return grad * (-2 * x * result)
"""
HVP = """
def hvp(f, x, v):
    x = x.detach().requires_grad_()
    (g,) = mg.autograd.grad(f(x), x, create_graph=True)
    (hv,) = mg.autograd.grad((g * v).sum(), x)
    return hv
"""

# Plausible wrong solutions of every exercise where the learner writes code, by check id.
# Each must fail in the notebook (the visible check) exactly as it fails in grading:
# test_checks_agree_with_the_grader.py grades them all and compares.
WRONG = {
    "ch10.hypot": {
        "a backward without the chain rule": HYPOT.replace(
            "return grad * a / h, grad * b / h", "return a / h, b / h"
        ),
        "the gradients swapped": HYPOT.replace(
            "return grad * a / h, grad * b / h", "return grad * b / h, grad * a / h"
        ),
        "one gradient for two inputs": HYPOT.replace(
            "return grad * a / h, grad * b / h", "return grad * a / h"
        ),
        "inputs kept as ctx attributes": HYPOT.replace(
            "ctx.save_for_backward(a, b, h)", "ctx.a, ctx.b, ctx.h = a, b, h"
        ).replace("a, b, h = ctx.saved_tensors", "a, b, h = ctx.a, ctx.b, ctx.h"),
        "forward without return": HYPOT.replace("        return h\n", "        h\n", 1),
        "the gradients as a list": HYPOT.replace(
            "return grad * a / h, grad * b / h", "return [grad * a / h, grad * b / h]"
        ),
        "size-1 dimensions summed away without keepdim": HYPOT.replace(
            "return grad * a / h, grad * b / h",
            "return fit(grad * a / h, a.shape), fit(grad * b / h, b.shape)",
        )
        + """

def fit(gradient, shape):
    for dim, size in enumerate(shape):
        if size == 1:
            gradient = gradient.sum(dim)
    return gradient
""",
        "a plain formula instead of a Function": """
class Hypot:
    @staticmethod
    def apply(a, b):
        return (a * a + b * b).sqrt()
""",
    },
    "ch10.gaussian": {
        "the buggy backward unchanged": GAUSSIAN.replace(
            "grad * (-2 * x * result)", "grad * 2 * x * result"
        ),
        "half fixed": GAUSSIAN.replace("grad * (-2 * x * result)", "grad * (-2 * x)"),
    },
    "ch10.hvp": {
        "a first gradient without create_graph": HVP.replace(", create_graph=True", ""),
        "through backward, accumulating in x.grad": """
def hvp(f, x, v):
    (g,) = mg.autograd.grad(f(x), x, create_graph=True)
    (g * v).sum().backward()
    return x.grad
""",
        "returning the gradient": HVP.replace("return hv", "return g"),
        "g * v not summed": HVP.replace("(g * v).sum()", "g * v"),
        "the caller's x differentiated as given": HVP.replace(
            "    x = x.detach().requires_grad_()\n", ""
        ),
        "requires_grad_() on the caller's x": HVP.replace(
            "x = x.detach().requires_grad_()", "x.requires_grad_()"
        ),
        "the caller's x switched off at the end": HVP.replace(
            "x = x.detach().requires_grad_()", "x.requires_grad_()"
        ).replace("    return hv", "    x.requires_grad_(False)\n    return hv"),
        "v made to require grad, H v read from .grad": """
def hvp(f, x, v):
    x = x.detach().requires_grad_()
    v.requires_grad_()
    (g,) = mg.autograd.grad(f(x), x, create_graph=True)
    (g * v).sum().backward()
    return x.grad
""",
    },
}
WRONG = merged(WRONG, "ch10")  # the pieces of your engine


def test_a_correct_hypot_passes():
    assert both(HYPOT, "ch10.hypot") == ["PASSED", "PASSED"]


def test_a_backward_without_the_chain_rule_is_rejected():
    no_chain = WRONG["ch10.hypot"]["a backward without the chain rule"]
    result = run(no_chain, 'check("ch10.hypot")')
    assert "a.grad is" in result
    assert "multiply by `grad` (the chain rule)" in result


def test_gradients_left_in_the_outputs_shape_pass_with_broadcasting_inputs():
    # The engine sums a gradient back to its input's shape, as PyTorch's validate_outputs
    # does: the solution's backward never unbroadcasts, and the broadcast cases pass.
    labels = [
        case["label"] for hidden in (False, True) for case in make_cases(HYPOT_CHECK, 0, hidden)
    ]
    assert sum("broadcast" in label for label in labels) == 5  # three visible, two hidden
    assert both(HYPOT, "ch10.hypot") == ["PASSED", "PASSED"]


def test_a_gradient_summed_to_the_wrong_shape_is_told_what_fits():
    result = run(
        WRONG["ch10.hypot"]["size-1 dimensions summed away without keepdim"], 'check("ch10.hypot")'
    )
    assert "a of shape (3, 1) and b of shape (1, 2), broadcast" in result
    assert (
        "returned an invalid gradient at index 0 - got [3] but expected shape compatible with [3, 1]"
        in result
    )
    assert "A gradient in the output's shape is fine: the engine sums it back" in result


def test_swapped_gradients_are_rejected():
    swapped = WRONG["ch10.hypot"]["the gradients swapped"]
    assert "the gradients for a and b are swapped" in run(swapped, 'check("ch10.hypot")')


def test_one_gradient_for_two_inputs_is_refused_by_the_engine():
    one = WRONG["ch10.hypot"]["one gradient for two inputs"]
    result = run(one, 'check("ch10.hypot")')
    assert (
        "your code raised RuntimeError: function HypotBackward returned an incorrect number of gradients"
        in result
    )


def test_gradients_returned_as_a_list_are_told_a_list_counts_as_one_gradient():
    result = run(WRONG["ch10.hypot"]["the gradients as a list"], 'check("ch10.hypot")')
    assert "returned an incorrect number of gradients (expected 2, got 1)" in result
    assert "as a tuple (a list counts as one gradient" in result


def test_a_forward_without_return_is_named():
    result = run(WRONG["ch10.hypot"]["forward without return"], 'check("ch10.hypot")')
    assert "Hypot.apply(a, b) returned None: forward must return its result" in result


def test_inputs_kept_as_ctx_attributes_are_caught_in_the_notebook():
    attributes = WRONG["ch10.hypot"]["inputs kept as ctx attributes"]
    visible, hidden = both(attributes, "ch10.hypot")
    assert "a changed in place before backward" in visible and "(a hidden case)" not in visible
    assert "backward ran anyway" in visible and "ctx.save_for_backward" in visible
    assert "a changed in place before backward" in hidden


def test_a_plain_formula_instead_of_a_function_is_rejected():
    plain = WRONG["ch10.hypot"]["a plain formula instead of a Function"]
    result = run(plain, 'check("ch10.hypot")')
    assert "the output's grad_fn is 'SqrtBackward0', expected 'HypotBackward'" in result
    assert "subclass mg.autograd.Function" in result


def test_the_stub_says_not_implemented_yet():
    stub = """
    class Hypot(mg.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            raise NotImplementedError()
    """
    assert "not implemented yet" in run(stub, 'check("ch10.hypot")')


# -- 2. predict ----------------------------------------------------------------------------

RIGHT = {
    "answer_gx": "-6.0",
    "answer_gx_requires_grad": "True",
    "answer_gxy": "3",
    "answer_gxx": "-4.0",
    "answer_plain_requires_grad": "False",
}


def answers(**changes) -> str:
    return "\n".join(f"{k} = {v}" for k, v in {**RIGHT, **changes}.items())


def test_a_tensor_or_a_quoted_number_as_a_number_answer_is_told_how_to_write_it():
    tensor = run(answers(answer_gx="mg.tensor(-6.0)"), 'check("ch10.second_derivatives")')
    assert "`answer_gx` should be a number" in tensor and ".item() gives its number" in tensor
    quoted = run(answers(answer_gxy="'3.0'"), 'check("ch10.second_derivatives")')
    assert "you wrote the string '3.0': write the value 3.0 itself, without quotes" in quoted


def test_the_right_derivatives_pass_and_wrong_ones_are_refused_without_the_answer():
    assert run(answers(), 'check("ch10.second_derivatives")') == "PASSED"
    result = run(answers(answer_gxx="3.0"), 'check("ch10.second_derivatives")')
    assert "`answer_gxx`, 3, is not what the program gives" in result
    assert "-4" not in result
    forgot_graph = run(answers(answer_gx_requires_grad="False"), 'check("ch10.second_derivatives")')
    assert "create_graph=True the backward pass is recorded" in forgot_graph
    tensor_answer = run(answers(answer_gx='"-6"'), 'check("ch10.second_derivatives")')
    assert "`answer_gx` should be a number" in tensor_answer


# -- 3. find the bug: Gaussian -------------------------------------------------------------


def test_the_fixed_gaussian_passes():
    assert both(GAUSSIAN, "ch10.gaussian") == ["PASSED", "PASSED"]


def test_the_unfixed_gaussian_is_recognised():
    buggy = WRONG["ch10.gaussian"]["the buggy backward unchanged"]
    result = run(buggy, 'check("ch10.gaussian")')
    assert "x.grad is" in result and "this is the buggy backward, with the opposite sign" in result


def test_a_gaussian_backward_without_the_incoming_gradient_is_told_so():
    alone = GAUSSIAN.replace("return grad * (-2 * x * result)", "return -2 * x * result")
    assert alone != GAUSSIAN
    visible, hidden = both(alone, "ch10.gaussian")
    for result in (visible, hidden):
        assert "this gradient ignores the incoming gradient: multiply by `grad`" in result


def test_a_backward_that_unpacks_nothing_saved_is_told_what_saved_tensors_holds():
    kept = HYPOT.replace("ctx.save_for_backward(a, b, h)", "ctx.a, ctx.b, ctx.h = a, b, h")
    assert kept != HYPOT
    result = run(kept, 'check("ch10.hypot")')
    assert "not enough values to unpack (expected 3, got 0)" in result
    assert "values kept as attributes of ctx are not saved tensors" in result


def test_a_half_fixed_gaussian_is_rejected():
    half = WRONG["ch10.gaussian"]["half fixed"]
    result = run(half, 'check("ch10.gaussian")')
    assert "x.grad is" in result and "Rule: nothing checks that a custom backward matches" in result


# -- 4. implement hvp ----------------------------------------------------------------------


def test_a_correct_hvp_passes():
    assert both(HVP, "ch10.hvp") == ["PASSED", "PASSED"]


def test_a_first_gradient_without_create_graph_cannot_be_differentiated():
    no_graph = WRONG["ch10.hvp"]["a first gradient without create_graph"]
    result = run(no_graph, 'check("ch10.hvp")')
    assert "your code raised RuntimeError: element 0 of tensors does not require grad" in result
    assert "create_graph=True" in result


def test_an_hvp_through_backward_accumulates_across_calls():
    through_backward = WRONG["ch10.hvp"]["through backward, accumulating in x.grad"]
    result = run(through_backward, 'check("ch10.hvp")')
    assert "hvp(f, x, v2)" in result
    assert "that is H v1 + H v2: the first call's result stayed in x.grad" in result


def test_returning_the_gradient_is_rejected():
    gradient = WRONG["ch10.hvp"]["returning the gradient"]
    assert "that is the gradient g itself" in run(gradient, 'check("ch10.hvp")')


def test_a_vector_product_not_summed_is_told_that_grad_starts_from_one_number():
    result = run(WRONG["ch10.hvp"]["g * v not summed"], 'check("ch10.hvp")')
    assert "grad can be implicitly created only for scalar outputs" in result
    assert "start from a single number: sum the tensor first" in result


def test_an_hvp_on_the_callers_x_is_told_to_work_when_x_does_not_require_grad():
    result = run(WRONG["ch10.hvp"]["the caller's x differentiated as given"], 'check("ch10.hvp")')
    assert "x not requiring grad" in result
    assert "raised RuntimeError: element 0 of tensors does not require grad" in result
    assert "for an x that does not require grad" in result
    assert "x.detach().requires_grad_()" in result


def test_an_hvp_that_switches_the_callers_x_to_requiring_grad_is_rejected():
    result = run(WRONG["ch10.hvp"]["requires_grad_() on the caller's x"], 'check("ch10.hvp")')
    assert "x not requiring grad" in result
    assert "x.requires_grad is True after hvp(f, x, v), it was False" in result
    assert "hvp changed the caller's x" in result


def test_an_hvp_that_switches_the_callers_x_off_is_rejected():
    result = run(WRONG["ch10.hvp"]["the caller's x switched off at the end"], 'check("ch10.hvp")')
    assert "x.requires_grad is False after hvp(f, x, v), it was True" in result


def test_an_hvp_that_makes_v_require_grad_is_rejected():
    through_v = WRONG["ch10.hvp"]["v made to require grad, H v read from .grad"]
    result = run(through_v, 'check("ch10.hvp")')
    assert "hvp(f, x, v) made v require grad and filled v.grad" in result
    assert "the caller's v stays as it was" in result
