# %% [markdown]
# # Chapter 8 · Training: modules, optimizers, `eval()` and `no_grad()`
#
# **The question.** A training loop is five lines: forward, loss, `zero_grad()`,
# `backward()`, `step()`. What does each line do to the graph and to the parameters, and
# how do `model.eval()` and `no_grad()` fit in?
#
# After this chapter you can predict:
# - which attributes of a `Module` become parameters, and their dotted names;
# - that `optimizer.step()` changes every parameter **in place**, under `no_grad()`, so
#   each `_version` goes up by one per step (chapter 6's counter);
# - what `.grad` holds when you forget `zero_grad()` (the sum of all gradients so far);
# - that a forward pass under `no_grad()` leaves `backward()` nothing to work with, and
#   the exact error;
# - what `model.eval()` changes and what `no_grad()` changes: two independent switches,
#   and why evaluation uses both.

# %%
import matplotlib.pyplot as plt
import numpy as np

import minigrad as mg
from coursekit.compare import same_numbers, side_by_side
from coursekit.data import load_digits, make_moons, train_test_split
from coursekit.lecture import outcome, param_versions, predict, show_source
from coursekit.training import fit

plt.rcParams["figure.dpi"] = 80

# %% [markdown]
# ## Build: a `Module` registers what you assign
#
# A model is an object holding its weights. minigrad's `Module`, like `torch.nn.Module`,
# notices *by attribute assignment* what is a weight: `self.fc = Linear(2, 3)` registers a
# child module, `self.w = Parameter(...)` registers a parameter, anything else is a plain
# attribute. This is the method that decides (its first part; the rest refuses wrong
# types and handles buffers):

# %%
show_source(mg.nn.Module.__setattr__, stop="modules[name] = value")

# %% [markdown]
# A `Parameter` is a tensor whose only extra meaning is "register me": a leaf with
# `requires_grad=True`. `Linear` is a `Module` that assigns two of them in `__init__` and
# uses them in `forward`:

# %%
show_source(mg.nn.Linear.__init__)
show_source(mg.nn.Linear.forward)

# %% [markdown]
# **Predict:** the module below assigns a `Linear`, a `Parameter`, a plain tensor and a
# number. Which names will `named_parameters()` list, and with which shapes?


# %%
def registered(lib):
    class Scaled(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(2, 3)  # a child Module
            self.scale = lib.nn.Parameter(lib.ones(3))  # a Parameter
            self.offset = lib.zeros(3)  # a plain tensor
            self.name = "scaled"  # a plain attribute

        def forward(self, x):
            return self.fc(x) * self.scale + self.offset

    params = Scaled().named_parameters()
    return [(name, tuple(p.shape), p.requires_grad, p.is_leaf) for name, p in params]


# %%
side_by_side(registered)

# %% [markdown]
# Three parameters: `scale`, then the child's two under dotted names (`fc.weight`,
# `fc.bias`): a module lists its own parameters first, then its children's. The plain tensor `offset` is *not* a parameter: no optimizer would ever update
# it (a tensor that is state but not learnt belongs in `register_buffer`, as BatchNorm's
# running mean does). All parameters are leaves that require grad, so `backward()` will
# fill their `.grad` (chapter 4).

# %% [markdown]
# How a module lists them (what `parameters()` and `named_parameters()` walk): the
# modules in order, each one's own parameters by name, each tensor once, so a layer
# shared by two parts of a model is updated once per step. The exercise asks you for the
# same walk, as `parameters(module)`.

# %%
show_source(mg.nn.Module._named_members)

# %% [markdown]
# ## A training loop written out by hand
#
# The problem: two interleaving half moons in the plane, 200 points, two classes. No
# straight line separates them, so the model needs a hidden layer.

# %%
X, y = make_moons(n=200, noise=0.2, seed=0)
X_test, y_test = make_moons(n=1000, noise=0.2, seed=1)
print(X.shape, X.dtype, y.shape, y.dtype)


def make_model():
    return mg.nn.Sequential(mg.nn.Linear(2, 16), mg.nn.Tanh(), mg.nn.Linear(16, 2))


loss_fn = mg.nn.CrossEntropyLoss()
print(make_model())

# %% [markdown]
# Every training loop has the same five lines. The comments say what each does to the
# graph and to the parameters. (The cell starts from a fresh model, so running it again
# shows the same training, not 300 more steps.)

# %% id="hand-loop"
mg.manual_seed(0)
model = make_model()
optimizer = mg.optim.SGD(model.parameters(), lr=0.5)
for step in range(300):
    logits = model(X)  # forward: records a graph (parameters require grad)
    loss = loss_fn(logits, y)  # one more node; loss is a 0-d tensor
    optimizer.zero_grad()  # forget the previous step's gradients
    loss.backward()  # walk the graph, fill each parameter's .grad
    optimizer.step()  # change the parameters in place, from their .grad
    if step % 60 == 0 or step == 299:
        print(f"step {step:3d}  loss {loss.item():.4f}")

# %% [markdown]
# To measure, switch the model to evaluation behaviour and stop recording (both switches
# are explained below): an accuracy needs no gradient.


# %%
def accuracy(model, X, y):
    model.eval()
    with mg.no_grad():
        correct = (model(X).argmax(dim=1) == y).float().mean().item()
    model.train()
    return correct


print(
    f"train accuracy {accuracy(model, X, y):.3f}, test accuracy "
    f"{accuracy(model, X_test, y_test):.3f}"
)

# %% [markdown]
# A picture of what was learnt: the model's prediction at every point of a grid
# (computed under `no_grad()`, 10,000 points in one forward pass), with the training points
# on top.

# %%
grid_x, grid_y = np.meshgrid(np.linspace(-1.5, 2.5, 100), np.linspace(-1.5, 1.7, 100))
grid = mg.tensor(np.stack([grid_x.ravel(), grid_y.ravel()], axis=1), dtype=mg.float32)
with mg.no_grad():
    p_class1 = model(grid).softmax(dim=1)[:, 1].numpy().reshape(grid_x.shape)

fig, ax = plt.subplots(figsize=(6, 4))
ax.contourf(grid_x, grid_y, p_class1, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
ax.contour(grid_x, grid_y, p_class1, levels=[0.5], colors="k", linewidths=1)
points = X.numpy()
ax.scatter(points[:, 0], points[:, 1], c=y.numpy(), cmap="RdBu_r", edgecolors="k", s=18)
ax.set(title="two moons: P(class 1) after 300 steps, boundary at 0.5", xlabel="x0", ylabel="x1")
plt.show()

# %% [markdown]
# ## Inside `step()`: in place, under `no_grad()`
#
# The optimizer's `step()` runs the update rule for every parameter that has a `.grad`,
# inside `no_grad()`. SGD's `_update` starts with its options (`maximize`, weight decay,
# momentum), which with the defaults used here do nothing; what is left is its last line,
# one in-place update, `p.add_(d, alpha=-lr)`, that is p - lr * d (PyTorch's SGD writes it
# the same way):

# %%
show_source(mg.optim.Optimizer.step)
show_source(mg.optim.SGD._update)

# %% [markdown]
# Two things follow, both from earlier chapters. The update is not recorded (it is not
# part of any model computation, and no graph should grow across steps). And it is an
# in-place change of a leaf that requires grad, which chapter 6 showed is refused *outside*
# `no_grad()`:


# %%
def update_outside_no_grad(lib):
    lib.manual_seed(0)
    layer = lib.nn.Linear(2, 3)
    layer.weight.sub_(0.1)  # what step() does, but with recording on


side_by_side(update_outside_no_grad)

# %% [markdown]
# One of the blog posts this course grew from (post 000, on the grad-mode managers) says
# that grad mode must be on "when the optimizer updates the parameters, or backpropagation
# is impossible". Half of that is right, and it is worth knowing which half. Grad mode must
# be on while the **forward pass** runs: that is when the graph is recorded (the next
# section shows the error you get otherwise). `backward()` only walks a graph that already
# exists, so it works even inside `no_grad()`. And the **update** needs grad mode *off*,
# which is why `step()` switches it off itself: called with grad mode on or off, it does the
# same thing, while the same update written by hand with grad mode on is refused (above).
#
# **Predict:** the forward pass runs with grad mode on, then `backward()` runs inside
# `no_grad()`. Is `.grad` filled? Does `step()` work when called with grad mode on? And
# inside `no_grad()`?


# %%
def layer_with_gradients(lib):
    """A Linear layer and its SGD optimizer, after a backward() run inside no_grad()."""
    lib.manual_seed(0)
    layer = lib.nn.Linear(2, 1)
    optimizer = lib.optim.SGD(layer.parameters(), lr=0.1)
    loss = (layer(lib.ones(4, 2)) ** 2).sum()  # forward, grad mode on: recorded
    with lib.no_grad():
        loss.backward()  # backward inside no_grad(): walks the recorded graph
    return layer, optimizer


# %%
def grad_mode_at_each_stage(lib):
    layer, optimizer = layer_with_gradients(lib)
    weight = layer.weight
    seen = {"weight.grad filled by backward() in no_grad()": weight.grad is not None}
    seen["grad mode when step() is called"] = lib.is_grad_enabled()
    optimizer.step()
    state = (weight.is_leaf, weight.grad_fn, weight._version)
    seen["after step(): is_leaf, grad_fn, _version"] = state
    with lib.no_grad():
        optimizer.step()  # the same update rule, with grad mode off
    seen["after step() in no_grad(): _version"] = weight._version
    return seen


# %% id="grad-mode-at-step"
side_by_side(grad_mode_at_each_stage)

# %% [markdown]
# `.grad` is filled although `backward()` ran inside `no_grad()`, and both calls of
# `step()` updated the weight in place (one version each: 1 to 2, then 3; a new `Linear`
# is already at version 1, as a section below explains) and recorded nothing: it stayed a
# leaf without `grad_fn`. So the rule is: record the forward pass (grad mode on), then
# backward and step in any mode; the optimizer takes care of its own.

# %% [markdown]
# **Predict:** after one more training step, by how much has each parameter's
# `_version` changed? Is `weight` still a leaf, and what is its `grad_fn`?


# %% id="step-versions"
def step_once(lib):
    """A small model after one training step; its parameters' versions along the way."""
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(2, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
    x, target = lib.ones(5, 2), lib.tensor([0, 1, 0, 1, 1])
    before = param_versions(model)
    loss = lib.nn.CrossEntropyLoss()(model(x), target)
    optimizer.zero_grad()
    loss.backward()
    after_backward = param_versions(model)
    optimizer.step()
    return model, (before, after_backward, param_versions(model))


# %%
def one_step(lib):
    model, (before, after_backward, after_step) = step_once(lib)
    weight = model[0].weight
    return {
        "version change from backward": [a - b for a, b in zip(after_backward, before)],
        "version change from step": [a - b for a, b in zip(after_step, after_backward)],
        "weight.is_leaf": weight.is_leaf,
        "weight.grad_fn": weight.grad_fn,
        "weight.requires_grad": weight.requires_grad,
    }


side_by_side(one_step)

# %% [markdown]
# `backward()` writes `.grad` but never touches the parameters' own numbers, so their
# versions stay; `step()` changes each one in place exactly once: `+1`. Because the change
# was not recorded, the weight is still the same leaf with no history.
#
# The version bump has a consequence you can now predict. A graph that saved a weight
# (the second layer's `addmm` saves `weight.T` to compute its input's gradient) cannot be
# used for backward after a `step()` changed that weight: it would compute gradients from
# numbers that are gone. Forward, then step, then backward:


# %%
def step_between_forward_and_backward(lib):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Tanh(), lib.nn.Linear(3, 2))
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = lib.nn.CrossEntropyLoss()
    x, target = lib.ones(4, 2), lib.tensor([0, 1, 0, 1])
    seen = {"versions after construction": param_versions(model)}
    loss_fn(model(x), target).backward()  # some gradients to step with
    loss = loss_fn(model(x), target)  # a new graph: saves the weights it needs
    optimizer.step()  # weights change in place: versions + 1
    seen["versions after step()"] = param_versions(model)
    seen["loss.backward()"] = outcome(loss.backward)  # the error it raises, as text
    return seen


# %% id="step-then-backward"
side_by_side(step_between_forward_and_backward)

# %% [markdown]
# This is the version error of chapter 6, met in its natural habitat (it is what goes
# wrong when two models are trained in turns from one forward pass, as in GANs). Two parts
# of the message need reading:
#
# - "**is at version 2; expected version 1**": a new parameter is already at version 1,
#   because `Linear` fills its weights *in place* when it is created (its
#   `reset_parameters` draws them with `init.kaiming_uniform_`, an in-place op: the first
#   line above shows it). The graph saved the weight at version 1; `step()` made it 2.
# - "**output 0 of AsStrided**": the saved tensor is not the weight itself but `weight.T`
#   (shape `[3, 2]`), a view that `addmm` keeps to compute its input's gradient. The view
#   was made by `t()` (`TBackward0`), but once a view's memory has changed in place,
#   PyTorch rebuilds its `grad_fn` as the general `AsStridedBackward0`, and the message
#   names that. minigrad's message follows PyTorch's here.
#
# The fix is to order the lines as the loop above does: `backward()` before `step()`.

# %% [markdown]
# ## `zero_grad()`, and what happens without it
#
# Chapter 4 showed that `backward()` *adds* into `.grad`. `zero_grad()` is the other half
# of that rule: it resets `.grad` (to `None`, the default) so the next backward starts
# from nothing.

# %%
show_source(mg.optim.Optimizer.zero_grad)
show_source(mg.optim.optimizer.zero_grads)

# %% [markdown]
# **Predict:** two `backward()` calls on the same batch, with no `zero_grad()` between
# them (a fresh forward each time). How does `weight.grad` compare with one call's?

# %%
twice_question = predict(
    "After two backward() calls without zero_grad(), `weight.grad` is how many times one call's?",
    [1, 2, 4],
)


# %% id="no-zero-grad"
def twice_without_zero_grad(lib):
    lib.manual_seed(0)
    layer = lib.nn.Linear(2, 1)
    x = lib.tensor([[1.0, 2.0], [3.0, -1.0]])
    layer(x).sum().backward()
    once = layer.weight.grad.clone()
    layer(x).sum().backward()  # no zero_grad() in between
    twice = layer.weight.grad.clone()
    layer.zero_grad()
    return {"once": once, "twice": twice, "after zero_grad()": layer.weight.grad}


side_by_side(twice_without_zero_grad)
seen = twice_without_zero_grad(mg)
twice_question.reveal(round((seen["twice"] / seen["once"]).mean().item()))

# %% [markdown]
# Exactly double: `.grad` is the sum of the two gradients (here `x`'s column sums, `[4, 1]`,
# twice). In a training loop that forgets `zero_grad()`, step `k` therefore moves the
# weights by the sum of *all* gradients so far, and that sum does not shrink when the loss
# does. Watch the size of the first layer's weights:


# %%
def weight_norms(zero_grad, steps=200):
    mg.manual_seed(0)
    net = mg.nn.Sequential(mg.nn.Linear(2, 16), mg.nn.Tanh(), mg.nn.Linear(16, 2))
    opt = mg.optim.SGD(net.parameters(), lr=0.5)
    norms = []
    for _ in range(steps):
        loss = loss_fn(net(X), y)
        if zero_grad:
            opt.zero_grad()
        loss.backward()
        opt.step()
        norms.append(float(np.linalg.norm(net[0].weight.detach().numpy())))
    return norms, net


# %%
with_zero, _ = weight_norms(True)
without_zero, forgetful = weight_norms(False)
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(with_zero, label="with zero_grad()")
ax.plot(without_zero, label="without zero_grad()")
title = "forgetting zero_grad(): every step adds all past gradients"
ax.set(xlabel="step", ylabel="norm of first layer's weight", yscale="log", title=title)
ax.legend()
plt.show()
print(f"after 200 steps: {with_zero[-1]:.1f} with zero_grad(), {without_zero[-1]:.1f} without")
assert without_zero[-1] > 10 * with_zero[-1]  # what "run away" below means here

# %% [markdown]
# With `zero_grad()` the weights grow slowly while the boundary sharpens; without it
# they run away, because each step repeats every earlier gradient (like a momentum that
# never forgets). The loss may
# even look fine for a while, which is what makes this bug easy to miss. Some code skips
# `zero_grad()` on purpose, to *accumulate* gradients over several small batches before
# one step; then it calls `zero_grad()` after that step.

# %% [markdown]
# ## Training needs recording on
#
# `backward()` walks the graph the forward pass recorded. What if there is none?
#
# **Predict:** the forward pass and the loss are computed inside `no_grad()`. What are
# `loss.requires_grad` and `loss.grad_fn`, and what does `loss.backward()` do?


# %% id="training-needs-grad" tags=["seed:s000-training-needs-grad"]
def train_step_under_no_grad(lib):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(2, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
    x, target = lib.ones(5, 2), lib.tensor([0, 1, 0, 1, 1])
    with lib.no_grad():
        loss = lib.nn.CrossEntropyLoss()(model(x), target)
    seen = {"loss.requires_grad": loss.requires_grad, "loss.grad_fn": loss.grad_fn}
    try:
        loss.backward()
    except RuntimeError as error:
        seen["loss.backward()"] = f"RuntimeError: {error}"
    return seen


side_by_side(train_step_under_no_grad)

# %% [markdown]
# Under `no_grad()` nothing was recorded: the loss is a plain tensor with no `grad_fn`,
# so there is no graph to walk and no way back to the parameters. `backward()` refuses
# with the error chapter 4 met ("element 0 of tensors does not require grad and does not
# have a grad_fn"). The parameters still require grad; what is missing is the record.
# Whenever you see this error in a training loop, look for a `no_grad()` (or a
# `set_grad_enabled(False)`, see below) around the forward pass.

# %% [markdown]
# ## `model.eval()` and `no_grad()`: two different switches
#
# Two layers compute something different in training and in evaluation. `Dropout` zeroes
# random activations while training and does nothing in evaluation; `BatchNorm1d`
# normalises with the current batch's statistics while training (and updates its running
# averages), and with the running averages in evaluation. Their `forward` reads
# `self.training`, the flag `model.train()` / `model.eval()` set; grad mode appears nowhere:

# %%
show_source(mg.nn.Dropout.forward)
show_source(mg.nn.BatchNorm1d.forward)

# %% [markdown]
# So the two switches are independent. `eval()` changes *what* the layers compute;
# `no_grad()` changes whether the computation is *recorded*. To see all four
# combinations, a small model with both layers gets fixed weights (the same numbers in
# minigrad and in PyTorch); each combination starts from a fresh copy and calls the model
# twice on the same batch.

# %%
rng = np.random.default_rng(0)
weights = {
    "0.weight": rng.normal(0, 0.5, (6, 4)),
    "0.bias": rng.normal(0, 0.1, 6),
    "1.weight": 1 + 0.1 * rng.normal(size=6),
    "1.bias": 0.1 * rng.normal(size=6),
    "4.weight": rng.normal(0, 0.5, (3, 6)),
    "4.bias": rng.normal(0, 0.1, 3),
}
batch = rng.normal(size=(5, 4)).astype(np.float32)


# %%
def small_model(lib):
    nn = lib.nn
    model = nn.Sequential(
        nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.5), nn.Linear(6, 3)
    )
    with lib.no_grad():
        for name, p in model.named_parameters():
            p.copy_(lib.tensor(weights[name], dtype=lib.float32))
    return model


print(small_model(mg))

# %% [markdown]
# **Predict** the table before running it: for each combination, are the two outputs
# equal? Does the output require grad? Did BatchNorm's `running_mean` move?


# %%
def run_twice(lib, mode, grad):
    """The small model run twice on the batch: same output?, requires_grad, stats moved?"""
    lib.manual_seed(0)
    model = small_model(lib)
    model.train(mode == "train")
    x = lib.tensor(batch)
    with lib.set_grad_enabled(grad):
        first, second = model(x), model(x)
    same = (first - second).abs().sum().item() == 0
    return same, first.requires_grad, model[1].running_mean.abs().sum().item() > 0


# %% id="eval-vs-no-grad" tags=["seed:s003-eval-vs-no-grad"]
def eval_vs_no_grad(lib):
    rows = ["mode  | grad    | same output twice | requires_grad | running_mean moved"]
    for mode in ("train", "eval"):
        for grad in (True, False):
            same, requires_grad, moved = run_twice(lib, mode, grad)
            rows.append(
                f"{mode:5} | {'grad' if grad else 'no_grad':7} | {same!s:17} | "
                f"{requires_grad!s:13} | {moved}"
            )
    return "\n".join(rows)


side_by_side(eval_vs_no_grad)

# %% [markdown]
# Read it by columns. *Same output twice* and *running_mean moved* depend only on the
# mode: in training, Dropout draws a new mask at every call and BatchNorm updates its
# running statistics, **even under `no_grad()`** (a buffer update is not a recorded
# operation). *requires_grad* depends only on the grad mode. Neither switch implies the
# other. In evaluation you want both: `eval()` for the right outputs, `no_grad()` so that
# no graph is built (chapter 9 measures what that saves). With the same weights, the two
# libraries' evaluation outputs agree number for number:


# %%
def evaluation_output(lib):
    model = small_model(lib).eval()
    with lib.no_grad():
        return model(lib.tensor(batch))


side_by_side(evaluation_output)

# %% [markdown]
# Blog post 001 gives another reason for `no_grad()` at test time: without it, "the model
# would have learnt the test set, and what would we evaluate it with then?" It would not
# have. A forward pass, recorded or not, changes no parameter: learning takes `backward()`
# *and* `step()`, and an evaluation calls neither.
#
# **Predict:** the trained two-moons model evaluates the test set with recording on (no
# `no_grad()`). Do its parameters, their versions or their `.grad` change?


# %% id="evaluation-learns-nothing"
def evaluate_without_no_grad(lib):
    lib.manual_seed(0)
    net = lib.nn.Sequential(lib.nn.Linear(2, 16), lib.nn.Tanh(), lib.nn.Linear(16, 2))
    net.load_state_dict({k: lib.tensor(v.detach().numpy()) for k, v in model.state_dict().items()})
    net.eval()
    before = {name: p.detach().clone() for name, p in net.named_parameters()}
    versions = param_versions(net)
    out = net(lib.tensor(X_test.numpy()))  # recording on
    unchanged = [bool((p == before[name]).all()) for name, p in net.named_parameters()]
    return {
        "parameters equal before and after": all(unchanged),
        "versions unchanged": param_versions(net) == versions,
        "every .grad still None": all(p.grad is None for p in net.parameters()),
        "output.grad_fn": out.grad_fn.name(),
    }


# %%
side_by_side(evaluate_without_no_grad)

# %% [markdown]
# Nothing about the model changed; the only trace of the evaluation is a graph hanging
# from the output (`AddmmBackward0`), which costs memory and time until the output is
# dropped: that, not learning, is what `no_grad()` saves (chapter 9). What *can* carry
# test data into a model is the other switch: in train mode, BatchNorm's running averages
# move with every batch it sees, even under `no_grad()` (the table above). `eval()` is
# what prevents that.

# %% [markdown]
# ## A global switch must be switched back
#
# `set_grad_enabled(False)` also works as a plain call (chapter 7): recording stays off
# until something switches it on again. An evaluation helper written that way has a bug
# that shows up somewhere else, later.
#
# **Predict:** after `buggy_accuracy` returns, is recording on? What happens to the next
# training step?


# %% id="global-switch" tags=["seed:s003-global-switch"]
def buggy_accuracy(lib, model, X, y):
    lib.set_grad_enabled(False)  # "no gradients needed to evaluate"
    model.eval()
    result = (model(X).argmax(dim=1) == y).float().mean().item()
    model.train()
    return result  # ... and recording is still off


# %%
def global_switch_left_off(lib):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(2, 16), lib.nn.Tanh(), lib.nn.Linear(16, 2))
    X_, y_ = lib.tensor(X.numpy()), lib.tensor(y.numpy())
    try:
        buggy_accuracy(lib, model, X_, y_)
        seen = {"is_grad_enabled() afterwards": lib.is_grad_enabled()}
        loss = lib.nn.CrossEntropyLoss()(model(X_), y_)  # the next training step
        seen["loss.requires_grad"] = loss.requires_grad
        seen["loss.backward()"] = outcome(loss.backward)  # the error it raises, as text
        return seen
    finally:
        lib.set_grad_enabled(True)  # clean up, so later cells are not affected


# %%
side_by_side(global_switch_left_off)

# %% [markdown]
# The evaluation worked; the *training* step after it failed, with the error of the
# previous section, far from the line that caused it. In a notebook the switch even
# survives into every later cell. Two fixes: use the context manager, which restores the
# previous state when the block ends (also when it ends with an exception), or, if a
# plain call is unavoidable, restore the previous state in a `finally`:


# %%
def good_accuracy(lib, model, X, y):
    model.eval()
    with lib.no_grad():  # restored on exit, whatever happens
        result = (model(X).argmax(dim=1) == y).float().mean().item()
    model.train()
    return result


# %%
def global_switch_restored(lib):
    lib.manual_seed(0)
    model = lib.nn.Sequential(lib.nn.Linear(2, 16), lib.nn.Tanh(), lib.nn.Linear(16, 2))
    X_, y_ = lib.tensor(X.numpy()), lib.tensor(y.numpy())
    good_accuracy(lib, model, X_, y_)
    loss = lib.nn.CrossEntropyLoss()(model(X_), y_)
    loss.backward()
    return {
        "is_grad_enabled() afterwards": lib.is_grad_enabled(),
        "loss.requires_grad": loss.requires_grad,
        "weight.grad is filled": model[0].weight.grad is not None,
    }


# %%
side_by_side(global_switch_restored)
print("recording on in this notebook:", mg.is_grad_enabled())

# %% [markdown]
# ## The digits, with `fit()`
#
# A real data set: scikit-learn's 1797 handwritten digits, 8x8 pixels each (64 features),
# ten classes. `coursekit.training.fit` is the loop above with mini-batches (32 shuffled
# samples per step) and an evaluation after each epoch, under `eval()` and `no_grad()`.

# %%
X_digits, y_digits = load_digits()
X_train, X_held, y_train, y_held = train_test_split(X_digits, y_digits, test_size=0.25, seed=0)
print("train", tuple(X_train.shape), "test", tuple(X_held.shape))

# %%
mg.manual_seed(0)  # a fresh model each time this cell runs
mlp = mg.nn.Sequential(mg.nn.Linear(64, 64), mg.nn.ReLU(), mg.nn.Linear(64, 10))
initial_state = {k: v.detach().numpy().copy() for k, v in mlp.state_dict().items()}
optimizer = mg.optim.SGD(mlp.parameters(), lr=0.1, momentum=0.9)
settings = dict(epochs=6, batch_size=32, test_data=(X_held, y_held), seed=0, progress=False)
history = fit(mlp, mg.nn.CrossEntropyLoss(), optimizer, (X_train, y_train), **settings)
print(f"test accuracy after {history.epochs[-1]} epochs: {history.test_accuracy[-1]:.3f}")
history.plot()

# %% [markdown]
# ## Optional: the same training in PyTorch
#
# *An optional section: nothing after it in this chapter uses it; the summary follows.*
#
# Start PyTorch from the **same initial weights** (copied in from `initial_state`), feed
# the same 40 mini-batches to the same optimizer, and compare the losses step by step.
# The cell prints minigrad's losses; the line starting with "PyTorch" says whether
# PyTorch's agree (to within 1e-5).

# %%
order = np.random.default_rng(1).permutation(len(X_train))
batches = [order[i : i + 32] for i in range(0, 40 * 32, 32)]  # 40 full batches


# %%
def training_losses(lib):
    nn = lib.nn
    net = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    net.load_state_dict({k: lib.tensor(v) for k, v in initial_state.items()})
    opt = lib.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    features, labels = X_train.numpy(), y_train.numpy()
    losses = []
    for index in batches:
        loss = loss_fn(net(lib.tensor(features[index])), lib.tensor(labels[index]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses)


# %%
ours = training_losses(mg)
print("minigrad losses, every 10th step:", np.round(ours[::10], 3))
theirs = same_numbers(training_losses, ours, atol=1e-5, what="40 losses")

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(ours, label="minigrad", linewidth=3, alpha=0.5)
if theirs is not None:
    ax.plot(theirs, "k--", label="PyTorch", linewidth=1)
ax.set(xlabel="step", ylabel="loss", title="digits: same initial weights, same batches")
ax.legend()
plt.show()

# %% [markdown]
# Where PyTorch's losses are there to draw, its dashed curve lies on top of minigrad's:
# same layers, same initialisation, same loss, same update rule, so the same numbers (up
# to float32 rounding; the cell above checks them to 1e-5).

# %% [markdown]
# ## Summary
#
# You can now predict:
# - `named_parameters()` of a module: every `Parameter` assigned as an attribute, and
#   those of child modules under dotted names; plain tensors are not parameters;
# - `step()` changes each parameter in place under `no_grad()`: `_version` `+1` per step,
#   still a leaf, no `grad_fn`; so a graph that saved a weight cannot be backpropagated
#   after a `step()`;
# - without `zero_grad()`, `.grad` is the sum of every gradient since the last reset;
# - grad mode matters while the forward pass runs: under `no_grad()` (or after a
#   `set_grad_enabled(False)` never switched back) it leaves nothing for `backward()`:
#   "element 0 of tensors does not require grad and does not have a grad_fn";
#   `backward()` and `step()` work in either mode (`step()` switches recording off itself);
# - an evaluation without `no_grad()` learns nothing (no parameter changes); it only
#   builds a graph that costs memory and time;
# - `eval()` changes what Dropout and BatchNorm compute, `no_grad()` whether anything is
#   recorded; evaluation uses both.
#
# **Next:** chapter 9 measures what `no_grad()` saves when evaluating: the bytes a graph
# keeps, peak memory, and time.
