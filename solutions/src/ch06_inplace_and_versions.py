# %% [markdown] id="intro"
# # Chapter 6 exercises · In-place operations and version counters
#
# These exercises practise chapter 6: what an in-place operation does to `_version`, which
# tensors share a counter, the check a backward node runs on the tensors it saved, and which
# in-place changes make `backward()` raise. You will write that check yourself, predict
# versions and errors, and fix two programs that change a saved tensor.
#
# Fill in each exercise, run its cell, then run the check cell below it. A check tries your
# code on several inputs and tells you what is wrong, with a hint. The last cell shows your
# progress.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false} tags=["nbval-ignore-output"]

import minigrad as mg
from coursekit import check, progress
from coursekit.engine_build import setup
from minigrad.graph import (
    tensor_description,
)  # "[minigrad.FloatTensor [3]]", as PyTorch names tensors in errors

setup("ch06")

# %% [markdown] id="ex1-text" tags=["seed:s004-version-error"]
# ## Exercise 1 (implement): the version check of a saved tensor
#
# *Implement · difficulty 2 of 3 · about 15 minutes · a piece of your engine*
#
# A backward node keeps the tensors its formula needs. If one of them is changed in place
# before backward runs, the gradient would be computed from the wrong numbers, so autograd
# remembers the tensor's `_version` when it saves it, and checks it when it unpacks it.
#
# Write the class `SavedTensor`:
#
# - `SavedTensor(tensor)` keeps `tensor` (the tensor itself, not a copy) and its version now;
# - `unpack()` returns the tensor if its version has not moved, and otherwise raises
#   `RuntimeError` with PyTorch's message (build the description with `tensor_description`):
#
# ```text
# one of the variables needed for gradient computation has been modified by an inplace
# operation: [minigrad.FloatTensor [3]] is at version 1; expected version 0 instead.
# ```
#
# (one line; PyTorch inserts ", which is output 0 of Mul," after the description when the
# tensor was made by an operation, and adds a hint; the check reads the version part.)
# The check saves a tensor with your class, changes it in various ways (in place, through a
# view, through `detach()` or `.data`, out of place) and unpacks it, as a backward node would.
#
# <details><summary>First hint</summary>
#
# Keep two things in `__init__`: the tensor itself and the number `tensor._version` at
# that moment. `unpack()` compares that number with the tensor's version now.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# In `unpack()`: if `self.tensor._version` differs from the saved version, raise
# `RuntimeError` with the message above, filled in with `tensor_description(self.tensor)`,
# the version now and the saved one; else return the tensor.
#
# </details>


# %% id="ex1-impl" nbgrader={"grade": false, "grade_id": "ex1-impl", "locked": false, "schema_version": 3, "solution": true}
class SavedTensor:
    """A tensor kept for backward, with the version it had when it was saved."""

    def __init__(self, tensor):
        ### BEGIN SOLUTION
        self.tensor = tensor
        self.version = tensor._version
        ### END SOLUTION

    def unpack(self):
        ### BEGIN SOLUTION
        now = self.tensor._version
        if now != self.version:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: {tensor_description(self.tensor)} is at version {now}; "
                f"expected version {self.version} instead."
            )
        return self.tensor
        ### END SOLUTION


# %% id="ex1-check" nbgrader={"grade": true, "grade_id": "ex1-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch06.saved_tensor")
### BEGIN HIDDEN TESTS
check("ch06.saved_tensor", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex2-text" tags=["seed:s004-version-error", "seed:s004-add-saves-nothing"]
# ## Exercise 2 (predict): which line raises?
#
# *Predict · difficulty 2 of 3 · about 15 minutes*
#
# Without running them: which line of each program raises (if any)?
#
# ```text
# a  1  x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
#    2  a = x * 2
#    3  y = a * a
#    4  a.add_(1)
#    5  y.sum().backward()
#
# b  1  x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
#    2  a = x * 2
#    3  y = a + 1
#    4  a.add_(1)
#    5  y.sum().backward()
#
# c  1  w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
#    2  y = w.exp()
#    3  w.add_(1)
#    4  y.sum().backward()
#
# d  1  x = mg.tensor([0.0, 1.0], requires_grad=True)
#    2  a = x * 2
#    3  y = a.exp()
#    4  a.mul_(100)
#    5  y.sum().backward()
#
# e  1  x = mg.tensor([0.0, 1.0], requires_grad=True)
#    2  y = (x * 2).exp()
#    3  y.add_(1)
#    4  y.sum().backward()
# ```
#
# - `answer_a` ... `answer_e`: the number of the line that raises, or `None` if the program
#   runs to the end;
# - `answer_a_versions`: program `a`'s message says "is at version N; expected version M":
#   write `(N, M)`;
# - `answer_b_grad`: `x.grad` at the end of program `b`, a list of numbers.
#
#
# <details><summary>First hint</summary>
#
# For each program: which node saved which tensor, and was that tensor changed in place
# after it was saved? An addition saves nothing; `exp` saves its result, not its input.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# `a * a` saves `a`, so `a.add_(1)` makes its backward fail, at the `backward()` line. A
# leaf that requires grad cannot be changed in place at all: that fails on the in-place
# line itself.
#
# </details>

# %% id="ex2-answer" nbgrader={"grade": false, "grade_id": "ex2-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_a = 5
answer_b = None
answer_c = 3
answer_d = None
answer_e = 4
answer_a_versions = (1, 0)
answer_b_grad = [2.0, 2.0, 2.0]
### END SOLUTION

# %% id="ex2-check" nbgrader={"grade": true, "grade_id": "ex2-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch06.which_line")

# %% [markdown] id="ex3-text"
# ## Exercise 3 (predict): `_version`
#
# *Predict · difficulty 2 of 3 · about 15 minutes*
#
# Without running it: after this program, what is the `_version` of `t`, `v`, `d`, `u`
# and `e`, and what are the values of `t`?
#
# ```python
# t = mg.zeros(4)
# v = t[1:]
# d = t.detach()
# t.add_(1)
# v.mul_(2)
# d.zero_()
# u = t + 1
# u.add_(1)
# e = t.data
# e.add_(1)
# with mg.no_grad():
#     t.mul_(3)
# ```
#
# - `answer_versions`: a dict `{"t": ..., "v": ..., "d": ..., "u": ..., "e": ...}` of ints;
# - `answer_t`: the values of `t`, a list of 4 numbers.
#
# <details><summary>First hint</summary>
#
# Every in-place change moves the version counter of the tensor it writes into, and a view
# or a `detach()`ed tensor shares its base's counter. `.data` and `t + 1` are new
# counters.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# `t`, `v` and `d` share one counter: count the in-place changes made through any of them,
# including the one under `no_grad()`. `e` shares `t`'s memory but has a counter of its
# own.
#
# </details>

# %% id="ex3-answer" nbgrader={"grade": false, "grade_id": "ex3-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_versions = {"t": 4, "v": 4, "d": 4, "u": 1, "e": 1}
answer_t = [3.0, 3.0, 3.0, 3.0]
### END SOLUTION

# %% id="ex3-check" nbgrader={"grade": true, "grade_id": "ex3-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch06.versions")

# %% [markdown] id="ex4-text"
# ## Exercise 4 (find the bug): smoothing in place
#
# *Find the bug · difficulty 2 of 3 · about 10 minutes*
#
# `smoothed_grad_buggy` turns scores `w * x` into probabilities `p = e / sum(e)` with
# add-one smoothing, `e = exp(w x) + 1`, and returns the gradient of `sum(p * c)` with
# respect to `w`. Run it.
#
# <details><summary>First hint</summary>
#
# Read the error: which saved tensor was changed in place? `exp` saves its *result* for
# backward.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Smooth out of place: `e = (w * x).exp() + 1.0` makes a new tensor and leaves `exp`'s
# saved result as it was.
#
# </details>


# %% id="ex4-given" nbgrader={"grade": false, "grade_id": "ex4-given", "locked": true, "schema_version": 3, "solution": false}
def smoothed_grad_buggy(ws, xs, cs):
    w = mg.tensor(ws, requires_grad=True)
    x, c = mg.tensor(xs), mg.tensor(cs)
    e = (w * x).exp()
    e.add_(1.0)  # add-one smoothing
    p = e / e.sum()
    loss = (p * c).sum()
    loss.backward()
    return w.grad


try:
    smoothed_grad_buggy([0.5, -0.2, 0.1], [1.0, 2.0, -1.0], [1.0, 0.0, 2.0])
except RuntimeError as error:
    print(f"RuntimeError: {str(error).split(' Hint:')[0]}")

# %% [markdown] id="ex4-fix-text"
# Write the fixed function as `smoothed_grad(ws, xs, cs)`, returning `w.grad`. The
# probabilities, the loss and the gradient must stay what the buggy code meant to compute.


# %% id="ex4-fix" nbgrader={"grade": false, "grade_id": "ex4-fix", "locked": false, "schema_version": 3, "solution": true}
def smoothed_grad(ws, xs, cs):
    ### BEGIN SOLUTION
    w = mg.tensor(ws, requires_grad=True)
    x, c = mg.tensor(xs), mg.tensor(cs)
    e = (w * x).exp() + 1.0  # a new tensor: exp's saved output stays as it was
    p = e / e.sum()
    loss = (p * c).sum()
    loss.backward()
    return w.grad
    ### END SOLUTION


# %% id="ex4-check" nbgrader={"grade": true, "grade_id": "ex4-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch06.smoothed_grad")
### BEGIN HIDDEN TESTS
check("ch06.smoothed_grad", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex5-text" tags=["seed:s004-pipeline"]
# ## Exercise 5 (find the bug): a pipeline that updates too early
#
# *Find the bug · difficulty 3 of 3 · about 20 minutes*
#
# A two-stage model, `h = tanh(x @ W1)` then `out = h @ W2`, trained on micro-batches the
# way a pipeline runs them: every forward pass first (the stages fill up), then the backward
# passes, newest first. `train_pipeline_buggy` updates the weights as soon as one backward
# is done. Run it.
#
# <details><summary>First hint</summary>
#
# A node saves `W2` when the forward runs; the update `W2 -= ...` changes it in place
# before the older micro-batches' backward passes have run.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Run every backward first (the gradients add up in `.grad`), then update once, under
# `no_grad()`, and reset the gradients.
#
# </details>


# %% id="ex5-given" nbgrader={"grade": false, "grade_id": "ex5-given", "locked": true, "schema_version": 3, "solution": false}
def train_pipeline_buggy(W1, W2, batches, lr):
    W1 = mg.tensor(W1, requires_grad=True)
    W2 = mg.tensor(W2, requires_grad=True)
    losses = []
    for x, y in batches:  # forward passes fill the pipeline
        h = mg.mm(mg.tensor(x), W1).tanh()
        out = mg.mm(h, W2)  # MmBackward0 saves W2: h's gradient needs it
        losses.append(((out - mg.tensor(y)) ** 2).sum())
    for loss in reversed(losses):  # backward passes, newest micro-batch first
        loss.backward()
        with mg.no_grad():  # update as soon as a gradient is ready
            W1 -= lr * W1.grad
            W2 -= lr * W2.grad
        W1.grad = None
        W2.grad = None
    return W1, W2


batches = [([[1.0, 2.0]], [[1.0]]), ([[0.5, -1.0]], [[0.0]])]
try:
    train_pipeline_buggy([[0.5, -0.3], [0.2, 0.4]], [[1.0], [-1.0]], batches, lr=0.1)
except RuntimeError as error:
    print(f"RuntimeError: {str(error).split(' Hint:')[0]}")

# %% [markdown] id="ex5-fix-text"
# Write the fixed function as `train_pipeline(W1, W2, batches, lr)`, returning the trained
# `(W1, W2)`. Keep the schedule (all forwards, then the backwards), and let every micro-batch
# contribute its gradient computed at the weights its forward pass used.


# %% id="ex5-fix" nbgrader={"grade": false, "grade_id": "ex5-fix", "locked": false, "schema_version": 3, "solution": true}
def train_pipeline(W1, W2, batches, lr):
    ### BEGIN SOLUTION
    W1 = mg.tensor(W1, requires_grad=True)
    W2 = mg.tensor(W2, requires_grad=True)
    losses = []
    for x, y in batches:
        h = mg.mm(mg.tensor(x), W1).tanh()
        out = mg.mm(h, W2)
        losses.append(((out - mg.tensor(y)) ** 2).sum())
    for loss in reversed(losses):
        loss.backward()  # gradients add up in .grad
    with mg.no_grad():  # one update, after every pending backward
        W1 -= lr * W1.grad
        W2 -= lr * W2.grad
    W1.grad = None
    W2.grad = None
    return W1, W2
    ### END SOLUTION


# %% id="ex5-check" nbgrader={"grade": true, "grade_id": "ex5-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch06.pipeline")
### BEGIN HIDDEN TESTS
check("ch06.pipeline", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex6-text"
# ## Exercise 6 (implement): `bump_version`, what every in-place change does
#
# *Implement · difficulty 1 of 3 · about 5 minutes · a piece of your engine*
#
# Every in-place operation (`add_`, `mul_`, `t[0] = 1`, `copy_`, `zero_`, `relu_`...) ends by
# calling `bump_version(tensor)` on the tensor it changed: one more on its version counter.
# Exercise 1's `SavedTensor` compares against that number. The counter is an object,
# `tensor._version_counter`, with one field, `value`; a view (`t[0]`, `t.T`) and a
# `detach()`ed tensor share it with their base, so a change through any of them counts for all.
#
# Write `bump_version(tensor)` (returns nothing).
#
# <details><summary>First hint</summary>
#
# `tensor._version` reads the counter; what do you add to, and where?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# `tensor._version_counter.value += 1`.
#
# </details>


# %% id="ex6-impl" nbgrader={"grade": false, "grade_id": "ex6-impl", "locked": false, "schema_version": 3, "solution": true}
def bump_version(tensor):
    """One more on tensor's version counter (shared with its views)."""
    ### BEGIN SOLUTION
    tensor._version_counter.value += 1
    ### END SOLUTION


# %% id="ex6-check" nbgrader={"grade": true, "grade_id": "ex6-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch06.bump_version")
### BEGIN HIDDEN TESTS
check("ch06.bump_version", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="progress-text"
# ## Your progress

# %% id="progress" nbgrader={"grade": false, "grade_id": "progress", "locked": true, "schema_version": 3, "solution": false}
progress()
