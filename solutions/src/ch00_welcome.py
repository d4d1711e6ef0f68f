# %% [markdown] id="intro"
# # Chapter 0 · Exercises: how a check works
#
# Three short exercises to get used to the course's exercise notebooks: predict a
# gradient, implement a tiny function, and fix a small bug.
#
# Each exercise has a cell for your answer and, under it, a **check cell**. Write your
# answer, run its cell, then run the check cell: it tries your work on a few cases and
# prints one line, `✓` when it is right, or `✗` with what is wrong, the rule at stake and
# a hint. Run the setup cell first. The last cell shows your progress.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false} tags=["nbval-ignore-output"]


import minigrad as mg
from coursekit import check, progress
from coursekit.engine_build import setup

setup("ch00")

# %% [markdown] id="ex1-text"
# ## Exercise 1 (predict): a first gradient
#
# *Predict · difficulty 1 of 3 · about 5 minutes*
#
# Read this program without running it:
#
# ```python
# x = mg.tensor(2.0, requires_grad=True)
# y = x ** 3 - 4 * x
# y.backward()
# ```
#
# What number does `y` hold, and what is `x.grad` after `y.backward()`? Write them as
# Python numbers: `answer_y` (the value of `y`) and `answer_grad` (the value in `x.grad`).
#
# <details><summary>First hint</summary>
#
# `y` is an ordinary number: put `x = 2` into `x ** 3 - 4 * x`. `x.grad` is the slope of
# `y` at `x = 2`, the derivative.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# The derivative of `x ** 3 - 4 * x` is `3 * x ** 2 - 4`; evaluate both expressions at `x
# = 2`.
#
# </details>

# %% id="ex1-answer" nbgrader={"grade": false, "grade_id": "ex1-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_y = 0.0
answer_grad = 8.0
### END SOLUTION

# %% id="ex1-check" nbgrader={"grade": true, "grade_id": "ex1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false}
check("ch00.first_gradient")

# %% [markdown] id="ex2-text"
# ## Exercise 2 (implement): the slope from two nearby points
#
# *Implement · difficulty 1 of 3 · about 5 minutes*
#
# A derivative is a slope: how much `f(x)` changes per unit change of `x`. Without any
# autograd we can estimate it from two points close to `x`, one on each side:
#
# `(f(x + h) - f(x - h)) / (2 * h)`
#
# This *central difference* is off by only about `h²` (for a smooth `f`). Chapter 2 uses
# it to test backward formulas: if `backward()` and the central difference disagree, the
# formula is wrong.
#
# Write `numerical_slope(f, x, h=1e-5)`: `f` is a Python function of one float, `x` a
# float; return the central difference, a float.
#
# <details><summary>First hint</summary>
#
# Evaluate `f` once on each side of `x`, subtract, and divide by the distance between the
# two points.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# The two points are `x + h` and `x - h`: they are `2 * h` apart.
#
# </details>


# %% id="ex2-impl" nbgrader={"grade": false, "grade_id": "ex2-impl", "locked": false, "schema_version": 3, "solution": true}
def numerical_slope(f, x, h=1e-5):
    """Estimate df/dx at x from f(x + h) and f(x - h)."""
    ### BEGIN SOLUTION
    return (f(x + h) - f(x - h)) / (2 * h)
    ### END SOLUTION


# %% id="ex2-check" nbgrader={"grade": true, "grade_id": "ex2-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch00.numerical_slope")
### BEGIN HIDDEN TESTS
check("ch00.numerical_slope", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex3-text"
# ## Exercise 3 (find the bug): a slope that fails on some inputs
#
# *Find the bug · difficulty 1 of 3 · about 5 minutes*
#
# `slope_buggy(x0)` uses autograd to get the slope of `y = x² + 2x` at `x0`. It works for
# `1.5` but not for `3`. Run the cell and read the error message: it says exactly what is
# wrong.
#
# Write the fixed function as `slope(x0)`: it must return the slope (a float) for any
# number `x0`, integer or not.
#
# <details><summary>First hint</summary>
#
# Run the cell and read the error message for `3`: what is different about the tensor
# `mg.tensor(3)` compared with `mg.tensor(1.5)`?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Only floating-point tensors can require gradients, and `mg.tensor(3)` holds an integer.
# Create the tensor from `float(x0)`.
#
# </details>


# %% id="ex3-given" nbgrader={"grade": false, "grade_id": "ex3-given", "locked": true, "schema_version": 3, "solution": false}
def slope_buggy(x0):
    x = mg.tensor(x0, requires_grad=True)
    y = x**2 + 2 * x
    y.backward()
    return x.grad.item()


print("slope_buggy(1.5) =", slope_buggy(1.5))
try:
    print("slope_buggy(3) =", slope_buggy(3))
except RuntimeError as error:
    print(f"slope_buggy(3) raised {type(error).__name__}: {error}")


# %% id="ex3-fix" nbgrader={"grade": false, "grade_id": "ex3-fix", "locked": false, "schema_version": 3, "solution": true}
def slope(x0):
    ### BEGIN SOLUTION
    x = mg.tensor(float(x0), requires_grad=True)
    y = x**2 + 2 * x
    y.backward()
    return x.grad.item()
    ### END SOLUTION


# %% id="ex3-check" nbgrader={"grade": true, "grade_id": "ex3-check", "locked": true, "points": 1, "schema_version": 3, "solution": false}
check("ch00.slope")
### BEGIN HIDDEN TESTS
check("ch00.slope", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="progress-text"
# ## Your progress

# %% id="progress" nbgrader={"grade": false, "grade_id": "progress", "locked": true, "schema_version": 3, "solution": false}
progress()
