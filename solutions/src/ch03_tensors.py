# %% [markdown] id="intro"
# # Chapter 3 · Exercises: tensors, broadcasting, matmul
#
# These exercises practise chapter 3: the dtype a result gets, why a broadcast input's
# gradient is a sum (`unbroadcast`), the backward of a matrix product, and the classic
# `z = sum(mm(x, y))` example.
#
# Write each answer, run its cell, then run the check cell below it. Run the setup cell
# first.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}

import minigrad as mg
from coursekit import check, progress

# %% [markdown] id="ex1-text"
# ## Exercise 1 (predict): dtypes of mixed operations
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


# %% id="ex2-impl" nbgrader={"grade": false, "grade_id": "ex2-impl", "locked": false, "schema_version": 3, "solution": true}
def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`, undoing broadcasting."""
    ### BEGIN SOLUTION
    lead = grad.ndim - len(shape)
    if lead > 0:
        grad = grad.sum(dim=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(dim=stretched, keepdim=True)
    return grad
    ### END SOLUTION


# %% id="ex2-check" nbgrader={"grade": true, "grade_id": "ex2-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch03.unbroadcast")
### BEGIN HIDDEN TESTS
check("ch03.unbroadcast", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex3-text"
# ## Exercise 3 (implement): the backward of a matrix product
#
# For `C = A @ B` with `A` of shape `(n, k)` and `B` of shape `(k, m)`, the gradient
# `grad` arriving at `C` has shape `(n, m)`. Write `mm_backward(grad, a, b)` returning the
# pair `(grad_a, grad_b)`, the gradients for `A` and `B` (minigrad tensors, shaped like
# `a` and `b`). `t.T` (or `t.t()`) transposes a matrix; `@` (or `.mm`) multiplies.
#
# The check also uses your function as the backward of a real matrix-product node.


# %% id="ex3-impl" nbgrader={"grade": false, "grade_id": "ex3-impl", "locked": false, "schema_version": 3, "solution": true}
def mm_backward(grad, a, b):
    """Gradients of C = a @ b for a and b, given the gradient arriving at C."""
    ### BEGIN SOLUTION
    return grad @ b.T, a.T @ grad
    ### END SOLUTION


# %% id="ex3-check" nbgrader={"grade": true, "grade_id": "ex3-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch03.mm_backward")
### BEGIN HIDDEN TESTS
check("ch03.mm_backward", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex4-text" tags=["seed:s001-mm-sum"]
# ## Exercise 4 (predict): `z = sum(mm(x, y))`
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
# Your `mm_backward` from exercise 3 can help: `sum` sends a gradient of ones to the product.

# %% id="ex4-answer" nbgrader={"grade": false, "grade_id": "ex4-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_x_grad = None
answer_y_grad = [[9, 9, 9], [12, 12, 12], [15, 15, 15]]  # row k: sum of column k of x
answer_depends_on_y = False
### END SOLUTION

# %% id="ex4-check" nbgrader={"grade": true, "grade_id": "ex4-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch03.mm_sum")

# %% [markdown] id="ex5-text"
# ## Exercise 5 (find the bug): an `arange` of integers
#
# `y_grad_buggy(n)` is the same program for an `n × n` matrix, returning `y.grad`, but it
# stops with an error. Read the message, find the bug, and write the fixed function as
# `y_grad(n)`, returning `y.grad`.


# %% id="ex5-given" nbgrader={"grade": false, "grade_id": "ex5-given", "locked": true, "schema_version": 3, "solution": false}
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


# %% id="ex5-fix" nbgrader={"grade": false, "grade_id": "ex5-fix", "locked": false, "schema_version": 3, "solution": true}
def y_grad(n):
    ### BEGIN SOLUTION
    x = mg.arange(n * n, dtype=mg.float32).view(n, n)
    y = mg.randn(n, n, requires_grad=True)
    z = mg.sum(mg.mm(x, y))
    z.backward()
    return y.grad
    ### END SOLUTION


# %% id="ex5-check" nbgrader={"grade": true, "grade_id": "ex5-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch03.y_grad")
### BEGIN HIDDEN TESTS
check("ch03.y_grad", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="progress-text"
# ## Your progress

# %% id="progress" nbgrader={"grade": false, "grade_id": "progress", "locked": true, "schema_version": 3, "solution": false}
progress()
