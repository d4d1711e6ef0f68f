# %% [markdown] id="intro"
# # Chapter 5 exercises · `detach()`
#
# These exercises practise chapter 5: what `detach()` returns and what it still shares with
# the original (memory and the version counter), how to compute a value outside the graph,
# where a gradient stops when a target is detached, and why `.data` is the dangerous cousin.
#
# Fill in each exercise, run its cell, then run the check cell below it. A check tries your
# code on several inputs and tells you what is wrong, with a hint. The last cell shows your
# progress.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false} tags=["nbval-ignore-output"]
import numpy as np

import minigrad as mg
from coursekit import check, progress
from coursekit.engine_build import setup
from minigrad.tensor import _wrap

setup("ch05")

# %% [markdown] id="ex1-text" tags=["seed:s004-detach-shares-memory"]
# ## Exercise 1 (predict): what does `detach()` share?
#
# *Predict · difficulty 2 of 3 · about 15 minutes*
#
# Read this program, without running it:
#
# ```python
# x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
# y = x * 2
# z = y * y
# d = y.detach()
# d[0] = 100.0
# d.add_(1)
# e = y.data
# e[1] = -1.0
# z.sum().backward()
# ```
#
# - `answer_d_requires_grad`, `answer_d_is_leaf`: `True` or `False`, for `d`;
# - `answer_y`: the values of `y` just before the last line, a list of 3 numbers;
# - `answer_versions`: the tuple `(y._version, d._version, e._version)` before the last line;
# - `answer_raises`: does the last line raise? `True` or `False`.
#
#
# <details><summary>First hint</summary>
#
# `detach()` shares memory and the version counter with `y`; `.data` shares memory but not
# the version counter. Every in-place change, through any of them, writes into the same
# numbers.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Count the in-place changes that go through `d` (two): they move the counter `y` and `d`
# share. The change through `e` does not. `z = y * y` saved `y`: is its version the one
# `backward` expects?
#
# </details>

# %% id="ex1-answer" nbgrader={"grade": false, "grade_id": "ex1-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_d_requires_grad = False
answer_d_is_leaf = True
answer_y = [101.0, -1.0, 7.0]
answer_versions = (2, 2, 1)
answer_raises = True
### END SOLUTION

# %% id="ex1-check" nbgrader={"grade": true, "grade_id": "ex1-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch05.shares")

# %% [markdown] id="ex2-text"
# ## Exercise 2 (find the bug): a target that moves with the model
#
# *Find the bug · difficulty 2 of 3 · about 15 minutes*
#
# Value learning fits `v(s) = w s` to the target `r + gamma * v(s_next)` over a batch of
# transitions `(s, r, s_next)`. The target is computed by the model itself; its fixed point is the `w`
# where the prediction errors, weighted by `s`, sum to zero:
# `w = sum(r s) / sum(s^2 - gamma s s_next)`. `fit_value_buggy` settles somewhere else.
#
# <details><summary>First hint</summary>
#
# The target is computed from `w` too: which gradient does `backward()` add because of
# that?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# The target must be a fixed number for this step: `.detach()` it (the prediction keeps
# its graph).
#
# </details>


# %% id="ex2-given" nbgrader={"grade": false, "grade_id": "ex2-given", "locked": true, "schema_version": 3, "solution": false}
def fit_value_buggy(transitions, gamma, lr, steps):
    s, r, s_next = (mg.tensor(list(column)) for column in zip(*transitions))
    w = mg.tensor([0.5], requires_grad=True)
    for _ in range(steps):
        prediction = w * s
        target = r + gamma * (w * s_next)
        loss = ((prediction - target) ** 2).mean()
        loss.backward()
        with mg.no_grad():
            w -= lr * w.grad
        w.grad = None
    return w.item()


transitions = [(1.0, 1.0, 0.5), (2.0, 0.0, 1.0), (1.0, -0.5, 0.0)]
fixed_point = sum(r * s for s, r, _ in transitions) / sum(
    s * s - 0.9 * s * s_next for s, _, s_next in transitions
)
print(f"fixed point: w = {fixed_point:.4f}")
print(f"buggy fit  : w = {fit_value_buggy(transitions, gamma=0.9, lr=0.1, steps=300):.4f}")

# %% [markdown] id="ex2-fix-text"
# Write the fixed loop as `fit_value(transitions, gamma, lr, steps)`, returning `w` as a
# number. Same start, same loss, same update.


# %% id="ex2-fix" nbgrader={"grade": false, "grade_id": "ex2-fix", "locked": false, "schema_version": 3, "solution": true}
def fit_value(transitions, gamma, lr, steps):
    ### BEGIN SOLUTION
    s, r, s_next = (mg.tensor(list(column)) for column in zip(*transitions))
    w = mg.tensor([0.5], requires_grad=True)
    for _ in range(steps):
        prediction = w * s
        target = (r + gamma * (w * s_next)).detach()  # a fixed number to move towards
        loss = ((prediction - target) ** 2).mean()
        loss.backward()
        with mg.no_grad():
            w -= lr * w.grad
        w.grad = None
    return w.item()
    ### END SOLUTION


# %% id="ex2-check" nbgrader={"grade": true, "grade_id": "ex2-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch05.fit_value")
### BEGIN HIDDEN TESTS
check("ch05.fit_value", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex3-text"
# ## Exercise 3 (find the bug): a log entry that changes the gradient
#
# *Find the bug · difficulty 2 of 3 · about 15 minutes*
#
# `grads_and_centered_buggy` computes `w.grad` for the loss `sum(h * h)` with
# `h = tanh(w * x)`, and, for an activation log, the centred activations `h - mean(h)`. By
# hand, `d loss / d w = 2 h (1 - h^2) x`. Run the cell and compare.
#
# <details><summary>First hint</summary>
#
# `h.data` is not a copy: `centered -= ...` writes into `h` itself, and `tanh` saved `h`
# for its backward.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Take `h.detach()` and compute a *new* tensor from it (`values - values.mean()`), so `h`
# stays as backward saved it.
#
# </details>


# %% id="ex3-given" nbgrader={"grade": false, "grade_id": "ex3-given", "locked": true, "schema_version": 3, "solution": false}
def grads_and_centered_buggy(xs, ws):
    x = mg.tensor(xs)
    w = mg.tensor(ws, requires_grad=True)
    h = (w * x).tanh()
    loss = (h * h).sum()
    centered = h.data  # a copy for the log... or is it?
    centered -= centered.mean()
    loss.backward()
    return w.grad, centered


xs, ws = [1.0, -2.0, 0.5], [0.3, 0.8, -1.0]
grad, centered = grads_and_centered_buggy(xs, ws)
h = np.tanh(np.array(ws) * np.array(xs))
print("w.grad :", np.round(grad.numpy(), 4))
print("by hand:", np.round(2 * h * (1 - h**2) * np.array(xs), 4))

# %% [markdown] id="ex3-fix-text"
# Write the fixed function as `grads_and_centered(xs, ws)`, returning the pair
# `(w.grad, centered)`, where `centered` is a log entry: plain numbers out of the graph (it
# must not require grad). (Replacing `.data` by `.detach()` alone is not enough: try it and
# read the error.)


# %% id="ex3-fix" nbgrader={"grade": false, "grade_id": "ex3-fix", "locked": false, "schema_version": 3, "solution": true}
def grads_and_centered(xs, ws):
    ### BEGIN SOLUTION
    x = mg.tensor(xs)
    w = mg.tensor(ws, requires_grad=True)
    h = (w * x).tanh()
    loss = (h * h).sum()
    values = h.detach()
    centered = values - values.mean()  # a new tensor: h, which backward saved, is untouched
    loss.backward()
    return w.grad, centered
    ### END SOLUTION


# %% id="ex3-check" nbgrader={"grade": true, "grade_id": "ex3-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch05.grads_and_centered")
### BEGIN HIDDEN TESTS
check("ch05.grads_and_centered", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex4-text" tags=["seed:s001-detach-metric"]
# ## Exercise 4 (predict): the detached copy of `mm(w, x)`
#
# *Predict · difficulty 2 of 3 · about 10 minutes*
#
# Read this program, without running it:
#
# ```python
# x = mg.tensor([[1.0, 2.0, 0.0], [0.0, 1.0, 1.0], [2.0, 0.0, 1.0]], requires_grad=True)
# w = mg.ones(3, 3, requires_grad=True)
# yy = mg.mm(w, x)
# detach_yy = yy.detach()
# mg.sum(yy).backward()
# ```
#
# - `answer_x_grad`, `answer_w_grad`: `x.grad` and `w.grad` after it ran, as 3 x 3 nested lists;
# - `answer_detach_grad`: `detach_yy.grad` (a nested list, or `None`);
# - `answer_detach_backward_raises`: would one more line, `detach_yy.sum().backward()`, raise?
#   `True` or `False`.
#
#
# <details><summary>First hint</summary>
#
# `sum` sends a gradient of ones to the product `mm(w, x)`. A detached tensor is a leaf
# that does not require grad.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# For `Y = W @ X`: grad_X = Wᵀ @ ones and grad_W = ones @ Xᵀ. Each entry is a column sum
# of `w` or a row sum of `x`.
#
# </details>

# %% id="ex4-answer" nbgrader={"grade": false, "grade_id": "ex4-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_x_grad = [[3.0, 3.0, 3.0], [3.0, 3.0, 3.0], [3.0, 3.0, 3.0]]
answer_w_grad = [[3.0, 2.0, 3.0], [3.0, 2.0, 3.0], [3.0, 2.0, 3.0]]
answer_detach_grad = None
answer_detach_backward_raises = True
### END SOLUTION

# %% id="ex4-check" nbgrader={"grade": true, "grade_id": "ex4-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch05.detach_metric")

# %% [markdown] id="ex5-text"
# ## Exercise 5 (implement): `detach`, in your engine
#
# *Implement · difficulty 2 of 3 · about 10 minutes · a piece of your engine*
#
# `t.detach()` returns a new tensor that shares `t`'s memory **and its version counter**, and
# has no history (`grad_fn` is `None`, `requires_grad` is `False`). The scaffold gives you the
# two parts: `_wrap(array)` makes a new tensor around a numpy array without copying it (no
# history, a version counter of its own), and every tensor has `_data` (its array) and
# `_version_counter` (shared by tensors that share memory, so an in-place change through
# either is seen by both).
#
# Write `detach(tensor)`: `Tensor.detach` calls it (the engine then copies the inference
# flag of chapter 7). The check looks at what `d = t.detach()` is, changes `d` in place and
# watches `t`'s values and versions, and expects the version error through a detached
# output.
#
# <details><summary>First hint</summary>
#
# `_wrap(tensor._data)` shares the memory; what else must the new tensor share?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# `out = _wrap(tensor._data)`, then `out._version_counter = tensor._version_counter`; return
# `out`.
#
# </details>


# %% id="ex5-impl" nbgrader={"grade": false, "grade_id": "ex5-impl", "locked": false, "schema_version": 3, "solution": true}
def detach(tensor):
    """A new tensor on tensor's memory, sharing its version counter, with no history."""
    ### BEGIN SOLUTION
    out = _wrap(tensor._data)
    out._version_counter = tensor._version_counter
    return out
    ### END SOLUTION


# %% id="ex5-check" nbgrader={"grade": true, "grade_id": "ex5-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch05.detach")
### BEGIN HIDDEN TESTS
check("ch05.detach", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="progress-text"
# ## Your progress

# %% id="progress" nbgrader={"grade": false, "grade_id": "progress", "locked": true, "schema_version": 3, "solution": false}
progress()
