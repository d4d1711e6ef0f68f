# %% [markdown] id="intro"
# # Chapter 2 · Exercises: backward
#
# These exercises practise chapter 2: the chain rule along a graph, the local rule each
# operation brings, what a node saves for its backward, the order `backward()` visits the
# nodes in, and why gradients that meet at a node are added.
#
# Write each answer, run its cell, then run the check cell below it. Run the setup cell
# first.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false} tags=["nbval-ignore-output"]

import minigrad as mg
import minigrad.scalar
from coursekit import check, progress
from coursekit.engine_build import setup
from minigrad.scalar import ScalarAccumulateGrad

setup("ch02")

# %% [markdown] id="ex1-text"
# ## Exercise 1 (predict): the chain rule by hand
#
# *Predict · difficulty 2 of 3 · about 10 minutes*
#
# ```python
# a = mg.Scalar(2.0, requires_grad=True)
# b = mg.Scalar(3.0, requires_grad=True)
# c = a + b
# d = a * c
# L = d * b
# L.backward()
# ```
#
# What are `a.grad` and `b.grad`? Work along the graph from `L` back to the leaves, then
# write the two numbers as `answer_a_grad` and `answer_b_grad`.
#
# <details><summary>First hint</summary>
#
# Work backward from `L = d * b`: first dL/dd and the part of dL/db that comes straight
# from this node, then dL/dc through `d = a * c`, then the leaves.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# `a` reaches `L` along two paths, directly into `d` and through `c`; `b` along two,
# directly into `L` and through `c`. Add the contributions of every path.
#
# </details>

# %% id="ex1-answer" nbgrader={"grade": false, "grade_id": "ex1-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_a_grad = 21.0  # dL/dd = b = 3; dL/dc = 3 * a = 6; a.grad = 3 * c + 6 = 21
answer_b_grad = 16.0  # d + dL/dc = 10 + 6
### END SOLUTION

# %% id="ex1-check" nbgrader={"grade": true, "grade_id": "ex1-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch02.chain_rule")

# %% [markdown] id="ex2-text" tags=["seed:s004-own-backward"]
# ## Exercise 2 (implement): the backward of division
#
# *Implement · difficulty 1 of 3 · about 10 minutes*
#
# There is no general "differentiate this" machine: every operation brings its own
# backward formula. Given the gradient `grad` arriving at `q = a / b`, and the two values
# the node saved, `a` and `b` (floats), return the pair `(grad_a, grad_b)`: the gradients
# for `a` and for `b`.
#
# The check also uses your function as the backward of a real division node in the
# Scalar engine and runs `backward()` through it.
#
# <details><summary>First hint</summary>
#
# Differentiate `a / b` with respect to `a` (holding `b` fixed), then with respect to `b`
# (holding `a` fixed); multiply each by `grad`.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# d(a/b)/da = 1/b and d(a/b)/db = -a/b². Return the pair in the order of the inputs.
#
# </details>


# %% id="ex2-impl" nbgrader={"grade": false, "grade_id": "ex2-impl", "locked": false, "schema_version": 3, "solution": true}
def div_backward(grad, a, b):
    """Gradients of q = a / b for a and b, given the gradient arriving at q."""
    ### BEGIN SOLUTION
    return grad / b, -grad * a / (b * b)
    ### END SOLUTION


# %% id="ex2-check" nbgrader={"grade": true, "grade_id": "ex2-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch02.div_backward")
### BEGIN HIDDEN TESTS
check("ch02.div_backward", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex3-text" tags=["seed:s004-ctx-saves"]
# ## Exercise 3 (predict): what a node keeps
#
# *Predict · difficulty 2 of 3 · about 10 minutes*
#
# During the forward pass each node saves what its backward formula will need. PyTorch
# shows the saved values as attributes `_saved_self`, `_saved_other` (the inputs) and
# `_saved_result` (the output); an attribute is `None` when nothing was saved there.
#
# ```python
# x = mg.tensor([1.0, 2.0], requires_grad=True)
# w = mg.tensor([3.0, 4.0], requires_grad=True)
# k = mg.tensor([3.0, 4.0])
# p = x * w
# q = x * k
# r = x + w
# s = x.exp()
# ```
#
# For each of `p`, `q`, `r` and `s`: which of its node's `_saved_*` attributes hold a
# tensor? Answer with a list of attribute names (any order), e.g. `["_saved_self"]`, or
# `[]` if the node saves no tensor, in `answer_p`, `answer_q`, `answer_r`, `answer_s`.
#
# <details><summary>First hint</summary>
#
# A node saves only what its backward formula reads, and only for an input whose gradient
# someone will ask for.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# `x * w`'s backward needs each input for the *other* input's gradient; `k` needs no
# gradient, so `x * k` keeps only what `x`'s gradient needs. An addition needs nothing;
# `exp` reuses its own result.
#
# </details>

# %% id="ex3-answer" nbgrader={"grade": false, "grade_id": "ex3-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_p = ["_saved_self", "_saved_other"]
answer_q = ["_saved_other"]
answer_r = []
answer_s = ["_saved_result"]
### END SOLUTION

# %% id="ex3-check" nbgrader={"grade": true, "grade_id": "ex3-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch02.saved_tensors")

# %% [markdown] id="ex4-text"
# ## Exercise 4 (implement): the order of backward, without recursion
#
# *Implement · difficulty 2 of 3 · about 15 minutes · a piece of your engine*
#
# `backward()` may run a node only when every gradient flowing into it has arrived. So it
# visits the nodes in *topological order*: each node before every node it sends
# gradients to (the nodes in its `next_functions`).
#
# Write `topological_order(root)`: `root` is a Scalar's `grad_fn`; return a list of all the
# nodes reachable from it (`root` first, each node once), in such an order. Skip `None`
# edges. Graphs can be far deeper than Python's recursion limit, so do not recurse: use
# a list as an explicit stack.
#
# <details><summary>First hint</summary>
#
# A depth-first walk adds a node to the order only once everything it leads to has been
# added; reversing that list puts `root` first. With an explicit stack, push each node
# twice: once to visit its children, once to emit it.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Push `(node, False)` to visit; on pop, if the node was not visited, mark it, push
# `(node, True)` back, then push `(child, False)` for each unvisited child. On popping
# `(node, True)`, append it to the order. Reverse the order at the end.
#
# </details>


# %% id="ex4-impl" nbgrader={"grade": false, "grade_id": "ex4-impl", "locked": false, "schema_version": 3, "solution": true}
def topological_order(root):
    """All nodes reachable from root, each before the nodes it sends gradients to."""
    ### BEGIN SOLUTION
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:  # everything this node leads to is already in `order`
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for child, _ in node.next_functions:
            if child is not None and child not in visited:
                stack.append((child, False))
    order.reverse()
    return order
    ### END SOLUTION


# %% id="ex4-check" nbgrader={"grade": true, "grade_id": "ex4-check", "locked": true, "points": 4, "schema_version": 3, "solution": false}
check("ch02.topological_order")
### BEGIN HIDDEN TESTS
check("ch02.topological_order", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex5-text"
# ## Exercise 5 (find the bug): a backward loop that loses gradients
#
# *Find the bug · difficulty 2 of 3 · about 15 minutes*
#
# `run_backward_buggy(output)` is a small copy of `Scalar.backward`. It visits the nodes
# in topological order (minigrad's `topological_order`, so this exercise does not depend
# on yours), calls each node's local rule, and passes the results on. Leaves'
# `AccumulateGrad` nodes add into `.grad`. On `L = (a * b + a) ** 2` it gets `a.grad`
# wrong, while `backward()` gets it right. Find the bug, and write the fixed function as
# `backward_loop(output)` (it returns nothing; it fills the leaves' `.grad`).
#
# <details><summary>First hint</summary>
#
# Print the gradient that reaches each node in the loop. The value `a` is used twice in
# `(a * b + a) ** 2`: how many gradients arrive at its node?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# `grads[child] = child_grad` overwrites a gradient that already arrived along another
# path. Fan-in must add: start from what is already there.
#
# </details>


# %% id="ex5-given" nbgrader={"grade": false, "grade_id": "ex5-given", "locked": true, "schema_version": 3, "solution": false}
def run_backward_buggy(output):
    grads = {output.grad_fn: 1.0}
    for node in minigrad.scalar.topological_order(output.grad_fn):
        grad = grads.pop(node, None)
        if grad is None:
            continue
        if isinstance(node, ScalarAccumulateGrad):
            leaf = node.variable
            leaf.grad = grad if leaf.grad is None else leaf.grad + grad
            continue
        for (child, _), child_grad in zip(node.next_functions, node.backward_fn(grad)):
            if child is not None:
                grads[child] = child_grad


def program():
    a = mg.Scalar(2.0, requires_grad=True)
    b = mg.Scalar(-3.0, requires_grad=True)
    return a, b, (a * b + a) ** 2


a, b, L = program()
L.backward()
print("backward():         a.grad =", a.grad, " b.grad =", b.grad)
a, b, L = program()
run_backward_buggy(L)
print("run_backward_buggy: a.grad =", a.grad, " b.grad =", b.grad)


# %% id="ex5-fix" nbgrader={"grade": false, "grade_id": "ex5-fix", "locked": false, "schema_version": 3, "solution": true}
def backward_loop(output):
    ### BEGIN SOLUTION
    grads = {output.grad_fn: 1.0}
    for node in minigrad.scalar.topological_order(output.grad_fn):
        grad = grads.pop(node, None)
        if grad is None:
            continue
        if isinstance(node, ScalarAccumulateGrad):
            leaf = node.variable
            leaf.grad = grad if leaf.grad is None else leaf.grad + grad
            continue
        for (child, _), child_grad in zip(node.next_functions, node.backward_fn(grad)):
            if child is not None:
                grads[child] = grads.get(child, 0.0) + child_grad
    ### END SOLUTION


# %% id="ex5-check" nbgrader={"grade": true, "grade_id": "ex5-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch02.backward_loop")
### BEGIN HIDDEN TESTS
check("ch02.backward_loop", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex6-text"
# ## Exercise 6 (implement): `run_backward(root, grad)`, the loop of your engine
#
# *Implement · difficulty 2 of 3 · about 15 minutes · a piece of your engine*
#
# Now the loop itself, as your engine will run it: for Scalars (`Scalar.backward`) and, from
# chapter 3 on, for tensors too (`backward()`, `autograd.grad`). `root` is the output's node
# and `grad` its gradient (1.0 for a Scalar). Visit the nodes in topological order (your
# `topological_order` from exercise 4); run each node **once**, by calling it,
# `node(grad)`, with the **sum** of the gradients that reached it; it returns one gradient
# per edge in its `next_functions`, in order. Add each one into what the node at the end of
# that edge receives. Skip `None` edges and `None` gradients. A node that received nothing
# is still called, with `None` (PyTorch runs it too: it checks and frees what it saved, and
# passes nothing on). Calling a node does the rest: a leaf's node fills `.grad`, and what a
# node saved is freed.
#
# The check runs Scalar and tensor programs through your loop: fan-in, a chain of 3000
# nodes, `retain_graph`, a hook that counts calls, `autograd.grad`, two outputs at once.
#
# <details><summary>First hint</summary>
#
# Keep a dict from node to the gradient it has received so far, starting with `{root: grad}`.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# For each node of `topological_order(root)`: pop its gradient (`None` if there is none),
# call `node(grad)`, and `zip` the result with `node.next_functions`, adding into the dict:
# `grads[child] = grads[child] + g if child in grads else g`.
#
# </details>


# %% id="ex6-impl" nbgrader={"grade": false, "grade_id": "ex6-impl", "locked": false, "schema_version": 3, "solution": true}
def run_backward(root, grad):
    """Call every node reachable from root once, with the sum of its incoming gradients."""
    ### BEGIN SOLUTION
    grads = {root: grad}
    for node in topological_order(root):
        grad = grads.pop(node, None)
        for (child, _), child_grad in zip(node.next_functions, node(grad)):
            if child is None or child_grad is None:
                continue
            grads[child] = grads[child] + child_grad if child in grads else child_grad
    ### END SOLUTION


# %% id="ex6-check" nbgrader={"grade": true, "grade_id": "ex6-check", "locked": true, "points": 4, "schema_version": 3, "solution": false}
check("ch02.run_backward")
### BEGIN HIDDEN TESTS
check("ch02.run_backward", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="progress-text"
# ## Your progress

# %% id="progress" nbgrader={"grade": false, "grade_id": "progress", "locked": true, "schema_version": 3, "solution": false}
progress()
