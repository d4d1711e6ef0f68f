# %% [markdown] id="intro"
# # Chapter 3 · Exercises: tensors, broadcasting, matmul
#
# These exercises practise chapter 3: the dtype a result gets, why a broadcast input's
# gradient is a sum (`unbroadcast`), the backward of a matrix product, and the classic
# `z = sum(mm(x, y))` example.
#
# Write each answer, run its cell, then run the check cell below it. Run the setup cell
# first.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false} tags=["nbval-ignore-output"]

import minigrad as mg
from coursekit import check, progress
from coursekit.engine_build import setup
from minigrad.autograd import Function
from minigrad.ops.matrix import mm_numbers

setup("ch03")

# %% [markdown] id="ex1-text"
# ## Exercise 1 (predict): dtypes of mixed operations
#
# *Predict · difficulty 2 of 3 · about 10 minutes*
#
# What is the dtype of each result? Answer with the dtype's name as a string, e.g.
# `"float32"`, `"float64"` or `"int64"`, in `answer_a` to `answer_e`.
#
# ```python
# a = mg.tensor([1, 2]) * 2
# b = mg.tensor([1, 2]) / 2
# c = mg.tensor([1, 2]) + 0.5
# d = mg.tensor([1.0, 2.0], dtype=mg.float64) + mg.tensor([1.0, 2.0])
# e = mg.tensor([1.0, 2.0]) * mg.tensor(3.0, dtype=mg.float64)
# ```
#
# <details><summary>First hint</summary>
#
# Three rules: a Python number does not widen a tensor of its own kind; `/` always gives
# floats; two tensors of dimension 1 or more meet at the wider dtype.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# A tensor of 0 dimensions counts like a Python number when the other tensor has more
# dimensions and is of the same kind (float and float): it does not widen it. An int
# tensor meeting a float number becomes float32, the default.
#
# </details>

# %% id="ex1-answer" nbgrader={"grade": false, "grade_id": "ex1-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_a = "int64"
answer_b = "float32"
answer_c = "float32"
answer_d = "float64"
answer_e = "float32"
### END SOLUTION

# %% id="ex1-check" nbgrader={"grade": true, "grade_id": "ex1-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch03.dtypes")

# %% [markdown] id="ex2-text"
# ## Exercise 2 (implement): `unbroadcast`
#
# *Implement · difficulty 2 of 3 · about 15 minutes · a piece of your engine*
#
# In `x * w` with `x` of shape `(2, 3)` and `w` of shape `(3,)`, each element of `w` is
# used twice, once per row. The gradient arriving at the result has shape `(2, 3)`, but
# `w.grad` must have `w`'s shape `(3,)`: the gradients of all the copies are **added**.
#
# Write `unbroadcast(grad, shape)`: `grad` is a minigrad tensor, `shape` a tuple; return
# `grad` summed down to `shape`:
# - sum over the leading dims that broadcasting added (when `grad` has more dims);
# - sum over each dim where `shape` has a 1 but `grad` does not, keeping that dim.
#
# A tensor's sum is `t.sum(dim=..., keepdim=...)` (`dim` may be a tuple of dims); note that
# PyTorch reads an **empty** tuple `dim=()` as "all dims", so only call it when there is
# something to sum. The check also uses your function as the backward of an addition
# `x + w + b` where `w` and `b` broadcast.
#
# This function is a piece of your engine: every operation's backward will call it, on numpy
# arrays when nothing records the backward and on tensors when something does. So write the
# sums with numpy's names, `grad.sum(axis=..., keepdims=...)`, which minigrad's tensors
# accept too (as PyTorch's do).
#
# <details><summary>First hint</summary>
#
# Two steps: first sum away the dimensions broadcasting added in front (`grad.ndim -
# len(shape)` of them), then sum, keeping the dimension, every one where `shape` has a 1
# and `grad` does not.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# `lead = grad.ndim - len(shape)`; if it is positive, `grad =
# grad.sum(axis=tuple(range(lead)))`. Then collect the dims `i` with `shape[i] == 1 and
# grad.shape[i] != 1`, and if there are any, `grad.sum(axis=those, keepdims=True)`.
#
# </details>


# %% id="ex2-impl" nbgrader={"grade": false, "grade_id": "ex2-impl", "locked": false, "schema_version": 3, "solution": true}
def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`, undoing broadcasting."""
    ### BEGIN SOLUTION
    lead = grad.ndim - len(shape)
    if lead > 0:
        grad = grad.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad
    ### END SOLUTION


# %% id="ex2-check" nbgrader={"grade": true, "grade_id": "ex2-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch03.unbroadcast")
### BEGIN HIDDEN TESTS
check("ch03.unbroadcast", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex3-text" tags=["seed:s001-mm-sum"]
# ## Exercise 3 (predict): `z = sum(mm(x, y))`
#
# *Predict · difficulty 2 of 3 · about 15 minutes*
#
# ```python
# mg.manual_seed(0)
# x = mg.arange(9.).view(3, 3)              # 0 ... 8, does not require grad
# y = mg.randn(3, 3, requires_grad=True)
# z = mg.sum(mg.mm(x, y))
# z.backward()
# ```
#
# Predict:
# - `answer_x_grad`: what `x.grad` is;
# - `answer_y_grad`: `y.grad`, as a 3 × 3 nested list of numbers;
# - `answer_depends_on_y`: would `y.grad` be different if `y` held other random values?
#   (`True`/`False`)
#
# The lecture's rule for `C = A @ B` can help: `grad_B = Aᵀ @ grad`, and `sum` sends a
# gradient of ones to the product.
#
# <details><summary>First hint</summary>
#
# `x` does not require grad. `sum` sends a gradient of ones to `mm(x, y)`; the gradient of
# `y` in `x @ y` is `xᵀ @ grad`.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Entry `(k, j)` of `xᵀ @ ones` is the sum of column `k` of `x`, the same for every `j`.
# Does `y`'s value appear anywhere in that formula?
#
# </details>

# %% id="ex3-answer" nbgrader={"grade": false, "grade_id": "ex3-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_x_grad = None
answer_y_grad = [[9, 9, 9], [12, 12, 12], [15, 15, 15]]  # row k: sum of column k of x
answer_depends_on_y = False
### END SOLUTION

# %% id="ex3-check" nbgrader={"grade": true, "grade_id": "ex3-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch03.mm_sum")

# %% [markdown] id="ex4-text"
# ## Exercise 4 (find the bug): an `arange` of integers
#
# *Find the bug · difficulty 1 of 3 · about 5 minutes*
#
# `y_grad_buggy(n)` is the same program for an `n × n` matrix, returning `y.grad`, but it
# stops with an error. Read the message, find the bug, and write the fixed function as
# `y_grad(n)`, returning `y.grad`.
#
# <details><summary>First hint</summary>
#
# Read the message: which dtype does each matrix of `mm` have?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# `mg.arange` of an int gives int64 and `randn` gives float32: make the `arange` one of
# floats (`dtype=mg.float32`).
#
# </details>


# %% id="ex4-given" nbgrader={"grade": false, "grade_id": "ex4-given", "locked": true, "schema_version": 3, "solution": false}
def y_grad_buggy(n):
    x = mg.arange(n * n).view(n, n)
    y = mg.randn(n, n, requires_grad=True)
    z = mg.sum(mg.mm(x, y))
    z.backward()
    return y.grad


try:
    print(y_grad_buggy(3))
except RuntimeError as error:
    print(f"{type(error).__name__}: {error}")


# %% id="ex4-fix" nbgrader={"grade": false, "grade_id": "ex4-fix", "locked": false, "schema_version": 3, "solution": true}
def y_grad(n):
    ### BEGIN SOLUTION
    x = mg.arange(n * n, dtype=mg.float32).view(n, n)
    y = mg.randn(n, n, requires_grad=True)
    z = mg.sum(mg.mm(x, y))
    z.backward()
    return y.grad
    ### END SOLUTION


# %% id="ex4-check" nbgrader={"grade": true, "grade_id": "ex4-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch03.y_grad")
### BEGIN HIDDEN TESTS
check("ch03.y_grad", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex5-text"
# ## Exercise 5 (implement): `Mul` on tensors, saving only what is needed
#
# *Implement · difficulty 2 of 3 · about 15 minutes · a piece of your engine*
#
# A tensor operation of your engine is a Function like chapter 1's, but its forward gets the
# inputs' **numpy arrays** and returns an array; its backward gets the gradient as an array
# (or as a tensor, when `create_graph=True` records the backward), so write it with operators
# only: `grad * b`. The engine fits each gradient to its input with your `unbroadcast`, and
# names the node `MulBackward0`; `a * b`, `a * 2` and `mg.mul` all reach your class.
#
# PyTorch saves an input only when it is needed: `a`'s gradient needs `b`, so `b` is saved only
# if `a` needs a gradient (`ctx.needs_input_grad[0]`), and the other way round. Save with
# `ctx.save(self=..., other=...)` (PyTorch's names: the node shows `_saved_self`,
# `_saved_other`), `None` for what is not needed; `ctx.saved_tensors` gives them back in that
# order. An input that was not saved may then be changed in place before backward.
#
# Write `class Mul(Function)`.
#
# <details><summary>First hint</summary>
#
# `needs_a, needs_b = ctx.needs_input_grad`; which of `a` and `b` does `grad * b` need?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# forward: `ctx.save(self=a if needs_b else None, other=b if needs_a else None)` and return
# `a * b`; backward: return `grad * b` for `a` (or `None` if `b` was not saved), and `grad * a`
# for `b`.
#
# </details>


# %% id="ex5-impl" nbgrader={"grade": false, "grade_id": "ex5-impl", "locked": false, "schema_version": 3, "solution": true}
class Mul(Function):
    """a * b on tensors: each input's gradient is grad times the other input."""

    @staticmethod
    def forward(ctx, a, b):
        ### BEGIN SOLUTION
        needs_a, needs_b = ctx.needs_input_grad
        ctx.save(self=a if needs_b else None, other=b if needs_a else None)
        return a * b
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        ### BEGIN SOLUTION
        a, b = ctx.saved_tensors
        return (grad * b if b is not None else None, grad * a if a is not None else None)
        ### END SOLUTION


# %% id="ex5-check" nbgrader={"grade": true, "grade_id": "ex5-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch03.Mul")
### BEGIN HIDDEN TESTS
check("ch03.Mul", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex6-text"
# ## Exercise 6 (implement): `Mm`, the matrix product as an operation
#
# *Implement · difficulty 2 of 3 · about 15 minutes · a piece of your engine*
#
# For `C = A @ B` with `A` of shape `(n, k)` and `B` of shape `(k, m)`, the gradient
# arriving at `C` has shape `(n, m)`, and each input's gradient has that input's shape.
# Write the matrix product as a piece of your engine: `class Mm(Function)` whose forward
# computes `a @ b` on arrays and saves `a` under the name `self` (only if `b` needs a
# gradient) and `b` as `mat2` (only if `a` needs one); backward returns the two gradients.
# Compute every product with `mm_numbers(x, y)` (imported above) rather than `x @ y`: the
# same numbers, with PyTorch's signs of zero (an outer product keeps `-1.0 * 0.0 = -0.0`,
# numpy's `@` gives `0.0`), and on tensors (under `create_graph=True`) it is `x @ y`.
# `mg.mm`, `t.mm` and `@` on two matrices reach it; the node is `MmBackward0`. So does
# every `nn.Linear` layer: its one node, `AddmmBackward0` (PyTorch's), asks your `Mm`'s
# backward for the two matrix gradients, so the digits network of chapter 11 trains on it.
#
# <details><summary>First hint</summary>
#
# Let the shapes guide you: `grad` is `(n, m)` and `a` is `(n, k)`. Which product of `grad`
# with `b` (or with its transpose `b.T`) has shape `(n, k)`? And for `b`, `(k, m)`?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# For C = A @ B: grad_A = grad @ Bᵀ and grad_B = Aᵀ @ grad (`.T` works on arrays and
# tensors). Save as in `Mul`: `ctx.save(self=a if needs_b else None, mat2=b if needs_a else None)`;
# forward returns `mm_numbers(a, b)`, backward `mm_numbers(grad, b.T)` and
# `mm_numbers(a.T, grad)`, each `None` when its input was not saved.
#
# </details>


# %% id="ex6-impl" nbgrader={"grade": false, "grade_id": "ex6-impl", "locked": false, "schema_version": 3, "solution": true}
class Mm(Function):
    """a @ b for two matrices: grad_a = grad @ b.T, grad_b = a.T @ grad."""

    @staticmethod
    def forward(ctx, a, b):
        ### BEGIN SOLUTION
        needs_a, needs_b = ctx.needs_input_grad
        ctx.save(self=a if needs_b else None, mat2=b if needs_a else None)
        return mm_numbers(a, b)
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        ### BEGIN SOLUTION
        a, b = ctx.saved_tensors
        grad_a = mm_numbers(grad, b.T) if b is not None else None
        return grad_a, mm_numbers(a.T, grad) if a is not None else None
        ### END SOLUTION


# %% id="ex6-check" nbgrader={"grade": true, "grade_id": "ex6-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch03.Mm")
### BEGIN HIDDEN TESTS
check("ch03.Mm", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="progress-text"
# ## Your progress

# %% id="progress" nbgrader={"grade": false, "grade_id": "progress", "locked": true, "schema_version": 3, "solution": false}
progress()
