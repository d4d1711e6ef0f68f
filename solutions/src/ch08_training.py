# %% [markdown] id="intro"
# # Chapter 8 · Exercises: training
#
# These exercises practise what chapter 8 taught: an optimizer step changes the parameters
# in place under `no_grad()`; `backward()` adds into `.grad`, so each step starts with
# `zero_grad()`; a forward pass that records nothing leaves `backward()` nothing to do; and
# `model.eval()` and `no_grad()` are two independent switches.
#
# Write each answer, run its cell, then run the check cell below it. Run the setup cell
# first.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false} tags=["nbval-ignore-output"]
import minigrad as mg
from coursekit import check, progress
from coursekit.engine_build import setup

setup("ch08")

# %% [markdown] id="ex1-text"
# ## Exercise 1 (implement): SGD with momentum
#
# *Implement · difficulty 2 of 3 · about 20 minutes · a piece of your engine*
#
# Write the step of `mg.optim.SGD(params, lr=lr, momentum=momentum)` yourself, as a
# function `sgd_momentum_step(params, buffers, lr, momentum)`:
# - `params` is a list of parameters (leaves that require grad); skip every parameter whose
#   `.grad` is `None`, as `optimizer.step()` does;
# - `buffers` is a list as long as `params` holding each parameter's momentum buffer,
#   `None` before the first step. Store the new buffer in it: `buffers[i] = ...`;
# - PyTorch's rule: on the first step `buf` is a **copy** of the gradient; on later steps
#   `buf = momentum * buf + grad`; then `p -= lr * buf`;
# - change each parameter **in place**, inside `with mg.no_grad():` (chapter 6: an in-place
#   change of a leaf that requires grad is refused while recording).
#
# The check uses your step to train a small linear layer for a few steps and compares the
# parameters with what `mg.optim.SGD(..., momentum=...)` gives from the same start. Between
# steps it zeroes the gradients in place (`p.grad.zero_()`, as
# `zero_grad(set_to_none=False)` does).
#
# <details><summary>First hint</summary>
#
# One loop over `enumerate(params)` inside `with mg.no_grad():`; a parameter without a
# gradient is skipped. The buffer has two cases, as `.grad` had in chapter 4: the first
# step, and the later ones.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# First step: `buffers[i] = p.grad.clone()` (a copy, so zeroing `.grad` leaves it alone);
# later steps: `buffers[i].mul_(momentum).add_(p.grad)`. Then `p -= lr * buffers[i]`.
#
# </details>


# %% id="ex1-impl" nbgrader={"grade": false, "grade_id": "ex1-impl", "locked": false, "schema_version": 3, "solution": true}
def sgd_momentum_step(params, buffers, lr, momentum):
    """One step of SGD with momentum; updates params in place and buffers[i] for each."""
    ### BEGIN SOLUTION
    with mg.no_grad():
        for i, p in enumerate(params):
            if p.grad is None:
                continue
            if buffers[i] is None:
                buffers[i] = p.grad.clone()  # a copy: zeroing .grad must not zero it
            else:
                buffers[i].mul_(momentum).add_(p.grad)
            p -= lr * buffers[i]  # in place: the same leaf, version + 1
    ### END SOLUTION


# %% id="ex1-check" nbgrader={"grade": true, "grade_id": "ex1-check", "locked": true, "points": 4, "schema_version": 3, "solution": false}
check("ch08.sgd_momentum_step")
### BEGIN HIDDEN TESTS
check("ch08.sgd_momentum_step", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex2-text"
# ## Exercise 2 (find the bug): a loop that does not learn steadily
#
# *Find the bug · difficulty 1 of 3 · about 10 minutes*
#
# `train_buggy` fits a small network by gradient descent on the mean squared error. Its
# loss goes down, then up again, then down... Run it and compare with what a training loop
# should look like.
#
# <details><summary>First hint</summary>
#
# Print the gradient at each step: does it hold only this step's gradient?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# `backward()` adds into `.grad`: call `optimizer.zero_grad()` before each
# `loss.backward()`.
#
# </details>


# %% id="ex2-given" nbgrader={"grade": false, "grade_id": "ex2-given", "locked": true, "schema_version": 3, "solution": false}
def train_buggy(model, X, y, steps, lr):
    optimizer = mg.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = ((model(X) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


mg.manual_seed(0)
model = mg.nn.Sequential(mg.nn.Linear(2, 4), mg.nn.Tanh(), mg.nn.Linear(4, 1))
X = mg.randn(16, 2)
y = 2 * X[:, :1] - X[:, 1:]
print([round(loss, 3) for loss in train_buggy(model, X, y, steps=12, lr=0.1)])

# %% [markdown] id="ex2-fix-text"
# Write the fixed loop as `train(model, X, y, steps, lr)`, returning the list of losses
# (Python floats, one per step, each computed before that step's update).


# %% id="ex2-fix" nbgrader={"grade": false, "grade_id": "ex2-fix", "locked": false, "schema_version": 3, "solution": true}
def train(model, X, y, steps, lr):
    ### BEGIN SOLUTION
    optimizer = mg.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = ((model(X) - y) ** 2).mean()
        optimizer.zero_grad()  # start each step from no gradient
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
    ### END SOLUTION


# %% id="ex2-check" nbgrader={"grade": true, "grade_id": "ex2-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch08.train")
### BEGIN HIDDEN TESTS
check("ch08.train", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex3-text" tags=["seed:s000-training-needs-grad", "seed:s003-global-switch"]
# ## Exercise 3 (predict): training after a global switch
#
# *Predict · difficulty 2 of 3 · about 10 minutes*
#
# ```python
# mg.manual_seed(0)
# model = mg.nn.Linear(3, 1)
# X, y = mg.randn(4, 3), mg.randn(4, 1)
#
# def evaluate(model, X, y):
#     mg.set_grad_enabled(False)
#     return ((model(X) - y) ** 2).mean().item()
#
# evaluate(model, X, y)
# loss = ((model(X) - y) ** 2).mean()
# loss.backward()                          # (*)
# mg.set_grad_enabled(True)
# loss = ((model(X) - y) ** 2).mean()
# ```
#
# Predict:
# - `answer_requires_grad`: `loss.requires_grad` of the first `loss` (`True`/`False`);
# - `answer_grad_fn`: the name of its `grad_fn`, such as `"MulBackward0"`, or `None` if it
#   has none;
# - `answer_backward`: what line `(*)` does: `None` if it runs without error, otherwise
#   the type name of the exception it raises, e.g. `"TypeError"`;
# - `answer_grad_fn_after`: the name of the `grad_fn` of the second `loss`.
#
# <details><summary>First hint</summary>
#
# `evaluate` switches recording off with a plain call and never switches it back on: what
# is recording when the first `loss` is computed after it?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# The first `loss` is computed with recording off, so it has no node; `backward()` on a
# tensor that does not require grad raises. The second `loss` is recorded again: its last
# operation is a mean.
#
# </details>

# %% id="ex3-answer" nbgrader={"grade": false, "grade_id": "ex3-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_requires_grad = False
answer_grad_fn = None
answer_backward = "RuntimeError"
answer_grad_fn_after = "MeanBackward0"
### END SOLUTION

# %% id="ex3-check" nbgrader={"grade": true, "grade_id": "ex3-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch08.global_switch")

# %% [markdown] id="ex4-text" tags=["seed:s003-eval-vs-no-grad"]
# ## Exercise 4 (predict): `eval()` versus `no_grad()`
#
# *Predict · difficulty 2 of 3 · about 15 minutes*
#
# Modules start in training mode. Read the program:
#
# ```python
# mg.manual_seed(0)
# bn, drop = mg.nn.BatchNorm1d(3), mg.nn.Dropout(0.5)
# x = mg.randn(8, 3, requires_grad=True)
#
# with mg.no_grad():
#     a = drop(x)                  # P1
# drop.eval()
# b = drop(x)                      # P2
# with mg.no_grad():
#     bn(x)                        # P3
# bn.eval()
# c = bn(x)                        # P4
# ```
#
# Predict, each as a pair `(..., ...)`:
# - `answer_p1`: is `a` equal to `x` everywhere? and `a.requires_grad`;
# - `answer_p2`: is `b` equal to `x` everywhere? and `b.requires_grad`;
# - `answer_p3`: did line P3 change `bn.running_mean`? and `bn.num_batches_tracked` after
#   it, as an `int`;
# - `answer_p4`: did line P4 change `bn.running_mean`? and `c.requires_grad`.
#
# <details><summary>First hint</summary>
#
# `no_grad()` only stops recording; `eval()` changes what a module computes (dropout
# passes everything through, batch norm uses its running statistics).
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# In training mode dropout zeroes some entries and batch norm updates its running
# statistics, recording or not. A result requires grad when recording is on and its input
# requires grad.
#
# </details>

# %% id="ex4-answer" nbgrader={"grade": false, "grade_id": "ex4-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_p1 = (False, False)
answer_p2 = (True, True)
answer_p3 = (True, 1)
answer_p4 = (False, True)
### END SOLUTION

# %% id="ex4-check" nbgrader={"grade": true, "grade_id": "ex4-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch08.eval_vs_no_grad")

# %% [markdown] id="ex5-text"
# ## Exercise 5 (implement): `parameters(module)`, what an optimizer is given
#
# *Implement · difficulty 2 of 3 · about 15 minutes · a piece of your engine*
#
# `model.parameters()` lists every `Parameter` of a module and of its sub-modules: the
# module's own first (`module._parameters`, a dict from name to Parameter or `None`), then
# each child's (`module._modules`, a dict from name to sub-module or `None`), depth first, in
# the order they were assigned. A layer used twice (two parents share it) is listed **once**:
# an optimizer that got a parameter twice would update it twice per step.
#
# Write `parameters(module)` returning that list; `Module.parameters()` calls it. The check
# lists a `Sequential`, a module with a Parameter of its own, and a shared layer, then trains
# with an optimizer built from your list.
#
# <details><summary>First hint</summary>
#
# Walk the modules with a small recursive helper (models are shallow), or with a stack;
# remember which parameters you have listed already.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Keep `found` (a list) and `seen` (a set of `id(p)`); for a module, add each `p` of
# `m._parameters.values()` that is not `None` and not seen, then visit each child of
# `m._modules.values()` that is not `None`.
#
# </details>


# %% id="ex5-impl" nbgrader={"grade": false, "grade_id": "ex5-impl", "locked": false, "schema_version": 3, "solution": true}
def parameters(module):
    """Every Parameter of module and its sub-modules, its own first, each once."""
    ### BEGIN SOLUTION
    found, seen = [], set()

    def visit(m):
        for p in m._parameters.values():
            if p is not None and id(p) not in seen:
                seen.add(id(p))
                found.append(p)
        for child in m._modules.values():
            if child is not None:
                visit(child)

    visit(module)
    return found
    ### END SOLUTION


# %% id="ex5-check" nbgrader={"grade": true, "grade_id": "ex5-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch08.parameters")
### BEGIN HIDDEN TESTS
check("ch08.parameters", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="progress-text"
# ## Your progress

# %% id="progress" nbgrader={"grade": false, "grade_id": "progress", "locked": true, "schema_version": 3, "solution": false}
progress()
