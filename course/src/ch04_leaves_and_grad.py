# %% [markdown]
# # Chapter 4 · Leaves, `.grad`, accumulation, hooks
#
# **The question.** After `loss.backward()`, *which* tensors have a `.grad`, what is in
# it, and what happens to it when you call `backward()` a second time?
#
# After this chapter you can predict:
# - which tensors are leaves (`is_leaf`), and the defaults of `requires_grad`, `grad`,
#   `grad_fn` for any tensor;
# - that only leaves that require grad get a `.grad`; reading it on a non-leaf warns;
# - that a second `backward()` *adds* into `.grad` (and how to reset it);
# - what `retain_grad()`, `register_hook()` and `retain_graph=True` change;
# - when a second `backward()` through the same graph raises, and when it does not.

# %%
import warnings

import matplotlib.pyplot as plt

import minigrad as mg
import minigrad.optim  # makes mg.optim available, as torch.optim is after import torch
from coursekit.compare import side_by_side
from coursekit.lecture import predict, saved_names, short, show_source
from coursekit.viz import draw_graph
from minigrad.engine import trace_backward

plt.rcParams["figure.dpi"] = 80


# %% [markdown]
# ## Leaves: tensors that start the graph
#
# A tensor is a **leaf** when no recorded operation made it: its `grad_fn` is `None`. That
# happens in two ways: you created it yourself, or it does not require grad (so nothing was
# recorded when it was computed). Here is the whole rule in minigrad:

# %%
show_source(mg.Tensor.is_leaf)

# %% [markdown]
# **Predict:** which of these five tensors are leaves? `c` is *computed* (`x * 2`), and `d`
# is computed from `w` inside `no_grad()`. Commit to an answer before running the cell after.

# %%
leaves_question = predict(
    "Which of `x`, `w`, `y`, `c`, `d` are leaves?",
    ["x, w", "x, w, c", "x, w, c, d", "all five"],
)

# %%
x = mg.tensor([1.0, 2.0, 3.0])  # made by you, no grad
w = mg.tensor([0.5, -1.0, 2.0], requires_grad=True)  # made by you, requires grad
y = w * x  # computed from w
c = x * 2  # computed, but nothing requires grad
with mg.no_grad():
    d = w * 3  # computed with recording off

tensors = {"x": x, "w": w, "y": y, "c": c, "d": d}
for name, t in tensors.items():
    print(
        f"{name}: is_leaf={t.is_leaf!s:5}  requires_grad={t.requires_grad!s:5}  "
        f"grad_fn={short(t.grad_fn)}"
    )
leaves_question.reveal(", ".join(name for name, t in tensors.items() if t.is_leaf))

# %% [markdown]
# Only `y` is not a leaf. `c` and `d` were computed, but no node was recorded for them, so
# for autograd they are where a graph would start, exactly like `x`. In PyTorch too:


# %%
def leaves(lib):
    x = lib.tensor([1.0, 2.0, 3.0])
    w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    with lib.no_grad():
        d = w * 3
    return {
        "x": x.is_leaf,
        "w": w.is_leaf,
        "y": (w * x).is_leaf,
        "c": (x * 2).is_leaf,
        "d": d.is_leaf,
    }


side_by_side(leaves)

# %% [markdown]
# ## The attribute table
#
# Five attributes describe a tensor's place in autograd. `device` and `requires_grad` can
# be chosen when you create a tensor; `grad`, `grad_fn` and `is_leaf` are filled in by
# autograd and only read. Let us build the table from real tensors instead of writing it.


# %% id="attributes" tags=["seed:s001-attributes"]
def attribute_table(lib):
    x = lib.tensor([1.0, 2.0, 3.0])  # all defaults
    w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = w * x
    rows = [("tensor", "device", "requires_grad", "grad", "grad_fn", "is_leaf")]
    for name, t in (("x", x), ("w", w), ("y = w * x", y)):
        with warnings.catch_warnings():  # y.grad warns (see below); the table only reads it
            warnings.simplefilter("ignore")
            grad = t.grad
        fn = None if t.grad_fn is None else t.grad_fn.name()
        rows.append((name, t.device.type, str(t.requires_grad), str(grad), str(fn), str(t.is_leaf)))
    return "\n".join("".join(f"{cell:<15}" for cell in row) for row in rows)


print(attribute_table(mg))

# %% [markdown]
# Read it column by column: `requires_grad` defaults to `False`; `grad` is `None` until a
# backward pass fills it (and stays `None` on non-leaves, as we will see); `grad_fn` is
# `None` for every leaf; minigrad computes on the CPU only, like PyTorch's default device.
# The same table from PyTorch:

# %%
side_by_side(attribute_table)

# %% [markdown]
# ## `.grad` lands on leaves
#
# `a` is a leaf that requires grad, `b = a * 2` is computed from it. We call
# `b.sum().backward()`.
#
# **Predict:** what will `a.grad` be? Decide before running the next cell.

# %% id="leaf-grad" tags=["seed:s002-leaf-grad"]
mg.manual_seed(0)
a = mg.randn(3, 4, requires_grad=True)
b = a * 2
b.sum().backward()
print(a.grad)

# %% [markdown]
# Every entry of `b.sum()` is `2 * a[i, j]`, so its derivative with respect to each
# `a[i, j]` is 2. PyTorch agrees (its random numbers differ, the gradient does not):


# %%
def leaf_grad(lib):
    lib.manual_seed(0)
    a = lib.randn(3, 4, requires_grad=True)
    b = a * 2
    b.sum().backward()
    return a.grad


side_by_side(leaf_grad)

# %% [markdown]
# **Predict:** and `b.grad`? `b` requires grad and the gradient certainly passed through it.

# %% id="nonleaf-grad-warning" tags=["seed:s002-nonleaf-grad-warning"]
print("b =", b)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print("b.grad =", b.grad)
for w_ in caught:
    print(f"{w_.category.__name__}: {w_.message}")

# %% [markdown]
# `b.grad` is `None`, and reading it gives a `UserWarning`: "won't be populated during
# autograd.backward()". The rest of the message points to `retain_grad()` (below) and
# suggests you probably meant the leaf. PyTorch says the same:


# %%
def nonleaf_grad(lib):
    a = lib.ones(3, 4, requires_grad=True)
    b = a * 2
    b.sum().backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        grad = b.grad
    warned = "\n".join(f"{w.category.__name__}: {w.message}" for w in caught)
    return f"b.grad: {grad}\n{warned}"


side_by_side(nonleaf_grad)

# %% [markdown]
# ## A tensor that does not require grad gets nothing
#
# `c` is computed from `a` inside `no_grad()`: it has no `grad_fn`, so there is no graph
# behind it at all.
#
# **Predict:** what does `c.sum().backward()` do?

# %% id="no-grad-backward-error" tags=["seed:s002-no-grad-backward-error"]
a = mg.ones(3, 4, requires_grad=True)
with mg.no_grad():
    c = a * 2
print("c.requires_grad:", c.requires_grad, " c.grad_fn:", c.grad_fn, " c.grad:", c.grad)


def backward_without_graph(lib):
    a = lib.ones(3, 4, requires_grad=True)
    with lib.no_grad():
        c = a * 2
    c.sum().backward()


side_by_side(backward_without_graph)

# %% [markdown]
# `c.grad` is `None`, without a warning this time: `c` is a leaf (nothing recorded made
# it), and a leaf that does not require grad simply never gets a gradient.
# "element 0 of tensors": `backward` accepts several outputs, and the first one (the only
# one here) has nothing to walk back through. The engine checks every output before
# walking, right after picking its starting gradient (ones for a scalar), as PyTorch does.
# The check, from `minigrad/engine.py`:

# %%
from minigrad import engine

show_source(engine._make_root_grads, start="for i, t in enumerate(tensors):", stop="return grads")

# %% [markdown]
# The same rule works inside a graph. In `y = w * x` the input `x` does not require grad,
# so `MulBackward0`'s edge for it is `None`: the engine never even computes a gradient
# for `x`, and `x.grad` stays `None`.
#
# **Predict:** after `y.sum().backward()`, what are `w.grad` and `x.grad`?


# %% id="no-grad-for-false" tags=["seed:s004-no-grad-for-false"]
def no_grad_for_false(lib):
    x = lib.tensor([1.0, 2.0, 3.0])
    w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = w * x
    edges = [short(fn) for fn, _ in y.grad_fn.next_functions]
    y.sum().backward()
    return {"edges": edges, "w.grad": w.grad, "x.grad": x.grad}


side_by_side(no_grad_for_false)

# %% [markdown]
# `w.grad = x` (the derivative of `w * x` by `w`), and `x` gets nothing. The edge for `x`
# is `None`, and `Mul` (chapter 2) looked at `ctx.needs_input_grad` in its forward: it
# saved `w` (`self`) only if `x` needed a gradient. So its backward finds no `self` and
# skips the work for `x`, instead of computing it and throwing it away:

# %%
from minigrad.ops.elementwise import Mul

show_source(Mul.backward)

# %% [markdown]
# ## Build: `AccumulateGrad`, where `.grad` is written
#
# The edge to a leaf that requires grad leads to its `AccumulateGrad` node, which names the
# leaf (`.variable`). When the engine reaches it, it runs the leaf's hooks (below), then
# `accumulate_grad`: store the gradient if `.grad` is `None`, or **add** it in place
# otherwise. You write this piece in the exercises.

# %%
show_source(engine.accumulate_grad)

# %% [markdown]
# The first `.grad` is a copy (`first_gradient`): the incoming gradient may be seen
# elsewhere (`add` sends one gradient to both its inputs; a hook may have kept it), and a
# `.grad` sharing its memory would change at the next in-place addition. (When nobody but
# the engine holds the gradient, minigrad keeps it instead of copying it, as PyTorch
# "steals" an unshared gradient: a saving of time, not a change of result.) The addition
# in place bumps `.grad`'s version (chapter 6), and `refuse_inference_write` refuses it on a
# `.grad` made inside `inference_mode()` (chapter 7), after the addition, as PyTorch does.

# %% [markdown]
# ## Gradients accumulate
#
# **Predict:** we run the forward pass and `backward()` twice, without touching `a.grad`
# in between. What is `a.grad` after each pass? And is it the same tensor object?

# %% id="leaf-accumulates" tags=["seed:s004-leaf-accumulates"]
a = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
(a * 2).sum().backward()
first = a.grad
print("after pass 1:", a.grad)
(a * 2).sum().backward()
print("after pass 2:", a.grad)
print("same object:", first is a.grad, " first now:", first)

# %% [markdown]
# The second gradient was *added* into the first: 2 + 2 = 4, written into the same tensor
# (so `first` changed too). This is deliberate. A leaf used twice in one formula gets the
# sum of both contributions, and in training you can add up the gradients of several
# small batches before one optimizer step ("gradient accumulation"). PyTorch:


# %%
def accumulates(lib):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (a * 2).sum().backward()
    first = a.grad
    (a * 2).sum().backward()
    return a.grad, first is a.grad


side_by_side(accumulates)

# %% [markdown]
# The price: in a training loop you must reset `.grad` before each step, or every step
# uses the sum of all gradients so far. Two ways: fill it with zeros in place, or set it
# to `None` (the next backward then stores a fresh tensor).


# %%
def resetting(lib):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (a * 2).sum().backward()
    a.grad.zero_()  # keep the tensor, fill it with zeros
    zeroed = a.grad.clone()
    (a * 3).sum().backward()
    after_zero = a.grad.clone()
    a.grad = None  # drop it
    return zeroed, after_zero, a.grad


side_by_side(resetting)

# %% [markdown]
# Optimizers do this for every parameter in `zero_grad()`; since PyTorch 2.0 the default
# is `set_to_none=True`, which saves the memory of the zeros (chapter 8 trains with it):

# %%
show_source(mg.optim.Optimizer.zero_grad)
show_source(mg.optim.optimizer.zero_grads)

# %% [markdown]
# ## Non-leaves pass the gradient on
#
# The gradient certainly *reaches* `b` in `b = a * 2`: it has to, to get to `a`. The engine
# just does not keep it. `trace_backward` runs a real backward and records, for each node,
# the gradient that came in and the gradients it sent on.

# %%
a = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
b = a * 2
loss = (b * b).sum()
for step in trace_backward(loss):
    sent = [None if g is None else g.tolist() for g in step.grad_inputs]
    print(f"{short(step.node):16} got {step.grad_output.tolist()!s:22} sent {sent}")

# %% [markdown]
# The first `MulBackward0` (of `b * b`) got `[1, 1, 1]` and sent `b = [2, 4, 6]` to each
# of its two inputs. Both inputs are `b`, so the engine added the two: `[4, 8, 12]`, the
# gradient with respect to `b`. That sum went straight into the next `MulBackward0` (of
# `a * 2`), which sent `[8, 16, 24]` to `a`'s `AccumulateGrad`. Nothing was written on
# `b`. Keeping it would cost a tensor of memory per non-leaf, plus one more addition into
# its `.grad`, on every backward of every model, while optimizers need only the leaves'
# gradients. So by default a non-leaf's gradient is passed on and forgotten.
#
# One of the blog posts this course grew from (post 001) says the opposite: that after
# `backward()`, "the gradients of all intermediate computation nodes are saved in their
# grad attribute". Here is its own example, `z = sum(mm(x, y))`, with the intermediate
# `xy = mm(x, y)` kept in a variable so that we can look at it.
#
# **Predict:** after `z.backward()`, what is `xy.grad`?


# %% id="intermediate-grad"
def intermediate_grad(lib):
    x = lib.arange(9, dtype=lib.float).view(3, 3)
    y = lib.ones(3, 3, requires_grad=True)
    xy = lib.mm(x, y)  # an intermediate node
    z = lib.sum(xy)
    z.backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seen = {"xy.is_leaf": xy.is_leaf, "xy.grad": xy.grad}
    seen["warned"] = [w.category.__name__ for w in caught]
    seen["y.grad (the leaf)"] = y.grad
    return seen


side_by_side(intermediate_grad)

# %% [markdown]
# `xy.grad` is `None`, with the warning of the previous section: PyTorch keeps no
# intermediate gradient. Only the leaf `y` has one. (The post's own printout shows only
# `x.grad` and `y.grad`, both leaves, so it never met the difference.) To keep an
# intermediate's gradient, ask for it: that is `retain_grad()`, below.

# %% [markdown]
# ## `retain_grad()`: keep it anyway
#
# When you do want a non-leaf's gradient (to debug, or to look at activations' gradients),
# call `retain_grad()` on it before `backward()`. The engine stores the gradient as it
# passes through that tensor's `grad_fn`; this is the code that runs there (hooks first,
# then the retained copy):

# %%
show_source(engine.call_pre_hooks)

# %% [markdown]
# **Predict:** with `b.retain_grad()`, what are `b.grad` and `a.grad` for the same loss
# `(b * b).sum()`? Does reading `b.grad` still warn?


# %%
def retained(lib):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 2
    b.retain_grad()
    (b * b).sum().backward()
    return {"b.retains_grad": b.retains_grad, "b.grad": b.grad, "a.grad": a.grad}


side_by_side(retained)

# %% [markdown]
# No warning: the engine stored `[4, 8, 12]` on `b`, and `a.grad` is unchanged by it.

# %% [markdown]
# ## Optional: hooks, to see or change a gradient on its way
#
# *An optional section: nothing after it in this chapter uses it; skip to "`retain_graph`"
# if you are short of time.*
#
# `t.register_hook(fn)` asks the engine to call `fn(grad)` when the gradient with respect
# to `t` is computed. If `fn` returns a tensor, that replaces the gradient from there on.
# It returns a handle; `handle.remove()` unregisters the hook. On a non-leaf the hook is
# kept by its `grad_fn`, on a leaf by the tensor (the engine calls it just before
# `accumulate_grad`):

# %%
show_source(mg.Tensor.register_hook)

# %% [markdown]
# **Predict:** a hook on `b` prints the gradient; a hook on the leaf `a` multiplies its
# gradient by 10. What is printed, and what is `a.grad`? After both hooks are removed, a
# second backward adds the plain gradient: what is `a.grad` then?


# %%
def hooks(lib):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 2
    seen = []
    h_b = b.register_hook(lambda g: seen.append(g.tolist()))  # look, return None
    h_a = a.register_hook(lambda g: g * 10)  # replace the gradient
    (b * b).sum().backward()
    first = a.grad.clone()
    h_b.remove()
    h_a.remove()
    (a * 2 * (a * 2)).sum().backward()
    return {"seen at b": seen, "a.grad (hooked)": first, "a.grad (+ plain)": a.grad}


side_by_side(hooks)

# %% [markdown]
# The hook on `b` saw `[4, 8, 12]` (the gradient that is passed on and not stored); the
# hook on `a` turned `[8, 16, 24]` into `[80, 160, 240]` before it was accumulated. After
# `remove()`, the plain `[8, 16, 24]` was added: `[88, 176, 264]`. Hooks are how tools
# clip gradients, log them, or move them between machines while backward runs.

# %% [markdown]
# ## `retain_graph`: a graph is used once
#
# Nodes keep the tensors their backward formula needs (`MulBackward0` of `w * x` keeps
# `x`). To save memory, `backward()` frees them as soon as each node has run.
#
# **Predict:** what happens on a second `loss.backward()` through the same graph?


# %%
def twice(lib):
    w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = lib.tensor([4.0, 5.0, 6.0])
    loss = (w * x).sum()
    loss.backward()
    loss.backward()


side_by_side(twice)

# %% [markdown]
# The saved `x` is gone, so `MulBackward0` cannot compute `grad * x` again. Even reading
# the saved tensor directly raises the same error: here it is before backward, then
# read after it.

# %%
w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
x = mg.tensor([4.0, 5.0, 6.0])
y = w * x
print("before backward, y.grad_fn._saved_other =", y.grad_fn._saved_other)


# %%
def read_saved_after_backward(lib):
    w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = lib.tensor([4.0, 5.0, 6.0])
    y = w * x
    y.sum().backward()
    return y.grad_fn._saved_other


side_by_side(read_saved_after_backward)

# %% [markdown]
# The freeing is one line in `call_node`, the engine's step for one node, right after
# the node's backward formula ran:

# %%
show_source(engine.call_node, start="if not retain_graph", stop="release_saved()")

# %% [markdown]
# With `retain_graph=True` the saved tensors are kept, so the graph can be walked again;
# and since `.grad` accumulates, the second pass adds to the first.


# %%
def retain_graph(lib):
    w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = lib.tensor([4.0, 5.0, 6.0])
    loss = (w * x).sum()
    loss.backward(retain_graph=True)
    first = w.grad.clone()
    loss.backward()
    return first, w.grad


side_by_side(retain_graph)

# %% [markdown]
# **Predict:** now a graph made only of additions and a sum: `loss = (x + x).sum()`.
# Does a second `loss.backward()` *without* `retain_graph` raise?


# %%
def adds_only(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (x + x).sum()
    nodes = (loss.grad_fn, loss.grad_fn.next_functions[0][0])
    saved = {fn.name(): saved_names(fn, lib) for fn in nodes}
    loss.backward()
    loss.backward()
    return saved, x.grad


side_by_side(adds_only)

# %% [markdown]
# No error. The derivative of an addition is 1 and the derivative of a sum just spreads the
# gradient back to the input's shape: neither node saves a tensor, so there is nothing to
# free and nothing missing the second time. The error is about *saved tensors*, not about
# walking a graph twice. (We will meet this idea again in chapter 6: add does not care if
# its inputs change.)

# %% [markdown]
# ## Optional: a picture, before and after backward
#
# *An optional section: a drawing of what this chapter said in words.*
#
# Green boxes are leaves that require grad, grey ones leaves without grad, yellow ones
# non-leaf results; blue boxes are backward nodes, purple `AccumulateGrad`. After
# `backward()`, `w`'s box shows its `.grad`, `y` still has none, and `MulBackward0` is
# orange: its saved tensors (`x`) were freed, so the grey box for `x` is no longer
# attached to the graph.

# %%
w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
x = mg.tensor([4.0, 5.0, 6.0])
y = w * x
loss = y.sum()
names = {"w": w, "x": x, "y": y, "loss": loss}

fig, axes = plt.subplots(1, 2, figsize=(9, 8))
fig.subplots_adjust(left=0, right=1, top=1, bottom=0, wspace=0.02)
draw_graph(loss, names=names, ax=axes[0], title="before backward")
loss.backward()
draw_graph(loss, names=names, ax=axes[1], title="after backward")
plt.show()

# %% [markdown]
# ## Summary
#
# You can now predict:
# - `is_leaf` is `grad_fn is None`: tensors you made, and tensors that do not require
#   grad (even computed ones); `requires_grad` defaults to `False`, `grad` to `None`;
# - `backward()` writes `.grad` only on leaves that require grad; a non-leaf's `.grad` is
#   `None` with a warning, unless it called `retain_grad()`; a tensor that does not require
#   grad gets nothing, and calling `backward()` on one raises "element 0 of tensors ...";
# - `.grad` accumulates in place across backward passes: reset it (`zero_grad()`, or
#   `grad = None`) before each step;
# - hooks see (and may replace) a gradient on its way; `handle.remove()` stops them;
# - a second backward through a graph raises once its saved tensors were freed, unless
#   `retain_graph=True`; a graph that saved no tensors (adds, sums) can be walked again.
#
# **Next:** chapter 5 takes a tensor *out* of the graph on purpose: `detach()`.
