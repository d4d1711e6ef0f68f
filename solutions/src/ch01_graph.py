# %% [markdown] id="intro"
# # Chapter 1 · Exercises: the graph
#
# These exercises practise what chapter 1 taught with `minigrad.Scalar`: the node a result
# remembers (`grad_fn`), its edges (`next_functions`), leaves and results, how
# `requires_grad` flows forward, and how an operation records itself.
#
# Write each answer, run its cell, then run the check cell below it. Run the setup cell
# first.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import math

import minigrad as mg
from coursekit import check, progress

# %% [markdown] id="ex1-text"
# ## Exercise 1 (predict): names, leaves and edges
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
# `fit_step_buggy` computes the squared error of a line `w * x + b` against a target and
# returns the gradients of the two parameters. One of them comes back as `None`. Run it,
# find out why, and write the fixed function as `fit_step(w0, b0, x, target)`, returning
# the pair `(w.grad, b.grad)`.


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

# %% [markdown] id="ex4-text"
# ## Exercise 4 (implement): a new operation, `sin`
#
# In `minigrad/scalar.py` every operation computes its value and hands it to the recording
# helper, with the node's name, the inputs, and the local derivatives as a small function:
#
# ```python
# def exp(self):
#     e = math.exp(self.data)
#     return self._result(e, "ExpBackward0", (self,), lambda g: (g * e,))
# ```
#
# `_result(value, name, inputs, backward_fn)` records a node only when grad mode is on and
# an input requires grad. `backward_fn(g)` receives the gradient `g` arriving at the
# result and returns a **tuple**, one gradient per input.
#
# Write `scalar_sin(x)`: the sine of the Scalar `x`, recorded as a node named
# `"SinBackward0"` (PyTorch's name), whose local derivative is that of `sin`.


# %% id="ex4-impl" nbgrader={"grade": false, "grade_id": "ex4-impl", "locked": false, "schema_version": 3, "solution": true}
def scalar_sin(x):
    """sin(x) for a Scalar x, recorded with its local derivative."""
    ### BEGIN SOLUTION
    a = x.data
    return x._result(math.sin(a), "SinBackward0", (x,), lambda g: (g * math.cos(a),))
    ### END SOLUTION


# %% id="ex4-check" nbgrader={"grade": true, "grade_id": "ex4-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch01.scalar_sin")
### BEGIN HIDDEN TESTS
check("ch01.scalar_sin", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex5-text" tags=["seed:s001-graph-dag"]
# ## Exercise 5 (implement): how many nodes?
#
# The forward pass records a graph: one node per operation, plus one `AccumulateGrad`
# node per leaf that requires grad. A value used twice is **one** node with two arrows
# into it: the graph is a directed acyclic graph (DAG), not a tree. `backward()` later
# walks this graph to fill `.grad`.
#
# Write `count_nodes(output)`: the number of distinct nodes reachable from
# `output.grad_fn` along `next_functions`, counting `output.grad_fn` itself and the
# `AccumulateGrad` nodes. For `c = a * b; d = c + a; e = d * c` with `a` and `b` requiring
# grad, that is 5: two `MulBackward0`, one `AddBackward0`, two `AccumulateGrad`.


# %% id="ex5-impl" nbgrader={"grade": false, "grade_id": "ex5-impl", "locked": false, "schema_version": 3, "solution": true}
def count_nodes(output):
    """Number of distinct backward nodes reachable from output.grad_fn."""
    ### BEGIN SOLUTION
    seen, stack = set(), [output.grad_fn]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(fn for fn, _ in node.next_functions if fn is not None)
    return len(seen)
    ### END SOLUTION


# %% id="ex5-check" nbgrader={"grade": true, "grade_id": "ex5-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch01.count_nodes")
### BEGIN HIDDEN TESTS
check("ch01.count_nodes", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="progress-text"
# ## Your progress

# %% id="progress" nbgrader={"grade": false, "grade_id": "progress", "locked": true, "schema_version": 3, "solution": false}
progress()
