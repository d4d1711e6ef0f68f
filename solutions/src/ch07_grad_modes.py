# %% [markdown] id="intro"
# # Chapter 7 · Exercises: grad modes and how they nest
#
# These exercises practise what chapter 7 taught: an operation is recorded only when grad
# mode is on (and an input requires grad); every mode saves the state it finds and restores
# it on exit, so the innermost setting wins; `set_grad_enabled(False)` as a plain call lasts
# until changed; decorators and generators; and one switch per thread.
#
# Write each answer, run its cell, then run the check cell below it. Run the setup cell
# first.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false} tags=["nbval-ignore-output"]
import functools
import inspect
import threading

import minigrad as mg
from coursekit import check, progress
from coursekit.engine_build import setup
from minigrad import grad_mode

setup("ch07")

# %% [markdown] id="ex1-text" tags=["seed:s002-no-grad-decorator", "seed:s002-enable-grad-decorator", "seed:s000-enable-grad-nested", "seed:s000-is-grad-enabled"]
# ## Exercise 1 (implement): a grad mode that is also a decorator
#
# *Implement · difficulty 3 of 3 · about 30 minutes · a piece of your engine*
#
# Write your own grad mode, `GradMode(mode)`: `with GradMode(False):` must behave like
# `with mg.no_grad():`, `GradMode(True)` like `mg.enable_grad()`, and both must work as
# decorators, `@GradMode(False)` above a `def`, for plain functions **and** for generator
# functions.
#
# Build it on the state functions of `minigrad.grad_mode` (imported above as
# `grad_mode`), the ones minigrad's own modes are built on, not on those modes:
# - `grad_mode.is_grad_enabled()` and `grad_mode.is_inference_mode_enabled()` read the
#   two switches of the current thread;
# - `grad_mode.set_modes(grad_enabled, inference_mode)` sets both.
#
# What it must do:
# - `__enter__` saves the state it finds, then sets recording to `self.mode` (inference
#   mode stays as it is), and returns nothing (`with mg.no_grad() as x:` gives `x = None`,
#   as in PyTorch); `__exit__` puts back exactly the saved state and lets any exception go
#   on (it returns `False`);
# - `__call__(func)` returns a new function that runs each call of `func` inside a
#   **fresh** `GradMode(self.mode)` (a recursive function calls itself while the first
#   call's block is still open), and keeps `func`'s name and docstring, as PyTorch's modes
#   do (`functools.wraps(func)`);
# - for a generator function (`inspect.isgeneratorfunction(func)`), calling `func` runs
#   none of its code: the body runs a piece at each `next()`. The mode must hold while
#   the generator's own code runs, and not in the caller between two `next()` calls.
#
# The check tries blocks, nested blocks, an exception inside a block, decorated plain,
# recursive and generator functions, started with recording on, off and inside
# `inference_mode()`: when it passes here, it passes in grading.
#
# <details><summary>First hint</summary>
#
# Write the context manager first (`__enter__` saves both switches, sets recording,
# `__exit__` restores them and returns `False`), then `__call__` for a plain function: a
# wrapper that opens `with GradMode(self.mode):` around each call.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# For a generator function, the wrapper is itself a generator: create the inner generator,
# then loop: inside `with GradMode(mode):` call `next()` on it (return its value at
# `StopIteration`), and `yield` each value outside the block.
#
# </details>


# %% id="ex1-impl" nbgrader={"grade": false, "grade_id": "ex1-impl", "locked": false, "schema_version": 3, "solution": true}
class GradMode:
    """Recording on (mode=True) or off (mode=False): in a `with` block, or as a decorator."""

    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        ### BEGIN SOLUTION
        self.previous = (grad_mode.is_grad_enabled(), grad_mode.is_inference_mode_enabled())
        grad_mode.set_modes(self.mode, self.previous[1])
        ### END SOLUTION

    def __exit__(self, exc_type, exc_value, traceback):
        ### BEGIN SOLUTION
        grad_mode.set_modes(*self.previous)
        return False
        ### END SOLUTION

    def __call__(self, func):
        ### BEGIN SOLUTION
        mode = self.mode
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def generator(*args, **kwargs):
                gen = func(*args, **kwargs)
                while True:
                    with GradMode(mode):  # only while the generator's own code runs
                        try:
                            value = next(gen)
                        except StopIteration as stop:
                            return stop.value
                    yield value  # the caller runs here, in its own mode

            return generator

        @functools.wraps(func)
        def decorated(*args, **kwargs):
            with GradMode(mode):  # a fresh block per call
                return func(*args, **kwargs)

        return decorated
        ### END SOLUTION


# %% id="ex1-check" nbgrader={"grade": true, "grade_id": "ex1-check", "locked": true, "points": 4, "schema_version": 3, "solution": false}
check("ch07.grad_mode")

# %% [markdown] id="ex2-text" tags=["seed:s002-nesting", "seed:s002-set-grad-enabled-call", "seed:s000-set-grad-enabled-flag", "seed:s000-no-grad-result", "seed:s001-no-grad-mm", "seed:s000-table"]
# ## Exercise 2 (predict): two nestings
#
# *Predict · difficulty 2 of 3 · about 15 minutes*
#
# Read both programs without running them. Lines without `with` are plain calls.
#
# ```python
# # Program A: is_grad_enabled() at the points A1 ... A5
# with mg.no_grad():
#     # A1
#     with mg.enable_grad():
#         mg.set_grad_enabled(False)
#         # A2
#     # A3
#     mg.set_grad_enabled(True)
#     # A4
# # A5
# ```
#
# ```python
# # Program B: which results require grad?
# x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
# w = mg.ones(2, 2)
# with mg.no_grad():
#     y1 = mg.mm(w, x).sum()
# mg.set_grad_enabled(False)
# y2 = x * 2
# with mg.enable_grad():
#     y3 = x * 2
#     with mg.set_grad_enabled(False):
#         y4 = y3 * 2
#     y5 = y4 * x
# y6 = y5 * 2
# ```
#
# Write `answer_a`, the list of the five values of `mg.is_grad_enabled()` at A1 ... A5,
# and `answer_b`, the list `[y1.requires_grad, ..., y6.requires_grad]` (each value `True`
# or `False`).
#
# <details><summary>First hint</summary>
#
# `set_grad_enabled(False)` as a plain call changes the switch at once; the enclosing
# `with` block restores what *it* found when it exits.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# A `with` block puts back the state it found on entry, whatever happened inside. A result
# requires grad when recording is on at its line and an input requires grad.
#
# </details>

# %% id="ex2-answer" nbgrader={"grade": false, "grade_id": "ex2-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_a = [False, False, False, True, True]
answer_b = [False, False, True, False, True, False]
### END SOLUTION

# %% id="ex2-check" nbgrader={"grade": true, "grade_id": "ex2-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch07.nesting")

# %% [markdown] id="ex3-text" tags=["seed:s002-thread-local"]
# ## Exercise 3 (predict): what threads see
#
# *Predict · difficulty 2 of 3 · about 10 minutes*
#
# ```python
# x = mg.tensor([1.0], requires_grad=True)
# seen = {}
#
# def run(fn):                      # run fn in a new thread and wait for it
#     worker = threading.Thread(target=fn)
#     worker.start()
#     worker.join()
#
# def worker_1():
#     seen["t1"] = mg.is_grad_enabled()
#
# def worker_2():
#     seen["t2"] = (x * 2).requires_grad
#
# @mg.no_grad()
# def worker_3():
#     seen["t3"] = (x * 2).requires_grad
#
# def worker_4():
#     mg.set_grad_enabled(False)
#
# with mg.no_grad():
#     run(worker_1)
# mg.set_grad_enabled(False)
# run(worker_2)
# mg.set_grad_enabled(True)
# run(worker_3)
# run(worker_4)
# seen["main"] = mg.is_grad_enabled()
# ```
#
# Predict `answer_t1`, `answer_t2`, `answer_t3` and `answer_main`: the values of
# `seen["t1"]`, `seen["t2"]`, `seen["t3"]` and `seen["main"]` (each `True` or `False`).
# (To run the program afterwards, `import threading` first.)
#
# <details><summary>First hint</summary>
#
# The switches are per thread: each new thread starts with recording on, whatever the
# thread that started it has set.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# A decorator runs its mode inside the thread that runs the function. A plain
# `set_grad_enabled(False)` in another thread changes only that thread.
#
# </details>

# %% id="ex3-answer" nbgrader={"grade": false, "grade_id": "ex3-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_t1 = True
answer_t2 = True
answer_t3 = False
answer_main = True
### END SOLUTION

# %% id="ex3-check" nbgrader={"grade": true, "grade_id": "ex3-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch07.threads")

# %% [markdown] id="ex4-text" tags=["seed:s003-global-switch"]
# ## Exercise 4 (find the bug): an evaluation that leaves recording off
#
# *Find the bug · difficulty 1 of 3 · about 10 minutes*
#
# `accuracy_buggy` measures a classifier's accuracy. It is right about the accuracy, and
# yet the training step after it fails. Run the cell below and read the error.
#
# <details><summary>First hint</summary>
#
# Read the error of the training step: is recording on when it runs? Who switched it off?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Use a block that restores the state it found: `with mg.no_grad():` around the forward
# pass, instead of a global `set_grad_enabled(False)`.
#
# </details>


# %% id="ex4-given" nbgrader={"grade": false, "grade_id": "ex4-given", "locked": true, "schema_version": 3, "solution": false}
def accuracy_buggy(model, X, y):
    mg.set_grad_enabled(False)  # "no gradients needed to evaluate"
    model.eval()
    correct = (model(X).argmax(dim=1) == y).float().mean().item()
    model.train()
    return correct


mg.manual_seed(0)
model = mg.nn.Sequential(mg.nn.Linear(3, 4), mg.nn.ReLU(), mg.nn.Dropout(0.5), mg.nn.Linear(4, 2))
X, y = mg.randn(6, 3), mg.tensor([0, 1, 1, 0, 1, 0])
try:
    print("accuracy:", accuracy_buggy(model, X, y))
    loss = mg.nn.CrossEntropyLoss()(model(X), y)  # the next training step
    loss.backward()
except RuntimeError as error:
    print(f"RuntimeError: {error}")
finally:
    mg.set_grad_enabled(True)  # clean up, so that the rest of the notebook records

# %% [markdown] id="ex4-fix-text"
# Write the fixed function as `accuracy(model, X, y)`. It returns the same accuracy, runs
# the forward pass in evaluation mode without recording, and leaves grad mode as it found
# it: on if it was on, **off if it was called inside `no_grad()`** (an evaluation inside
# someone else's evaluation must not switch their recording on). Like the buggy version,
# it puts the model back in training mode at the end.


# %% id="ex4-fix" nbgrader={"grade": false, "grade_id": "ex4-fix", "locked": false, "schema_version": 3, "solution": true}
def accuracy(model, X, y):
    ### BEGIN SOLUTION
    model.eval()
    with mg.no_grad():  # restored on exit, to whatever it was
        correct = (model(X).argmax(dim=1) == y).float().mean().item()
    model.train()
    return correct
    ### END SOLUTION


# %% id="ex4-check" nbgrader={"grade": true, "grade_id": "ex4-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch07.accuracy")
### BEGIN HIDDEN TESTS
check("ch07.accuracy", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex5-text" tags=["seed:s002-nesting"]
# ## Exercise 5 (find the bug): the wrong nesting order
#
# *Find the bug · difficulty 2 of 3 · about 15 minutes*
#
# `input_gradient_buggy(model, x)` should return the gradient of `model(x).sum()` with
# respect to the input `x`: which input numbers the output is most sensitive to. It is
# called from evaluation code that runs under `no_grad()`, so its author wrapped the
# forward pass in `enable_grad()`, "on the outside, so that it wins", and added a
# `no_grad()` inside it out of habit. Run it.
#
# <details><summary>First hint</summary>
#
# The innermost block wins: which mode is on when `model(x)` runs?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Detach `x` and make it require grad, then run the forward pass inside `enable_grad()`
# with no `no_grad()` inside it; call `backward()` and return `x.grad`.
#
# </details>


# %% id="ex5-given" nbgrader={"grade": false, "grade_id": "ex5-given", "locked": true, "schema_version": 3, "solution": false}
def input_gradient_buggy(model, x):
    with mg.enable_grad():
        x = x.detach().requires_grad_()
        with mg.no_grad():
            out = model(x).sum()
    out.backward()
    return x.grad


mg.manual_seed(0)
net = mg.nn.Sequential(mg.nn.Linear(3, 4), mg.nn.Tanh(), mg.nn.Linear(4, 1))
with mg.no_grad():  # how evaluation code calls it
    try:
        print(input_gradient_buggy(net, mg.ones(2, 3)))
    except RuntimeError as error:
        print(f"RuntimeError: {error}")

# %% [markdown] id="ex5-fix-text"
# Write the fixed function as `input_gradient(model, x)`. It must return the right
# gradient (a tensor of `x`'s shape) whether it is called with recording on or inside
# `no_grad()`, and leave grad mode, and the caller's `x`, as it found them.


# %% id="ex5-fix" nbgrader={"grade": false, "grade_id": "ex5-fix", "locked": false, "schema_version": 3, "solution": true}
def input_gradient(model, x):
    ### BEGIN SOLUTION
    x = x.detach().requires_grad_()
    with mg.enable_grad():  # the innermost setting: recording on
        out = model(x).sum()
    out.backward()
    return x.grad
    ### END SOLUTION


# %% id="ex5-check" nbgrader={"grade": true, "grade_id": "ex5-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch07.input_gradient")
### BEGIN HIDDEN TESTS
check("ch07.input_gradient", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex6-text"
# ## Exercise 6 (implement): `GradState`, one set of switches per thread
#
# *Implement · difficulty 1 of 3 · about 10 minutes · a piece of your engine*
#
# Your `GradMode` reads and writes two switches, `grad_enabled` and `inference_mode`. minigrad
# keeps them in one object, `grad_mode._state`, that every operation reads (the recording
# rule). Each thread must see its own switches, starting from PyTorch's defaults: a
# `no_grad()` block in one thread must not stop recording in another.
# `threading.local` gives exactly that: an instance of a subclass has separate attributes in
# every thread, and its `__init__` runs again, with the same arguments, the first time a new
# thread touches it.
#
# Write `class GradState(threading.local)` whose `__init__` sets `grad_enabled = True` and
# `inference_mode = False`. The engine then keeps its switches in an instance of your class.
#
# <details><summary>First hint</summary>
#
# Nothing but `__init__` is needed: where do the defaults go so that every thread gets them?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# `def __init__(self): self.grad_enabled = True; self.inference_mode = False`, in a class
# built on `threading.local`.
#
# </details>


# %% id="ex6-impl" nbgrader={"grade": false, "grade_id": "ex6-impl", "locked": false, "schema_version": 3, "solution": true}
class GradState(threading.local):
    """The grad-mode switches, separate in every thread, PyTorch's defaults in each."""

    def __init__(self):
        ### BEGIN SOLUTION
        self.grad_enabled = True
        self.inference_mode = False
        ### END SOLUTION


# %% id="ex6-check" nbgrader={"grade": true, "grade_id": "ex6-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch07.GradState")
### BEGIN HIDDEN TESTS
check("ch07.GradState", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="progress-text"
# ## Your progress

# %% id="progress" nbgrader={"grade": false, "grade_id": "progress", "locked": true, "schema_version": 3, "solution": false}
progress()
