"""Chapter 07's checks reject plausible wrong work with a message that helps.

Each test runs learner code in a fresh namespace, as a notebook cell would,
then the check cell, and reads the one-line verdict. The wrong solutions are
the mistakes a learner plausibly makes with grad modes: an exit that switches
instead of restoring, one saved state shared by nested calls, a generator
wrapped like a plain function, a plain call left switched off.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from exercise_cells import run_after_setup, visible_and_hidden
from piece_cells import merged, setup_imports

import minigrad as mg

RENAMED = {"ch07.GradMode": "ch07.grad_mode"}  # the exercise keeps its id

# What the notebook imports (its setup cell), and numpy, which the learner code below uses.
PRELUDE = setup_imports("ch07", "import numpy as np")


def run(learner_code: str, call: str) -> str:
    """Run learner code and a check call as notebook cells; return PASSED or the failure."""
    return run_after_setup(PRELUDE, learner_code, call)


def both(learner_code: str, check_id: str) -> list:
    return visible_and_hidden(run, learner_code, check_id)


# -- 1. implement GradMode ------------------------------------------------------------

ENTER = """
    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.previous = (grad_mode.is_grad_enabled(), grad_mode.is_inference_mode_enabled())
        grad_mode.set_modes(self.mode, self.previous[1])
"""
EXIT = """
    def __exit__(self, *exc):
        grad_mode.set_modes(*self.previous)
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


SWALLOWING_EXIT = """
def __exit__(self, *exc):
    grad_mode.set_modes(*self.previous)
    return True
"""
SELF_REUSING_CALL = """
def __call__(self, func):
    if inspect.isgeneratorfunction(func):
        return self._generator(func)

    def decorated(*args, **kwargs):
        with self:
            return func(*args, **kwargs)
    return decorated
"""

# Plausible wrong solutions of every exercise where the learner writes code, by check id.
# Each must fail in the notebook (the visible check) exactly as it fails in grading:
# test_checks_agree_with_the_grader.py grades them all and compares.
WRONG = {
    "ch07.grad_mode": {
        "an exit that switches instead of restoring": grad_mode_class(
            exit_="""
            def __exit__(self, *exc):
                grad_mode.set_modes(not self.mode, False)
            """
        ),
        "an exit that always switches recording on": grad_mode_class(
            exit_="""
            def __exit__(self, *exc):
                grad_mode.set_modes(True, False)
            """
        ),
        "an exit that swallows the exception": grad_mode_class(exit_=SWALLOWING_EXIT),
        "a decorator that enters self": grad_mode_class(call=SELF_REUSING_CALL),
        "a GradMode that reuses itself and swallows exceptions (issue 12)": grad_mode_class(
            exit_=SWALLOWING_EXIT, call=SELF_REUSING_CALL
        ),
        "a generator wrapped like a plain function": grad_mode_class(
            call="""
            def __call__(self, func):
                def decorated(*args, **kwargs):
                    with GradMode(self.mode):
                        return func(*args, **kwargs)
                return decorated
            """
        ),
        "a generator that keeps the mode while paused": grad_mode_class(
            generator="""
            def _generator(self, func):
                def generator(*args, **kwargs):
                    with GradMode(self.mode):
                        yield from func(*args, **kwargs)
                return generator
            """
        ),
        "an enter and exit that switch inference mode off": grad_mode_class(
            enter="""
            def __init__(self, mode):
                self.mode = mode

            def __enter__(self):
                self.previous = grad_mode.is_grad_enabled()
                grad_mode.set_modes(self.mode, False)
            """,
            exit_="""
            def __exit__(self, *exc):
                grad_mode.set_modes(self.previous, False)
            """,
        ),
    },
    "ch07.accuracy": {},  # filled in below, beside their tests
    "ch07.input_gradient": {},
}
WRONG = merged(WRONG, "ch07", RENAMED)  # the pieces of your engine


def test_a_correct_grad_mode_passes_and_leaves_recording_on():
    assert both(grad_mode_class(), "ch07.grad_mode") == ["PASSED", "PASSED"]
    assert mg.is_grad_enabled()


def test_an_exit_that_switches_instead_of_restoring_is_rejected():
    visible = run(
        WRONG["ch07.grad_mode"]["an exit that switches instead of restoring"],
        'check("ch07.grad_mode")',
    )
    assert visible.startswith("FAILED")
    assert "three nested blocks" in visible
    assert "after block 3 ended: is_grad_enabled() is False, expected True" in visible
    assert "put back the state __enter__ found" in visible


def test_an_exit_that_always_switches_recording_on_fails_where_it_was_off():
    visible = run(
        WRONG["ch07.grad_mode"]["an exit that always switches recording on"],
        'check("ch07.grad_mode")',
    )
    assert "`with GradMode(True):` entered inside no_grad()" in visible
    assert "after the block: is_grad_enabled() is True, expected False" in visible
    assert "Rule: a mode saves the state it finds on entry" in visible


def test_an_exit_that_swallows_the_exception_is_rejected_in_the_notebook_in_plain_words():
    visible = run(
        WRONG["ch07.grad_mode"]["an exit that swallows the exception"], 'check("ch07.grad_mode")'
    )
    assert "a KeyError raised inside `with GradMode(False):`" in visible
    assert "the exception the code around the block caught is None, expected 'KeyError'" in visible
    assert "__exit__ must return False" in visible


def test_entering_self_in_the_decorator_breaks_recursion_in_the_notebook():
    visible = run(
        WRONG["ch07.grad_mode"]["a decorator that enters self"], 'check("ch07.grad_mode")'
    )
    assert "a recursive function decorated with `@GradMode(False)`" in visible
    assert "after the outermost call countdown(2) returned" in visible
    assert "enter a fresh GradMode(self.mode) per call" in visible


def test_the_grad_mode_of_issue_12_fails_in_the_notebook_as_in_grading():
    both_mistakes = WRONG["ch07.grad_mode"][
        "a GradMode that reuses itself and swallows exceptions (issue 12)"
    ]
    visible, hidden = both(both_mistakes, "ch07.grad_mode")
    assert visible.startswith("FAILED") and hidden.startswith("FAILED")


def test_a_generator_wrapped_like_a_plain_function_is_rejected():
    visible = run(
        WRONG["ch07.grad_mode"]["a generator wrapped like a plain function"],
        'check("ch07.grad_mode")',
    )
    assert "inside the generator at step 0: is_grad_enabled() is True, expected False" in visible
    assert "enter the mode around every resume" in visible


def test_a_generator_that_keeps_the_mode_while_paused_leaks_into_the_caller():
    visible = run(
        WRONG["ch07.grad_mode"]["a generator that keeps the mode while paused"],
        'check("ch07.grad_mode")',
    )
    assert "in the caller after step 0: is_grad_enabled() is False, expected True" in visible
    assert "leaked into the caller" in visible


def test_switching_inference_mode_off_is_caught_in_the_notebook():
    visible = run(
        WRONG["ch07.grad_mode"]["an enter and exit that switch inference mode off"],
        'check("ch07.grad_mode")',
    )
    assert "is_inference_mode_enabled() is False, expected True" in visible
    assert "save and restore both switches" in visible


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


def test_wrong_nesting_predictions_are_refused_and_say_which_point_is_wrong():
    everything_innermost = "answer_a = [False, False, True, True, True]\nanswer_b = [False] * 6"
    result = run(everything_innermost, 'check("ch07.nesting")')
    assert "`answer_a`, [False, False, True, True, True], is not what program A gives" in result
    assert "the value at A3 is wrong" in result
    right_a = "answer_a = [False, False, False, True, True]\n"
    result = run(
        right_a + "answer_b = [False, False, True, False, False, True]", 'check("ch07.nesting")'
    )
    assert "is not what program B gives: the values at y5.requires_grad and" in result
    assert "y6.requires_grad are wrong" in result
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


def test_an_answer_left_as_the_placeholder_is_not_implemented_yet():
    result = run("answer_a = ...\nanswer_b = ...", 'check("ch07.nesting")')
    assert result == (
        "FAILED ✗ predict: two nestings: not implemented yet: `answer_a`, `answer_b` are still "
        "`...` (write them in the cell above and run that cell)."
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
WRONG["ch07.accuracy"] = {
    "the buggy accuracy unchanged": ACCURACY_BUGGY,
    "switching recording back on at the end (issue 12)": ACCURACY_BUGGY.replace(
        "    return correct", "    mg.set_grad_enabled(True)\n    return correct"
    ),
    "no no_grad at all": """
def accuracy(model, X, y):
    model.eval()
    correct = (model(X).argmax(dim=1) == y).float().mean().item()
    model.train()
    return correct
""",
    "no eval()": """
def accuracy(model, X, y):
    with mg.no_grad():
        return (model(X).argmax(dim=1) == y).float().mean().item()
""",
    "no train() at the end": """
def accuracy(model, X, y):
    model.eval()
    with mg.no_grad():
        return (model(X).argmax(dim=1) == y).float().mean().item()
""",
}


def test_the_unfixed_accuracy_is_rejected_and_recording_is_on_again_afterwards():
    result = run(WRONG["ch07.accuracy"]["the buggy accuracy unchanged"], 'check("ch07.accuracy")')
    assert "recording is still off after accuracy() returns" in result
    assert "a `with` block restores the state it found" in result
    assert mg.is_grad_enabled()


def test_switching_recording_back_on_at_the_end_fails_in_the_notebook_under_no_grad():
    switch_on = WRONG["ch07.accuracy"]["switching recording back on at the end (issue 12)"]
    visible, hidden = both(switch_on, "ch07.accuracy")
    message = "recording is on after accuracy() returns, but it was off when it was called"
    assert message in visible and "(a hidden case)" not in visible
    assert "called with recording off (inside no_grad())" in visible
    assert message in hidden


def test_an_accuracy_that_records_forgets_eval_or_train_is_rejected():
    recording = WRONG["ch07.accuracy"]["no no_grad at all"]
    assert "the forward pass ran with recording on" in run(recording, 'check("ch07.accuracy")')
    result = run(WRONG["ch07.accuracy"]["no eval()"], 'check("ch07.accuracy")')
    assert "training mode" in result and "model.eval()" in result
    result = run(WRONG["ch07.accuracy"]["no train() at the end"], 'check("ch07.accuracy")')
    assert "the model is left in evaluation mode" in result


# -- 5. find the bug: input_gradient ---------------------------------------------------

WRONG["ch07.input_gradient"] = {
    "the buggy nesting unchanged": """
def input_gradient(model, x):
    x = x.detach().requires_grad_()
    with mg.enable_grad():
        with mg.no_grad():
            out = model(x).sum()
    out.backward()
    return x.grad
""",
    "no enable_grad": """
def input_gradient(model, x):
    x = x.detach().requires_grad_()
    out = model(x).sum()
    if out.grad_fn is None:
        return None
    out.backward()
    return x.grad
""",
    "a plain call to switch recording on": """
def input_gradient(model, x):
    x = x.detach().requires_grad_()
    mg.set_grad_enabled(True)
    model(x).sum().backward()
    return x.grad
""",
    "the caller's x made to require grad": """
def input_gradient(model, x):
    x.requires_grad_()
    with mg.enable_grad():
        out = model(x).sum()
    out.backward()
    return x.grad
""",
}


def test_the_unfixed_input_gradient_is_rejected_with_the_nesting_rule():
    buggy = WRONG["ch07.input_gradient"]["the buggy nesting unchanged"]
    result = run(buggy, 'check("ch07.input_gradient")')
    assert "your code raised RuntimeError: element 0 of tensors does not require grad" in result
    assert "in its call to minigrad's `" in result  # raised inside minigrad's backward
    assert "Rule: the innermost block wins" in result


def test_an_input_gradient_without_enable_grad_fails_when_called_under_no_grad():
    result = run(WRONG["ch07.input_gradient"]["no enable_grad"], 'check("ch07.input_gradient")')
    assert "called with recording off (inside no_grad())" in result
    assert "the gradient is None" in result


def test_a_plain_call_to_switch_recording_on_leaks_out_of_input_gradient():
    plain_call = WRONG["ch07.input_gradient"]["a plain call to switch recording on"]
    result = run(plain_call, 'check("ch07.input_gradient")')
    assert "is_grad_enabled() is True after the call, expected False" in result


def test_changing_the_callers_x_is_rejected_a_second_call_would_add_into_its_grad():
    code = WRONG["ch07.input_gradient"]["the caller's x made to require grad"]
    result = run(code, 'check("ch07.input_gradient")')
    assert "x.requires_grad is True after input_gradient(model, x)" in result
    assert "x.detach().requires_grad_()" in result


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


# -- 6. implement GradState: an error in the check's second thread ------------------------------


def test_a_grad_state_without_grad_enabled_fails_without_a_threads_traceback(monkeypatch):
    import threading

    from exercise_cells import run_cells

    uncaught = []  # what a thread's uncaught error hands to threading.excepthook
    monkeypatch.setattr(threading, "excepthook", uncaught.append)
    code = (
        "class GradState(threading.local):\n"
        "    def __init__(self):\n"
        "        self.inference_mode = False\n"
    )
    namespace = {}
    exec(PRELUDE + "\nimport threading\nfrom coursekit import check\n", namespace)  # noqa: S102
    result = run_cells(code, 'check("ch07.GradState")', namespace)
    assert "raised AttributeError: 'GradState' object has no attribute 'grad_enabled'" in result
    assert uncaught == []  # (it printed a traceback through the check's own code)
