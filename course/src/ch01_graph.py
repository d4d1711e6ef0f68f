# %% [markdown]
# # Chapter 1 · The graph: what a computation remembers
#
# **The question.** When you compute with a number that "requires grad", what does
# autograd write down, and where does it keep it?
#
# After this chapter you can predict:
# - whether a result has a `grad_fn`, and what that node is called (`MulBackward0`, ...);
# - what `grad_fn.next_functions` contains, including the `None` entries;
# - which values are leaves and which are results;
# - that `requires_grad` spreads forward to everything computed from a value that has it;
# - that the graph already exists after the forward pass, before any `backward()`.
#
# We use `minigrad.Scalar`: the whole mechanism on single numbers, small enough to read.

# %%
import minigrad as mg
from coursekit.compare import side_by_side
from coursekit.lecture import predict, show_source, walk_graph
from coursekit.viz import draw_graph

# %% [markdown]
# ## A number that can remember
#
# A `Scalar` holds one float in `.data`. If you create it with `requires_grad=True`,
# you are saying: "later I will want the derivative of something with respect to this".

# %%
a = mg.Scalar(2.0, requires_grad=True)
b = mg.Scalar(3.0)  # requires_grad defaults to False, as in PyTorch
print(a)
print(b)

# %% [markdown]
# **Predict:** `c = a * b`. Will `c` require grad? Will it have a `grad_fn`, and what
# will the node be called? Commit to an answer (click it) before running the cell after.

# %%
node_name = predict(
    "`c = a * b`, where only `a` requires grad. What is `c.grad_fn.name()`?",
    ["there is no grad_fn (None)", "MulBackward0", "AccumulateGrad"],
)

# %%
c = a * b
node_name.reveal(c.grad_fn.name())
print(c)
print("c.requires_grad:", c.requires_grad)
print("c.grad_fn.name():", c.grad_fn.name())

# %% [markdown]
# `c` is a *result*: it remembers the operation that made it. The node is named
# `MulBackward0` because it is the **backward** of a multiplication: it will be used to
# send gradients from `c` back to `a` and `b`. Let us see how `*` builds it.

# %% [markdown]
# ## Build: how `*` records a node
#
# Every operation is a small class, a *Function*: `forward` computes the value and saves
# what the derivative will need; right beside it, `backward` says how a gradient `g`
# arriving at the output is passed on to the inputs. For `a * b` that is `g * b` for `a`
# and `g * a` for `b` (chapter 2). This is the real code from `minigrad/scalar.py`; the
# operator `*` is one line that calls `Mul.apply`.

# %%
from minigrad import scalar

show_source(scalar.Mul)
show_source(mg.Scalar.__mul__)

# %% [markdown]
# `apply` runs `forward` on the inputs' numbers and asks `is_recording` whether to record
# a node. The rule: record only if grad mode is on **and** some input requires grad. The
# tensors of later chapters follow the same rule (its `_view` test is for tensors that
# share another tensor's memory, chapter 6; a `Scalar` never has one).

# %%
from minigrad.function import is_recording

show_source(scalar.Function.apply)
show_source(is_recording)

# %% [markdown]
# The node, `ScalarNode`, is the `ctx` that `forward` and `backward` receive: it holds the
# Function, the edges to its inputs' nodes (`next_functions`) and what `forward` saved.
# Here is the part your Functions use: saving, reading back, and the call to `backward`.

# %%
show_source(scalar.ScalarNode, start="def save_for_backward", stop="self.function.backward")

# %% [markdown]
# An edge is `(node, 0)`, exactly like PyTorch's `next_functions`. Every `Scalar` keeps
# the edge that leads to it, `_edge`, and `apply` copies its inputs' edges into the node:
# `(None, 0)` if the input does not require grad, `(grad_fn, 0)` if it is a result (`apply`
# sets that when it records), and for a leaf that requires grad an `AccumulateGrad` node
# that will add into the leaf's `.grad`, made when `requires_grad` is set:

# %%
show_source(mg.Scalar, start="@requires_grad.setter", stop="self._edge = (self._accumulator, 0)")

# %% [markdown]
# **Predict:** what is in `c.grad_fn.next_functions`? One entry per input of `a * b`, in
# order. Which entry is `None`?


# %%
def short_name(node):
    """node.name() without a C++-style namespace ('minigrad::autograd::AccumulateGrad')."""
    return node.name().rsplit("::", 1)[-1]


def edge_names(node):
    """next_functions with each node written as its name (objects print with addresses)."""
    return [(short_name(fn) if fn is not None else None, nr) for fn, nr in node.next_functions]


print(edge_names(c.grad_fn))

# %% [markdown]
# The first edge leads to `a`'s `AccumulateGrad`; its `.variable` is `a` itself. The second
# is `None`: `b` does not require grad, so the graph has no path to it. Nothing will ever
# compute a gradient for `b`.

# %%
acc = c.grad_fn.next_functions[0][0]
print(acc.name())
print("acc.variable is a:", acc.variable is a)

# %% [markdown]
# Its full `name()` carries a namespace, as in PyTorch, where it reads
# `torch::autograd::AccumulateGrad` (the node is a C++ class there). `short_name` above
# drops the prefix, so our printouts read the same for both libraries.

# %% [markdown]
# ## Leaves and results
#
# A **leaf** is a value with no `grad_fn`, such as one you made yourself; a **result** was
# made by a recorded operation (it has a `grad_fn`). `b` is a leaf too, even though it does
# not require grad. (A value computed while nothing was recorded is a leaf as well:
# chapter 4.)

# %%
for name, v in {"a": a, "b": b, "c": c}.items():
    print(
        f"{name}: is_leaf={v.is_leaf!s:5}  requires_grad={v.requires_grad!s:5}  "
        f"grad_fn={v.grad_fn.name() if v.grad_fn else None}"
    )

# %% [markdown]
# ## `requires_grad` flows forward
#
# **Predict:** `d = b * 5 + 1` uses only values that do not require grad. Then
# `e = d * a` mixes in `a`, and `f = e.tanh()` continues from `e`. Which of `d`, `e`, `f`
# require grad?

# %%
d = b * 5 + 1
e = d * a
f = e.tanh()
print("d:", d.requires_grad, " e:", e.requires_grad, " f:", f.requires_grad)

# %% [markdown]
# Once any input requires grad, the result does, and so does everything computed from it:
# `apply` asks "does *any* input require grad?" at every step. PyTorch applies the same
# rule to tensors. Here is the same program with 0-dimensional tensors, on minigrad and on
# PyTorch (the `PyTorch` line says whether PyTorch agreed).


# %% id="requires-grad-flows" tags=["seed:s004-requires-grad-flows"]
def flows(lib):
    a = lib.tensor(2.0, requires_grad=True)
    b = lib.tensor(3.0)
    d = b * 5 + 1
    e = d * a
    f = e.tanh()
    return {"d": d.requires_grad, "e": e.requires_grad, "f": f.requires_grad}


side_by_side(flows)

# %% [markdown]
# ## The graph is a DAG, recorded during the forward pass
#
# Now a value used twice. With `a = 2`, `b = 3` (both requiring grad):
# `c = a * b`, `d = c + a`, `e = d * c`. Each node points to the nodes of its inputs, and
# every node was created *after* the nodes it points to, so the arrows can never form a
# cycle: the graph is a **directed acyclic graph** (DAG). A value used twice is one node
# with two arrows into it, not two copies.

# %%
a = mg.Scalar(2.0, requires_grad=True)
b = mg.Scalar(3.0, requires_grad=True)
c = a * b
d = c + a
e = d * c
print(e)

# %% [markdown]
# The graph is plain data: we can walk it from `e.grad_fn` along `next_functions`.
# `walk_graph` (in `coursekit/lecture.py`: a stack of nodes still to visit, and a set of
# those seen) labels each node with the value it produced (or, for `AccumulateGrad`, the
# leaf it feeds) and visits every node once.

# %%
names = {"a": a, "b": b, "c": c, "d": d, "e": e}
walk_graph(e, names)

# %% [markdown]
# **Predict:** the graph exists now, after the forward pass. Has anything been computed
# for the gradients yet? What are `a.grad` and `b.grad` before calling `e.backward()`,
# and are they set after it?
#
# (The cell starts with the same forward pass once more, so that it shows the same
# numbers however often you run it: a second `backward()` through one graph would not,
# as chapter 4 shows.)

# %% id="graph-dag" tags=["seed:s001-graph-dag"]
a = mg.Scalar(2.0, requires_grad=True)
b = mg.Scalar(3.0, requires_grad=True)
c = a * b
d = c + a
e = d * c
names = {"a": a, "b": b, "c": c, "d": d, "e": e}
print("before backward: a.grad =", a.grad, " b.grad =", b.grad)
e.backward()
print("after backward:  a.grad =", a.grad, " b.grad =", b.grad)

# %% [markdown]
# The forward pass only *recorded* the graph; `backward()` walked it and filled `.grad` of
# the leaves that require grad (how it gets 48 and 28 is chapter 2). The same in PyTorch:


# %%
def dag(lib):
    a = lib.tensor(2.0, requires_grad=True)
    b = lib.tensor(3.0, requires_grad=True)
    c = a * b
    d = c + a
    e = d * c
    before = (a.grad, b.grad)
    e.backward()
    return {"grad_fn": e.grad_fn.name(), "before": before, "after": (a.grad, b.grad)}


side_by_side(dag)

# %% [markdown]
# ## A picture of the graph
#
# `draw_graph` from `coursekit.viz` draws the same structure. Arrows point the way
# `next_functions` points: from the output at the top down to the leaves, which is also the
# way gradients travel in `backward()`. Blue boxes are backward nodes, yellow boxes
# results, green boxes leaves; `c` has two arrows coming in, because `c` is used twice.
# After `backward()`, the leaves show their `.grad`.

# %%
draw_graph(e, names=names)

# %% [markdown]
# ## Turning recording off (a preview)
#
# Inside `with mg.no_grad():` the rule in `apply` sees grad mode off and records
# nothing, even though `a` requires grad. Chapter 7 is all about these modes.

# %%
with mg.no_grad():
    g = a * b
print(g, "requires_grad:", g.requires_grad, " grad_fn:", g.grad_fn)

# %% [markdown]
# ## Summary
#
# You can now predict:
# - a result has a `grad_fn` named after the operation's backward (`MulBackward0`,
#   `AddBackward0`, `TanhBackward0`), a leaf has none;
# - `next_functions` has one `(node, 0)` per input: `AccumulateGrad` for a leaf that
#   requires grad, the input's `grad_fn` for a result, `None` for an input without grad;
# - `requires_grad` flows forward: one input that requires it is enough;
# - the graph is a DAG recorded while the forward pass runs; `backward()` only walks it;
# - under `no_grad()` nothing is recorded.
#
# **Next:** chapter 2 opens the local-derivative functions and follows `backward()` as it
# applies the chain rule from `e` back to `a` and `b`.
