# %% [markdown]
# # Chapter 0 · Welcome: autograd from the inside
#
# **The question this course answers.** When you call `loss.backward()` in PyTorch, what
# exactly happens, and can you say in advance what `.grad`, `.grad_fn`, `requires_grad`
# will be, or which error you will get?
#
# You will build and take apart **minigrad**, a small autograd engine written in plain
# numpy that behaves like PyTorch's autograd: same names, same printouts, same errors.
# Reading it is reading how PyTorch's autograd works; predicting it is predicting PyTorch.
#
# After this chapter you can:
# - run a chapter and use its *Predict* cells;
# - read a side-by-side comparison of minigrad and PyTorch;
# - read the message of an exercise check;
# - find your way through the eleven chapters.

# %% [markdown]
# ## How to use a chapter
#
# - Run the cells **from top to bottom** (Shift+Enter, or *Run → Run All Cells*). Cells
#   build on each other; after a break, *Kernel → Restart Kernel and Run All Cells*.
# - A cell starting with **Predict:** asks a question. Decide on your answer *before*
#   running the cells that reveal it. Where a question has choices, click yours (the
#   buttons then lock), or write it in the cell (`answer="b"`); the reveal says whether
#   you were right. Wrong predictions are where you learn the most.
# - The engine's real source is shown with `show_source`, never copied: what you read is
#   what runs. A long function is shown in part, marked "(excerpt)". Open the files in
#   `minigrad/` whenever you want more.
# - A section whose title starts with **Optional** can be skipped: nothing after it in
#   its chapter needs it.
# - Each chapter has an exercise notebook in `exercises/` with the same name: fill the gaps,
#   run the check cell under each exercise, and read its one-line verdict.

# %% [markdown]
# ## The map
#
# | Chapter | You will be able to predict |
# |---|---|
# | 00 welcome | how to read the course's cells and checks |
# | 01 the graph | `grad_fn`, `next_functions`, leaves, how `requires_grad` spreads |
# | 02 backward | gradients by the chain rule, the order nodes run, what nodes save |
# | 03 tensors | dtypes, broadcasting and its summed gradients, matrix products |
# | 04 leaves and `.grad` | who keeps a gradient, accumulation, `retain_grad`, `retain_graph`, hooks |
# | 05 detach | what `detach()` shares with its source and what it cuts |
# | 06 in-place and versions | when an in-place change breaks `backward()`, and when it does not |
# | 07 grad modes | `no_grad`, `enable_grad`, `set_grad_enabled`, nesting, threads |
# | 08 training | `Module`, optimizers, `eval()` versus `no_grad()` |
# | 09 what `no_grad` saves | time and memory of evaluation, measured |
# | 10 beyond | custom `autograd.Function`, gradient checks, second derivatives |
#
# Chapter 11 has no lecture: `exercises/ch11_your_engine.ipynb` runs the engine you built
# in the exercises (each piece that passed its check) against PyTorch's recorded behaviour.

# %% [markdown]
# ## minigrad mirrors PyTorch
#
# Where you would write `import torch`, write `import minigrad as mg`. The names are
# PyTorch's: `mg.tensor`, `mg.no_grad`, `.backward()`, `.grad`. So are the printouts:

# %%
import minigrad as mg
from coursekit.compare import side_by_side
from coursekit.lecture import predict
from coursekit.viz import draw_graph

x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
print(x)
print(x * 2)
print(x.dtype, x.shape)

# %% [markdown]
# ## A first example, side by side
#
# Take `x = 3` and `y = x² + 2x`. The derivative is `dy/dx = 2x + 2`.
#
# **Predict:** after `y.backward()`, what is `x.grad`? And what do `y` and `y.grad_fn`
# print as? Click your answer for `x.grad`, then run the next cells.

# %%
first_question = predict("`x = 3`, `y = x² + 2x`, `y.backward()`. What is `x.grad`?", [6, 8, 15])


# %% id="first-example"
def first_example(lib):
    x = lib.tensor(3.0, requires_grad=True)
    y = x**2 + 2 * x
    y.backward()
    return y, x.grad


side_by_side(first_example)

# %% [markdown]
# How to read that output: the first line is minigrad's result. The line starting with
# `PyTorch` is the verdict: where PyTorch is installed, the same function ran with
# `lib = torch` and gave the same text ("the same"). Where it is not, minigrad's answer is
# compared with the answer PyTorch gave to this very example when the chapter was made,
# and the line says `(recorded)`; change the example, and there is no recording to compare
# with until you install PyTorch. If the two ever disagreed, the cell would fail, so a
# stored chapter cannot show minigrad contradicting PyTorch. The example is an ordinary function of `lib`: the very same code
# runs on both libraries. And your prediction:

# %%
first_question.reveal(int(first_example(mg)[1].item()))

# %% [markdown]
# Errors are compared too: they print as `ErrorType: message`. PyTorch refuses to take a
# gradient of a tensor that is not a single number, unless you say which direction to use
# (chapter 4):


# %%
def not_a_scalar(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).backward()


side_by_side(not_a_scalar)

# %% [markdown]
# ## A first picture
#
# Autograd records every operation as a node in a graph while the forward pass runs.
# `y = x ** 2 + 2 * x` has three operations, so three backward nodes: `PowBackward0`,
# `MulBackward0` and `AddBackward0`, plus `AccumulateGrad`, which writes into `x.grad`.
# Arrows point from the output down to the leaf, the way `backward()` sends gradients.
# Chapter 1 reads this picture in detail.

# %%
x = mg.tensor(3.0, requires_grad=True)
y = x**2 + 2 * x
y.backward()
draw_graph(y, names={"x": x, "y": y}, show_saved=False)

# %% [markdown]
# ## Exercises and their checks
#
# In `exercises/chNN_*.ipynb` you implement a piece of the engine, predict an output, or
# find a bug. Under each exercise a check cell calls `check("chNN.name")`, which runs your
# code on several cases and prints **one line**: `✓` when it is right, or `✗` with what is
# wrong, the rule, and a hint. Here is a real check, a demonstration numbered `ch99` so
# that it belongs to no chapter (broadcasting itself is chapter 3's): it asks for the
# shape that broadcasting `(2, 1, 3)` with `(4, 1)` gives, and the shape of the gradient
# for the `(4, 1)` operand. First a wrong prediction:

# %%
from coursekit.checks import check

answer_shape = [2, 1, 3]
answer_grad_shape = [4, 1]
check("ch99.broadcast_shapes")

# %% [markdown]
# A failing check prints its message on a red background and raises nothing, so "Run All"
# goes on to the end of the notebook and every check reports. With the right prediction
# the check prints its verdict:

# %%
answer_shape = [2, 4, 3]
check("ch99.broadcast_shapes")

# %% [markdown]
# ## Summary
#
# You can now:
# - run a chapter top to bottom and use *Predict* cells before each reveal;
# - read `side_by_side`: minigrad's result, then PyTorch's verdict;
# - read a check's `✓` / `✗` line, with its rule and hint;
# - write `mg.` where PyTorch code says `torch.`.
#
# **Next:** chapter 1 opens the graph: what a result remembers about how it was made,
# built up from single numbers with `minigrad.Scalar`.
