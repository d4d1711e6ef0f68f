# %% [markdown] id="intro"
# # Chapter 1 · Exercises: the graph
#
# These exercises practise what chapter 1 taught with `minigrad.Scalar`: the node a result
# remembers (`grad_fn`), its edges (`next_functions`), leaves and results, how
# `requires_grad` flows forward, and how an operation records itself.
#
# Write each answer, run its cell, then run the check cell below it. Run the setup cell
# first.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false} tags=["nbval-ignore-output"]
import math

import minigrad as mg
from coursekit import check, progress
from coursekit.engine_build import setup
from minigrad.scalar import Function

setup("ch01")

# %% [markdown] id="ex1-text"
# ## Exercise 1 (predict): names, leaves and edges
#
# *Predict · difficulty 1 of 3 · about 10 minutes*
#
# Read this program without running it:
#
# ```python
# a = mg.Scalar(2.0, requires_grad=True)
# b = mg.Scalar(3.0)
# c = a * b
# d = c + a
# e = d.tanh()
# ```
#
# Predict, as Python values:
# - `answer_e_grad_fn`: the name of `e`'s node, `e.grad_fn.name()` (a string);
# - `answer_b_is_leaf`: `b.is_leaf` (`True`/`False`);
# - `answer_c_next` and `answer_d_next`: the nodes in `c.grad_fn.next_functions` and in
#   `d.grad_fn.next_functions`, in order, as a list of names such as
#   `["MulBackward0", "AccumulateGrad"]`, with `None` for an edge that leads nowhere;
# - `answer_a_grad`: what `a.grad` is right after this program (no `backward()` yet).
#
# <details><summary>First hint</summary>
#
# Draw the graph on paper: one box per operation, named after its backward
# (`MulBackward0`), and one `AccumulateGrad` box for each leaf that requires grad.
# `next_functions` has one entry per input of the operation, in order.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# `b` does not require grad, so the edge from `c`'s node to `b` leads nowhere: `None`.
# `backward()` has not run, so no `.grad` has been written yet.
#
# </details>

# %% id="ex1-answer" nbgrader={"grade": false, "grade_id": "ex1-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_e_grad_fn = "TanhBackward0"
answer_b_is_leaf = True
answer_c_next = ["AccumulateGrad", None]
answer_d_next = ["MulBackward0", "AccumulateGrad"]
answer_a_grad = None
### END SOLUTION

# %% id="ex1-check" nbgrader={"grade": true, "grade_id": "ex1-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch01.graph_names")

# %% [markdown] id="ex2-text" tags=["seed:s004-requires-grad-flows"]
# ## Exercise 2 (predict): who requires grad?
#
# *Predict · difficulty 1 of 3 · about 5 minutes*
#
# ```python
# w = mg.Scalar(0.5, requires_grad=True)
# x = mg.Scalar(4.0)
# h = x * 3 - 1
# y = h * w
# z = y.relu() + x
# u = (x + h).exp()
# with mg.no_grad():
#     v = w * 2
# ```
#
# For each of `h`, `y`, `z`, `u` and `v`, does it require grad? Answer with `True` or
# `False` in `answer_h`, `answer_y`, `answer_z`, `answer_u` and `answer_v`.
#
# <details><summary>First hint</summary>
#
# A result requires grad when grad mode is on and at least one of its inputs requires
# grad. Follow each value back to the leaves it was computed from.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Only `w` requires grad. `h` and `u` are computed from `x` alone; `v` is computed while
# recording is off.
#
# </details>

# %% id="ex2-answer" nbgrader={"grade": false, "grade_id": "ex2-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_h = False
answer_y = True
answer_z = True
answer_u = False
answer_v = False
### END SOLUTION

# %% id="ex2-check" nbgrader={"grade": true, "grade_id": "ex2-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch01.requires_grad_flow")

# %% [markdown] id="ex3-text"
# ## Exercise 3 (find the bug): a parameter with no gradient
#
# *Find the bug · difficulty 1 of 3 · about 5 minutes*
#
# `fit_step_buggy` computes the squared error of a line `w * x + b` against a target and
# returns the gradients of the two parameters. One of them comes back as `None`. Run it,
# find out why, and write the fixed function as `fit_step(w0, b0, x, target)`, returning
# the pair `(w.grad, b.grad)`.
#
# <details><summary>First hint</summary>
#
# Run the buggy function and look at which gradient is `None`: how was that parameter
# created?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# A Scalar made without `requires_grad=True` is a leaf that nobody asks a gradient for:
# create `w` the way `b` is created.
#
# </details>


# %% id="ex3-given" nbgrader={"grade": false, "grade_id": "ex3-given", "locked": true, "schema_version": 3, "solution": false}
def fit_step_buggy(w0, b0, x, target):
    w = mg.Scalar(w0)
    b = mg.Scalar(b0, requires_grad=True)
    loss = (w * x + b - target) ** 2
    loss.backward()
    return w.grad, b.grad


print(fit_step_buggy(0.5, 0.0, 2.0, 3.0))


# %% id="ex3-fix" nbgrader={"grade": false, "grade_id": "ex3-fix", "locked": false, "schema_version": 3, "solution": true}
def fit_step(w0, b0, x, target):
    ### BEGIN SOLUTION
    w = mg.Scalar(w0, requires_grad=True)
    b = mg.Scalar(b0, requires_grad=True)
    loss = (w * x + b - target) ** 2
    loss.backward()
    return w.grad, b.grad
    ### END SOLUTION


# %% id="ex3-check" nbgrader={"grade": true, "grade_id": "ex3-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch01.fit_step")
### BEGIN HIDDEN TESTS
check("ch01.fit_step", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex4-text" tags=["seed:s001-graph-dag"]
# ## Exercise 4 (predict): how many nodes?
#
# *Predict · difficulty 2 of 3 · about 10 minutes*
#
# The forward pass records a graph: one node per operation, plus one `AccumulateGrad`
# node per leaf that requires grad. `backward()` later walks this graph to fill `.grad`.
# Read this program without running it:
#
# ```python
# a = mg.Scalar(2.0, requires_grad=True)
# b = mg.Scalar(-1.0, requires_grad=True)
# c = a * b
# d = c + a
# e = d * c
# ```
#
# Predict, as ints:
# - `answer_nodes`: how many distinct nodes are reachable from `e.grad_fn` along
#   `next_functions`, counting `e.grad_fn` itself and the `AccumulateGrad` nodes;
# - `answer_arrows_into_c`: how many entries, in all the `next_functions` of those nodes,
#   lead to `c.grad_fn`;
# - `answer_visits`: a walk from `e.grad_fn` that pushes every child it meets on a stack
#   and never remembers which nodes it has seen: how many times does it pop a node?
#
# (Chapter 2 has you write the walk that `backward()` needs.)
#
# <details><summary>First hint</summary>
#
# Draw the graph: one box per operation and one `AccumulateGrad` box per leaf that
# requires grad, with one arrow for every input of every operation. A value used twice is
# still one box.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Boxes: `e`'s, `d`'s and `c`'s nodes and the two leaves'. For the walk that remembers
# nothing, count the paths from `e`'s node to each box and add them up.
#
# </details>

# %% id="ex4-answer" nbgrader={"grade": false, "grade_id": "ex4-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_nodes = 5  # MulBackward0 (e), AddBackward0 (d), MulBackward0 (c), AccumulateGrad x 2
answer_arrows_into_c = 2  # c is used twice: by d = c + a and by e = d * c
answer_visits = 9  # one per path from e's node: e, d, c twice, a three times, b twice
### END SOLUTION

# %% id="ex4-check" nbgrader={"grade": true, "grade_id": "ex4-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch01.node_count")

# %% [markdown] id="ex5-text"
# ## Exercise 5 (implement): `Add`, your first operation
#
# *Implement · difficulty 1 of 3 · about 5 minutes · a piece of your engine*
#
# From here on you build your own engine, one piece per exercise. A piece that passes its
# check is saved in `my_engine/`, and from the next chapter on minigrad runs on it.
#
# An operation is a `Function`: `forward(ctx, a, b)` computes the result from plain floats,
# and `backward(ctx, grad)` beside it returns one gradient per input: d(result)/d(input)
# times `grad`. `Add.apply(x, y)` runs forward and, when the recording rule holds, records
# the node; minigrad's `Scalar.__add__` calls `Add.apply` (look at `minigrad.scalar.Mul`).
#
# Write `class Add(Function)`. The check tries `a + b`, `x + x`, numbers, a second
# `backward()` (an addition saves nothing, so it can run twice) and `no_grad()`.
#
# <details><summary>First hint</summary>
#
# The derivative of `a + b` is 1 for `a` and 1 for `b`: what does each input get?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# `forward` returns `a + b`; `backward` returns the pair `(grad, grad)`, and saves nothing.
#
# </details>


# %% id="ex5-impl" nbgrader={"grade": false, "grade_id": "ex5-impl", "locked": false, "schema_version": 3, "solution": true}
class Add(Function):
    """a + b on Scalars: the gradient reaches both inputs unchanged."""

    @staticmethod
    def forward(ctx, a, b):
        ### BEGIN SOLUTION
        return a + b
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        ### BEGIN SOLUTION
        return grad, grad
        ### END SOLUTION


# %% id="ex5-check" nbgrader={"grade": true, "grade_id": "ex5-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch01.Add")
### BEGIN HIDDEN TESTS
check("ch01.Add", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex6-text"
# ## Exercise 6 (implement): `Mul`, an operation that saves its inputs
#
# *Implement · difficulty 1 of 3 · about 10 minutes · a piece of your engine*
#
# `a * b` needs the inputs in backward: d(a*b)/da is `b`. forward keeps them with
# `ctx.save_for_backward(a, b)`; backward reads them back with `a, b = ctx.saved_tensors`
# (PyTorch's names, although these are floats). After `backward()` the engine frees what a
# node saved, so a second `backward()` through it raises.
#
# Write `class Mul(Function)`. The check tries `a * b`, `x * x`, numbers, the chain rule
# through several nodes, and the second backward.
#
# <details><summary>First hint</summary>
#
# Each input's gradient is `grad` times the *other* input.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# forward: save `a` and `b`, return `a * b`. backward: read them back and return
# `(grad * b, grad * a)`.
#
# </details>


# %% id="ex6-impl" nbgrader={"grade": false, "grade_id": "ex6-impl", "locked": false, "schema_version": 3, "solution": true}
class Mul(Function):
    """a * b on Scalars: each input's gradient is grad times the other input."""

    @staticmethod
    def forward(ctx, a, b):
        ### BEGIN SOLUTION
        ctx.save_for_backward(a, b)
        return a * b
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        ### BEGIN SOLUTION
        a, b = ctx.saved_tensors
        return grad * b, grad * a
        ### END SOLUTION


# %% id="ex6-check" nbgrader={"grade": true, "grade_id": "ex6-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch01.Mul")
### BEGIN HIDDEN TESTS
check("ch01.Mul", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex7-text"
# ## Exercise 7 (implement): `Tanh`, a backward that reuses the result
#
# *Implement · difficulty 2 of 3 · about 10 minutes · a piece of your engine*
#
# d tanh(x)/dx = 1 - tanh(x)². forward has just computed `t = tanh(x)`: save the *result*,
# not the input, and backward needs no second `tanh`.
#
# Write `class Tanh(Function)` with `forward(ctx, x)` (use `math.tanh`) and
# `backward(ctx, grad)`; backward may return the one gradient as it is, or as a 1-tuple.
#
# <details><summary>First hint</summary>
#
# What is `1 - t * t` when `t` is the result of forward?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# forward: `t = math.tanh(x)`, save `t`, return it. backward: `(t,) = ctx.saved_tensors`,
# return `grad * (1 - t * t)`.
#
# </details>


# %% id="ex7-impl" nbgrader={"grade": false, "grade_id": "ex7-impl", "locked": false, "schema_version": 3, "solution": true}
class Tanh(Function):
    """tanh on Scalars: the backward reuses forward's result t."""

    @staticmethod
    def forward(ctx, x):
        ### BEGIN SOLUTION
        t = math.tanh(x)
        ctx.save_for_backward(t)
        return t
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        ### BEGIN SOLUTION
        (t,) = ctx.saved_tensors
        return grad * (1 - t * t)
        ### END SOLUTION


# %% id="ex7-check" nbgrader={"grade": true, "grade_id": "ex7-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch01.Tanh")
### BEGIN HIDDEN TESTS
check("ch01.Tanh", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="progress-text"
# ## Your progress

# %% id="progress" nbgrader={"grade": false, "grade_id": "progress", "locked": true, "schema_version": 3, "solution": false}
progress()
