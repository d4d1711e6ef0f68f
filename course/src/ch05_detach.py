# %% [markdown]
# # Chapter 5 · `detach()`: a value without its history
#
# **The question.** How do you take a value *out* of the graph (for a metric, a target,
# a log line), and what does the detached tensor still share with the original?
#
# After this chapter you can predict:
# - what `detach()` returns: the same values, `grad_fn` `None`, `requires_grad` `False`;
# - that the detached tensor shares memory *and* the version counter with the original,
#   so an in-place change through it can break the original's backward;
# - why `.data` is the dangerous cousin of `detach()` (silent wrong gradients);
# - where gradients stop when you detach part of a computation, and how that differs
#   from `no_grad()`;
# - why detaching lets a graph be freed.

# %%
import gc
import weakref

import matplotlib.pyplot as plt

import minigrad as mg
from coursekit.compare import side_by_side
from coursekit.figures import draw_sharing
from coursekit.lecture import predict, show_source
from coursekit.viz import draw_graph

plt.rcParams["figure.dpi"] = 80

# %% [markdown]
# ## Build: what `detach()` is
#
# A minigrad tensor is a numpy array (`_data`) plus autograd metadata. `detach()` makes a
# new tensor object around the **same** array (`_wrap`), gives it the **same** version
# counter, and leaves out everything else: no `grad_fn`, no `requires_grad`. (`t.detach()`
# calls this function, then copies a flag of chapter 7's inference mode.)

# %%
from minigrad.tensor import detach as detach_function  # what Tensor.detach calls

show_source(detach_function)

# %% [markdown]
# **Predict:** `y = x * 2` with `x` requiring grad, and `d = y.detach()`. What are
# `d.requires_grad`, `d.grad_fn` and `d.is_leaf`? And is `y` changed by detaching?


# %%
def detached(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    return {
        "d": d,
        "d.requires_grad": d.requires_grad,
        "d.grad_fn": d.grad_fn,
        "d.is_leaf": d.is_leaf,
        "y": y,
    }


side_by_side(detached)

# %% [markdown]
# `d` has `y`'s values and nothing else: it is a fresh leaf that does not require grad.
# `y` itself is untouched and still has its `grad_fn`: detaching does not cut the graph,
# it makes a second tensor that is not in it.

# %% [markdown]
# ## It shares memory
#
# "The same array" is meant literally.
#
# **Predict:** after `d[0] = 100.0`, what is `y[0]`? And after `y` is changed in place
# under `no_grad()`, what is `d`?


# %% id="detach-shares-memory" tags=["seed:s004-detach-shares-memory"]
def shares_memory(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    d[0] = 100.0
    seen_in_y = y.tolist()
    with lib.no_grad():
        y.mul_(-1)
    return {"y after d[0] = 100": seen_in_y, "d after y *= -1": d.tolist(), "d.grad_fn": d.grad_fn}


side_by_side(shares_memory)

# %% [markdown]
# One array, two tensor objects. This makes `detach()` free (no copy, whatever the size),
# and it is why PyTorch's documentation warns that in-place changes to either one are
# seen by the other. If you need an independent copy, write `y.detach().clone()`.

# %% [markdown]
# ## It shares the version counter
#
# Every in-place change bumps a tensor's `_version` (chapter 6 is all about it). A
# detached tensor has the *same counter object*, so a change through `d` counts as a
# change of `y`. That matters when `y` was saved for backward: `exp` saves its output,
# because the derivative of `e**x` is `e**x` itself.
#
# **Predict:** `y = x.exp()`, then `y.detach().zero_()`. What does `y.sum().backward()` do?

# %%
x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x.exp()
d = y.detach()
d.zero_()
print("y =", y)
print(f"y._version = {y._version}, d._version = {d._version}")


# %%
def version_shared(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.exp()
    y.detach().zero_()
    y.sum().backward()


side_by_side(version_shared)

# %% [markdown]
# Zeroing `d` zeroed `y` (shared memory) and moved *both* versions to 1 (shared counter).
# Backward refuses: `ExpBackward0` saved `y` at version 0 and now finds version 1, so the
# numbers it would multiply by are not the ones the forward pass produced. The error is
# loud *because* the counter is shared: the change through `d` was seen.

# %% [markdown]
# ## The metric example
#
# The everyday use of `detach()`: you compute something in the graph and also want a
# plain copy of it, for a metric or a log, that must not take part in backward. Here
# `yy = mm(w, x)` with `w` all ones; we keep `yy.detach()` aside and then backpropagate
# `sum(yy)`.
#
# **Predict:** what are `detach_yy.grad` and `x.grad`? (Hint: every entry of `yy` is a
# column sum of `x`, because `w` is all ones.)

# %% id="detach-metric" tags=["seed:s001-detach-metric"]
mg.manual_seed(0)
x = mg.rand(3, 3, requires_grad=True)
w = mg.ones(3, 3, requires_grad=True)
yy = mg.mm(w, x)
print("yy.requires_grad:", yy.requires_grad)
detach_yy = yy.detach()  # a copy for the metric, outside the graph
metric = detach_yy.mean().item()  # a plain Python float
print(f"metric (mean of yy) = {metric:.4f}")
y = mg.sum(yy)
y.backward()
print("detach_yy.grad:", detach_yy.grad)
print("x.grad:", x.grad)
print("w.grad:", w.grad)

# %% [markdown]
# `yy[i, j] = sum_k w[i, k] * x[k, j]`, so `x[k, j]` appears once in each of the 3 rows
# of `yy`, always multiplied by 1: `x.grad` is 3 everywhere. By the same algebra
# `w.grad[i, k] = sum_j x[k, j]`, the row sums of `x`, repeated in every row. The detached
# copy never gets a gradient: it is not in the graph. PyTorch agrees (its random `x`
# differs, so we compare `x.grad` and check `w.grad` against the row sums):


# %%
def detach_metric(lib):
    lib.manual_seed(0)
    x = lib.rand(3, 3, requires_grad=True)
    w = lib.ones(3, 3, requires_grad=True)
    yy = lib.mm(w, x)
    detach_yy = yy.detach()
    lib.sum(yy).backward()
    row_sums = x.detach().sum(dim=1)
    return {
        "detach_yy.grad": detach_yy.grad,
        "x.grad": x.grad,
        "w.grad rows are x's row sums": bool((w.grad - row_sums).abs().max() < 1e-6),
    }


# %%
side_by_side(detach_metric)

# %% [markdown]
# `.item()` and `.numpy()` are the other ways values leave the graph. `.item()` returns a
# Python number (never part of a graph); `.numpy()` refuses a tensor that requires grad,
# and its error tells you to detach first:


# %%
def to_numpy(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    return (x * 2).numpy()


side_by_side(to_numpy)
print(repr(mg.tensor([1.0, 2.0], requires_grad=True).detach().numpy()))

# %% [markdown]
# ## `detach()` versus `.data`
#
# Old PyTorch code uses `y.data` for the same purpose. It also shares memory and has no
# history, but it gets a **new** version counter: changes through it are invisible.
# minigrad's `data` property, read the docstring:

# %%
show_source(mg.Tensor.data, stop="t = _wrap(")

# %% [markdown]
# **Predict:** `a = x * 2`, `b = a * a` (so `MulBackward0` saves `a`), then `a` is changed
# by `+10` in place, once through `.data` and once through `detach()`. The correct
# gradient of `sum(b)` with respect to `x` is `8 * x = [8, 16, 24]`. What do you get?


# %%
def through_data(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = x * 2
    b = a * a
    a.data.add_(10)  # invisible to autograd
    b.sum().backward()
    return {"x.grad": x.grad, "a._version": a._version}


side_by_side(through_data)


# %%
def through_detach(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = x * 2
    b = a * a
    a.detach().add_(10)  # seen: the counter is shared
    b.sum().backward()
    return x.grad


side_by_side(through_detach)

# %% [markdown]
# Through `.data`, backward ran happily with the changed `a` and returned
# `4 * (2x + 10) = [48, 56, 64]`, a wrong gradient, with no error and `a._version` still
# 0. Through `detach()`, the same change raised. That is the whole reason `detach()`
# replaced `.data`: the same sharing, but autograd can still catch the mistake.
#
# In a picture: `y`, then three tensors made from it, after one in-place change through
# `y.detach()`. Each tensor points to the memory it reads and to the version counter it
# bumps. `y.clone()` (a copy, with its own counter) is there for contrast. The groups are
# found by `sharing_groups` in `coursekit/figures.py`, from the tensors themselves.

# %%
x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2
made_from_y = {"y": y, "y.detach()": y.detach(), "y.data": y.data, "y.clone()": y.clone()}
made_from_y["y.detach()"].add_(10)  # in place, through the detached tensor
draw_sharing(made_from_y)
assert (y._version, made_from_y["y.data"]._version) == (1, 0)  # as the text below says

# %% [markdown]
# The change through `y.detach()` moved memory 1, which `y` and `y.data` read too, and
# counter 1, which only `y` and `y.detach()` use: `y.data` saw new numbers at version 0.

# %% [markdown]
# ## `detach_()`: detach in place
#
# `y.detach_()` does not make a new tensor: it turns `y` itself into a leaf (drops its
# `grad_fn` and `requires_grad`). Other tensors computed from `y` earlier keep their
# history.


# %%
def detach_in_place(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    z = y * 3  # made before the detach: still connected to x
    y.detach_()
    z.sum().backward()
    return {"y": y, "y.is_leaf": y.is_leaf, "z.grad_fn": z.grad_fn.name(), "x.grad": x.grad}


side_by_side(detach_in_place)

# %% [markdown]
# ## `detach()` versus `no_grad()`
#
# Both give results that do not require grad, but they act at different places.
# `detach()` acts on **one tensor**, after the graph for it was recorded. `no_grad()`
# acts on a **block of code**: nothing inside it is recorded at all (chapter 7).
#
# **Predict:** which of `y`, `d` and `z` below require grad?


# %%
def detach_vs_no_grad(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.exp()  # recorded (ExpBackward0 saved y)
    d = y.detach()  # a tensor out of that graph; y keeps its graph
    with lib.no_grad():
        z = x.exp()  # nothing recorded in the first place
    return {
        "y": y.requires_grad,
        "d": d.requires_grad,
        "z": z.requires_grad,
        "y.grad_fn": y.grad_fn.name(),
        "same values": d.tolist() == z.tolist(),
    }


# %%
side_by_side(detach_vs_no_grad)

# %% [markdown]
# `d` and `z` hold the same numbers and neither requires grad. The difference is cost
# and reach: computing `y` recorded a node and saved a tensor, which `detach()` does not
# undo (`y` can still be backpropagated); inside `no_grad()` that work was never done.
# Use `no_grad()` for whole blocks that need no gradients (evaluation, updates), and
# `detach()` to cut one value out of a computation that otherwise records.

# %% [markdown]
# ## Stopping gradients through part of a model
#
# Sometimes the *model* computes its own target: value learning in reinforcement learning
# fits `v(s) = w * s` to `r + 0.9 * v(s_next)`, and self-training fits a student to a
# teacher's output. The target must be treated as a fixed number, so it is detached.
#
# **Predict:** with `w = 0.5`, `s = 1`, `s_next = 2`, `r = 1`, is `w.grad` the same with
# and without `.detach()` on the target?

# %%
td_question = predict(
    "Is `w.grad` the same with and without `.detach()` on the target?",
    ["the same", "different, with the same sign", "of opposite signs"],
)


# %%
def td_loss(lib, w, detach):
    """The squared error of v(s) = w * s against its target r + 0.9 * v(s_next)."""
    s, s_next = lib.tensor([1.0]), lib.tensor([2.0])
    prediction = w * s
    target = 1.0 + 0.9 * (w * s_next)
    if detach:
        target = target.detach()
    loss = ((prediction - target) ** 2).sum()
    names = {"w": w, "s": s, "s_next": s_next, "prediction": prediction, "target": target}
    return loss, {**names, "loss": loss}


# %%
def td_target(lib):
    grads = {}
    for detach in (True, False):
        w = lib.tensor([0.5], requires_grad=True)
        td_loss(lib, w, detach)[0].backward()
        grads[f"detach={detach}"] = w.grad
    return grads


side_by_side(td_target)
detached, not_detached = (grad.item() for grad in td_target(mg).values())
same_sign = "different, with the same sign" if detached * not_detached > 0 else "of opposite signs"
td_question.reveal("the same" if detached == not_detached else same_sign)

# %% [markdown]
# With the target detached, `d loss / d w = 2 (pred - target) * s = 2 (0.5 - 1.9) = -2.8`:
# increase `w`, so the prediction moves *towards* the target. Without it, the gradient
# also flows into the target: `2 (pred - target) (s - 0.9 s_next) = +2.24`. The sign
# flips: the update would *decrease* `w`, and the model would chase its own target. The
# picture shows the two graphs. On the left the detached target is not drawn at all:
# `SubBackward0`'s edge for it is `None` (and subtraction saves nothing), so the only
# path to `w` goes through `prediction`. On the right the target is a second path from
# the loss back to the same `AccumulateGrad`.

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 10), gridspec_kw={"width_ratios": [1, 1.3]})
fig.subplots_adjust(left=0, right=1, top=1, bottom=0, wspace=0.02)
for ax, detach in zip(axes, (True, False)):
    loss, names = td_loss(mg, mg.tensor([0.5], requires_grad=True), detach)
    title = "target.detach()" if detach else "target not detached"
    draw_graph(loss, names=names, ax=ax, title=title)
plt.show()

# %% [markdown]
# ## Detaching lets a graph be freed
#
# A graph stays in memory as long as something refers to it: a result tensor refers to its
# `grad_fn`, the node refers to its saved tensors and to the next nodes. A detached tensor
# refers to none of that. The classic leak is summing losses for a log:
# `total = total + loss` keeps every iteration's graph alive through `total`'s history.
# We count live nodes with weak references (they do not keep an object alive).


# %%
def live_nodes(keep_history):
    """Run 5 'training steps', summing the loss for a log; return how many graphs survive."""
    w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    total, nodes = 0.0, []
    for step in range(5):
        loss = (w * float(step)).exp().sum()
        nodes.append(weakref.ref(loss.grad_fn))
        total = total + (loss if keep_history else loss.detach())
        del loss
    gc.collect()
    return sum(ref() is not None for ref in nodes)


print(f"total = total + loss         : {live_nodes(True)} of 5 graphs still alive")
print(f"total = total + loss.detach(): {live_nodes(False)} of 5 graphs still alive")

# %% [markdown]
# With `loss` in the sum, `total` is a result whose history reaches back into all five
# graphs, saved tensors included. With `loss.detach()` (or `loss.item()`), `total` holds
# only numbers, and each graph is freed as soon as its `loss` is gone. PyTorch frees its
# (C++) nodes by the same rule, reference counting; its nodes cannot be weakly referenced
# from Python, which is why this cell runs on minigrad only.

# %% [markdown]
# ## Summary
#
# You can now predict:
# - `t.detach()` has `t`'s values, `grad_fn` `None`, `requires_grad` `False`, and is a
#   leaf; `t` keeps its graph;
# - the two share memory (a change through one is seen in the other) and the version
#   counter (an in-place change through the detached tensor breaks a backward that saved
#   the original, with the usual error);
# - `.data` shares memory but not the counter: the same change gives a silently wrong
#   gradient;
# - detaching a target stops the gradient along that path, which can flip the update;
#   `no_grad()` does the same for a whole block, without recording in the first place;
# - a detached value keeps no graph alive.
#
# **Next:** chapter 6 opens the version counter: which operations count as in-place,
# which nodes check it, and why `add` does not care.
