"""Chapter 07's checks reject plausible wrong work with a message that helps.

Each test runs learner code in a fresh namespace, as a notebook cell would,
then the check cell, and reads the one-line verdict. The wrong solutions are
the mistakes a learner plausibly makes with grad modes: an exit that switches
instead of restoring, one saved state shared by nested calls, a generator
wrapped like a plain function, a plain call left switched off.
"""

from __future__ import annotations

import functools
import inspect
import json
import textwrap
from pathlib import Path

import numpy as np
from exercise_cells import run_cells

import minigrad as mg
from coursekit import check
from minigrad import grad_mode


def run(learner_code: str, call: str) -> str:
    """Run learner code and a check call as notebook cells; return PASSED or the failure."""
    namespace = {
        "check": check,
        "np": np,
        "mg": mg,
        "grad_mode": grad_mode,
        "functools": functools,
        "inspect": inspect,
    }
    return run_cells(learner_code, call, namespace)


def both(learner_code: str, check_id: str) -> list:
    """The verdicts on the visible and on the hidden cases."""
    return [
        run(learner_code, f'check("{check_id}")'),
        run(learner_code, f'check("{check_id}", hidden=True)'),
    ]


# -- 1. implement GradMode ------------------------------------------------------------

ENTER = """
    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.previous = (grad_mode.is_grad_enabled(), grad_mode.is_inference_mode_enabled())
        grad_mode._set_state(self.mode, self.previous[1])
"""
EXIT = """
    def __exit__(self, *exc):
        grad_mode._set_state(*self.previous)
        return False
"""
CALL_FUNCTION = """
    def __call__(self, func):
        mode = self.mode
        if inspect.isgeneratorfunction(func):
            return self._generator(func)

        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with GradMode(mode):
                return func(*args, **kwargs)
        return decorated
"""
GENERATOR = """
    def _generator(self, func):
        mode = self.mode

        def generator(*args, **kwargs):
            gen = func(*args, **kwargs)
            while True:
                with GradMode(mode):
                    try:
                        value = next(gen)
                    except StopIteration as stop:
                        return stop.value
                yield value
        return generator
"""


def grad_mode_class(enter=ENTER, exit_=EXIT, call=CALL_FUNCTION, generator=GENERATOR):
    return "class GradMode:\n" + "".join(
        textwrap.indent(textwrap.dedent(part), "    ") for part in (enter, exit_, call, generator)
    )


def test_a_correct_grad_mode_passes_and_leaves_recording_on():
    assert both(grad_mode_class(), "ch07.grad_mode") == ["PASSED", "PASSED"]
    assert mg.is_grad_enabled()


def test_an_exit_that_switches_instead_of_restoring_is_rejected():
    switching = """
    def __exit__(self, *exc):
        grad_mode._set_state(not self.mode, False)
    """
    visible = run(grad_mode_class(exit_=switching), 'check("ch07.grad_mode")')
    assert visible.startswith("FAILED")
    assert "three nested blocks" in visible
    assert "after block 3 ended: is_grad_enabled() is False, expected True" in visible
    assert "put back the state __enter__ found" in visible


def test_an_exit_that_always_switches_recording_on_fails_only_where_it_was_off():
    always_on = """
    def __exit__(self, *exc):
        grad_mode._set_state(True, False)
    """
    visible, hidden = both(grad_mode_class(exit_=always_on), "ch07.grad_mode")
    assert "three nested blocks" in visible
    assert "after block 2 ended: is_grad_enabled() is True, expected False" in visible
    assert "Rule: a mode saves the state it finds on entry" in visible
    assert "is_grad_enabled() is True, expected False" in hidden


def test_an_exit_that_swallows_the_exception_is_rejected():
    swallowing = """
    def __exit__(self, *exc):
        grad_mode._set_state(*self.previous)
        return True
    """
    visible, hidden = both(grad_mode_class(exit_=swallowing), "ch07.grad_mode")
    assert visible == "PASSED"
    assert "the KeyError reached the code around the block is False, expected True" in hidden
    assert "__exit__ must return False" in hidden


def test_entering_self_in_the_decorator_breaks_recursion():
    shared_state = """
    def __call__(self, func):
        if inspect.isgeneratorfunction(func):
            return self._generator(func)

        def decorated(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return decorated
    """
    visible, hidden = both(grad_mode_class(call=shared_state), "ch07.grad_mode")
    assert visible == "PASSED"
    assert "a recursive function decorated with `@GradMode(False)`" in hidden
    assert "after the outermost call countdown(2) returned" in hidden
    assert "enter a fresh GradMode(self.mode) per call" in hidden


def test_a_generator_wrapped_like_a_plain_function_is_rejected():
    like_a_function = """
    def __call__(self, func):
        def decorated(*args, **kwargs):
            with GradMode(self.mode):
                return func(*args, **kwargs)
        return decorated
    """
    visible = run(grad_mode_class(call=like_a_function), 'check("ch07.grad_mode")')
    assert "inside the generator at step 0: is_grad_enabled() is True, expected False" in visible
    assert "enter the mode around every resume" in visible


def test_a_generator_that_keeps_the_mode_while_paused_leaks_into_the_caller():
    leaking = """
    def _generator(self, func):
        def generator(*args, **kwargs):
            with GradMode(self.mode):
                yield from func(*args, **kwargs)
        return generator
    """
    visible = run(grad_mode_class(generator=leaking), 'check("ch07.grad_mode")')
    assert "in the caller after step 0: is_grad_enabled() is False, expected True" in visible
    assert "leaked into the caller" in visible


def test_switching_inference_mode_off_is_caught_by_a_hidden_case():
    resets_inference = """
    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.previous = grad_mode.is_grad_enabled()
        grad_mode._set_state(self.mode, False)
    """
    exit_ = """
    def __exit__(self, *exc):
        grad_mode._set_state(self.previous, False)
    """
    visible, hidden = both(grad_mode_class(enter=resets_inference, exit_=exit_), "ch07.grad_mode")
    assert visible == "PASSED"
    assert "is_inference_mode_enabled() is False, expected True" in hidden
    assert "save and restore both switches" in hidden


def test_the_stub_says_not_implemented_yet():
    stub = """
    class GradMode:
        def __init__(self, mode):
            self.mode = mode

        def __enter__(self):
            # YOUR CODE HERE
            raise NotImplementedError()

        def __exit__(self, exc_type, exc_value, traceback):
            # YOUR CODE HERE
            raise NotImplementedError()

        def __call__(self, func):
            # YOUR CODE HERE
            raise NotImplementedError()
    """
    assert "not implemented yet" in run(stub, 'check("ch07.grad_mode")')
    assert mg.is_grad_enabled()


# -- 2. and 3. predict ----------------------------------------------------------------


def test_wrong_nesting_predictions_are_refused_without_the_answer():
    everything_innermost = "answer_a = [False, False, True, True, True]\nanswer_b = [False] * 6"
    result = run(everything_innermost, 'check("ch07.nesting")')
    assert "`answer_a`, [False, False, True, True, True], is not what program A gives" in result
    assert "(1 of the 5 values differ)" in result
    right_a = "answer_a = [False, False, False, True, True]\n"
    result = run(
        right_a + "answer_b = [False, False, True, False, False, True]", 'check("ch07.nesting")'
    )
    assert "is not what program B gives (2 of the 6 values differ)" in result
    assert "[False, False, True, False, True, False]" not in result
    assert "should be a list of 6 values" in run(
        right_a + "answer_b = True", 'check("ch07.nesting")'
    )


def test_believing_threads_inherit_the_mode_is_refused():
    inherited = "answer_t1 = False\nanswer_t2 = False\nanswer_t3 = False\nanswer_main = False"
    result = run(inherited, 'check("ch07.threads")')
    assert "`answer_t1`, False, is not what the program gives" in result
    assert "a new thread starts with recording on" in result
    assert "should be True or False" in run(
        "answer_t1 = 1\nanswer_t2 = True\nanswer_t3 = False\nanswer_main = True",
        'check("ch07.threads")',
    )


# -- 4. find the bug: accuracy ----------------------------------------------------------

ACCURACY_BUGGY = """
def accuracy(model, X, y):
    mg.set_grad_enabled(False)
    model.eval()
    correct = (model(X).argmax(dim=1) == y).float().mean().item()
    model.train()
    return correct
"""


def test_the_unfixed_accuracy_is_rejected_and_recording_is_on_again_afterwards():
    result = run(ACCURACY_BUGGY, 'check("ch07.accuracy")')
    assert "recording is still off after accuracy() returns" in result
    assert "use `with mg.no_grad():` instead" in result
    assert mg.is_grad_enabled()


def test_switching_recording_back_on_at_the_end_fails_when_called_under_no_grad():
    switch_on = ACCURACY_BUGGY.replace(
        "    return correct", "    mg.set_grad_enabled(True)\n    return correct"
    )
    visible, hidden = both(switch_on, "ch07.accuracy")
    assert visible == "PASSED"
    assert "recording is on after accuracy() returns, but it was off when it was called" in hidden
    assert "(a hidden case)" in hidden


def test_an_accuracy_that_records_or_forgets_eval_is_rejected():
    recording = """
    def accuracy(model, X, y):
        model.eval()
        correct = (model(X).argmax(dim=1) == y).float().mean().item()
        model.train()
        return correct
    """
    assert "the forward pass ran with recording on" in run(recording, 'check("ch07.accuracy")')
    no_eval = """
    def accuracy(model, X, y):
        with mg.no_grad():
            return (model(X).argmax(dim=1) == y).float().mean().item()
    """
    result = run(no_eval, 'check("ch07.accuracy")')
    assert "training mode" in result and "model.eval()" in result


# -- 5. find the bug: input_gradient ---------------------------------------------------


def test_the_unfixed_input_gradient_is_rejected_with_the_nesting_rule():
    buggy = """
    def input_gradient(model, x):
        x = x.detach().requires_grad_()
        with mg.enable_grad():
            with mg.no_grad():
                out = model(x).sum()
        out.backward()
        return x.grad
    """
    result = run(buggy, 'check("ch07.input_gradient")')
    assert "your code raised RuntimeError: element 0 of tensors does not require grad" in result
    assert "Rule: the innermost block wins" in result


def test_an_input_gradient_without_enable_grad_fails_when_called_under_no_grad():
    no_enable = """
    def input_gradient(model, x):
        x = x.detach().requires_grad_()
        out = model(x).sum()
        if out.grad_fn is None:
            return None
        out.backward()
        return x.grad
    """
    result = run(no_enable, 'check("ch07.input_gradient")')
    assert "called with recording off (inside no_grad())" in result
    assert "the gradient is None" in result


def test_a_plain_call_to_switch_recording_on_leaks_out_of_input_gradient():
    plain_call = """
    def input_gradient(model, x):
        x = x.detach().requires_grad_()
        mg.set_grad_enabled(True)
        model(x).sum().backward()
        return x.grad
    """
    result = run(plain_call, 'check("ch07.input_gradient")')
    assert "is_grad_enabled() is True after the call, expected False" in result


# -- seed items ------------------------------------------------------------------------------

SOLUTIONS = Path(__file__).parents[2] / "solutions" / "ch07_grad_modes.ipynb"


def test_every_seed_item_of_the_chapter_is_exercised_and_tagged():
    from coursekit.seed_items import SEED_ITEMS

    nb = json.loads(SOLUTIONS.read_text(encoding="utf-8"))
    # Tagged in the cell's metadata (seed:<item>), never written in the learner's text.
    tags = {tag for c in nb["cells"] for tag in c.get("metadata", {}).get("tags", [])}
    homed = [item for item, (chapter, _) in SEED_ITEMS.items() if chapter == "ch07"]
    assert homed
    assert [item for item in homed if f"seed:{item}" not in tags] == []
