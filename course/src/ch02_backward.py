# %% [markdown]
# # Chapter 2 · Backward: the chain rule, one node at a time
#
# **The question.** Chapter 1 ended with `e.backward()` filling `a.grad = 48` and
# `b.grad = 28`. Where do those numbers come from, and in what order does autograd
# compute them?
#
# After this chapter you can predict:
# - the gradient a single operation sends to each of its inputs (its *local* rule);
# - the gradients of a small expression, by applying the chain rule along the graph;
# - the order in which `backward()` visits the nodes, and why it never recurses;
# - what each kind of node keeps from the forward pass for its backward formula.

# %%
import sys

import minigrad as mg
from coursekit.compare import side_by_side
from coursekit.lecture import predict, show_source
from coursekit.viz import BackwardStepper, backward_steps
from minigrad.scalar import topological_order

# %% [markdown]
# ## Local derivatives
#
# Every node can run its Function's `backward`: given the gradient `g` of the final result
# with respect to the node's *output*, it returns the gradient with respect to each
# *input*. For `c = a * b` that is `(g * b, g * a)`, because ∂c/∂a = b and ∂c/∂b = a.
# We can call it ourselves, with `g = 1`:

# %%
a = mg.Scalar(2.0, requires_grad=True)
b = mg.Scalar(-3.0, requires_grad=True)
c = a * b
print(c.grad_fn.name(), "local gradients for (a, b):", c.grad_fn.backward_fn(1.0))

# %% [markdown]
# Each operation has its own rule, written right beside its forward computation.
# `tanh` is a good example: its derivative `1 - tanh(x)²` reuses the forward result `t`,
# which `forward` saved for it.

# %%
from minigrad import scalar

show_source(scalar.Tanh)

# %% [markdown]
# ## The chain rule by hand
#
# Take `a = 2`, `b = -3` and
#
# `c = a * b` (= -6),  `d = c + a` (= -4),  `L = d ** 2` (= 16).
#
# The chain rule multiplies local derivatives along each path from `L` to a leaf, and adds
# the paths: `a` reaches `L` twice (through `c` and directly through `d`).
#
# **Predict:** what are ∂L/∂a and ∂L/∂b? Work it out on paper before running the next cell.

# %%
a, b = 2.0, -3.0
c = a * b
d = c + a
dL_dd = 2 * d  # L = d**2
dL_dc = dL_dd * 1  # d = c + a: ∂d/∂c = 1
dL_da = dL_dc * b + dL_dd * 1  # path a -> c -> d -> L, plus path a -> d -> L
dL_db = dL_dc * a  # path b -> c -> d -> L
print(f"dL/dd = {dL_dd}, dL/dc = {dL_dc}, dL/da = {dL_da}, dL/db = {dL_db}")

# %% [markdown]
# Now let `backward()` do the same work on the recorded graph:

# %%
a = mg.Scalar(2.0, requires_grad=True)
b = mg.Scalar(-3.0, requires_grad=True)
c = a * b
d = c + a
L = d**2
L.backward()
print("a.grad =", a.grad, " b.grad =", b.grad)

# %% [markdown]
# PyTorch agrees (0-dimensional tensors record the same graph):


# %%
def chain(lib):
    a = lib.tensor(2.0, requires_grad=True)
    b = lib.tensor(-3.0, requires_grad=True)
    L = (a * b + a) ** 2
    L.backward()
    return a.grad, b.grad


side_by_side(chain)

# %% [markdown]
# ## Build: `backward()`
#
# Here is the loop `Scalar.backward` runs, `run_backward` from `minigrad/scalar.py` (before
# calling it, `backward` checks that the output requires grad), and `call_node`, which runs
# one node. It starts with gradient 1 at the
# output (∂L/∂L = 1), then visits nodes so that every node runs only after **all** the
# gradients flowing into it have been added up in `grads`. Leaves' `AccumulateGrad` nodes
# add into `.grad`; other nodes call their local rule and pass the results on.

# %%
show_source(scalar.run_backward)
show_source(scalar.call_node)

# %% [markdown]
# The order comes from `topological_order`: a node is listed before every node it sends
# gradients to. It is a depth-first search that uses an explicit stack instead of
# recursion.

# %%
show_source(topological_order)

# %% [markdown]
# **Predict:** for `L = (a * b + a) ** 2`, in what order will the nodes run? Where do the
# two `AccumulateGrad` nodes come? `a` is used twice: by the product and by the sum.

# %%
order_question = predict(
    "For `L = (a * b + a) ** 2`, when does `a`'s `AccumulateGrad` run?",
    ["before MulBackward0", "after MulBackward0", "twice: once per use of a"],
)


# %%
def label(node):
    """A node's name; for AccumulateGrad, which leaf it writes into."""
    name = node.name().rsplit("::", 1)[-1]  # drop the 'minigrad::autograd::' prefix
    if name == "AccumulateGrad":
        return f"AccumulateGrad({'a' if node.variable is a else 'b'})"
    return name


# %%
L = (a * b + a) ** 2
order = [label(node) for node in topological_order(L.grad_fn)]
print(order)
if order.count("AccumulateGrad(a)") == 2:
    order_question.reveal("twice: once per use of a")
elif order.index("AccumulateGrad(a)") > order.index("MulBackward0"):
    order_question.reveal("after MulBackward0")
else:
    order_question.reveal("before MulBackward0")

# %% [markdown]
# `a`'s `AccumulateGrad` receives two gradients: one from `AddBackward0` (the `+ a`) and
# one from `MulBackward0` (the `a * b`). The order puts it after both senders, so by the
# time it runs both gradients have arrived and been added in `grads`. That is why a node
# used twice still runs once, with the **sum** of its incoming gradients.

# %% [markdown]
# ## Why iterative?
#
# Python stops a recursion after about a thousand nested calls. A graph can be much deeper:
# a recurrent network unrolled over a long sequence, or just a loop.

# %%
print("Python's recursion limit here:", sys.getrecursionlimit())

x = mg.Scalar(1.0, requires_grad=True)
y = x
for _ in range(20_000):
    y = y * 1.0001
y.backward()
print(f"20,000 nodes deep: x.grad = {x.grad:.6f}  (1.0001 ** 20000 = {1.0001**20_000:.6f})")

# %% [markdown]
# A textbook recursive sort (this one is written here, not in minigrad) fails on the
# same graph:


# %%
def recursive_order(node, visited=None, order=None):
    visited = set() if visited is None else visited
    order = [] if order is None else order
    if node not in visited:
        visited.add(node)
        for child, _ in node.next_functions:
            if child is not None:
                recursive_order(child, visited, order)
        order.append(node)
    return order


# %%
try:
    recursive_order(y.grad_fn)
except RecursionError as e:
    print(f"{type(e).__name__}: {e}")

# %% [markdown]
# ## Each operation has its own backward
#
# There is no general "differentiate this" machinery: every operation brings its own
# backward node with its own formula, and `backward()` only chains them. Here each
# operation is applied to `x = 0.5` (with `y = 4`), and `backward()` gives ∂out/∂x.
#
# **Predict** ∂out/∂x for `x * y`, `x / y`, `x ** 3`, `log(x)` and `relu(x)` before
# running the cell.

# %%
OPS = {
    "x * y": lambda x, y: x * y,
    "x + y": lambda x, y: x + y,
    "x - y": lambda x, y: x - y,
    "x / y": lambda x, y: x / y,
    "x ** 3": lambda x, y: x**3,
    "-x": lambda x, y: -x,
    "exp(x)": lambda x, y: x.exp(),
    "log(x)": lambda x, y: x.log(),
    "tanh(x)": lambda x, y: x.tanh(),
    "sigmoid(x)": lambda x, y: x.sigmoid(),
    "relu(x)": lambda x, y: x.relu(),
}


# %% id="own-backward" tags=["seed:s004-own-backward"]
def own_backward(lib):
    rows = []
    for text, op in OPS.items():
        x = lib.tensor(0.5, requires_grad=True)
        y = lib.tensor(4.0)
        out = op(x, y)
        out.backward()
        rows.append(f"{text:10} {out.grad_fn.name():17} d/dx = {x.grad.item():.4f}")
    return "\n".join(rows)


side_by_side(own_backward)

# %% [markdown]
# Each line is the local rule at `x = 0.5`: `y` = 4 for `x * y`, `1/y` = 0.25 for `x / y`,
# `3x²` = 0.75 for `x ** 3`, `1/x` = 2 for `log(x)`, and 1 for `relu(x)`, since `x > 0`.
#
# ## What each node keeps for backward
#
# A local rule often needs values from the forward pass: `a * b` needs `b` to compute
# `a`'s gradient and `a` for `b`'s. So during the forward pass each node **saves** exactly
# what its formula will need (PyTorch's custom functions do this with
# `ctx.save_for_backward`). The `Tensor` engine's operations are Functions of the same
# shape; `forward` computes on the tensors' numpy arrays, and `ctx.save` names what it
# keeps as PyTorch names it (`self`, `other`). Here is multiplication:

# %%
from minigrad.ops import elementwise

show_source(elementwise.Mul)

# %% [markdown]
# Addition needs no tensor: ∂(a + b)/∂a = 1 whatever the values (it keeps only the number
# `alpha` of `a + alpha * b`). `exp` is the opposite case: its derivative is `exp(x)`
# itself, so it saves its **output** (`result`), not its input.

# %%
show_source(elementwise.Add)
show_source(elementwise.Exp)

# %% [markdown]
# PyTorch shows saved values as attributes named `_saved_<name>` on the node. **Predict:**
# which tensors will `MulBackward0`, `AddBackward0` and `ExpBackward0` hold?


# %%
def saved_tensors(node):
    """The node's `_saved_*` attributes that hold a tensor (not None, not sizes)."""
    return {
        name: getattr(node, name)
        for name in dir(node)
        if name.startswith("_saved_") and hasattr(getattr(node, name), "shape")
    }


x = mg.tensor([1.0, 2.0], requires_grad=True)
w = mg.tensor([3.0, 4.0], requires_grad=True)
for y in (x * w, x + w, x.exp()):
    print(y.grad_fn.name(), saved_tensors(y.grad_fn))

# %% [markdown]
# `MulBackward0` keeps both inputs, `AddBackward0` keeps nothing, `ExpBackward0` keeps its
# result `[e¹, e²]`. A node saves an input only if the *other* input needs it: below,
# `const` does not require grad, so `x * const` keeps only `const` (`_saved_other`), the
# value `x`'s gradient needs. Side by side with PyTorch:


# %% id="ctx-saves" tags=["seed:s004-ctx-saves"]
def what_is_saved(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    w = lib.tensor([3.0, 4.0], requires_grad=True)
    const = lib.tensor([3.0, 4.0])
    results = {"x * w": x * w, "x * const": x * const, "x + w": x + w, "exp(x)": x.exp()}
    rows = []
    for text, y in results.items():
        saved = sorted(saved_tensors(y.grad_fn).items())
        kept = [f"{k}={[round(e, 4) for e in v.detach().tolist()]}" for k, v in saved]
        rows.append(f"{text:10} {y.grad_fn.name():13} {', '.join(kept) or '(nothing)'}")
    return "\n".join(rows)


side_by_side(what_is_saved)

# %% [markdown]
# Saved tensors are what makes the graph cost memory, and why chapter 6's in-place
# changes can break `backward()` while `add` never complains. Chapter 9 measures the memory.

# %% [markdown]
# ## Checking a gradient with finite differences
#
# How do we know a backward formula is right? Nudge an input by a tiny `h` and watch the
# output: (f(a + h) − f(a − h)) / 2h approaches ∂f/∂a. A `Scalar` computes in float64,
# so the two agree to many digits.


# %%
def f(a, b):
    return (a * b + a.exp()).tanh() * b


a = mg.Scalar(0.3, requires_grad=True)
b = mg.Scalar(-1.2, requires_grad=True)
f(a, b).backward()

h = 1e-6
num_a = (f(mg.Scalar(0.3 + h), b).data - f(mg.Scalar(0.3 - h), b).data) / (2 * h)
num_b = (f(a, mg.Scalar(-1.2 + h)).data - f(a, mg.Scalar(-1.2 - h)).data) / (2 * h)
print(f"df/da: backward {a.grad:.8f}   finite difference {num_a:.8f}")
print(f"df/db: backward {b.grad:.8f}   finite difference {num_b:.8f}")
print("agree to 1e-6:", abs(a.grad - num_a) < 1e-6 and abs(b.grad - num_b) < 1e-6)

# %% [markdown]
# The extra evaluations recorded graphs that nobody uses; chapter 7's `no_grad()` is the
# way to skip that. Chapter 10 meets `mg.autograd.gradcheck`, which runs this comparison
# for every input of a tensor function.

# %% [markdown]
# ## Watching backward run
#
# The same expression on tensors of two elements: the first element is our hand example
# (`a = 2, b = -3`), the second `a = 1, b = 4`; `sum()` turns the result into one number.
# **Predict:** `a.grad` and `b.grad`, element by element. (First elements: you already
# know them.)


# %% id="stepper"
def expression():
    a = mg.tensor([2.0, 1.0], requires_grad=True)
    b = mg.tensor([-3.0, 4.0], requires_grad=True)
    c = a * b
    d = c + a
    L = (d**2).sum()
    return {"a": a, "b": b, "c": c, "d": d, "L": L}


t = expression()
BackwardStepper(t["L"], names=t)

# %% [markdown]
# Click **Next** to run one node at a time: the node that runs is outlined in red, each
# arrow shows the gradient it carried, and the text beside the picture says what the
# node received and sent. (The picture draws boxes for the output and the leaves only;
# the gradient with respect to `d` is what the arrow into `d`'s node, `AddBackward0`,
# carries.) The same steps as plain data, numbered as the widget numbers them (this is
# what the widget replays):

# %% id="steps-as-data"
t = expression()
for step in backward_steps(t["L"], names=t):
    sent = "; ".join(f"{g.target}: {g.grad}" for g in step.grad_inputs)
    if step.leaf is not None:
        sent = f"adds it into {step.leaf}.grad"
    print(f"{step.index}. {step.title:18} in: {step.grad_output!s:13} out: {sent}")
print("a.grad =", t["a"].grad, " b.grad =", t["b"].grad)

# %% [markdown]
# Step 3: `AddBackward0` sends `[-8, 10]` to **both** `MulBackward0` and `a`. Step 4:
# `MulBackward0` multiplies by the saved other input, `b`, for `a` (`[24, 40]`) and by
# `a` for `b`. `a`'s `AccumulateGrad` (step 5) runs only after both arrows into it have
# delivered, and adds their sum `[-8+24, 10+40]` into `a.grad`.

# %% [markdown]
# ## Summary
#
# You can now predict:
# - each node's local gradients (`g * b, g * a` for a product, `g` for each input of a sum,
#   `g * result` for `exp`);
# - gradients of a small expression: multiply along paths, add over paths;
# - the visiting order, `topological_order`: the output first, each node once, after
#   all its incoming gradients are summed, found with a stack (no recursion limit);
# - what a node saves: the inputs (or outputs) its formula needs, and nothing for `add`.
#
# **Next:** chapter 3 moves from numbers to tensors: broadcasting, matrix products, and
# why their gradients are sums.
