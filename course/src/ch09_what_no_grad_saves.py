# %% [markdown]
# # Chapter 9 · What `no_grad()` saves, measured
#
# **The question.** Everyone says "evaluate under `no_grad()`, it saves memory and time".
# How much memory, how much time, and why? We measure on a trained model, for growing
# batch sizes, three ways: the bytes the graph keeps (exact), the memory the process
# really uses (tracemalloc), and the time (the processor time of repeated rounds,
# measured three times over to show how noisy it is).
#
# After this chapter you can predict:
# - how many bytes a forward pass keeps for backward, from the layer sizes alone, and
#   that it grows in proportion to the batch size;
# - that under `no_grad()` no node is created and nothing is saved: 0 bytes;
# - why the memory a finished forward pass *keeps* differs hugely with and without
#   recording, while the *peak* differs less, and what batching does to the peak;
# - where the time goes: recording costs a little per operation, so it matters most for
#   small batches, and its share shrinks as the batch grows;
# - what `inference_mode()` adds on top of `no_grad()`.
#
# Timings and tracemalloc figures depend on the machine and on what else it is doing;
# the cells that print them say so and are not compared when the notebook is checked.
# The bytes of the graph are exact and are compared, and so are the verdicts the text
# relies on.

# %%
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
from coursekit import measure
from coursekit.compare import side_by_side
from coursekit.data import load_digits, train_test_split
from coursekit.lecture import outcome, predict, show_source
from coursekit.training import fit
from minigrad import function
from minigrad.ops import fused

plt.rcParams["figure.dpi"] = 80

# %%
try:
    import torch
except ImportError:
    torch = None

MB = 2**20

# %% [markdown]
# ## Why there is anything to save
#
# An operation computes its result the same way whatever the grad mode. What recording
# adds comes *after* the arithmetic: a backward node, and references to the tensors that
# node will need. The decision is one rule, `is_recording`, which `Function.apply` asks
# before every operation's forward (chapter 10). `Addmm`, the operation behind every
# `Linear` layer, shows what its forward keeps:

# %%
show_source(function.is_recording)
show_source(fused.Addmm.forward)

# %% [markdown]
# Under `no_grad()`, `is_recording` is `False`: `apply` records no node, and `ctx.save`
# keeps nothing. With recording on, the node keeps `mat1` (the layer's input, needed for
# the weight's gradient) and `mat2` (the transposed weight, needed for the input's
# gradient), but only the ones some gradient will actually use: the first layer's input
# needs no gradient, so its weight is not saved there. Those saved tensors are what
# `no_grad()` saves.

# %% [markdown]
# ## The model
#
# A wider, deeper version of chapter 8's digits classifier, so that the effect is easy to
# see: 64 inputs, three hidden layers of 256 ReLU units, 10 outputs. Three epochs of Adam
# train it well enough.


# %%
def digits_mlp(lib, width=256, depth=3):
    nn = lib.nn
    layers = [nn.Linear(64, width), nn.ReLU()]
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width), nn.ReLU()]
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers)


# %%
X_digits, y_digits = load_digits()
X_train, X_test, y_train, y_test = train_test_split(X_digits, y_digits, test_size=0.25, seed=0)
mg.manual_seed(0)
model = digits_mlp(mg)
history = fit(
    model,
    mg.nn.CrossEntropyLoss(),
    mg.optim.Adam(model.parameters(), lr=3e-3),
    (X_train, y_train),
    epochs=3,
    batch_size=128,
    test_data=(X_test, y_test),
    seed=0,
    progress=False,
)

# %%
model.eval()  # from now on we only evaluate
parameters = list(model.parameters())
print(model)
print(
    f"test accuracy {history.test_accuracy[-1]:.3f}, "
    f"{sum(p.numel() for p in parameters)} parameters"
)

# %% [markdown]
# To have batches larger than the data set, the 1797 digits are repeated three times
# (as if the data set were larger); batches are the first `B` rows.

# %%
X_big = mg.tensor(np.tile(X_digits.numpy(), (3, 1)))
y_big = mg.tensor(np.tile(y_digits.numpy(), 3))
print(tuple(X_big.shape))

# %% [markdown]
# ## The graph one evaluation builds
#
# With recording on, one forward pass of a batch creates these nodes (the walk is
# `coursekit.measure.graph_nodes`, an explicit-stack walk along `next_functions`):


# %% id="node-counts"
def node_counts(lib):
    net = digits_mlp(lib)
    with lib.set_grad_enabled(True):
        recorded = net(lib.ones(8, 64))
    with lib.no_grad():
        unrecorded = net(lib.ones(8, 64))
    names = Counter(n.name().split("::")[-1] for n in measure.graph_nodes(recorded))
    return {
        "recorded": sorted(names.items()),
        "under no_grad": len(measure.graph_nodes(unrecorded)),
    }


side_by_side(node_counts)

# %% [markdown]
# Nineteen nodes: per `Linear`, an `AddmmBackward0`, a `TBackward0` (the transpose of the
# weight) and two `AccumulateGrad`s (weight and bias); per ReLU one `ReluBackward0`.
# Under `no_grad()`: none at all.

# %% [markdown]
# ## Build: counting the bytes a graph keeps
#
# Every minigrad node can say how many bytes its saved tensors occupy:

# %%
show_source(mg.graph.Node.saved_tensors_nbytes)

# %% [markdown]
# `measure.graph_memory` walks the graph and reports three numbers: the nodes, the
# **saved bytes** (each node's own count, added up), and the **held bytes**: the distinct
# memory behind the saved tensors, leaving out memory that exists anyway (the parameters,
# the input batch). Held bytes are the activations that stay alive *only* because the
# graph refers to them. Both are exact: they follow from shapes and dtypes alone.

# %%
show_source(measure.graph_memory)

# %% [markdown]
# **Predict** before running: for a batch of `B` rows, which tensors are saved? (Hint:
# each ReLU saves its output, `B x 256` float32 numbers, 4 bytes each; each `addmm` after
# the first saves its input, which is the previous ReLU's output, the *same* memory, and
# the transposed weight.) How many held bytes for `B = 1024`?

# %%
held_question = predict(
    "For a batch of 1024 rows, how many megabytes does the graph hold (held bytes)?",
    ["1 MB", "3 MB", "12 MB"],
)

# %% id="saved-bytes" tags=["seed:s003-memory"]
batch_sizes = [64, 256, 1024, 4096]
print(" batch | nodes | saved MB | held MB | no_grad: nodes, bytes")
exact = {}
for B in batch_sizes:
    x = X_big[:B]
    recorded = measure.graph_memory(model(x), exclude=[x, *parameters])
    with mg.no_grad():
        unrecorded = measure.graph_memory(model(x), exclude=[x, *parameters])
    exact[B] = recorded
    print(
        f"{B:>6} | {recorded.nodes:>5} | {recorded.saved_bytes / MB:>8.3f} | "
        f"{recorded.held_bytes / MB:>7.3f} | {unrecorded.nodes:>10}, {unrecorded.saved_bytes}"
    )
held_question.reveal(f"{exact[1024].held_bytes / MB:.0f} MB")

# %% [markdown]
# The held bytes are exactly three hidden activations: `3 x B x 256 x 4` bytes, 3 MB for
# `B = 1024`. The saved bytes are larger because they count the same activation twice
# (ReLU's output and the next `addmm`'s input) and include the input batch and the
# weights, which exist anyway. Both grow in proportion to the batch size. Under
# `no_grad()`, zero nodes and zero bytes, whatever the batch. PyTorch keeps exactly the
# same bytes (the same walk over its `_saved_*` attributes):


# %%
def graph_bytes(lib):
    net = digits_mlp(lib)
    rows = []
    for B in batch_sizes:
        x = lib.ones(B, 64)
        with lib.set_grad_enabled(True):
            result = measure.graph_memory(net(x), exclude=[x, *net.parameters()])
        rows.append((B, result.nodes, result.saved_bytes, result.held_bytes))
    return rows


side_by_side(graph_bytes)

# %%
saved_mb = [exact[B].saved_bytes / MB for B in batch_sizes]
held_mb = [exact[B].held_bytes / MB for B in batch_sizes]
fig, ax = plt.subplots(figsize=(6, 3.6))
ax.plot(batch_sizes, saved_mb, "o-", label="saved by the nodes (with repeats)")
ax.plot(batch_sizes, held_mb, "s-", label="held only by the graph")
ax.plot(batch_sizes, [0] * len(batch_sizes), "k^--", label="under no_grad(): 0")
title = "bytes kept for backward (exact): in proportion to the batch"
ax.set(xlabel="batch size", ylabel="MB", xticks=[0, *batch_sizes[1:]], title=title)
ax.legend()
plt.show()

# %% [markdown]
# ## What the process really uses: tracemalloc
#
# Counting saved tensors is exact, but is it what the memory does? Python's `tracemalloc`
# sees every allocation, including numpy's array buffers (numpy reports them to it).
# `measure.memory_during(fn, *args)` runs `fn(*args)` and reports two numbers: **retained** (still
# allocated when `fn` returned, with its result alive) and **peak** (the most allocated at
# any moment during the call):

# %%
show_source(measure.memory_during)

# %% [markdown]
# **Predict:** with recording on, how much memory does a finished forward pass keep, in
# terms of the table above? And under `no_grad()`?


# %%
def evaluate_no_grad(x):
    with mg.no_grad():
        return model(x)


# %% id="traced-memory" tags=["nbval-ignore-output"]
# nbval-ignore-output: tracemalloc also counts small Python objects (nodes, tensor
# wrappers), whose sizes vary between Python versions; the verdicts below are checked.
traced = {}
print(" batch | retained MB: grad | no_grad | peak MB: grad | no_grad")
for B in batch_sizes:
    x = X_big[:B]
    traced[B] = (measure.memory_during(model, x), measure.memory_during(evaluate_no_grad, x))
    (grad, nograd) = traced[B]
    print(
        f"{B:>6} | {grad.retained / MB:>17.2f} | {nograd.retained / MB:>7.2f} | "
        f"{grad.peak / MB:>13.2f} | {nograd.peak / MB:>7.2f}"
    )

# %%
output_bytes = {B: B * 10 * 4 for B in batch_sizes}
grad_kept_is_graph = all(  # within 5%, plus 32 KB for the node objects themselves
    abs(traced[B][0].retained - (exact[B].held_bytes + output_bytes[B]))
    < 0.05 * exact[B].held_bytes + 32 * 1024
    for B in batch_sizes
)
nograd_kept_is_output = all(
    abs(traced[B][1].retained - output_bytes[B]) < 0.5 * output_bytes[B] + 4096 for B in batch_sizes
)

# %%
activation = {B: B * 256 * 4 for B in batch_sizes}  # one hidden layer's output, float32


def about(measured, expected):  # within 5%, plus 64 KB of small Python objects
    return abs(measured - expected) < 0.05 * expected + 64 * 1024


peak_lower = all(traced[B][1].peak < traced[B][0].peak for B in batch_sizes)
peak_recording = all(
    about(traced[B][0].peak, exact[B].held_bytes + activation[B]) for B in batch_sizes
)
peak_no_grad = all(about(traced[B][1].peak, 2 * activation[B]) for B in batch_sizes)

# %% id="memory-verdicts"
print(
    "with recording, memory kept = held bytes + the output (within 5%, plus the nodes):",
    grad_kept_is_graph,
)
print("under no_grad, memory kept = the output alone:", nograd_kept_is_output)
print("peak lower under no_grad for every batch size:", peak_lower)
print("peak with recording = held bytes + one activation (within 5%):", peak_recording)
print("peak under no_grad = two activations (within 5%):", peak_no_grad)

# %% [markdown]
# The exact count predicts the measurement: after a recorded forward pass the process
# keeps the held activations plus the output, for as long as the output (and so its
# graph) is alive. Under `no_grad()` it keeps the output alone, because each activation
# is freed as soon as the next layer has used it.
#
# The **peak** differs much less than the memory kept. During the forward pass both
# versions need two activations at once: a layer's input and its result (`addmm` writes
# the product into a fresh array and adds the bias into it in place; ReLU then reads one
# activation and writes another). Recording keeps, on top of that, the activations of the
# earlier layers. The last two verdicts above measure exactly this: with recording, the
# peak is the held bytes plus one activation (four activations for this model's three
# hidden layers), under `no_grad()` it is two activations, whatever the depth. So the gap
# in peak grows with the **depth**: with `d` hidden layers, recording peaks at `d + 1`
# activations, `no_grad()` at two. Here is the same measurement for deeper models:

# %% id="depth-peaks" tags=["nbval-ignore-output"]
# nbval-ignore-output: tracemalloc peaks (small Python objects vary); the held bytes
# printed alongside are exact.
depths, peaks, x = [1, 2, 4, 8], {}, X_big[:1024]
for depth in depths:
    mg.manual_seed(0)
    deep = digits_mlp(mg, depth=depth).eval()
    held = measure.graph_memory(deep(x), exclude=[x, *deep.parameters()]).held_bytes
    with mg.no_grad():
        peak_no_grad = measure.memory_during(deep, x).peak
    peaks[depth] = (measure.memory_during(deep, x).peak, peak_no_grad, held)
    print(
        f"depth {depth}: held {held / MB:.0f} MB exactly; peak {peaks[depth][0] / MB:.1f} MB "
        f"recording, {peaks[depth][1] / MB:.1f} MB under no_grad"
    )

# %% tags=["nbval-ignore-output"]
fig, ax = plt.subplots(figsize=(6, 3.4))
ax.plot(depths, [peaks[d][0] / MB for d in depths], "o-", label="peak, recording")
ax.plot(depths, [peaks[d][1] / MB for d in depths], "s-", label="peak, no_grad()")
ax.plot(depths, [peaks[d][2] / MB for d in depths], "k:", label="held by the graph (exact)")
title = "batch of 1024: peak memory grows with depth only when recording"
ax.set(xlabel="hidden layers (width 256)", ylabel="MB", xticks=depths, title=title)
ax.legend()
plt.show()

# %% [markdown]
# ## Batching bounds the peak
#
# The peak under `no_grad()` is a few activations of the *batch*. So to evaluate a data
# set of any size in bounded memory, feed it in batches. The predictions are the same;
# only the peak changes.
#
# **Predict:** evaluating all 5391 rows at once versus in batches of 256, both under
# `no_grad()`: which peak is smaller, and by roughly how much?


# %% id="batching" tags=["seed:s003-batching"]
def predict_classes(model, X, batch_size=None):
    """Class predictions for every row of X, in batches, in eval mode, without a graph."""
    batch_size = batch_size or X.shape[0]
    model.eval()
    with mg.no_grad():
        return mg.cat(
            [
                model(X[start : start + batch_size]).argmax(dim=1)
                for start in range(0, X.shape[0], batch_size)
            ]
        )


# %%
at_once = predict_classes(model, X_big)
batched = predict_classes(model, X_big, batch_size=256)
print("same predictions:", bool((at_once == batched).sum().item() == X_big.shape[0]))
print(
    f"accuracy {(batched == y_big).float().mean().item():.3f} (the training data is "
    "part of the repeated set)"
)
print(
    f"one activation: {X_big.shape[0] * 256 * 4 / MB:.2f} MB for all rows, "
    f"{256 * 256 * 4 / MB:.2f} MB for a batch of 256"
)

# %% id="batched-peak" tags=["nbval-ignore-output"]
# nbval-ignore-output: tracemalloc peaks vary slightly (small Python objects).
peak_at_once = measure.memory_during(predict_classes, model, X_big).peak
peak_batched = measure.memory_during(predict_classes, model, X_big, 256).peak
print(
    f"peak: {peak_at_once / MB:.2f} MB at once, {peak_batched / MB:.2f} MB in batches "
    f"of 256 ({peak_at_once / peak_batched:.0f}x smaller)"
)

# %% [markdown]
# Batching makes the peak a property of the batch size, not of the data set. It only
# works together with `no_grad()`. The classic mistake: a batched loop *with* recording
# on, keeping each batch's output (to concatenate them later). Each kept output keeps its
# whole graph, so memory grows with every batch, exactly as if nothing were batched:


# %%
def logits_in_batches(X, batch_size=256):
    return [model(X[start : start + batch_size]) for start in range(0, X.shape[0], batch_size)]


# %% id="kept-outputs"
kept = logits_in_batches(X_big)
with mg.no_grad():
    kept_no_grad = logits_in_batches(X_big)
print(
    f"{len(kept)} kept outputs, recording on:  held "
    f"{measure.graph_memory(kept, exclude=[X_big, *parameters]).held_bytes / MB:.2f} MB"
)
print(
    f"{len(kept)} kept outputs, under no_grad: held "
    f"{measure.graph_memory(kept_no_grad, exclude=[X_big, *parameters]).held_bytes} bytes"
)
del kept, kept_no_grad

# %% [markdown]
# 15.79 MB: three activations of all 5391 rows, the same as one giant batch. (Keeping
# only each batch's `.argmax()` would let each graph go, since an integer result has no
# history; but every batch would still pay for recording, and a recorded batch's peak.)

# %% [markdown]
# ## Optional: statistics of features, computed under `no_grad()`
#
# *An optional section: nothing after it in this chapter uses it; skip to the next
# section if you are short of time.*
#
# A common use of a trained network: take its hidden layers as a *feature extractor*,
# compute statistics of the features over a data set (for normalisation), and train
# something new on top. The statistics are constants: they must not carry a graph back
# into the extractor. Here the extractor is the model without its last layer.
#
# **Predict:** the per-feature mean is computed once under `no_grad()` and once with
# recording on. What are `requires_grad`, `grad_fn` and `is_leaf` of each mean, and how
# many bytes does each keep alive?


# %%
def feature_mean(lib, net, X, record):
    extractor = net[:-1]  # all layers but the classifier
    with lib.set_grad_enabled(record):
        features = extractor(X)
        return features.mean(dim=0)


# %% id="feature-stats" tags=["seed:s003-feature-stats"]
def feature_statistics(lib):
    lib.manual_seed(0)
    net = digits_mlp(lib).eval()
    X = lib.tensor(X_train.numpy())
    seen = {}
    for record in (False, True):
        mean = feature_mean(lib, net, X, record)
        held = measure.graph_memory(mean, exclude=[X, *net.parameters()]).held_bytes
        grad_fn = mean.grad_fn and mean.grad_fn.name()
        state = (mean.requires_grad, grad_fn, mean.is_leaf, held)
        seen["recording" if record else "no_grad"] = state
    return seen


side_by_side(feature_statistics)

# %% [markdown]
# Under `no_grad()` the mean is a plain leaf and keeps nothing. With recording on it has
# a `grad_fn`, keeps all 1347 rows' activations alive (4 MB here, for 256 numbers!), and
# any loss computed from it later would send gradients back into the extractor, which is
# rarely what "normalise with the training statistics" means.
#
# The same, on the trained model: features under `no_grad()`, statistics, and a new
# linear classifier trained on the standardised features (only the new layer learns):

# %%
extractor = model[:-1]
with mg.no_grad():
    F_train, F_test = extractor(X_train), extractor(X_test)
    mean = F_train.mean(dim=0)
    std = ((F_train - mean) ** 2).mean(dim=0).sqrt() + 1e-5
    Z_train, Z_test = (F_train - mean) / std, (F_test - mean) / std
print("statistics require grad:", mean.requires_grad, std.requires_grad)

# %%
mg.manual_seed(0)
head = mg.nn.Linear(256, 10)
head_history = fit(
    head,
    mg.nn.CrossEntropyLoss(),
    mg.optim.SGD(head.parameters(), lr=0.05),
    (Z_train, y_train),
    epochs=3,
    batch_size=64,
    test_data=(Z_test, y_test),
    seed=0,
    progress=False,
)
print(f"new head on frozen features: test accuracy {head_history.test_accuracy[-1]:.3f}")

# %% [markdown]
# ## Optional: time
#
# *An optional section: nothing after it in this chapter uses it; skip to
# "`inference_mode()`" if you are short of time.*
#
# Recording costs time too: creating nodes, wrapping saved tensors, checking which inputs
# need gradients. That is a fixed cost *per operation*, independent of the batch size,
# while the arithmetic grows with the batch.
#
# Timing is the noisiest of the three measurements: other programs share the processor,
# even on a laptop (the browser, the notebook server), and on a shared server far more.
# Three precautions make it usable. `measure.best_times` counts **processor time**
# (`time.process_time`), not the time on the wall clock, which also runs while another
# program has the processor. It runs the contestants in turns, in short rounds of a few
# milliseconds each, and keeps each one's **fastest** round: a disturbance only ever
# adds time. And the whole measurement is **repeated three times**: how far the three
# results lie apart is how noisy the measurement is, here and now. Here is its code
# (after a docstring that says the same):

# %%
show_source(measure.best_times, start="for fn in fns:")

# %% [markdown]
# **Predict:** is the time saved by `no_grad()` a bigger *fraction* for a batch of 1 or
# for a batch of 256?


# %%
def under(mode, model):
    """``model`` run inside a grad mode: under(mg.inference_mode, model)(x)."""

    def run(x):
        with mode():
            return model(x)

    return run


def ratio_range(runs, i, j):
    """Lowest and highest time ratio contestant i / contestant j over the repeats."""
    ratios = [run[i] / run[j] for run in runs]
    return f"{min(ratios):.2f} to {max(ratios):.2f}"


# %% id="eval-time" tags=["seed:s003-eval-time", "nbval-ignore-output"]
# nbval-ignore-output: timings depend on the machine and on its load.
time_sizes = [1, 4, 16, 64, 256]
contestants = [model, evaluate_no_grad, under(mg.inference_mode, model)]
with measure.one_thread():  # compare the work, not the scheduling of threads
    runs = {B: [measure.best_times(contestants, X_big[:B]) for _ in range(3)] for B in time_sizes}
print(f"{'batch':>5} | {'no_grad':>8} | recording / no_grad | inference_mode / no_grad")
for B, runs_B in runs.items():
    t_no = sorted(run[1] for run in runs_B)[1]  # the middle of the three
    print(
        f"{B:>5} | {t_no * 1e3:5.3f} ms | {ratio_range(runs_B, 0, 1):>19} | "
        f"{ratio_range(runs_B, 2, 1):>24}"
    )

# %% [markdown]
# Each ratio is given as the lowest and highest of the three repeats: where that range is
# narrow, the measurement is steady; where it is wide (or straddles 1), the difference is
# lost in the noise. The cell below reads the table for you, from the same numbers:


# %% id="time-verdicts" tags=["nbval-ignore-output"]
# nbval-ignore-output: verdicts on timings, which depend on the machine and on its load.
def ratios(B, i=0):
    return [run[i] / run[1] for run in runs[B]]


print("recording costs more than no_grad at batch 1, in every repeat:", min(ratios(1)) > 1)
print(
    "its share is smaller at batch 256 than at batch 1, in every repeat:",
    max(ratios(256)) < min(ratios(1)),
)
print(
    f"widest spread of a ratio over the repeats: {max(max(ratios(B)) - min(ratios(B)) for B in time_sizes):.2f}"
)

# %% [markdown]
# The same measurement in PyTorch, when it is installed (same architecture; the
# weights do not matter for the time):

# %%
if torch is not None:
    torch.manual_seed(0)
    torch_model = digits_mlp(torch).eval()
    torch_X = torch.tensor(X_big.numpy())
    torch_contestants = [
        torch_model,
        under(torch.no_grad, torch_model),
        under(torch.inference_mode, torch_model),
    ]

# %% id="torch-time" tags=["nbval-ignore-output"]
# nbval-ignore-output: timings vary, and PyTorch is not installed everywhere.
torch_runs = {}
if torch is None:
    print("PyTorch is not installed here: no PyTorch timings.")
else:
    with measure.one_thread():
        for B in time_sizes:
            torch_runs[B] = [measure.best_times(torch_contestants, torch_X[:B]) for _ in range(3)]
    print(f"{'batch':>5} | PyTorch: recording / no_grad | inference_mode / no_grad")
    for B, runs_B in torch_runs.items():
        print(f"{B:>5} | {ratio_range(runs_B, 0, 1):>28} | {ratio_range(runs_B, 2, 1):>24}")

# %% tags=["nbval-ignore-output"]
# nbval-ignore-output: a plot of the timings above.
fig, ax = plt.subplots(figsize=(6, 3.4))
for label, marker, table in (("minigrad", "o", runs), ("PyTorch", "s", torch_runs)):
    if table:
        ratios_B = [sorted(run[0] / run[1] for run in table[B]) for B in time_sizes]
        ax.fill_between(time_sizes, [r[0] for r in ratios_B], [r[-1] for r in ratios_B], alpha=0.3)
        ax.plot(time_sizes, [r[1] for r in ratios_B], marker + "-", label=label)
ax.axhline(1.0, color="k", linewidth=0.8)
title = "the cost of recording (line: middle of 3 repeats, band: all 3)"
ax.set(xscale="log", xlabel="batch size", ylabel="time recording / time no_grad", title=title)
ax.set_xticks(time_sizes, [str(B) for B in time_sizes])
ax.legend()
plt.show()

# %% [markdown]
# Read the ratios rather than the milliseconds (those depend on the machine). For a batch
# of one row, the bookkeeping of recording is a large share of the forward pass; it is
# the same bookkeeping for 256 rows, while the matrix products grow with the batch, so its
# share shrinks. minigrad's bookkeeping is Python, PyTorch's is C++, so where PyTorch is
# installed its ratio for one row is the smaller of the two. For big batches the main
# saving of `no_grad()` is memory, not time; and the memory saved is what lets a larger
# batch fit at all. (Big batches also show a second cost of recording, which this table
# leaves out on purpose because it depends on the machine's memory allocator: the
# activations a recorded pass keeps need fresh memory at every batch, and fresh memory
# from the operating system costs time too.)

# %% [markdown]
# ## `inference_mode()`: one step further
#
# `inference_mode()` records nothing, like `no_grad()`, and also marks its results as
# *inference tensors*: PyTorch then skips their version counters and view tracking, a
# small saving per operation. The price is a promise: an inference tensor can never enter
# a recorded computation later.


# %%
def inference_tensors(lib):
    net = digits_mlp(lib).eval()
    with lib.inference_mode():
        out = net(lib.ones(4, 64))
    seen = {"requires_grad": out.requires_grad, "is_inference()": out.is_inference()}
    seen["_version"] = outcome(lambda: out._version)
    weight = lib.ones(10, requires_grad=True)
    seen["used in a recorded product"] = outcome(lambda: (out * weight).sum().backward())
    return seen


side_by_side(inference_tensors)

# %% [markdown]
# Use `inference_mode()` for pure serving code whose outputs never feed training;
# `no_grad()` when results may be used with autograd later (say, targets computed by one
# network for another). In minigrad, `inference_mode()` runs the same code as
# `no_grad()` plus one flag per result, so its column in the time table can only show
# noise around 1. PyTorch's documentation promises a small saving per operation; its
# column shows how much of that appears on this machine.

# %% [markdown]
# ## Summary
#
# You can now predict:
# - the bytes a recorded forward pass keeps: for this MLP, each hidden activation (saved
#   by its ReLU and again, as the same memory, by the next `addmm`), plus the input and
#   transposed weights, which exist anyway; all in proportion to the batch size, and the
#   same in PyTorch;
# - under `no_grad()`: no nodes, 0 bytes; the finished forward pass keeps only its output;
# - the peak shrinks less than the kept memory, the gap growing with depth; batching under
#   `no_grad()` makes the peak depend on the batch size only, and batching *without*
#   `no_grad()` saves nothing if outputs are kept;
# - statistics and features computed for later use belong under `no_grad()`;
# - time: recording costs a fixed amount per operation, a large share for a batch of one
#   row and a shrinking share as the batch grows; measure it in processor time, keep the
#   fastest of several rounds, and repeat the measurement to see how noisy it is;
# - `inference_mode()` records nothing either and makes inference tensors, which never
#   join a graph (in PyTorch it may save a little more time).
#
# **Next:** chapter 10 goes beyond the built-in operations: custom `autograd.Function`s
# (you decide what is saved) and gradients of gradients.
