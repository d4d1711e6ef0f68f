# %% [markdown] id="intro"
# # Chapter 11 · Your engine
#
# Over ten chapters you wrote the core of an autograd engine, one piece per exercise: the
# operations as Functions, the topological walk and the backward loop, `unbroadcast` and the
# matrix product, where `.grad` is written, `detach`, the version check, the grad modes, the
# parameters and the optimizer step, and a custom Function. Each piece that passed its check
# is in `my_engine/`, beside this notebook. This notebook runs minigrad on all of them at
# once, and holds the result against PyTorch.
#
# Nothing here is graded: run the cells from top to bottom.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false} tags=["nbval-ignore-output"]
import minigrad as mg
from coursekit import check
from coursekit.data import load_digits, train_test_split
from coursekit.engine_build import parity, setup
from coursekit.engine_build.progress import course_progress
from coursekit.training import fit
from coursekit.viz import backward_steps, draw_graph

setup("all")

# %% [markdown] id="seeds-text"
# ## The seed examples, on your engine
#
# The course started from a set of posts about PyTorch's autograd; each of their runnable
# examples is a recorded program of `tests/parity` (the `seed_*` programs), with what
# PyTorch 2.13 observed when it ran it. Here each one runs on your engine and is compared
# with that recording.

# %% id="seeds" nbgrader={"grade": false, "grade_id": "seeds", "locked": true, "schema_version": 3, "solution": false} tags=["nbval-ignore-output"]
parity.seed_examples()

# %% [markdown] id="digits-text"
# ## The digits, trained on your engine
#
# Chapter 8's network (64-64-10, SGD with momentum 0.9, 6 epochs) on scikit-learn's
# handwritten digits. Every step runs through your pieces: your `Mm` (each `Linear` is one
# `AddmmBackward0` node, as in PyTorch, and asks your `Mm`'s backward for its two matrix
# gradients) and `Mul`, `ReLU`, your backward loop, your `accumulate_grad`, your
# `parameters` and your optimizer step.
# The test accuracy should be over 90%, as on minigrad's own engine.

# %% id="digits" nbgrader={"grade": false, "grade_id": "digits", "locked": true, "schema_version": 3, "solution": false}
X, y = load_digits()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
mg.manual_seed(0)
mlp = mg.nn.Sequential(mg.nn.Linear(64, 64), mg.nn.ReLU(), mg.nn.Linear(64, 10))
history = fit(
    mlp,
    mg.nn.CrossEntropyLoss(),
    mg.optim.SGD(mlp.parameters(), lr=0.1, momentum=0.9),
    (X_train, y_train),
    epochs=6,
    test_data=(X_test, y_test),
    seed=0,
    progress=False,
)
print(f"test accuracy on your engine: {history.test_accuracy[-1]:.3f}")

# %% [markdown] id="parity-text"
# ## Your engine against PyTorch
#
# Every recorded program of `tests/parity` (the seed examples and many more: broadcasting,
# hooks, in-place changes, grad modes, second derivatives...) runs on your engine. For a
# program whose observations differ from PyTorch's, the report shows the first difference
# and the piece to revisit: the program is run again with one of your pieces at a time, and
# a piece that alone makes it differ is named. It also names every piece where minigrad's
# own code ran instead of yours.

# %% id="parity" nbgrader={"grade": false, "grade_id": "parity", "locked": true, "schema_version": 3, "solution": false} tags=["nbval-ignore-output"]
parity.compare_with_pytorch()

# %% [markdown] id="graph-text"
# ## Your engine's own backward, drawn
#
# The seed's example `sum(mm(x, y))`: forward runs your `Mm`, and `backward` runs your loop,
# which calls each node once. The list shows the nodes in the order your loop ran them,
# with the gradient each one received; the picture is the graph, with the `.grad` your
# `accumulate_grad` wrote into the leaves.

# %% [markdown] id="ex1-text"
# ## Exercise 1 (predict): the order of your loop
#
# *Predict · difficulty 1 of 3 · about 3 minutes*
#
# Before you run the next cell: in which order will your `run_backward` run the nodes of
# `loss = mg.mm(x, w).sum()`? Answer with their names, e.g.
# `answer_order = ["MulBackward0", "AccumulateGrad", ...]` (a leaf's node is
# `AccumulateGrad`).
#
# <details><summary>First hint</summary>
#
# The first node to run is the one of the result, `loss.grad_fn`.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Four nodes: the sum's, the product's, and one `AccumulateGrad` for each of `x` and `w`.
#
# </details>

# %% id="ex1-answer" nbgrader={"grade": false, "grade_id": "ex1-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_order = ["SumBackward0", "MmBackward0", "AccumulateGrad", "AccumulateGrad"]
### END SOLUTION

# %% id="ex1-check" nbgrader={"grade": true, "grade_id": "ex1-check", "locked": true, "points": 1, "schema_version": 3, "solution": false}
check("ch11.order")

# %% id="graph" nbgrader={"grade": false, "grade_id": "graph", "locked": true, "schema_version": 3, "solution": false}
x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
w = mg.tensor([[0.5, -1.0], [2.0, 1.0]], requires_grad=True)
loss = mg.mm(x, w).sum()
for step in backward_steps(loss, names={"x": x, "w": w}):
    print(f"{step.index}. {step.title:<22} received {step.grad_output}")
draw_graph(loss, names={"x": x, "w": w}, title="your engine's backward of sum(mm(x, w))")

# %% [markdown] id="progress-text"
# ## Your progress in the whole course
#
# Every chapter's exercises and points, and every piece of your engine, read from
# `my_engine/` (`python -m coursekit.progress` in a terminal prints the same).

# %% id="progress" nbgrader={"grade": false, "grade_id": "progress", "locked": true, "schema_version": 3, "solution": false} tags=["nbval-ignore-output"]
course_progress()
