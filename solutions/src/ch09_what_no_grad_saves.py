# %% [markdown] id="intro"
# # Chapter 9 · Exercises: what `no_grad()` saves
#
# These exercises practise what chapter 9 measured: a recorded forward pass keeps nodes and
# the tensors they saved for backward, in proportion to the batch; under `no_grad()` (and
# `inference_mode()`) nothing is kept; a tensor with a `grad_fn` keeps its whole graph
# alive; evaluating in batches bounds the peak memory.
#
# Write each answer, run its cell, then run the check cell below it. Run the setup cell
# first.

# %% id="setup" nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false} tags=["nbval-ignore-output"]
import minigrad as mg
from coursekit import check, measure, progress
from coursekit.engine_build import setup

setup("ch09")

# %% [markdown] id="ex1-text" tags=["seed:s003-memory"]
# ## Exercise 1 (implement): the bytes a graph keeps
#
# *Implement · difficulty 2 of 3 · about 15 minutes*
#
# Write `saved_bytes(output)`: the number of bytes of all tensors saved for backward in the
# graph behind the tensor `output`, as an `int`.
# - Start at `output.grad_fn` and follow `next_functions` (pairs `(node, index)`, where the
#   node may be `None`) to every node of the graph, `AccumulateGrad` nodes included.
# - Each node says how many bytes it saved: `node.saved_tensors_nbytes()` (or add up
#   `t.numel() * t.element_size()` over its tensor-valued `_saved_*` attributes).
# - Count every node **once**, even when several paths lead to it.
# - A tensor with no `grad_fn` (a leaf, or a result computed under `no_grad()`) keeps
#   nothing: 0.
#
# The check tries small models, a graph where one node is reached along three paths, a
# result computed under `no_grad()`, and (hidden) a chain thousands of nodes deep, so walk
# with an explicit stack rather than recursion. The walk is the exercise: the lecture's
# `measure.graph_nodes` and `measure.graph_memory` do it for you, and the check refuses them.
#
# <details><summary>First hint</summary>
#
# The same walk as chapter 2's: an explicit stack from `output.grad_fn`, a set of the
# nodes already seen, `None` edges skipped. Add each node's bytes the first time you see
# it.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Return 0 when `output.grad_fn` is `None`. Otherwise pop a node; if it is not in `seen`,
# add it, add `node.saved_tensors_nbytes()` to the total, and push its children from
# `next_functions`.
#
# </details>


# %% id="ex1-impl" nbgrader={"grade": false, "grade_id": "ex1-impl", "locked": false, "schema_version": 3, "solution": true}
def saved_bytes(output):
    """Bytes saved for backward by the nodes of the graph behind `output`, each node once."""
    ### BEGIN SOLUTION
    if output.grad_fn is None:
        return 0
    stack, seen, total = [output.grad_fn], set(), 0
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        total += node.saved_tensors_nbytes()
        stack.extend(fn for fn, _ in node.next_functions if fn is not None)
    return total
    ### END SOLUTION


# %% id="ex1-check" nbgrader={"grade": true, "grade_id": "ex1-check", "locked": true, "points": 4, "schema_version": 3, "solution": false}
check("ch09.saved_bytes")
### BEGIN HIDDEN TESTS
check("ch09.saved_bytes", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex2-text" tags=["seed:s003-memory", "seed:s003-eval-time"]
# ## Exercise 2 (predict): nodes and bytes, with and without recording
#
# *Predict · difficulty 2 of 3 · about 20 minutes*
#
# ```python
# mg.manual_seed(0)
# model = mg.nn.Sequential(mg.nn.Linear(4, 8), mg.nn.ReLU(), mg.nn.Linear(8, 2))
# out_1 = model(mg.randn(1, 4))            # float32, the input does not require grad
# out_100 = model(mg.randn(100, 4))
# with mg.no_grad():
#     quiet = model(mg.randn(100, 4))
# with mg.inference_mode():
#     inferred = model(mg.randn(100, 4))
# ```
#
# "Nodes" are all nodes reachable from a result's `grad_fn`, `AccumulateGrad` included,
# each counted once (`len(measure.graph_nodes(t))`); "bytes" are what your `saved_bytes`
# returns. Predict, as tuples of ints (and one bool):
# - `answer_nodes`: the nodes behind `out_1` and behind `out_100`;
# - `answer_bytes`: the bytes behind `out_1` and behind `out_100`;
# - `answer_no_grad`: nodes and bytes behind `quiet`;
# - `answer_inference`: nodes and bytes behind `inferred`, and `inferred.is_inference()`.
#
# The time recording costs is spent creating these nodes and saving these tensors: which
# of the two costs stays the same from batch 1 to batch 100?
#
# <details><summary>First hint</summary>
#
# Write the graph of one `Linear -> ReLU -> Linear` forward pass: how many nodes does it
# have, and does that number depend on the batch size? Which saved tensors have a batch
# dimension?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Each `Linear` is one `AddmmBackward0` (with a `TBackward0` for its weight) plus
# `AccumulateGrad` for the weight and the bias; the saved tensors are float32, 4 bytes per
# number. Under `no_grad()` and `inference_mode()` nothing is recorded.
#
# </details>

# %% id="ex2-answer" nbgrader={"grade": false, "grade_id": "ex2-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_nodes = (9, 9)
answer_bytes = (144, 8064)
answer_no_grad = (0, 0)
answer_inference = (0, 0, True)
### END SOLUTION

# %% id="ex2-check" nbgrader={"grade": true, "grade_id": "ex2-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch09.recording_cost")

# %% [markdown] id="ex3-text"
# ## Exercise 3 (find the bug): an evaluation that keeps every graph
#
# *Find the bug · difficulty 1 of 3 · about 10 minutes*
#
# `evaluate_buggy` computes a model's mean loss over a list of `(X, y)` batches. Its
# number is right. But run the cell: the result it returns holds a graph, and that graph
# holds the activations of every batch, as long as anyone keeps the result (a list of
# losses per epoch, say).
#
# <details><summary>First hint</summary>
#
# `total` is a tensor that adds up every batch's loss: what does it keep alive?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Run the loop under `with mg.no_grad():` and add `loss.item()` (a Python float) to the
# total.
#
# </details>


# %% id="ex3-given" nbgrader={"grade": false, "grade_id": "ex3-given", "locked": true, "schema_version": 3, "solution": false}
def evaluate_buggy(model, batches):
    total = 0
    for X, y in batches:
        loss = ((model(X) - y) ** 2).mean()
        total = total + loss
    return total / len(batches)


mg.manual_seed(0)
net = mg.nn.Sequential(mg.nn.Linear(3, 64), mg.nn.ReLU(), mg.nn.Linear(64, 1))
data = [(mg.randn(256, 3), mg.randn(256, 1)) for _ in range(10)]
result = evaluate_buggy(net, data)
print("mean loss:", round(result.item(), 4), "  grad_fn:", result.grad_fn.name())
print(
    "nodes kept:",
    len(measure.graph_nodes(result)),
    "  bytes kept:",
    measure.graph_memory(result).saved_bytes,
)

# %% [markdown] id="ex3-fix-text"
# Write the fixed function as `evaluate(model, batches)`. It returns the same mean loss,
# as a Python float; while it runs, no earlier batch's graph stays alive; and no batch is
# recorded at all.


# %% id="ex3-fix" nbgrader={"grade": false, "grade_id": "ex3-fix", "locked": false, "schema_version": 3, "solution": true}
def evaluate(model, batches):
    ### BEGIN SOLUTION
    total = 0.0
    with mg.no_grad():  # no nodes, nothing saved
        for X, y in batches:
            total += ((model(X) - y) ** 2).mean().item()  # a number, not a graph
    return total / len(batches)
    ### END SOLUTION


# %% id="ex3-check" nbgrader={"grade": true, "grade_id": "ex3-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch09.evaluate")
### BEGIN HIDDEN TESTS
check("ch09.evaluate", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex4-text" tags=["seed:s003-batching", "seed:s003-memory"]
# ## Exercise 4 (implement): predictions in batches
#
# *Implement · difficulty 2 of 3 · about 15 minutes*
#
# Write `predict_in_batches(model, X, batch_size)`: the predicted class of every row of
# `X` (the `argmax` over dimension 1 of the model's output), as one tensor of `X.shape[0]`
# integers. Feed the model slices of at most `batch_size` rows (the last one may be
# smaller), in evaluation mode (`model.eval()`) and without recording, so that the peak
# memory depends on `batch_size`, not on the size of `X`. (`mg.cat(list_of_tensors)`
# joins tensors end to end.)
#
# <details><summary>First hint</summary>
#
# Loop over start indices `range(0, X.shape[0], batch_size)`; a slice past the end is just
# shorter.
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# Call `model.eval()`, then under `mg.no_grad()` collect `model(X[start : start +
# batch_size]).argmax(dim=1)` for each start, and `mg.cat` the list.
#
# </details>


# %% id="ex4-impl" nbgrader={"grade": false, "grade_id": "ex4-impl", "locked": false, "schema_version": 3, "solution": true}
def predict_in_batches(model, X, batch_size):
    """Class predictions for every row of X, batch by batch, in eval mode, without a graph."""
    ### BEGIN SOLUTION
    model.eval()
    with mg.no_grad():
        return mg.cat(
            [
                model(X[start : start + batch_size]).argmax(dim=1)
                for start in range(0, X.shape[0], batch_size)
            ]
        )
    ### END SOLUTION


# %% id="ex4-check" nbgrader={"grade": true, "grade_id": "ex4-check", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check("ch09.predict_in_batches")
### BEGIN HIDDEN TESTS
check("ch09.predict_in_batches", hidden=True)
### END HIDDEN TESTS

# %% [markdown] id="ex5-text" tags=["seed:s003-feature-stats"]
# ## Exercise 5 (predict): feature statistics
#
# *Predict · difficulty 2 of 3 · about 15 minutes*
#
# The per-feature mean of a feature extractor's output, computed twice:
#
# ```python
# mg.manual_seed(0)
# extractor = mg.nn.Sequential(mg.nn.Linear(5, 16), mg.nn.ReLU())
# X = mg.randn(50, 5)                      # float32
# with mg.no_grad():
#     mean_a = extractor(X).mean(dim=0)
# mean_b = extractor(X).mean(dim=0)
# ```
#
# For each mean, predict the tuple `(requires_grad, grad_fn, is_leaf, saved bytes)`:
# `grad_fn` as its name (`grad_fn.name()`, a string) or `None`, and the saved bytes as your
# `saved_bytes` would count them. Write them as `answer_a` (for `mean_a`) and `answer_b`.
#
# <details><summary>First hint</summary>
#
# `mean_a` is computed with recording off: a result with no node is a leaf. `mean_b` is
# recorded: which operation made it?
#
# </details>
#
# <details><summary>A stronger hint</summary>
#
# For `mean_b` add up what the graph saved: the `Linear`'s input (its weight only when the
# input needs a gradient), the `ReLU`'s result (50 x 16 float32 numbers), and nothing for
# the mean over a dimension.
#
# </details>

# %% id="ex5-answer" nbgrader={"grade": false, "grade_id": "ex5-answer", "locked": false, "schema_version": 3, "solution": true}
### BEGIN SOLUTION
answer_a = (False, None, True, 0)
answer_b = (True, "MeanBackward1", False, 4200)
### END SOLUTION

# %% id="ex5-check" nbgrader={"grade": true, "grade_id": "ex5-check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check("ch09.feature_stats")

# %% [markdown] id="progress-text"
# ## Your progress

# %% id="progress" nbgrader={"grade": false, "grade_id": "progress", "locked": true, "schema_version": 3, "solution": false}
progress()
