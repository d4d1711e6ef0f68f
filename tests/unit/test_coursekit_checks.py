"""The check framework as a learner meets it: messages, hints, and what cannot fool it.

Each test writes learner code into a fresh namespace (as a notebook would)
and calls ``check`` from there, because ``check`` reads the learner's names
from its caller's globals.  The expected values in messages are worked out
by hand from the demo chapter's cases (coursekit/checks/ch99.py).
"""

from __future__ import annotations

import contextlib
import io
import sys
import textwrap

import numpy as np
import pytest

from coursekit import check, progress
from coursekit.checks import Check, CheckDefinitionError, registry
from coursekit.checks.core import judge_all, make_cases, notebook_seed
from coursekit.checks.judges import arrays_close, prediction, same_answer
from coursekit.checks.probes import NotPlainData, to_json
from coursekit.grade.runner import grading_seed
from coursekit.progress import reset

UNBROADCAST = """
def unbroadcast(grad, shape):
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad
"""


@pytest.fixture(autouse=True)
def fresh_progress():
    reset()
    yield
    reset()


def run(learner_code: str, call: str) -> str:
    """Run learner code and a check call as notebook cells; return PASSED or the failure.

    A check prints ✓ on stdout or ✗ and its message on stderr; it never raises.
    """
    namespace = {"check": check, "np": np}
    exec(textwrap.dedent(learner_code), namespace)  # noqa: S102 - the test's own learner code
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        exec(call, namespace)  # noqa: S102
    if err.getvalue().startswith("✗"):
        return "FAILED " + err.getvalue().rstrip("\n")
    sys.stdout.write(out.getvalue())  # for the tests that read it with capsys
    return "PASSED"


def test_a_correct_function_passes_with_a_one_line_confirmation(capsys):
    assert run(UNBROADCAST, 'check("ch99.unbroadcast")') == "PASSED"
    assert capsys.readouterr().out == "✓ unbroadcast(grad, shape): all 7 cases pass.\n"


def test_hidden_cases_run_too_and_say_so(capsys):
    run(UNBROADCAST, 'check("ch99.unbroadcast", hidden=True)')
    assert "all 7 hidden cases pass" in capsys.readouterr().out


def test_an_unfinished_stub_says_not_implemented_yet_in_one_line():
    stub = "def unbroadcast(grad, shape):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    result = run(stub, 'check("ch99.unbroadcast")')
    assert result.startswith("FAILED ✗ unbroadcast(grad, shape): not implemented yet")
    assert "\n" not in result


def test_an_answer_never_written_says_not_implemented_yet_and_names_it():
    result = run("answer_shape = (2, 4, 3)", 'check("ch99.broadcast_shapes")')
    assert "not implemented yet: `answer_grad_shape` is not defined" in result


def test_an_exception_in_learner_code_names_its_type_the_input_and_the_line():
    code = """
    def unbroadcast(grad, shape):
        total = len(grad)
        return total + shape
    """
    result = run(code, 'check("ch99.unbroadcast")')
    assert "your code raised TypeError" in result
    assert "on a grad of shape (2, 3) for a tensor of shape (3,)" in result
    assert "(line 4 of `unbroadcast`)" in result
    assert "Traceback" not in result


def test_a_failed_check_prints_its_message_and_raises_nothing_so_run_all_goes_on(capsys):
    exec('check("ch99.unbroadcast")', {"check": check})  # noqa: S102 - raises nothing
    printed = capsys.readouterr()
    assert printed.out == ""
    assert printed.err.startswith("✗ unbroadcast(grad, shape): not implemented yet")
    assert "Traceback" not in printed.err


def test_an_error_inside_minigrad_points_at_the_learners_line_and_names_the_call():
    code = """
    import minigrad as mg

    def unbroadcast(grad, shape):
        flat = mg.tensor(grad)
        return mg.mm(flat, flat)
    """
    result = run(code, 'check("ch99.unbroadcast")')
    assert "your code raised RuntimeError" in result
    import minigrad as mg

    called = mg.mm.__qualname__  # the function `mg.mm` names, wherever minigrad defines it
    assert f"(line 6 of `unbroadcast`, in its call to minigrad's `{called}`)" in result


def test_a_wrong_shape_names_the_input_expected_and_got_the_rule_and_a_hint():
    code = "def unbroadcast(grad, shape):\n    return grad\n"
    result = run(code, 'check("ch99.unbroadcast")')
    first, second = result.splitlines()
    assert "a grad of shape (2, 3) for a tensor of shape (3,)" in first
    assert "the gradient has shape (2, 3), expected shape (3,)" in first
    assert "Hint: you returned the incoming shape" in first
    assert second.strip().startswith("Rule: a tensor's gradient has the tensor's shape")


def test_a_typical_mistake_gets_a_hint_of_its_own():
    code = (
        UNBROADCAST
        + """
def mul_backward(a, b, grad_out):
    return unbroadcast(grad_out * a, a.shape), unbroadcast(grad_out * b, b.shape)
"""
    )
    assert "multiply grad_out by the other input" in run(code, 'check("ch99.mul_backward")')
    buggy = """
    def train(xs, ys, steps, lr):
        w = grad = 0.0
        for _ in range(steps):
            for x, y in zip(xs, ys):
                grad += 2 * (w * x - y) * x / len(xs)
            w -= lr * grad
        return w
    """
    assert "like forgetting optimizer.zero_grad()" in run(buggy, 'check("ch99.train")')


def test_an_object_that_equals_everything_is_not_accepted_as_an_answer():
    code = """
    class AlwaysEqual:
        def __eq__(self, other):
            return True

    def unbroadcast(grad, shape):
        return AlwaysEqual()
    """
    result = run(code, 'check("ch99.unbroadcast")')
    assert "your code returned an object of type AlwaysEqual" in result


def test_a_float_that_equals_everything_is_not_accepted_either():
    code = """
    class Sneaky(float):
        def __eq__(self, other):
            return True
        __hash__ = float.__hash__

    def train(xs, ys, steps, lr):
        return Sneaky(1.0)
    """
    assert "an object of type Sneaky" in run(code, 'check("ch99.train")')


def test_a_wrong_prediction_is_refused_without_revealing_the_answer():
    result = run(
        "answer_shape = (2, 3)\nanswer_grad_shape = (4, 1)", 'check("ch99.broadcast_shapes")'
    )
    assert (
        "`answer_shape`, [2, 3], is not what np.broadcast_shapes((2, 1, 3), (4, 1)) gives" in result
    )
    assert "[2, 4, 3]" not in result and "(2, 4, 3)" not in result


def test_a_right_prediction_is_confirmed(capsys):
    run("answer_shape = (2, 4, 3)\nanswer_grad_shape = (4, 1)", 'check("ch99.broadcast_shapes")')
    assert capsys.readouterr().out == "✓ predict: broadcast shapes: right.\n"


def test_an_unknown_check_id_fails_with_the_chapters_checks():
    result = run("", 'check("ch99.unbroadcastt")')
    assert "no check called 'ch99.unbroadcastt'" in result and "ch99.unbroadcast," in result
    assert "there are no checks for chapter ch42" in run("", 'check("ch42.anything")')


def test_hidden_cases_are_the_visible_shapes_with_other_numbers():
    # A ✓ in the notebook means full marks: the notebook already tries every kind of input,
    # edge cases included; grading only changes the numbers.
    definition = registry.get("ch99.unbroadcast")
    visible = make_cases(definition, notebook_seed(definition.id, False), False)
    hidden = make_cases(definition, notebook_seed(definition.id, True), True)
    assert [c["shape"] for c in hidden] == [c["shape"] for c in visible]
    assert [] in [c["shape"] for c in visible]  # a scalar, an edge case, in the notebook
    assert [c["grad"] for c in hidden] != [c["grad"] for c in visible]


def test_notebook_cases_repeat_but_each_learner_is_graded_on_other_numbers():
    definition = registry.get("ch99.train")
    first = make_cases(definition, notebook_seed(definition.id, False), False)
    assert first == make_cases(definition, notebook_seed(definition.id, False), False)
    ada = make_cases(definition, grading_seed("secret", "ada", definition.id, False), False)
    bob = make_cases(definition, grading_seed("secret", "bob", definition.id, False), False)
    assert ada != bob and ada != first


def test_the_judge_only_ever_sees_plain_data():
    definition = registry.get("ch99.unbroadcast")
    cases = make_cases(definition, 1, False)
    forged = {
        "results": [
            {"status": "ok", "value": {"__ndarray__": [1.0, 2.0, 3.0], "shape": [3], "dtype": "x"}}
        ]
    }
    outcome = judge_all(definition, forged, cases)
    assert outcome.status == "failed"
    assert judge_all(definition, {"results": "everything passed"}, cases).status == "failed"
    assert judge_all(definition, "✓ all cases pass.", cases).status == "failed"


def _probe_using_a_global(learner, case):
    return UNBROADCAST  # a module global: not available in the learner's kernel


def _probe(learner, case):
    return 1


def test_a_probe_that_could_not_run_alone_in_the_kernel_is_refused_at_definition():
    fields = {
        "id": "ch98.x",
        "kind": "implement",
        "points": 1,
        "reads": ("f",),
        "title": "f",
        "cases": lambda rng, hidden: [],
        "reference": lambda case: 1,
        "judge": lambda g, e, c: (True, ""),
    }
    with pytest.raises(CheckDefinitionError, match="uses UNBROADCAST"):
        Check(probe=_probe_using_a_global, **fields)

    def nested(learner, case):
        return 1

    with pytest.raises(CheckDefinitionError, match="top level"):
        Check(probe=nested, **fields)
    with pytest.raises(CheckDefinitionError, match="points must be a positive int"):
        Check(probe=_probe, **{**fields, "points": 0})
    with pytest.raises(CheckDefinitionError, match="kind must be one of"):
        Check(probe=_probe, **{**fields, "kind": "guess"})
    assert Check(probe=_probe, **fields).reads == ("f",)


def test_progress_shows_passed_exercises_and_points_as_text_and_html():
    run(UNBROADCAST, 'check("ch99.unbroadcast")')
    run("def train(xs, ys, steps, lr):\n    raise NotImplementedError()", 'check("ch99.train")')
    table = progress()
    text = repr(table)
    assert text.splitlines()[0] == "Chapter 99: 1 of 4 exercises passed, 3 of 10 points"
    assert "✓ passed" in text and "✗ not implemented yet" in text and "· not checked yet" in text
    assert "<table>" in table._repr_html_() and "3/3" in table._repr_html_()


def test_progress_before_any_check_says_what_to_do():
    assert "No check has run yet" in repr(progress())


def test_to_json_keeps_plain_data_and_numpy_and_refuses_everything_else():
    assert to_json((1, 2.5, True, None, "a")) == [1, 2.5, True, None, "a"]
    assert to_json(np.zeros((0, 3))) == {"__ndarray__": [], "shape": [0, 3], "dtype": "float64"}
    assert to_json(np.float32(1.5)) == 1.5
    loop = []
    loop.append(loop)
    for bad in ({1: 2}, object(), np.array(["a"]), loop, np.zeros(2_000_000)):
        with pytest.raises(NotPlainData):
            to_json(bad)


def test_minigrad_tensors_and_parameters_travel_as_their_numbers():
    mg = pytest.importorskip("minigrad")
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert to_json({"x": x}) == {"x": {"__ndarray__": [1.0, 2.0], "shape": [2], "dtype": "float32"}}
    assert to_json(mg.nn.Parameter(mg.zeros(1)))["__ndarray__"] == [0.0]


def test_judges_compare_strictly_and_say_where_arrays_differ():
    assert not same_answer(1, True) and same_answer(2, 2.0) and same_answer([1, [2]], [1, [2.0]])
    passed, message = arrays_close(list(range(20)), [*range(19), 99])
    assert not passed and message == "your result is wrong at index (19,): got 19, expected 99"
    assert prediction([1], [2], what="`x`")[1] == "`x`, [1], is not what the program gives"
