# %% [markdown]
# # Chapter 6 · In-place operations and version counters
#
# **The question.** Why does changing a tensor in place *sometimes* break `backward()`,
# and sometimes not? And how does autograd notice?
#
# After this chapter you can predict:
# - which operations are in place, and what each does to `_version`;
# - whether a given in-place change makes backward raise: it does exactly when a node
#   *saved* that tensor (`mul` saves its inputs, `exp` its output, `add` nothing);
# - the error message, including "which is output 0 of Mul";
# - why a leaf that requires grad cannot be changed in place, and why optimizers may;
# - what `grad_fn` a non-leaf gets after an in-place op, also when the change goes
#   through a view;
# - why a naive pipeline-parallel schedule fails, and two ways to fix it.

# %%
import re

import matplotlib.pyplot as plt

import minigrad as mg
from coursekit.compare import side_by_side
from coursekit.lecture import predict, saved_names, short, show_source
from coursekit.viz import draw_graph
from minigrad import function
from minigrad.graph import SavedTensor
from minigrad.ops import inplace

plt.rcParams["figure.dpi"] = 80


# %% [markdown]
# ## What counts as in place
#
# An operation is **in place** when it writes into the memory of an existing tensor
# instead of making a new one. By convention the method names end in `_` (`add_`, `mul_`,
# `zero_`, `copy_`); the augmented operators (`+=`, `*=`) and item assignment
# (`t[i] = v`) are in place too. Every in-place change adds 1 to the tensor's `_version`.
#
# **Predict:** starting from version 0, what is `t._version` after each line below? Note
# that `t = t + 1` is *not* in place.


# %%
def first_changes(lib):
    t = lib.zeros(4)
    seen = {"new tensor": t._version}
    t.add_(1)
    seen["t.add_(1)"] = t._version
    t.mul_(3)
    seen["t.mul_(3)"] = t._version
    t += 1
    seen["t += 1"] = t._version
    t[0] = 10.0
    seen["t[0] = 10"] = t._version
    return t, seen


# %%
def versions(lib):
    t, seen = first_changes(lib)  # the same tensor t, changed further
    t.zero_()
    seen["t.zero_()"] = t._version
    t.copy_(lib.ones(4))
    seen["t.copy_(ones)"] = t._version
    t = t + 1
    seen["t = t + 1 (new tensor)"] = t._version
    return seen


side_by_side(versions)

# %% [markdown]
# `t = t + 1` made a brand-new tensor (version 0) and rebound the name; the old tensor was
# not touched. The counter counts changes to *memory*, so it is shared by every tensor
# that sees the same memory: a view (chapter 3's `.view(3, 3)` is one, and so is a slice
# such as `t[1:]`: it reads the same memory, no copy) and a detached tensor (chapter 5).
# And it counts under `no_grad()` too: turning recording off does not make a change
# invisible.


# %%
def shared_counter(lib):
    t = lib.zeros(4)
    view = t[1:]  # a view: same memory
    view.zero_()
    seen = {"after view.zero_()": (t._version, view._version)}
    d = t.detach()  # same memory again
    d.fill_(2.0)
    seen["after d.fill_(2)"] = (t._version, d._version)
    with lib.no_grad():
        t.mul_(2)
    seen["after mul_ under no_grad"], seen["t"] = t._version, t
    return seen


side_by_side(shared_counter)

# %% [markdown]
# ## Build: the version check
#
# A backward node that needs a tensor's values keeps it in a `SavedTensor`, together
# with the version the tensor had **at that moment**. When backward unpacks it, the two
# versions are compared; if the tensor was changed since, its numbers are not the ones
# the forward pass used, and the gradient would be silently wrong. So it raises instead.
# Saving notes the version (the last lines of `SavedTensor.__init__`; before them, a check
# of chapter 7's inference tensors), and `unpack` compares:

# %%
show_source(SavedTensor.__init__, start="self.version")
show_source(SavedTensor.unpack, stop="return tensor._data")

# %% [markdown]
# On the other side, every in-place op changes the array and then bumps the counter. Here
# is `add_`: it is chapter 2's `Add` (same node, `AddBackward0`, same backward) with a
# forward that writes into `a` (`out=a`). Marked `inplace = True`, it is then handed to
# `rebase` by `Function.apply`, which bumps the version and sets the new history (we come
# back to that below).

# %%
show_source(inplace.AddInplace)
show_source(function.rebase)

# %% [markdown]
# ## The version error
#
# `a = x * 2` is a non-leaf (output 0 of a `Mul`). `y = a * a` saves `a` twice, once as
# `self` and once as `other`, because the derivative of `a * a` needs the values of `a`.
# Then we change `a` in place, inside `no_grad()` as a quick "fix-up" of its values
# would be done (so nothing about the change is recorded).
#
# **Predict:** what does `y.sum().backward()` do? If it raises, what version does it
# expect and what version does it find?

# %%
x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
a = x * 2
y = a * a
print("MulBackward0 saved:", saved_names(y.grad_fn, mg), " a._version:", a._version)
with mg.no_grad():
    a.add_(1)
print("after a.add_(1):    a._version:", a._version, " a.grad_fn:", a.grad_fn.name())


# %% id="version-error" tags=["seed:s004-version-error"]
def version_error(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = x * 2
    y = a * a
    with lib.no_grad():
        a.add_(1)
    y.sum().backward()


side_by_side(version_error)

# %% [markdown]
# Read the message piece by piece: `[minigrad.FloatTensor [3]]` is the tensor's type and
# shape; "which is output 0 of Mul" names the operation that produced it, `a.grad_fn`
# (here `a = x * 2`, not the `Mul` that saved it); "is at version 1; expected version 0"
# is the check in `SavedTensor.unpack`. The hint about anomaly detection is PyTorch's way
# to find the forward line that made the failing node (chapter 10).
#
# **Predict:** the same change *recorded*, with grad mode on. Which op does the message
# name now?

# %%
named_question = predict(
    "The change recorded: the error says the tensor `is output 0 of` which op?",
    ["Mul", "Add", "there is no error"],
)


# %%
def version_error_recorded(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = x * 2
    y = a * a
    a.add_(1)  # recorded: a.grad_fn becomes AddBackward0
    y.sum().backward()


side_by_side(version_error_recorded)
try:
    version_error_recorded(mg)
    named_question.reveal("there is no error")
except RuntimeError as error:
    named_question.reveal(re.search(r"output 0 of (\w+)", str(error)).group(1))

# %% [markdown]
# "output 0 of Add": a recorded in-place op gives `a` a new `grad_fn` (see "Rebasing
# history" below), and the message names the node `a` has *now*. Either way the check is
# the same: the version moved.

# %% [markdown]
# ## `add` saves nothing, so it does not care
#
# The same code with `+` instead of `*`: `y = a + w`.
#
# **Predict:** does `y.sum().backward()` raise now? If not, are the gradients right?


# %% id="add-saves-nothing" tags=["seed:s004-add-saves-nothing"]
def add_saves_nothing(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = lib.tensor([10.0, 20.0, 30.0], requires_grad=True)
    a = x * 2
    y = a + w
    a.add_(1)  # a changed after it was used
    y.sum().backward()
    return {
        "AddBackward0 saved tensors": saved_names(y.grad_fn, lib),
        "x.grad": x.grad,
        "w.grad": w.grad,
    }


side_by_side(add_saves_nothing)

# %% [markdown]
# No error, and the gradients are right: the derivative of `a + w` is 1 for both inputs,
# whatever their values, so `AddBackward0` saves no tensor (PyTorch keeps only the number
# `alpha`, the 1 in `a + alpha * w`). Nothing saved means nothing to check and nothing
# that could be stale. Compare what the two nodes keep:


# %%
def what_ops_save(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = lib.tensor([10.0, 20.0, 30.0], requires_grad=True)
    a = x * 2
    results = {"a * w": a * w, "a + w": a + w, "a - w": a - w}
    results.update({"a.exp()": a.exp(), "a.tanh()": a.tanh(), "a.sum()": a.sum()})
    return {name: saved_names(t.grad_fn, lib) for name, t in results.items()}


side_by_side(what_ops_save)

# %% [markdown]
# `mul` saves both inputs (each one's gradient needs the other); `add`, `sub` and `sum`
# save nothing; `exp` and `tanh` save their **output** (`result`), because their
# derivatives are cheapest written with it: `d exp(a) = exp(a)`, `d tanh(a) = 1 - tanh(a)**2`.

# %% [markdown]
# ## `exp` saves its output
#
# So for `exp` it is the *output* that must stay untouched, and the input may change.
#
# **Predict:** `y = a.exp()`. Which of these raises at backward: changing `a` in place,
# or changing `y` in place?


# %%
def change_exp_input(lib):
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    a = x * 2
    y = a.exp()
    a.mul_(100)  # the input: exp did not save it
    y.sum().backward()
    return x.grad


side_by_side(change_exp_input)


# %%
def change_exp_output(lib):
    x = lib.tensor([0.0, 1.0], requires_grad=True)
    y = (x * 2).exp()
    y.add_(1)  # the output: exp saved it
    y.sum().backward()


side_by_side(change_exp_output)

# %% [markdown]
# Changing the input is harmless: `x.grad = 2 * exp(2x)` computed from the saved output,
# `[2, 2e^2]`. Changing the output raises, and the message now says "output 0 of Exp":
# the saved tensor is `exp`'s own output.

# %% [markdown]
# ## A leaf that requires grad cannot be changed in place
#
# A leaf that requires grad is what you want gradients *for* (a weight). If `w.add_(1)`
# were recorded, `w` would get a `grad_fn` and stop being a leaf, and its `.grad` would no
# longer be filled; if it were not recorded, every gradient computed from it would refer
# to a value it no longer has. So PyTorch refuses, while recording:


# %%
def leaf_in_place(lib):
    w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w.add_(1)


side_by_side(leaf_in_place)

# %% [markdown]
# `Function.apply` runs this check before an in-place op's forward (shown from its
# second branch; the first is about chapter 7's inference tensors). Note that branch:
# when autograd is not at work (grad mode off, or inference mode on, which wins even over
# `enable_grad()` inside it), the leaf rule does not apply.

# %%
show_source(function.check_inplace, start="if not ")

# %% [markdown]
# That is exactly how an optimizer updates weights: inside `no_grad()`, where nothing is
# recorded and `w` stays a leaf. The update still bumps `w._version`.
#
# **Predict:** after a manual SGD step, is `w` still a leaf? What is its version?


# %%
def sgd_step(lib):
    w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    with lib.no_grad():
        w -= 0.1 * w.grad  # in place, not recorded
    return {"w": w, "is_leaf": w.is_leaf, "grad_fn": w.grad_fn, "_version": w._version}


side_by_side(sgd_step)

# %% [markdown]
# Keep the version bump in mind: if some graph still holds a saved `w` from *before* the
# step, its backward will now fail. That is the pipeline problem at the end of this chapter.

# %% [markdown]
# ## Rebasing history
#
# A non-leaf changed in place while recording keeps its identity but gets a new history:
# `rebase` makes the in-place op's node its `grad_fn`, and that node's input is the *old*
# `grad_fn`. The gradient still flows through both operations.
#
# **Predict:** after `y = x * 2; y.add_(1)`, what is `y.grad_fn`, and what is in its
# `next_functions`?


# %%
def rebased(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    old = y.grad_fn
    y.add_(1)
    y.sum().backward()
    return {
        "y.grad_fn": y.grad_fn.name(),
        "next_functions": [short(fn) for fn, _ in y.grad_fn.next_functions],
        "next is the old node": y.grad_fn.next_functions[0][0] is old,
        "x.grad": x.grad,
    }


side_by_side(rebased)

# %% [markdown]
# The second entry is `None`: the `1` does not require grad. The same happens for
# `y[0] = v` on a non-leaf: `y.grad_fn` becomes `CopySlices`, whose backward sends zero
# gradient to the overwritten positions of the old `y`.


# %%
def setitem_rebased(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y[0] = 100.0
    y.sum().backward()
    return short(y.grad_fn), [short(fn) for fn, _ in y.grad_fn.next_functions], x.grad


side_by_side(setitem_rebased)

# %% [markdown]
# In pictures: the same tensor `y`, before and after `y.add_(1)`. After it, `y` hangs from
# the new `AddBackward0`, and the old `MulBackward0` is one step further down.

# %%
x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * 2
fig, axes = plt.subplots(1, 2, figsize=(9, 7))
fig.subplots_adjust(left=0, right=1, top=1, bottom=0, wspace=0.02)
draw_graph(y, names={"x": x, "y": y}, ax=axes[0], title="y = x * 2")
y.add_(1)
draw_graph(y, names={"x": x, "y": y}, ax=axes[1], title="after y.add_(1)")
plt.show()

# %% [markdown]
# ## In place on a view: the base's history is rewritten
#
# A view (chapter 3's `.view`, and also `v[0]`, `v[1:]`, `v.t()`) shares its base's memory
# and version counter (this chapter's first section). So an in-place op on a view changes the base
# too, and the base's `grad_fn` must say so. Below, `first` and `rest` are views of `v`,
# and only `first` is changed.
#
# **Predict:** afterwards, what are `v.grad_fn`, `first.grad_fn` and `rest.grad_fn`, and
# what is `x.grad` after `v.sum().backward()`? (Below: the views' `grad_fn` before and
# after, `v.grad_fn` with its inputs, and `x.grad`.)


# %%
def inplace_on_view(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = x * 2
    first, rest = v[0], v[1:]  # two views of v
    before = [short(first.grad_fn), short(rest.grad_fn)]
    first *= 0.5  # in place on a view: v's memory changes
    v.sum().backward()
    after = [short(first.grad_fn), short(rest.grad_fn)]
    edges = [short(n) for n, _ in v.grad_fn.next_functions]
    return {"views before": before, "after": after, "v": [short(v.grad_fn), edges], "x": x.grad}


side_by_side(inplace_on_view)

# %% [markdown]
# `v` is not a leaf, so its history is rewritten: its `grad_fn` becomes `CopySlices`,
# whose first input is `v`'s old history (`MulBackward0`, the `x * 2`); the `None` is the
# number `0.5`. Inside it, `CopySlices` keeps the node of the change itself (a
# `MulBackward0` of the view). Its backward copies the gradient of `v`, sends the part
# where the view lies through that node, and writes the result back:

# %%
from minigrad import views

show_source(views.CopySlices.__call__)

# %% [markdown]
# So position 0 of `x.grad` is `0.5 * 2 = 1`, the others `2`. Both views got a *rebuilt*
# `grad_fn`, `AsStridedBackward0`, even `rest`, whose numbers did not change: a view's
# `grad_fn` is checked against the shared version when it is read, and once the memory
# moved, it is made again from the base's new history (`views.current_grad_fn`).
#
# **Predict:** the same change with `v = x.sqrt()`. What does backward do now?


# %%
def inplace_on_view_of_sqrt(lib):
    x = lib.tensor([1.0, 4.0, 9.0], requires_grad=True)
    v = x.sqrt()
    first = v[0]
    first *= 0.5
    return v.sum().backward()


side_by_side(inplace_on_view_of_sqrt)

# %% [markdown]
# `sqrt` saved its output `v` (its derivative is `0.5 / sqrt(x)`), and changing the view
# changed `v`: the version check refuses, naming `v`'s producer, `Sqrt`. The rule of this
# chapter holds through views: a change anywhere in the shared memory is a change of
# every tensor that shares it.

# %% [markdown]
# ## Why naive pipeline parallelism hits the version error
#
# Pipeline parallelism splits a model into stages on different devices and streams
# micro-batches through them, so that all stages work at once. A natural schedule: as
# soon as micro-batch 2's backward is done, update the weights, *while micro-batch 1's
# backward is still pending*. But micro-batch 1's graph saved the weights as they were
# during its forward pass, and the update changes them in place.
#
# A tiny simulation: stage 1 is `h = tanh(x @ W1)`, stage 2 is `out = h @ W2`
# (`MmBackward0` saves `W2`, because `h`'s gradient is `grad @ W2.T`). A schedule is a list
# of events: `("F", k)` forward of micro-batch `k`, `("B", k)` its backward, `("U", None)`
# an SGD update in place under `no_grad()`. The simulator is `pipeline` in
# `coursekit/pipeline.py` (read it there); it returns the final weights, flattened.

# %%
from coursekit.pipeline import pipeline, plot_versions

NAIVE = [("F", 1), ("F", 2), ("B", 2), ("U", None), ("B", 1), ("U", None)]

# %% [markdown]
# **Predict:** the naive schedule runs F1, F2, B2, then updates, then B1. What happens at
# B1?

# %% id="pipeline" tags=["seed:s004-pipeline"]
side_by_side(lambda lib: pipeline(lib, NAIVE))

# %% [markdown]
# Micro-batch 1 saved `W2` (shape `[2, 1]`, a leaf, so no "output 0 of ..." this time) at
# version 0; the update after B2 moved it to version 1. Backward refuses, rightly: the
# gradient would mix the new `W2` with activations computed from the old one.
#
# **Fix 1, delay the update** (GPipe's flush): run every pending backward first, then
# update once. Gradients of both micro-batches simply add up in `.grad` (chapter 4), which
# is the gradient of the whole batch.
#
# **Fix 2, keep a copy** (PipeDream's weight stashing): each micro-batch's forward uses
# its own copy of the weights, so an update of the real weights changes nothing that was
# saved. The price is memory for the copies, and a micro-batch's gradient is computed with
# weights one step old.

# %%
DELAYED = [("F", 1), ("F", 2), ("B", 2), ("B", 1), ("U", None)]
STASHED = NAIVE


def fixes(lib):
    return {
        "delay the update": pipeline(lib, DELAYED),
        "keep a copy": pipeline(lib, STASHED, stash=True),
    }


side_by_side(fixes)
ends = fixes(mg)
assert ends["delay the update"] == ends["keep a copy"]  # what the next sentence says

# %% [markdown]
# Both run, and here they even end at the same weights (flattened above). The delayed
# schedule made one step with the summed gradient; the stashed one made two steps, one
# per micro-batch, but both gradients were computed at the starting weights, and two SGD
# steps `-lr * g2` then `-lr * g1` add up to one step with `g1 + g2`. (In a long-running
# pipeline the two differ: a micro-batch whose forward starts after an update sees newer
# weights.) The picture follows the versions through each schedule.

# %%
plot_versions(
    mg,
    [
        ("naive: update before B1", NAIVE, False),
        ("fix 1: delay the update", DELAYED, False),
        ("fix 2: a copy per micro-batch", STASHED, True),
    ],
)

# %% [markdown]
# Each bar runs from a micro-batch's forward to its backward, at the version its graph
# saved. In the naive run the black line steps up at `U` while micro-batch 1 still holds
# version 0: the red cross at `B1` is the error above. Delaying the update keeps the
# black line flat until every backward is done. With a copy per micro-batch the real
# weight moves at each `U`, but the saved tensors are the copies, which never change.

# %% [markdown]
# ## Summary
#
# You can now predict:
# - in-place ops (`add_`, `mul_`, `zero_`, `copy_`, `+=`, `t[i] = v`) bump `_version`,
#   also under `no_grad()`, and the counter is shared with views and detached tensors;
# - backward raises "one of the variables needed for gradient computation has been
#   modified by an inplace operation" exactly when a node *saved* the changed tensor:
#   `mul` and `mm` save inputs, `exp`, `tanh`, `sigmoid` save their output, `add`, `sub`,
#   `sum` save nothing; "which is output 0 of Mul" names the op that produced it;
# - a leaf that requires grad cannot be changed in place while recording; optimizers do
#   it under `no_grad()`, and still bump the version;
# - a non-leaf changed in place gets a new `grad_fn` (`AddBackward0`, `CopySlices`) whose
#   input is its old one; a change through a view rewrites its base's history, and is a
#   change of every tensor that shares the memory;
# - updating weights while an older micro-batch's backward is pending breaks it; delay the
#   update or give each micro-batch its own copy.
#
# **Next:** chapter 7 looks at the switch that decides whether anything is recorded at
# all: `no_grad`, `enable_grad`, `set_grad_enabled`, `inference_mode`, and how they nest.
