# %% [markdown] id="intro"
# # Chapter 10 · Exercises: your own backward, and gradients of gradients
#
# These exercises practise what chapter 10 taught: a custom `autograd.Function` records one
# node whose backward you write, and saves what it needs with `ctx.save_for_backward`;
# `gradcheck` compares your backward with finite differences; `create_graph=True` records
# the backward pass, so a gradient can be differentiated again.
#
# Write each answer, run its cell, then run the check cell below it. Run the setup cell
# first.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false} tags=["nbval-ignore-output"]
import minigrad as mg
from coursekit import check, progress
from coursekit.engine_build import setup

setup("ch10")

# %% [markdown] id="ex1-text"
# ## Exercise 1 (implement): a Function with two inputs, gradchecked
#
# *Implement · difficulty 2 of 3 · about 20 minutes*
#
# Write `Hypot`, a subclass of `mg.autograd.Function` computing the length of the vector
# `(a, b)` element by element: `hypot(a, b) = sqrt(a² + b²)`.
# - `forward(ctx, a, b)` computes it from minigrad operations and saves, with
#   `ctx.save_for_backward(...)`, what the backward needs;
# - `backward(ctx, grad)` returns **two** gradients, one per input, in order. By the chain
#   rule each is `grad` times the derivative: `d hypot / da = a / hypot`, and
#   `d hypot / db = b / hypot`.
#
# `a` and `b` may have different shapes that broadcast, like the operands of `+`. backward
# may return both gradients in the output's shape: the engine sums each back to its input's
# shape (chapter 3's unbroadcast), as PyTorch's does for a custom Function.
#
# The cell after yours applies it and runs `mg.autograd.gradcheck` on float64 inputs: it
# prints `True`, or gradcheck's error with the two Jacobians if your backward disagrees
# with finite differences. The check also changes `a` in place after `Hypot.apply(a, b)`: if you saved
# `a` with `save_for_backward`, backward notices (chapter 6) instead of computing from the
# wrong numbers.
#
# <details><summary>First hint</summary>
#
# forward computes `h = sqrt(a * a + b * b)` with tensor operations and saves what
# backward reads; backward multiplies `grad` by the two derivatives given above.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Save `a`, `b` and the result `h` with `ctx.save_for_backward(a, b, h)` (so an in-place
# change is caught); backward unpacks them and returns `grad * a / h` and the same for
# `b`.
#
# </details>


# %% id="ex1-impl" nbgrader={"grade": false, "grade_id": "ex1-impl", "locked": false, "schema_version": 3, "solution": true}
class Hypot(mg.autograd.Function):
    """sqrt(a² + b²), element by element, with a hand-written backward."""

    @staticmethod
    def forward(ctx, a, b):
        ### BEGIN SOLUTION
        h = (a * a + b * b).sqrt()
        ctx.save_for_backward(a, b, h)  # version-checked when backward unpacks them
        return h
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        ### BEGIN SOLUTION
        a, b, h = ctx.saved_tensors
        return grad * a / h, grad * b / h
        ### END SOLUTION


# %% id="ex1-given" nbgrader={"grade": false, "grade_id": "ex1-given", "locked": true, "schema_version": 3, "solution": false}
a = mg.tensor([3.0, -1.0, 0.5], dtype=mg.float64, requires_grad=True)
b = mg.tensor([4.0, 2.0, -1.5], dtype=mg.float64, requires_grad=True)
try:
    print(Hypot.apply(a, b))
    print("gradcheck:", mg.autograd.gradcheck(Hypot.apply, (a, b)))
except NotImplementedError:
    print("Hypot is not written yet: fill in the cell above, run it, then this one.")
except RuntimeError as error:
    print(f"{type(error).__name__}: {error}")

# %% id="ex1-check" nbgrader={"grade": true, "grade_id": "ex1-check", "locked": true, "points": 4, "schema_version": 3, "solution": false}
check("ch10.hypot")
### BEGIN HIDDEN TESTS
check("ch10.hypot", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex2-text"
# ## Exercise 2 (predict): derivatives of derivatives
#
# *Predict · difficulty 2 of 3 · about 15 minutes*
#
# ```python
# x = mg.tensor(1.5, requires_grad=True)
# y = mg.tensor(-2.0, requires_grad=True)
# f = x ** 2 * y + y ** 3
# (gx,) = mg.autograd.grad(f, x, create_graph=True)
# (gxy,) = mg.autograd.grad(gx, y, retain_graph=True)
# (gxx,) = mg.autograd.grad(gx, x)
# (plain,) = mg.autograd.grad(x ** 2 * y, x)
# ```
#
# Predict:
# - `answer_gx`: the value of `gx` (a number, `gx.item()`);
# - `answer_gx_requires_grad`: `gx.requires_grad` (`True`/`False`);
# - `answer_gxy` and `answer_gxx`: the values of `gxy` and `gxx` (numbers);
# - `answer_plain_requires_grad`: `plain.requires_grad`.
#
# <details><summary>First hint</summary>
#
# Compute by hand: `gx = d f / d x = 2 x y`. `create_graph=True` records the backward
# pass, so `gx` has a node of its own.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# `gxy` is d(2xy)/dy and `gxx` is d(2xy)/dx, at x = 1.5, y = -2. Without `create_graph`,
# the returned gradient is a plain tensor.
#
# </details>

# %% id="ex2-answer" nbgrader={"grade": false, "grade_id": "ex2-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_gx = -6.0  # 2xy
answer_gx_requires_grad = True  # create_graph=True recorded the backward pass
answer_gxy = 3.0  # d(2xy)/dy = 2x
answer_gxx = -4.0  # d(2xy)/dx = 2y
answer_plain_requires_grad = False  # no create_graph: a plain number
### END SOLUTION

# %% id="ex2-check" nbgrader={"grade": true, "grade_id": "ex2-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch10.second_derivatives")

# %% [markdown] id="ex3-text"
# ## Exercise 3 (find the bug): a backward that gradcheck refuses
#
# *Find the bug · difficulty 2 of 3 · about 10 minutes*
#
# `GaussianBuggy` computes the bell curve `exp(-x²)` with its own backward. Training with it
# would go the wrong way. `gradcheck` finds out; run the cell and compare the numerical and
# the analytical Jacobian.
#
# <details><summary>First hint</summary>
#
# Compare the two Jacobians gradcheck prints, entry by entry: how do they differ?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# d/dx exp(-x²) = -2x exp(-x²): compare that, term by term, with the buggy backward's
# formula.
#
# </details>


# %% id="ex3-given" nbgrader={"grade": false, "grade_id": "ex3-given", "locked": true, "schema_version": 3, "solution": false}
class GaussianBuggy(mg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        result = (-(x * x)).exp()
        ctx.save_for_backward(x, result)
        return result

    @staticmethod
    def backward(ctx, grad):
        x, result = ctx.saved_tensors
        return grad * 2 * x * result


x = mg.tensor([-1.0, 0.0, 0.5], dtype=mg.float64, requires_grad=True)
try:
    mg.autograd.gradcheck(GaussianBuggy.apply, (x,))
except RuntimeError as error:
    print(f"{type(error).__name__}: {error}")

# %% [markdown] id="ex3-fix-text"
# Write the fixed Function as `Gaussian` (a subclass of `mg.autograd.Function` with the
# same forward); the cell after yours runs `gradcheck` on it.


# %% id="ex3-fix" nbgrader={"grade": false, "grade_id": "ex3-fix", "locked": false, "schema_version": 3, "solution": true}
class Gaussian(mg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ### BEGIN SOLUTION
        result = (-(x * x)).exp()
        ctx.save_for_backward(x, result)
        return result
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        ### BEGIN SOLUTION
        x, result = ctx.saved_tensors
        return grad * (-2 * x * result)  # d/dx exp(-x²) = -2x exp(-x²)
        ### END SOLUTION


# %% id="ex3-given2" nbgrader={"grade": false, "grade_id": "ex3-given2", "locked": true, "schema_version": 3, "solution": false}
try:
    print("gradcheck:", mg.autograd.gradcheck(Gaussian.apply, (x,)))
except NotImplementedError:
    print("Gaussian is not written yet: fill in the cell above, run it, then this one.")
except RuntimeError as error:
    print(f"{type(error).__name__}: {error}")

# %% id="ex3-check" nbgrader={"grade": true, "grade_id": "ex3-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch10.gaussian")
### BEGIN HIDDEN TESTS
check("ch10.gaussian", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex4-text"
# ## Exercise 4 (implement): a Hessian-vector product
#
# *Implement · difficulty 3 of 3 · about 15 minutes*
#
# Write `hvp(f, x, v)`: the product `H v` of the Hessian of the scalar function `f` at `x`
# with the vector `v`, without building `H`. Chapter 10's trick: with `g`, the gradient of
# `f(x)` computed with `create_graph=True`, `H v` is the gradient of `(g * v).sum()` with
# respect to `x`. Return it as a tensor of `x`'s shape.
#
# Use `mg.autograd.grad` for both gradients, not `backward()`. Like
# `torch.autograd.functional.hvp`, `hvp` must work whether or not `x` requires grad, and
# leave the caller's `x` and `v` as it found them: no `.grad` filled, `requires_grad`
# unchanged (the check calls it twice on the same `x`, with two vectors `v`, on an `x` that
# requires grad and on one that does not).
#
# <details><summary>First hint</summary>
#
# First `g = grad(f(x), x, create_graph=True)`: `g` has a node, so it can be
# differentiated again.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Then `grad((g * v).sum(), x)` is `H v`; return its only element. Two `mg.autograd.grad`
# calls, no `backward()`, both on a leaf of your own, `x.detach().requires_grad_()` (chapter
# 5): it shares `x`'s numbers and requires grad, and the caller's `x` is left alone.
#
# </details>


# %% id="ex4-impl" nbgrader={"grade": false, "grade_id": "ex4-impl", "locked": false, "schema_version": 3, "solution": true}
def hvp(f, x, v):
    """H v, for H the Hessian of f at x, by differentiating the gradient a second time."""
    ### BEGIN SOLUTION
    x = x.detach().requires_grad_()  # a leaf of our own: the caller's x stays as it was
    (g,) = mg.autograd.grad(f(x), x, create_graph=True)  # g has a grad_fn
    (hv,) = mg.autograd.grad((g * v).sum(), x)
    return hv
    ### END SOLUTION


# %% id="ex4-check" nbgrader={"grade": true, "grade_id": "ex4-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch10.hvp")
### BEGIN HIDDEN TESTS
check("ch10.hvp", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex5-text"
# ## Exercise 5 (implement): `ReLU`, a custom Function in your engine
#
# *Implement · difficulty 2 of 3 · about 15 minutes · a piece of your engine*
#
# The last piece: `relu` as a custom Function like `Hypot`, on tensors (forward gets tensors
# and runs without recording; backward gets and returns tensors). `t.relu()`, `mg.relu`,
# `F.relu` and `nn.ReLU` all reach your class, and its node is named `ReluBackward0`, as
# PyTorch's. As PyTorch does, save the **result** (not the input): the gradient passes where
# the result is positive. So changing the input in place after `relu` is fine, and
# changing the result in place makes backward raise the version error.
#
# Write `class ReLU(mg.autograd.Function)`. The check compares values, gradients and nodes
# with minigrad's own relu, on float and integer tensors, and inside a small model.
#
# <details><summary>First hint</summary>
#
# forward: `mg.where(x < 0, mg.zeros_like(x), x)` puts 0 where x is negative and keeps
# the rest (-0.0 and nan too, as PyTorch's relu does); what does backward multiply `grad` by?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Save the result with `ctx.save_for_backward(result)`; backward: `(result,) =
# ctx.saved_tensors`, return `grad * (result > 0)`.
#
# </details>


# %% id="ex5-impl" nbgrader={"grade": false, "grade_id": "ex5-impl", "locked": false, "schema_version": 3, "solution": true}
class ReLU(mg.autograd.Function):
    """max(x, 0): the gradient passes where the result is positive."""

    @staticmethod
    def forward(ctx, x):
        ### BEGIN SOLUTION
        result = mg.where(x < 0, mg.zeros_like(x), x)
        ctx.save_for_backward(result)
        return result
        ### END SOLUTION

    @staticmethod
    def backward(ctx, grad):
        ### BEGIN SOLUTION
        (result,) = ctx.saved_tensors
        return grad * (result > 0)
        ### END SOLUTION


# %% id="ex5-check" nbgrader={"grade": true, "grade_id": "ex5-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch10.ReLU")
### BEGIN HIDDEN TESTS
check("ch10.ReLU", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="progress-text"
# ## Your progress

# %% id="progress" nbgrader={"grade": false, "grade_id": "progress", "locked": true, "schema_version": 3, "solution": false}
progress()
