# %% [markdown]
# # Chapter 3 · Tensors, broadcasting, matmul
#
# **The question.** Real models compute with arrays, not single numbers. What changes when
# each node of the graph handles a whole tensor, and why do some gradients come out as
# sums?
#
# After this chapter you can predict:
# - the dtype of a new tensor (`float32` for floats, `int64` for integers), and which
#   tensors may require grad;
# - that a gradient always has the shape of its tensor, even after broadcasting;
# - a broadcast input's gradient: the sum over the copies broadcasting made;
# - the gradient of a matrix product, e.g. why `y.grad` rows are 9, 12, 15 in
#   `z = sum(mm(x, y))`.

# %%
import matplotlib.pyplot as plt

import minigrad as mg
from coursekit.compare import side_by_side
from coursekit.lecture import predict, show_source
from coursekit.viz import draw_graph
from minigrad import function
from minigrad.ops import matrix

# %% [markdown]
# ## From Scalar to Tensor
#
# A `Tensor` is the same idea as a `Scalar`, with an array inside. One operation on a
# tensor of three numbers is **one** node in the graph, whose backward handles all three
# elements at once.

# %%
x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x * x
L = y.sum()
print(y)
print(L)
print("nodes:", L.grad_fn.name(), "->", y.grad_fn.name())
L.backward()
print("x.grad =", x.grad, " (d/dx of the sum of x² is 2x)")

# %% [markdown]
# ## dtypes
#
# Python floats become `float32`, Python integers `int64`; a mix becomes `float32`.
# Gradients are about small changes, so only floating-point tensors may require grad.
#
# **Predict:** the dtypes below, and what happens with `requires_grad=True` on integers.


# %% id="dtypes"
def dtypes(lib):
    return [
        lib.tensor([1.5, 2.0]).dtype,
        lib.tensor([1, 2]).dtype,
        lib.tensor([1, 2.5]).dtype,
        (lib.tensor([1, 2]) * 0.5).dtype,
    ]


side_by_side(dtypes)


# %%
def int_requires_grad(lib):
    return lib.tensor([1, 2], requires_grad=True)


side_by_side(int_requires_grad)

# %% [markdown]
# ## Broadcasting, and why its gradients are sums
#
# `x * w` with `x` of shape `(2, 3)` and `w` of shape `(3,)` works: `w` is used as if it
# were copied onto each of the two rows. Likewise `b` of shape `(2, 1)` is copied along
# the three columns. Each element of `w` is therefore used **twice**, each element of `b`
# three times.
#
# **Predict:** after `(x * w + b).sum().backward()`, what are `w.grad` and `b.grad`,
# and their shapes? Commit to the shape of `b.grad` first.

# %%
shape_question = predict(
    "`b` has shape (2, 1) and `x * w + b` has shape (2, 3). What is the shape of `b.grad`?",
    [(2, 3), (2, 1), (3,)],
)


# %% id="broadcast"
def broadcast(lib):
    x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    w = lib.tensor([10.0, 20.0, 30.0], requires_grad=True)
    b = lib.tensor([[1.0], [2.0]], requires_grad=True)
    y = x * w + b
    y.sum().backward()
    return {"y.shape": y.shape, "w.grad": w.grad, "b.grad": b.grad}


side_by_side(broadcast)
shape_question.reveal(tuple(broadcast(mg)["b.grad"].shape))

# %% [markdown]
# `w.grad = [1+4, 2+5, 3+6]`: each `w[j]` multiplied `x[0, j]` and `x[1, j]`, and, as with
# a `Scalar` used twice in chapter 2, the gradients of all uses are **added**. `b` was
# copied three times per row, each copy with gradient 1, so `b.grad = [[3], [3]]`, shaped
# like `b`. The helper that does this in every backward is `unbroadcast`:

# %%
show_source(function.unbroadcast)

# %% [markdown]
# It sums over the leading dimensions broadcasting added and over dimensions where the
# input had size 1, keeping them all, then drops the leading ones with a reshape (to a 0-d
# input, it is just the sum). That is PyTorch's `sum_to`, step for step, which is why a
# gradient made with `create_graph=True` (chapter 10) shows `ViewBackward0` over
# `SumBackward1`. Called directly on a gradient of ones shaped `(2, 3)`:

# %%
g = mg.ones(2, 3)
print("to (3,):  ", function.unbroadcast(g, (3,)))
print("to (2, 1):", function.unbroadcast(g, (2, 1)).tolist())
print("to (1, 3):", function.unbroadcast(g, (1, 3)).tolist())

# %% [markdown]
# It is written once, where an operation becomes a graph node (`minigrad/function.py`),
# not in each backward formula: chapter 2's `Mul.backward` returns `grad * b` and
# `grad * a` as they are, and the node, before passing a gradient on, sums it back to its
# input's shape with `unbroadcast` and restores the input's dtype (`fit`, PyTorch's
# `validate_outputs`). An op whose inputs broadcast says so with `broadcasts = True`.

# %% [markdown]
# ## Matrix products
#
# For `C = A @ B` with `A` of shape `(n, k)` and `B` of shape `(k, m)`, each `C[i, j]` is
# a sum of products `A[i, t] * B[t, j]`. With `G` the gradient arriving at `C` (shape
# `(n, m)`), the chain rule gives `grad_A = G @ Bᵀ` and `grad_B = Aᵀ @ G`. The shapes
# leave no other choice: `(n, m) @ (m, k)` is `(n, k)`, like `A`.

# %%
show_source(matrix.Mm)

# %% [markdown]
# Note what `Mm` saves: `B` (`mat2`) only if `A` needs a gradient, and `A` (`self`) only
# if `B` does. Each input's gradient needs the *other* input, as for `*` in chapter 2.
# `T` is the transpose, itself an operation (`t.t()`): under `create_graph=True`
# (chapter 10) the backward is recorded too. `mm_numbers(a, b)` is `a @ b` with PyTorch's
# signs of zero: an outer product (inner size 1) keeps `-1.0 * 0.0 = -0.0`, where numpy's
# `@` sums from `0.0` and gives `0.0`.

# %% [markdown]
# ## The classic example: `z = sum(mm(x, y))`
#
# `x` holds 0 … 8 as a 3×3 float matrix and does not require grad; `y` is a random 3×3
# matrix that does. `z = sum(mm(x, y))`, then `z.backward()`. (`arange(9)` makes the nine
# numbers in a row; `.view(3, 3)` returns a **view** of them: a new tensor that reads the
# same memory as a 3×3 matrix, without copying it. Chapter 6 shows what an in-place change
# through a view does.)
#
# **Predict:** what are `x.grad` and `y.grad`? Hint: does `y.grad` depend on the random
# values in `y`?


# %% id="mm-sum" tags=["seed:s001-mm-sum"]
def mm_sum(lib):
    lib.manual_seed(0)
    x = lib.arange(9, dtype=lib.float).view(3, 3)
    y = lib.randn(3, 3, requires_grad=True)
    z = lib.sum(lib.mm(x, y))
    z.backward()
    return {
        "x.requires_grad": x.requires_grad,
        "z.grad_fn": z.grad_fn.name(),
        "x.grad": x.grad,
        "y.grad": y.grad,
    }


side_by_side(mm_sum)

# %% [markdown]
# **Why 9, 12, 15.** Write the sum out:
# z = Σᵢ Σⱼ (x y)ᵢⱼ = Σᵢ Σⱼ Σₖ xᵢₖ yₖⱼ.
# The entry `y[k, j]` appears once for every row `i`, multiplied by `x[i, k]`, so
# ∂z/∂yₖⱼ = Σᵢ xᵢₖ: the sum of **column k** of `x`, the same for every `j` and
# independent of `y`'s values. The columns of `x` are (0, 3, 6), (1, 4, 7), (2, 5, 8), with
# sums 9, 12, 15: so row `k` of `y.grad` is that sum, repeated. In matrix form:
# `sum` sends a gradient of ones, and `MmBackward0` computes `xᵀ @ ones`.
#
# `x.grad` is `None`: `x` does not require grad, so its edge in `next_functions` is `None`
# and no gradient is ever computed for it.

# %%
mg.manual_seed(0)
x = mg.arange(9, dtype=mg.float).view(3, 3)
y = mg.randn(3, 3, requires_grad=True)
z = mg.sum(mg.mm(x, y))
mm_node = z.grad_fn.next_functions[0][0]
print("column sums of x:  ", x.sum(dim=0))
print("x.T @ ones:\n", x.t() @ mg.ones(3, 3))
print(
    "MmBackward0 edges: ",
    [(fn.name().rsplit("::", 1)[-1] if fn else None, nr) for fn, nr in mm_node.next_functions],
)
print("MmBackward0 saved x (self):", mm_node._saved_self is not None)
z.backward(retain_graph=True)  # keep the saved tensors, for the picture below

# %% [markdown]
# `MmBackward0` saved `x` (it needs it for `y`'s gradient) and did **not** save `y`: no
# one asked for `x`'s gradient. In the picture, `x` hangs below the node on a dotted line
# (saved, not on a gradient path), and the green leaf `y` shows its `.grad`, filled by the
# `backward()` at the end of the cell above. (`retain_graph=True` keeps the saved tensors
# after backward, so the picture can still show them; chapter 4 explains why they are
# normally freed. That cell makes a fresh `y` before its `backward()`: since `.grad`
# *adds up* over backward calls, as chapter 4 shows, a `backward()` run twice on the same
# `y` would double the picture's numbers.)

# %%
draw_graph(z, names={"x": x, "y": y, "z": z})

# %% [markdown]
# The same result as a heat map: each row of `y.grad` is one column sum of `x`.

# %%
fig, (ax_x, ax_g) = plt.subplots(1, 2, figsize=(6, 3), dpi=80)
for ax, data, title in ((ax_x, x.tolist(), "x"), (ax_g, y.grad.tolist(), "y.grad")):
    ax.imshow(data, cmap="Blues", vmin=0, vmax=16)
    for i, row in enumerate(data):
        for j, v in enumerate(row):
            ax.text(j, i, f"{v:g}", ha="center", va="center", color="white" if v > 10 else "black")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
ax_x.set_xlabel("column sums: " + ", ".join(f"{s:g}" for s in x.sum(dim=0).tolist()))
ax_g.set_xlabel("row k = sum of column k of x")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Summary
#
# You can now predict:
# - float data → `float32`, integers → `int64`; only floating-point tensors can require
#   grad (PyTorch's error otherwise);
# - one node per tensor operation, and `.grad` shaped exactly like its tensor;
# - a broadcast input's gradient is summed over the copies (`unbroadcast`);
# - `mm`'s gradients `G @ Bᵀ` and `Aᵀ @ G`, and that `sum(mm(x, y))` gives `y.grad` rows
#   equal to the column sums of `x` (9, 12, 15) and `x.grad = None`.
#
# **Next:** chapter 4 looks closely at leaves and `.grad`: who keeps a gradient, how it
# accumulates across backward calls, and what `retain_grad` and `retain_graph` change.
