# %% [markdown]
# # Chapter 10 · Beyond: your own backward, and gradients of gradients
#
# **The question.** How do you give autograd an operation it does not know, or a
# gradient you chose yourself? How do you check that your backward is right? And since
# backward is made of operations too, can it be differentiated?
#
# After this chapter you can predict:
# - the single node a custom `autograd.Function` records (`SoftplusBackward`), even for
#   several outputs, what `ctx` keeps, and that what it keeps is version-checked like
#   everything else;
# - whether `gradcheck` passes, and how to read its message when it does not;
# - what `create_graph=True` adds: a gradient that has a `grad_fn`, hence second
#   derivatives and Hessian-vector products;
# - how `autograd.grad` differs from `backward()`: it returns gradients instead of adding
#   them into `.grad`, and `allow_unused` decides what an unused input gets.

# %%
import importlib
import warnings

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
from coursekit.compare import side_by_side
from coursekit.lecture import lines, names, outcome, predict, show_source
from coursekit.measure import graph_nodes
from coursekit.viz import draw_graph
from minigrad.autograd import FunctionCtx

plt.rcParams["figure.dpi"] = 80


# %% [markdown]
# ## Build: an operation with your own backward
#
# Every operation so far was a Function written inside minigrad: chapter 2's `Mul`,
# chapter 3's `Mm`, chapter 6's `AddInplace`. A subclass of `autograd.Function` is the
# same thing written by you: a static `forward(ctx, ...)` that computes the result, and a
# static `backward(ctx, grad)` that turns the gradient of the result into the gradient
# of each input. You never call them directly; you call `YourFunction.apply(...)`, the
# one place where every operation, minigrad's and yours, becomes a graph node:

# %%
show_source(
    mg.autograd.Function.apply,
    start="if cls.on_arrays and not",
    stop="_connect_any(cls, inputs)",
    elide=[("kind = (", "edges.append(NO_EDGE", "the common case's loop: see below")],
)

# %% [markdown]
# Read it from the top. (The first line serves minigrad's own backward formulas, which
# call operations on arrays when nothing records them.) **1.** The rule is
# `is_recording`, chapter 7's. Then each input gives forward its numpy array (minigrad's
# own operations compute on arrays) and, when recording, gives the node an edge: the node
# that made it, or a leaf's `AccumulateGrad`. `_connect_any` does that for every kind of
# input: your Function's (it gets the tensors, and records whenever grad mode is on and
# an input requires grad, as PyTorch's does, even inside `inference_mode()`), a number or
# `None`, a view, an inference tensor (an operation whose tensors are all inference
# tensors records nothing), an in-place operation (checked there, chapter 6), two shapes
# or dtypes (cast to one for forward; each gradient is fitted back to its input). The
# `...` line stands for a loop that does the same for the common case only, a built-in
# operation on plain tensors of one shape and dtype, without a helper call: it fills
# `args` and `edges`, or breaks off at the first input that is anything else, leaving
# `args` short, and `_connect_any` takes over. The rest of `apply` is the same for every
# operation:

# %%
show_source(
    mg.autograd.Function.apply,
    start="if recording:  # 2.",
    elide=[("result, node = _new(Tensor)", "result._is_inference =", "the common case: made here")],
)

# %% [markdown]
# **2.** When the rule holds, `ctx` becomes a node: its edges, which inputs need a
# gradient, its place in the order nodes are made. **3.** forward runs with numpy's
# warnings off, because PyTorch makes inf and nan silently; yours runs under
# `no_grad()`, so the operations *inside* it are not recorded: one node is, `ctx`, whose
# `backward` is yours, named after your class plus `Backward`. **4.** The result is a new
# tensor whose `grad_fn` is that node (`_wrap_result` takes several results, views,
# in-place changes and yours; the `...` makes one plain new tensor without calling it).
# **5.** What forward saved that is no input, such as its result, becomes a
# `SavedTensor` now that the result exists (an input became one when `ctx.save` saw it):
# the same objects chapter 6 opened. PyTorch's `Function.apply` (in
# `torch/autograd/function.py` and its C++ side) behaves the same way.
#
# The two `...` are shortcuts for speed, not another rule: each computes what the
# general step beside it computes, and a test (`tests/unit/test_one_apply.py`) runs its
# programs with them switched off and checks that the graphs, saved tensors and
# gradients are the same. They pay because every call costs time in Python: a recorded
# `a * b` on 4x4 tensors takes about 8 us with them and 12 us without
# (`benchmarks/README.md`, "One apply"). One path serves every operation.

# %% [markdown]
# ## A worked example: softplus
#
# `softplus(x) = log(1 + exp(x))` is a smooth ReLU. Written as it stands, `exp(x)`
# overflows for large `x` (float32 runs out above about 88). The same value, rearranged,
# never overflows: `softplus(x) = max(x, 0) + log(1 + exp(-|x|))`. Its derivative is
# simply `sigmoid(x)`, so the backward needs the input `x`, and nothing else.
#
# The class is built by a function of `lib`, so that the same code runs on minigrad and
# on PyTorch. `bug=True` plants a mistake we will hunt down with `gradcheck` later.


# %%
def make_softplus(lib, bug=False):
    class Softplus(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)  # the backward needs x for sigmoid(x)
            return x.relu() + (1 + (-x.abs()).exp()).log()

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            if bug:
                return grad * (-x).sigmoid()  # a sign slip: sigmoid(-x) = 1 - sigmoid(x)
            return grad * x.sigmoid()  # chain rule: dL/dx = dL/dy * sigmoid(x)

    return Softplus


# %%
Softplus = make_softplus(mg)

# %% [markdown]
# **Predict:** for `x = [-20, 0, 20]` and `y = Softplus.apply(x)`: the values of `y`, the
# name of `y.grad_fn`, the names in its `next_functions`, and `x.grad` after
# `y.sum().backward()`.


# %%
def softplus_example(lib):
    Softplus = make_softplus(lib)
    x = lib.tensor([-20.0, 0.0, 20.0], requires_grad=True)
    y = Softplus.apply(x)
    y.sum().backward()
    seen = {"y": y, "y.grad_fn.name()": y.grad_fn.name()}
    seen.update({"next_functions": names(y.grad_fn.next_functions), "x.grad": x.grad})
    return lines(seen)


side_by_side(softplus_example)

# %% [markdown]
# `softplus(0) = log 2 = 0.6931`, and far from 0 it is `0` on the left and `x` on the
# right. The gradient is `sigmoid(x)`: about `2e-9`, `0.5`, `1`. And the graph has a
# single node, `SoftplusBackward`, straight above the leaf's `AccumulateGrad`: the
# operations inside `forward` left no trace. The same formula run outside the Function,
# with recording on, leaves one node per operation:

# %%
x = mg.tensor([-2.0, 0.0, 2.0], requires_grad=True)
outside = graph_nodes(x.relu() + (1 + (-x.abs()).exp()).log())  # forward's formula
operations = [node.name() for node in outside if not node.name().endswith("AccumulateGrad")]
print(len(operations), "nodes outside the Function:", ", ".join(operations))
print("inside it:", Softplus.apply(x).grad_fn.name(), "alone")

# %% [markdown]
# The picture compares the custom node with the plain formula written out,
# `(1 + x.exp()).log().sum()`, where every operation is recorded (and `exp` and `log`
# each save a tensor). The drawing lists saved tensors of built-in nodes only;
# `SoftplusBackward` saved `x` through `ctx`, as the next section shows.

# %%
x = mg.tensor([-2.0, 0.0, 2.0], requires_grad=True)
written_out = (1 + x.exp()).log().sum()
custom = Softplus.apply(x).sum()
fig, axes = plt.subplots(1, 2, figsize=(9, 7))
draw_graph(written_out, names={"x": x}, ax=axes[0], title="written out")
draw_graph(custom, names={"x": x}, ax=axes[1], title="Softplus.apply(x).sum()")
plt.show()

# %% [markdown]
# ## What `ctx` keeps is version-checked
#
# `ctx` is the recorded node, with the methods a custom Function uses:
# `save_for_backward` checks what it gets and hands it to `save`, the one way every
# operation saves (minigrad's own by name: `ctx.save(self=a)`). An input is kept at once
# as a `SavedTensor` with its version (`_saved` makes it); `saved_tensors` unpacks each,
# comparing versions (chapter 6).

# %%
show_source(FunctionCtx.save_for_backward)
show_source(FunctionCtx.save, start="if self._forward is None")
show_source(FunctionCtx.saved_tensors.fget)

# %% [markdown]
# **Predict:** `a = x * 2`, `y = Softplus.apply(a)`, then `a` is changed in place under
# `no_grad()`. Does `y.sum().backward()` notice? If so, which operation does the message
# name?


# %%
def custom_saved_changed(lib):
    Softplus = make_softplus(lib)
    x = lib.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    a = x * 2
    y = Softplus.apply(a)
    with lib.no_grad():
        a.add_(1)
    y.sum().backward()


side_by_side(custom_saved_changed)

# %% [markdown]
# The same error as for built-in operations: `a` was saved at version 0 and is now at
# version 1, and "output 0 of Mul" is the operation that made `a`. Use
# `ctx.save_for_backward` for tensors your backward needs, rather than keeping them as
# plain attributes of `ctx`: only saved tensors get this check (and are freed after
# backward).

# %% [markdown]
# ## A gradient that is not the derivative
#
# Sometimes the gradient you want is not the true derivative. A step function
# `(x > 0)` has derivative 0 everywhere it has one, so nothing would flow back through
# it. The **straight-through estimator** (used to train binarised and quantised networks)
# pretends the step was the identity in backward and passes the gradient on unchanged.
#
# **Predict:** `y = StepSTE.apply(x)` for `x = [-0.5, 0.2, 1.7]`, then
# `(y * [1, 2, 3]).sum().backward()`. What are `y` and `x.grad`?


# %%
def straight_through(lib):
    class StepSTE(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return (x > 0).float()  # 0. or 1.

        @staticmethod
        def backward(ctx, grad):
            return grad  # as if forward had been the identity

    x = lib.tensor([-0.5, 0.2, 1.7], requires_grad=True)
    y = StepSTE.apply(x)
    (y * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
    return lines({"y": y, "x.grad": x.grad})


# %%
side_by_side(straight_through)

# %% [markdown]
# `x.grad` is exactly the gradient that reached `y`, `[1, 2, 3]`. This backward saved
# nothing, because it needs nothing. A custom Function does whatever you write; nothing
# checks that it matches the forward. Checking is the next tool's job.

# %% [markdown]
# ## Several outputs
#
# `forward` may return a tuple. Each tensor in it is one output of the same node
# (`output_nr` 0, 1, ...), and `backward` gets one gradient per output: zeros for an
# output that no gradient reached.
#
# **Predict:** `Split` returns `2x` and `3x`, and only `double` is used below. What does
# backward get as `g_triple`, and what is `x.grad`?


# %%
def two_outputs(lib):
    class Split(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g_double, g_triple):
            seen["g_triple"] = g_triple
            return g_double * 2 + g_triple * 3

    seen, x = {}, lib.tensor([1.0, 2.0], requires_grad=True)
    double, triple = Split.apply(x)
    double.sum().backward()
    return lines({"one node": double.grad_fn is triple.grad_fn, **seen, "x.grad": x.grad})


# %%
side_by_side(two_outputs)

# %% [markdown]
# One node, `SplitBackward`, for both outputs. No gradient reached `triple`, so backward
# got zeros for it (`g_triple = [0, 0]`), and `x.grad = 2 * 1 + 3 * 0 = [2, 2]`.

# %% [markdown]
# ## `gradcheck`: ask finite differences
#
# `gradcheck(fn, inputs)` builds the **Jacobian** of `fn` twice: the matrix whose entry
# `[i, j]` is the derivative of output element `i` by input element `j`. Numerically:
# nudge each input element by `±eps` and take the central difference
# `(f(x + eps) - f(x - eps)) / (2 eps)`, one column per input element:

# %%
gradcheck_module = importlib.import_module("minigrad.autograd.gradcheck")
show_source(gradcheck_module._numerical_jacobian)

# %% [markdown]
# And analytically: run your backward once per output element, with a gradient that is 1
# for that element and 0 elsewhere, which gives the Jacobian row by row. The two must
# agree within `atol + rtol * |numerical|`. Use **float64** inputs: with `eps = 1e-6`,
# float32's seven digits are mostly rounding noise, and gradcheck warns about it.
#
# **Predict:** does `gradcheck` pass for the correct `Softplus`? For the one with the
# sign slip, at `x = [-1, 0, 2]`? Look closely at `x = 0`.

# %%
gradcheck_question = predict(
    "gradcheck at x = [-1, 0, 2]: which backwards pass?",
    ["both", "only the correct one", "only the one with the sign slip", "neither"],
)


# %%
def gradcheck_softplus(lib):
    x = lib.tensor([-1.0, 0.0, 2.0], dtype=lib.float64, requires_grad=True)
    right = lib.autograd.gradcheck(make_softplus(lib).apply, (x,))
    try:
        lib.autograd.gradcheck(make_softplus(lib, bug=True).apply, (x,))
    except RuntimeError as error:
        wrong = f"{type(error).__name__}: {error}"
    return f"correct backward: {right}\nwith the sign slip:\n{wrong}"


side_by_side(gradcheck_softplus)

# %%
x = mg.tensor([-1.0, 0.0, 2.0], dtype=mg.float64, requires_grad=True)
correct = outcome(lambda: mg.autograd.gradcheck(make_softplus(mg).apply, (x,))) is True
slipped = outcome(lambda: mg.autograd.gradcheck(make_softplus(mg, bug=True).apply, (x,))) is True
verdicts = {(True, True): "both", (True, False): "only the correct one"}
verdicts.update({(False, True): "only the one with the sign slip", (False, False): "neither"})
gradcheck_question.reveal(verdicts[correct, slipped])

# %% [markdown]
# The correct backward passes (`True`). The wrong one raises `GradcheckError` (a
# `RuntimeError`) with both Jacobians. Softplus acts element by element, so both are
# diagonal: numerical `sigmoid(x) = [0.2689, 0.5, 0.8808]`, analytical
# `sigmoid(-x) = [0.7311, 0.5, 0.1192]`. At `x = 0` they agree, because `sigmoid(0) =
# sigmoid(-0)`: a check at that single point would have passed. Check at several
# points, away from symmetric ones.

# %% [markdown]
# ## Gradients of gradients: `create_graph=True`
#
# Backward is a computation made of operations (`mul`, `pow`, ...). Normally it runs
# with recording off, so a gradient is a plain tensor. With `create_graph=True` the engine
# records the backward pass too; the gradient gets a `grad_fn`, and can be
# differentiated again.
#
# **Predict:** `y = x ** 3` at `x = 2`. What are `dy/dx` and `d²y/dx²`? Which of the two
# calls below has something to differentiate a second time?


# %%
def second_derivative(lib):
    x = lib.tensor(2.0, requires_grad=True)
    (dy_dx,) = lib.autograd.grad(x**3, x, create_graph=True)
    (d2y_dx2,) = lib.autograd.grad(dy_dx, x)
    return lines({"dy/dx": dy_dx, "d2y/dx2": d2y_dx2})


side_by_side(second_derivative)


# %%
def without_create_graph(lib):
    x = lib.tensor(2.0, requires_grad=True)
    (dy_dx,) = lib.autograd.grad(x**3, x)
    try:
        again = lib.autograd.grad(dy_dx, x)
    except RuntimeError as error:
        again = f"RuntimeError: {error}"
    return lines(
        {"dy/dx": dy_dx, "dy/dx requires_grad": dy_dx.requires_grad, "grad(dy/dx, x)": again}
    )


side_by_side(without_create_graph)

# %% [markdown]
# Algebra: `dy/dx = 3x² = 12` and `d²y/dx² = 6x = 12` at `x = 2` (both 12, by
# coincidence of the point). Without `create_graph`, `dy/dx` is just the number 12, with
# no history: differentiating it again raises chapter 4's error. A second check, with no
# autograd at all: the second central difference `(f(x+h) - 2f(x) + f(x-h)) / h²`.


# %%
def f(t):
    return t**3


h = 1e-3
print("6x at x = 2:              ", 6 * 2.0)
print("second difference, h=1e-3:", f"{(f(2 + h) - 2 * f(2.0) + f(2 - h)) / h**2:.6f}")

# %% [markdown]
# What was recorded? The graph of `dy/dx` is the backward of `pow`, written out: PyTorch's
# formula is `grad * (3 * x ** 2)`, with `grad = 1` here. `PowBackward0` was recorded by
# `x ** 2`, `MulBackward1` by the multiplication with the number 3, `MulBackward0` by the
# multiplication with `grad` (which it saved). Differentiating this graph gives `6x`.

# %%
x = mg.tensor(2.0, requires_grad=True)
(dy_dx,) = mg.autograd.grad(x**3, x, create_graph=True)
print("dy/dx:", dy_dx)
draw_graph(dy_dx, names={"x": x, "dy/dx": dy_dx}, title="the graph of dy/dx")

# %% [markdown]
# The same works for many points at once. `(x ** 3).sum()` has gradient `3x²` at every element
# (each `x_i` only affects its own term), and the sum of that has gradient `6x`. Dots are
# autograd, lines the algebra.

# %%
xs = mg.tensor(np.linspace(-2.0, 2.0, 9), requires_grad=True)
(first,) = mg.autograd.grad((xs**3).sum(), xs, create_graph=True)
(second,) = mg.autograd.grad(first.sum(), xs)

# %%
grid = np.linspace(-2.0, 2.0, 101)
points = xs.detach().numpy()
fig, ax = plt.subplots(figsize=(6, 4))
for curve, dots, label in [
    (grid**3, (xs**3).detach().numpy(), "f = x³"),
    (3 * grid**2, first.detach().numpy(), "f' = 3x²"),
    (6 * grid, second.numpy(), "f'' = 6x"),
]:
    (line,) = ax.plot(grid, curve, label=label)
    ax.plot(points, dots, "o", color=line.get_color())
ax.axhline(0, color="grey", lw=0.5)
ax.set(xlabel="x", title="autograd (dots) against algebra (lines)")
ax.legend()
plt.show()

# %% [markdown]
# Your own Functions take part too: under `create_graph=True` a custom backward runs
# with recording on, so if it is written with differentiable operations (ours is
# `grad * x.sigmoid()`), its own gradient comes for free.
#
# **Predict:** the second derivative of softplus is the derivative of `sigmoid`,
# `sigmoid(x) * (1 - sigmoid(x))`. Does double backward through `Softplus` give it?


# %%
def softplus_second_derivative(lib):
    x = lib.tensor([-1.0, 0.0, 2.0], dtype=lib.float64, requires_grad=True)
    (first,) = lib.autograd.grad(make_softplus(lib).apply(x).sum(), x, create_graph=True)
    (second,) = lib.autograd.grad(first.sum(), x)
    s = x.detach().sigmoid()
    return lines(
        {"first (sigmoid)": first, "second": second, "sigmoid * (1 - sigmoid)": s * (1 - s)}
    )


side_by_side(softplus_second_derivative)

# %% [markdown]
# ## A Hessian-vector product
#
# For a function of many inputs the second derivative is a matrix, the Hessian `H`, and
# for a million parameters it has 10¹² entries. Often only `H v` for one vector `v` is
# needed (Newton-type methods, curvature estimates). Trick: `H v` is the gradient of
# `g · v`, where `g` is the gradient. Two backward passes, no matrix.
#
# Take `f(x) = x₀² x₁ + x₁³` at `x = (1, 2)`. By hand: `g = (2 x₀ x₁, x₀² + 3 x₁²) =
# (4, 13)`, `H = [[2 x₁, 2 x₀], [2 x₀, 6 x₁]] = [[4, 2], [2, 12]]`.
#
# **Predict:** `H v` for `v = (1, -1)`.


# %%
def hessian_vector_product(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    f = x[0] ** 2 * x[1] + x[1] ** 3
    (g,) = lib.autograd.grad(f, x, create_graph=True)
    v = lib.tensor([1.0, -1.0])
    (hv,) = lib.autograd.grad((g * v).sum(), x)
    return lines({"g": g, "H v": hv})


side_by_side(hessian_vector_product)

# %% [markdown]
# `H v = (4 - 2, 2 - 12) = (2, -10)`, as autograd says. (PyTorch packages this as
# `torch.autograd.functional.hvp`, and `torch.func` can compose one; underneath it is the
# same idea. The packaged one also takes an `x` that does not require grad: it
# differentiates with respect to a leaf of its own, `x.detach().requires_grad_()`, and
# leaves the caller's `x` as it was.)

# %% [markdown]
# ## `autograd.grad` versus `backward()`
#
# Both run the same engine. `backward()` adds the gradients into the `.grad` of the
# leaves (chapter 4) and returns nothing. `autograd.grad(outputs, inputs)` returns the
# gradients of the `inputs` you name, as a tuple, and leaves `.grad` alone. That is why
# it is the tool for gradients of gradients: nothing is accumulated by accident.
#
# **Predict:** `x.grad` after `autograd.grad`, and then after `backward()`?


# %%
def grad_versus_backward(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    returned = lib.autograd.grad(y, x, retain_graph=True)
    after_grad = x.grad
    y.backward()
    seen = {"autograd.grad returned": returned, "x.grad after autograd.grad": after_grad}
    seen["x.grad after backward()"] = x.grad
    return lines(seen)


side_by_side(grad_versus_backward)

# %% [markdown]
# One more difference: you name the inputs, so you may name one that the output does not
# depend on. That is usually a bug, so by default it raises; with `allow_unused=True`
# the unused input gets `None`.
#
# **Predict:** `y = (x * 2).sum()` does not use `z`. What does `grad(y, [x, z])` do, and
# what does it return with `allow_unused=True`?


# %%
def unused_input(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    z = lib.tensor([3.0, 4.0], requires_grad=True)
    y = (x * 2).sum()
    try:
        lib.autograd.grad(y, [x, z], retain_graph=True)
    except RuntimeError as error:
        raised = f"RuntimeError: {error}"
    returned = lib.autograd.grad(y, [x, z], allow_unused=True)
    return lines({"grad(y, [x, z])": raised, "grad(y, [x, z], allow_unused=True)": returned})


side_by_side(unused_input)

# %% [markdown]
# `backward(create_graph=True)` exists too, and PyTorch warns against it: the recorded
# gradient is stored in the leaf's `.grad`, and its graph refers back to the leaf, a
# reference cycle. minigrad gives the same warning, and like PyTorch only the first time in
# a process, unless `set_warn_always(True)` asks for every time. The example below asks
# for it (and puts the setting back), so that the cell shows the warning on every run.


# %% id="create-graph-warning"
def backward_create_graph(lib):
    always = lib.is_warn_always_enabled()
    lib.set_warn_always(True)  # the warning on every run, not only on the first
    try:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        (x**3).sum().backward(create_graph=True)
        return lines({"x.grad": x.grad.detach(), "x.grad.requires_grad": x.grad.requires_grad})
    finally:
        lib.set_warn_always(always)


side_by_side(backward_create_graph)

# %% [markdown]
# ## Which line broke it? Anomaly detection
#
# Chapter 6's version error ended with a hint: "enable anomaly detection to find the
# operation that failed to compute its gradient". With it on, every recorded node also
# keeps the stack of the forward line that created it; if its backward fails, a warning
# shows that line before the error. The warning holds the whole stack (here, of the
# notebook's kernel too); we print its first line and the last line of code it names.


# %%
def blamed_line(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught, lib.autograd.set_detect_anomaly(True):
        warnings.simplefilter("always")
        a = x * 2
        y = a * a
        with lib.no_grad():
            a.add_(1)
        raised = outcome(y.sum().backward)
    message = str(caught[0].message).splitlines()
    code = [line.strip() for line in message[1:] if line.startswith("    ")]
    return lines({"warning": message[0], "the line it names last": code[-1], "then": raised})


side_by_side(blamed_line)

# %% [markdown]
# The line `y = a * a` made the `MulBackward0` whose saved `a` changed. The error's hint
# has changed too: it now points to that traceback. Anomaly detection slows everything
# down (a stack trace per operation): switch it on to hunt a bug, off again afterwards.

# %% [markdown]
# ## What you can now predict
#
# This was the last lecture (`exercises/ch11_your_engine.ipynb` then runs the pieces you
# wrote, all at once, against PyTorch). Across the course you have built the pieces of an
# autograd engine and seen PyTorch do the same thing beside every one of them. You can now
# predict:
# - **the graph** (ch. 1-3): which operations record a node, its name (`MulBackward0`),
#   its `next_functions`, and that `requires_grad` flows forward from any input;
# - **backward** (ch. 2-4): the chain rule node by node, output first, in topological order,
#   gradients added into the `.grad` of leaves only, broadcasting undone, saved tensors
#   freed unless `retain_graph=True`;
# - **detach and in-place** (ch. 5-6): what shares memory and version counters, and when
#   a changed tensor makes backward raise;
# - **grad modes and training** (ch. 7-9): when nothing is recorded, how modes nest,
#   `train()`/`eval()` versus `no_grad()`, and what not recording saves;
# - **beyond** (this chapter): custom Functions, `gradcheck`, and gradients of gradients.
#
# ## Where to read on
#
# - PyTorch's own account: "Autograd mechanics" (pytorch.org/docs/stable/notes/autograd.html),
#   the `torch.autograd` reference (pytorch.org/docs/stable/autograd.html), and
#   "Extending PyTorch" (pytorch.org/docs/stable/notes/extending.html) for custom
#   Functions, including `setup_context`, `mark_dirty` and `once_differentiable`.
# - PyTorch's engine source, in the pytorch/pytorch repository:
#   `torch/csrc/autograd/engine.cpp` (the walk), `torch/csrc/autograd/saved_variable.cpp`
#   (the version check), `tools/autograd/derivatives.yaml` (the backward formula of every
#   operation), and the Python side `torch/autograd/function.py`, `grad_mode.py`,
#   `gradcheck.py`.
# - minigrad's own: `minigrad/function.py` (the one `apply` every operation goes
#   through), `minigrad/engine.py` (the walk), `minigrad/graph.py` (nodes and saved
#   tensors), `minigrad/views.py` (views and in-place changes), `minigrad/ops/` (each
#   forward beside its backward). They are short; read
#   them once more, now that you know what every line is for.
