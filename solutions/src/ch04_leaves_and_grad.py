# %% [markdown] id="intro"
# # Chapter 4 exercises · Leaves, `.grad`, accumulation
#
# These exercises practise chapter 4: which tensors are leaves, where `backward()` writes
# `.grad`, how gradients accumulate, and the errors a second or misplaced `backward()` gives.
# You will write the heart of `AccumulateGrad`, predict what a program does, and fix two
# programs that misuse `.grad`.
#
# Fill in each exercise, run its cell, then run the check cell below it. A check tries your
# code on several inputs and tells you what is wrong, with a hint. The last cell shows your
# progress.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false} tags=["nbval-ignore-output"]
import warnings

import minigrad as mg
from coursekit import check, progress
from coursekit.engine_build import setup

setup("ch04")

# %% [markdown] id="ex1-text" tags=["seed:s004-leaf-accumulates"]
# ## Exercise 1 (implement): `AccumulateGrad`, where `.grad` is written
#
# *Implement · difficulty 1 of 3 · about 10 minutes · a piece of your engine*
#
# Every path of the backward pass into a leaf that requires grad ends at that leaf's
# `AccumulateGrad` node. The engine calls it once per incoming gradient, and it does this:
#
# - if `leaf.grad` is `None`, store the gradient as `leaf.grad`, **as a copy**: the engine may
#   hand the same tensor to several leaves (`add` sends one gradient to both its inputs);
# - otherwise **add** it into `leaf.grad` **in place**, so `.grad` stays the same tensor object
#   (PyTorch does this; a second `backward()` without `zero_grad()` adds up this way).
#
# Write `accumulate_grad(leaf, grad)` (returns nothing). `grad` is a tensor that does not
# require grad. The check uses your function as the engine would: it runs small backward
# passes by hand, calling it once per edge into a leaf, and then reads every `.grad`.
#
# <details><summary>First hint</summary>
#
# Two cases: `leaf.grad` is `None` (the first gradient), or it already holds a tensor that
# must stay the same object.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# The first time, store `grad.clone()`; afterwards add in place with
# `leaf.grad.add_(grad)`.
#
# </details>


# %% id="ex1-impl" nbgrader={"grade": false, "grade_id": "ex1-impl", "locked": false, "schema_version": 3, "solution": true}
def accumulate_grad(leaf, grad):
    """Add `grad` into `leaf.grad`: store a copy the first time, add in place afterwards."""
    ### BEGIN SOLUTION
    if leaf.grad is None:
        leaf.grad = grad.clone()
    else:
        leaf.grad.add_(grad)
    ### END SOLUTION


# %% id="ex1-check" nbgrader={"grade": true, "grade_id": "ex1-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch04.accumulate_grad")
### BEGIN HIDDEN TESTS
check("ch04.accumulate_grad", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex2-text" tags=["seed:s001-attributes", "seed:s002-leaf-grad", "seed:s002-nonleaf-grad-warning", "seed:s004-no-grad-for-false"]
# ## Exercise 2 (predict): the attribute table
#
# *Predict · difficulty 2 of 3 · about 15 minutes*
#
# Read this program, without running it:
#
# ```python
# a = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
# c = mg.tensor([4.0, 5.0, 6.0])
# b = a * 2
# d = b * c
# d.retain_grad()
# with mg.no_grad():
#     e = a * 3
# loss = d.sum()
# loss.backward()
# ```
#
# After it ran, fill in chapter 4's attribute table for `a`, `b`, `c`, `d`, `e` (their
# `device` is `cpu`, the default, for all five): what are `requires_grad`, `is_leaf`,
# `grad_fn` and `.grad`? And reading `.grad` on which of them gives the `UserWarning` about
# non-leaf tensors?
#
# - `answer_requires_grad`, `answer_is_leaf`: dicts `{"a": True or False, ..., "e": ...}`;
# - `answer_grad_fn`: a dict `{"a": None or the node's name, e.g. "AddBackward0", ...}`;
# - `answer_grad`: a dict `{"a": None or a list of numbers, ..., "e": ...}`;
# - `answer_warns`: a list of names, e.g. `["a", "e"]` (`[]` if none).
#
#
# <details><summary>First hint</summary>
#
# A leaf is a tensor you created (or one made under `no_grad()`); only leaves that require
# grad, and tensors that called `retain_grad()`, keep a `.grad` after `backward()`.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# `b` and `d` are results with nodes; `e` was made while recording was off. `a.grad` is
# d(loss)/da through `b = a * 2` and `d = b * c`, so it is `2 * c`. Reading `.grad` of a
# non-leaf that did not call `retain_grad()` warns.
#
# </details>

# %% id="ex2-answer" nbgrader={"grade": false, "grade_id": "ex2-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_requires_grad = {"a": True, "b": True, "c": False, "d": True, "e": False}
answer_is_leaf = {"a": True, "b": False, "c": True, "d": False, "e": True}
answer_grad_fn = {"a": None, "b": "MulBackward0", "c": None, "d": "MulBackward0", "e": None}
answer_grad = {"a": [8.0, 10.0, 12.0], "b": None, "c": None, "d": [1.0, 1.0, 1.0], "e": None}
answer_warns = ["b"]
### END SOLUTION

# %% id="ex2-check" nbgrader={"grade": true, "grade_id": "ex2-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch04.leaves")

# %% [markdown] id="ex3-text" tags=["seed:s002-no-grad-backward-error"]
# ## Exercise 3 (predict): which line raises, and with what?
#
# *Predict · difficulty 2 of 3 · about 15 minutes*
#
# Each program below either runs to the end or raises a `RuntimeError` whose message starts
# with one of these:
#
# - **A**: `element 0 of tensors does not require grad and does not have a grad_fn`
# - **B**: `grad can be implicitly created only for scalar outputs`
# - **C**: `Trying to backward through the graph a second time (or directly access saved
#   tensors after they have already been freed) ...`
#
# ```text
# p1  1  a = mg.ones(2, 3, requires_grad=True)
#     2  with mg.no_grad():
#     3      c = a * 2
#     4  s = c.sum()
#     5  s.backward()
#
# p2  1  w = mg.tensor([1.0, 2.0], requires_grad=True)
#     2  y = w * mg.tensor([3.0, 4.0])
#     3  y.backward()
#
# p3  1  w = mg.tensor([1.0, 2.0], requires_grad=True)
#     2  loss = (w * w).sum()
#     3  loss.backward()
#     4  loss.backward()
#
# p4  1  w = mg.tensor([1.0, 2.0], requires_grad=True)
#     2  loss = (w + w).sum()
#     3  loss.backward()
#     4  loss.backward()
#
# p5  1  w = mg.tensor([1.0, 2.0], requires_grad=True)
#     2  loss = (w * w).sum()
#     3  loss.backward(retain_graph=True)
#     4  loss.backward()
# ```
#
# For each program set `answer_p1` ... `answer_p5` to `None` if it runs to the end, or to
# the pair `(line, letter)` of the line that raises and its message, e.g. `(2, "B")`.
# Also: after `p4`, what is `w.grad`? Write `answer_p4_grad` as a list of numbers.
#
# <details><summary>First hint</summary>
#
# Match each program with the three messages: is there any graph at all (A), is the output
# a single number (B), was the graph already used and freed (C)?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# An addition saves no tensors, so a second `backward()` through it finds nothing freed;
# `retain_graph=True` keeps the saved tensors. And a second `backward()` adds into
# `.grad`.
#
# </details>

# %% id="ex3-answer" nbgrader={"grade": false, "grade_id": "ex3-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_p1 = (5, "A")
answer_p2 = (3, "B")
answer_p3 = (4, "C")
answer_p4 = None
answer_p5 = None
answer_p4_grad = [4.0, 4.0]
### END SOLUTION

# %% id="ex3-check" nbgrader={"grade": true, "grade_id": "ex3-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch04.errors")

# %% [markdown] id="ex4-text"
# ## Exercise 4 (find the bug): a line that will not fit
#
# *Find the bug · difficulty 1 of 3 · about 10 minutes*
#
# `fit_line_buggy` fits `y = w x + b` by gradient descent on the mean squared error. The
# data below lie exactly on `y = 2x - 1`, so after enough steps `(w, b)` should be close to
# `(2, -1)`. Run the cell: it is not, and more steps do not help.
#
# <details><summary>First hint</summary>
#
# Print `w.grad` at each step: does it hold this step's gradient, or something more?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# `backward()` adds into `.grad`. Reset the gradients after each update (`w.grad = None`
# or `.zero_()`), as an optimizer's `zero_grad()` does.
#
# </details>


# %% id="ex4-given" nbgrader={"grade": false, "grade_id": "ex4-given", "locked": true, "schema_version": 3, "solution": false}
def fit_line_buggy(xs, ys, steps, lr):
    x, y = mg.tensor(xs), mg.tensor(ys)
    w = mg.zeros(1, requires_grad=True)
    b = mg.zeros(1, requires_grad=True)
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with mg.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    return w.item(), b.item()


xs = [-1.0, -0.5, 0.0, 0.5, 1.0]
ys = [2 * x - 1 for x in xs]
for steps in (10, 50, 200):
    w, b = fit_line_buggy(xs, ys, steps, lr=0.1)
    print(f"{steps:3} steps: w = {w:7.3f}, b = {b:7.3f}")

# %% [markdown] id="ex4-fix-text"
# Find the bug and write the fixed loop as `fit_line(xs, ys, steps, lr)`, returning
# `(w, b)` as two numbers. Keep everything else as it is (start at zero, same loss, same
# update).


# %% id="ex4-fix" nbgrader={"grade": false, "grade_id": "ex4-fix", "locked": false, "schema_version": 3, "solution": true}
def fit_line(xs, ys, steps, lr):
    ### BEGIN SOLUTION
    x, y = mg.tensor(xs), mg.tensor(ys)
    w = mg.zeros(1, requires_grad=True)
    b = mg.zeros(1, requires_grad=True)
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with mg.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = None  # backward adds into .grad: start the next step from nothing
        b.grad = None
    return w.item(), b.item()
    ### END SOLUTION


# %% id="ex4-check" nbgrader={"grade": true, "grade_id": "ex4-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch04.fit_line")
### BEGIN HIDDEN TESTS
check("ch04.fit_line", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex5-text"
# ## Exercise 5 (find the bug): the gradient of a hidden layer
#
# *Find the bug · difficulty 2 of 3 · about 10 minutes*
#
# To see which hidden units matter, `hidden_grads_buggy` computes the gradient of the loss
# with respect to the hidden activations `h` of a small network, and also `W1.grad`. Run it.
#
# <details><summary>First hint</summary>
#
# Read the warning the cell prints: `h` is not a leaf. What does the engine keep for a
# non-leaf?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Call `h.retain_grad()` right after computing `h`, before `backward()`; do not detach
# `h`, or `W1` loses its gradient.
#
# </details>


# %% id="ex5-given" nbgrader={"grade": false, "grade_id": "ex5-given", "locked": true, "schema_version": 3, "solution": false}
def hidden_grads_buggy(xs, W1, W2):
    x = mg.tensor(xs)
    W1 = mg.tensor(W1, requires_grad=True)
    W2 = mg.tensor(W2, requires_grad=True)
    h = mg.mm(x, W1).tanh()
    loss = mg.mm(h, W2).sum()
    loss.backward()
    return h.grad, W1.grad


with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    grad_h, grad_W1 = hidden_grads_buggy(
        [[1.0, -1.0]], [[0.5, 0.1, -0.2], [0.3, -0.4, 0.2]], [[1.0], [2.0], [-1.0]]
    )
print("gradient of h:", grad_h)
print("W1.grad:", grad_W1)
for w_ in caught:
    print(f"{w_.category.__name__}: {str(w_.message).split('. ')[0]}.")

# %% [markdown] id="ex5-fix-text"
# Write the fixed function as `hidden_grads(xs, W1, W2)`, returning the pair
# `(gradient of the loss with respect to h, W1.grad)`. The network and the loss stay the same,
# and `W1` must still get its gradient.


# %% id="ex5-fix" nbgrader={"grade": false, "grade_id": "ex5-fix", "locked": false, "schema_version": 3, "solution": true}
def hidden_grads(xs, W1, W2):
    ### BEGIN SOLUTION
    x = mg.tensor(xs)
    W1 = mg.tensor(W1, requires_grad=True)
    W2 = mg.tensor(W2, requires_grad=True)
    h = mg.mm(x, W1).tanh()
    h.retain_grad()  # h is not a leaf: ask the engine to keep its gradient
    loss = mg.mm(h, W2).sum()
    loss.backward()
    return h.grad, W1.grad
    ### END SOLUTION


# %% id="ex5-check" nbgrader={"grade": true, "grade_id": "ex5-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch04.hidden_grads")
### BEGIN HIDDEN TESTS
check("ch04.hidden_grads", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex6-text"
# ## Exercise 6 (implement): `retain_grad()`'s store
#
# *Implement · difficulty 1 of 3 · about 10 minutes · a piece of your engine*
#
# A non-leaf that called `retain_grad()` keeps its gradient too. The engine calls
# `store_retained_grad(tensor, grad)` when the gradient of the tensor arrives (after the
# tensor's hooks ran, so a hook may have changed it). Unlike a leaf's `.grad`, a retained
# gradient is **not** added in place: the first one is stored as a copy (`grad.clone()`),
# and a later one (a second `backward()`) makes a new tensor, `tensor.grad + grad`.
#
# Write `store_retained_grad(tensor, grad)` (returns nothing). `grad` is a tensor.
#
# <details><summary>First hint</summary>
#
# Two cases, as in exercise 1: `tensor.grad` is `None`, or it holds an earlier gradient.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# `tensor.grad = grad.clone()` the first time, `tensor.grad = tensor.grad + grad` afterwards.
#
# </details>


# %% id="ex6-impl" nbgrader={"grade": false, "grade_id": "ex6-impl", "locked": false, "schema_version": 3, "solution": true}
def store_retained_grad(tensor, grad):
    """retain_grad(): store a copy of the first gradient, add later ones (out of place)."""
    ### BEGIN SOLUTION
    if tensor.grad is None:
        tensor.grad = grad.clone()
    else:
        tensor.grad = tensor.grad + grad
    ### END SOLUTION


# %% id="ex6-check" nbgrader={"grade": true, "grade_id": "ex6-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch04.store_retained_grad")
### BEGIN HIDDEN TESTS
check("ch04.store_retained_grad", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="progress-text"
# ## Your progress

# %% id="progress" nbgrader={"grade": false, "grade_id": "progress", "locked": true, "schema_version": 3, "solution": false}
progress()
