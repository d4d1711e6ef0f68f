# %% [markdown]
# # Chapter 7 · Grad modes and how they nest
#
# **The question.** When does an operation get recorded into the graph? So far the
# answer was "when an input requires grad". This chapter adds the second half: *and grad
# mode is on*. Grad mode is a switch, and `no_grad`, `enable_grad`, `set_grad_enabled`
# and `inference_mode` flip it, for a block, for a function, or until further notice.
#
# After this chapter you can predict:
# - `is_grad_enabled()` and `(x * 2).requires_grad` at any point of any nesting of the
#   four modes: the innermost (most recent) setting wins, and leaving a block restores
#   what was there before it;
# - what `set_grad_enabled(False)` does as a plain call, and when its effect ends;
# - what a function (or a generator) decorated with a mode does when called;
# - that another thread does not see your modes;
# - what `inference_mode` adds to `no_grad`: inference tensors, and the errors they raise
#   when they meet autograd later.

# %%
import threading

import matplotlib.pyplot as plt

import minigrad as mg
from coursekit.compare import side_by_side
from coursekit.figures import draw_nestings
from coursekit.lecture import lines, outcome, predict, show_source
from coursekit.viz import GradModePlayground, grad_mode_levels
from minigrad import function, grad_mode

plt.rcParams["figure.dpi"] = 80


# %% [markdown]
# ## The rule, in the engine
#
# Every operation follows one rule to decide whether to record: `is_recording`, which
# `Function.apply` (chapter 10) asks before each operation's forward. Two conditions, both
# needed: grad mode is on, and at least one input requires grad. Chapters 1-6 only ever
# changed the second; this chapter is about the first, `_state.grad_enabled`.

# %%
show_source(function.is_recording)

# %% [markdown]
# You can read the switch with `is_grad_enabled()`. It is on by default; `no_grad()`
# turns it off for the block.
#
# **Predict:** what do the three `is_grad_enabled()` calls below return: before, inside,
# and after the block?


# %% id="is-grad-enabled" tags=["seed:s000-is-grad-enabled"]
def is_grad_enabled_around_a_block(lib):
    seen = {"before": lib.is_grad_enabled()}
    with lib.no_grad():
        seen["inside no_grad()"] = lib.is_grad_enabled()
    seen["after"] = lib.is_grad_enabled()
    return lines(seen)


side_by_side(is_grad_enabled_around_a_block)

# %% [markdown]
# ## `no_grad()`: results that record nothing
#
# `x` requires grad. Inside `no_grad()` we compute `y = x ** 2`.
#
# **Predict:** `y.requires_grad` and `y.grad_fn`? And does `x` itself still require grad
# afterwards?


# %% id="no-grad-result" tags=["seed:s000-no-grad-result"]
def no_grad_result(lib):
    x = lib.tensor(3.0, requires_grad=True)
    with lib.no_grad():
        y = x**2
    return lines(
        {
            "y": y,
            "y.requires_grad": y.requires_grad,
            "y.grad_fn": y.grad_fn,
            "x.requires_grad": x.requires_grad,
        }
    )


side_by_side(no_grad_result)

# %% [markdown]
# `y` has the right value, 9, and no history: no `grad_fn`, so nothing to backpropagate
# through. `x` is untouched; `no_grad()` changes what *new* results get, not the tensors
# that exist. The same holds for a bigger computation, here the matrix product of
# chapter 3: the sum of `mm(w, x)` would have `SumBackward0` outside the block, and has
# nothing inside it.


# %% id="no-grad-mm" tags=["seed:s001-no-grad-mm"]
def no_grad_mm(lib):
    lib.manual_seed(0)
    x = lib.rand(3, 3, requires_grad=True)
    w = lib.ones(3, 3, requires_grad=True)
    y = lib.sum(lib.mm(w, x))
    outside = (y.requires_grad, y.grad_fn.name())
    with lib.no_grad():
        y = lib.sum(lib.mm(w, x))
    return lines(
        {
            "outside: requires_grad, grad_fn": outside,
            "inside no_grad(): requires_grad, grad_fn": (y.requires_grad, y.grad_fn),
        }
    )


# %%
side_by_side(no_grad_mm)

# %% [markdown]
# Post 003 (one of the blog posts this course grew from, listed in `course/README.md`)
# opens with the smallest example of all: `z = x * y` for two one-element tensors that
# require grad, `z.backward()`, and the same product again inside `no_grad()`.
#
# **Predict:** `x.grad` and `y.grad` after the first `backward()`; `z.requires_grad` for
# the product made inside the block.


# %% id="x-times-y"
def x_times_y(lib):
    x = lib.tensor([3.0], requires_grad=True)
    y = lib.tensor([2.0], requires_grad=True)
    z = x * y
    z.backward()
    seen = {"z": z, "x.grad": x.grad, "y.grad": y.grad}
    with lib.no_grad():
        z = x * y
    seen["z in no_grad()"] = z
    seen["its requires_grad"] = z.requires_grad
    return lines(seen)


side_by_side(x_times_y)

# %% [markdown]
# The derivative of `x * y` by `x` is `y` (2) and by `y` is `x` (3), chapter 2's rule for a
# product. Inside the block the same product has the same value, 6, and nothing to
# backpropagate through.

# %% [markdown]
# ## Build: one switch per thread, saved and restored
#
# The switch lives in a `threading.local` object: every thread has its own copy, and a
# new thread starts from the defaults (grad on, inference mode off). One function,
# `set_modes`, writes both switches; every mode below goes through it.

# %%
show_source(grad_mode._GradState)
show_source(grad_mode.set_modes)

# %% [markdown]
# Every mode is a small class built on one shared base. `__enter__` **saves** the state
# it finds and sets the new one; `__exit__` **restores** the saved state. It does not
# set "on" or "off": it puts back whatever was there. That is the whole nesting rule.

# %%
show_source(grad_mode._GradModeContext.__enter__)
show_source(grad_mode._GradModeContext.__exit__)

# %% [markdown]
# The modes differ only in the state they ask for. `no_grad` asks for "off",
# `enable_grad` for "on"; both leave inference mode as it is.

# %%
show_source(mg.no_grad._new_state)
show_source(mg.enable_grad._new_state)

# %% [markdown]
# PyTorch's `torch/autograd/grad_mode.py` has the same shape: each mode remembers
# `self.prev` on enter and sets it back on exit (there the switch itself is C++
# thread-local state).
#
# ## `enable_grad()` inside `no_grad()`
#
# Follow the saved states: outside, the switch is on. Entering `no_grad()` saves "on" and
# sets "off". Entering `enable_grad()` saves "off" and sets "on". Each exit puts back what
# its own enter saved.
#
# **Predict:** the four values of `is_grad_enabled()` below. Commit to the third first.

# %%
back_question = predict(
    "Inside `no_grad()`, an `enable_grad()` block has just exited. `is_grad_enabled()`?",
    [True, False],
)


# %% id="enable-grad-nested" tags=["seed:s000-enable-grad-nested"]
def enable_grad_nested(lib):
    seen = {}
    with lib.no_grad():
        seen["in no_grad()"] = lib.is_grad_enabled()
        with lib.enable_grad():
            seen["in enable_grad() in no_grad()"] = lib.is_grad_enabled()
        seen["back in no_grad()"] = lib.is_grad_enabled()
    seen["outside"] = lib.is_grad_enabled()
    return lines(seen)


side_by_side(enable_grad_nested)

# %%
with mg.no_grad():
    with mg.enable_grad():
        pass
    back_question.reveal(mg.is_grad_enabled())

# %% [markdown]
# "back in no_grad()" is off again: the inner exit restored the "off" it had saved, not
# the default. Innermost wins while inside; leaving a block undoes exactly that block.

# %% [markdown]
# ## A mode as a decorator
#
# Every mode is also a decorator: `@no_grad()` above a `def` runs each call of the
# function inside a fresh copy of the mode. Here is the shared `__call__` that does it.

# %%
show_source(grad_mode._GradModeContext.__call__)

# %% [markdown]
# **Predict:** `doubler` is decorated with `no_grad()`. Does `doubler(x)` require grad?
# And the same product written in a `with` block?


# %% id="no-grad-decorator" tags=["seed:s002-no-grad-decorator"]
def no_grad_two_ways(lib):
    x = lib.tensor([1.0], requires_grad=True)
    with lib.no_grad():
        y = x * 2

    @lib.no_grad()
    def doubler(t):
        return t * 2

    z = doubler(x)
    seen = {"with no_grad(): y.requires_grad": y.requires_grad}
    seen["@no_grad() doubler(x).requires_grad"] = z.requires_grad
    seen["after the call, is_grad_enabled()"] = lib.is_grad_enabled()
    return lines(seen)


# %%
side_by_side(no_grad_two_ways)

# %% [markdown]
# The two are the same thing written twice; the decorator is handy for functions that
# never need gradients (an evaluation loop, a metric). PyTorch also accepts `@no_grad`
# without parentheses, and so does minigrad (`_NoParenthesesDecorator`).
#
# `enable_grad()` is the mirror image, and its decorator is the interesting one: a
# function that must record even when its caller turned recording off.
#
# **Predict:** first the block: `y = x * 2` is computed in an `enable_grad()` block inside
# `no_grad()`. What is `x.grad` after `y.backward()`? Then the decorator: `doubler` is now
# decorated with `enable_grad()`. Called inside `no_grad()`, does its result require
# grad? Called outside?


# %%
def enable_grad_block(lib):
    x = lib.tensor([1.0], requires_grad=True)
    with lib.no_grad():
        w = x * 2  # not recorded
        with lib.enable_grad():
            y = x * 2  # recorded
    y.backward()
    seen = {"w (in no_grad())": w, "y (enable_grad() in no_grad())": y}
    seen["x.grad after y.backward()"] = x.grad
    return lines(seen)


side_by_side(enable_grad_block)


# %% id="enable-grad-decorator" tags=["seed:s002-enable-grad-decorator"]
def enable_grad_decorated(lib):
    x = lib.tensor([1.0], requires_grad=True)

    @lib.enable_grad()
    def doubler(t):
        return t * 2

    with lib.no_grad():
        inside = doubler(x)
    seen = {"doubler(x) called in no_grad(): requires_grad": inside.requires_grad}
    seen["doubler(x) called outside: requires_grad"] = doubler(x).requires_grad
    return lines(seen)


side_by_side(enable_grad_decorated)

# %% [markdown]
# `y = 2x` was recorded, so `dy/dx = 2`. The decorated `doubler` records wherever it is
# called; outside `no_grad()` the decorator changes nothing, since recording was on
# anyway.

# %% [markdown]
# ## `set_grad_enabled(mode)`: the one that acts at once
#
# `set_grad_enabled` takes a boolean, for code that trains or evaluates depending on a
# flag. It differs from the other modes in one line: it switches the mode already in
# `__init__`, when it is *called*, before any `with`. It saves the previous state first,
# so that the shared `__exit__` above can put it back; its `__enter__` only sets the mode
# (again), as PyTorch's does.

# %%
show_source(mg.set_grad_enabled.__init__)
show_source(mg.set_grad_enabled.__enter__)

# %% [markdown]
# **Predict:** `mode = False`. What is `y.requires_grad` for `y = x ** 2` computed in
# `with set_grad_enabled(mode):`?


# %% id="set-grad-enabled-flag" tags=["seed:s000-set-grad-enabled-flag"]
def set_grad_enabled_flag(lib):
    mode = False  # e.g. is_training
    with lib.set_grad_enabled(mode):
        x = lib.tensor(2.0, requires_grad=True)
        y = x**2
    return lines(
        {
            "y.requires_grad": y.requires_grad,
            "is_grad_enabled() after the block": lib.is_grad_enabled(),
        }
    )


side_by_side(set_grad_enabled_flag)

# %% [markdown]
# Because it acts in `__init__`, `set_grad_enabled(False)` also works **without** `with`:
# the call itself flips the switch, and nothing flips it back until the next change.
#
# **Predict:** `requires_grad` of `b`, `c`, `d`, `e`, `f` below (read the code top to
# bottom; the plain calls are not blocks).


# %% id="set-grad-enabled-call" tags=["seed:s002-set-grad-enabled-call"]
def set_grad_enabled_blocks(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    seen = {}
    with lib.set_grad_enabled(False):
        b = a * 2
    seen["b (with set_grad_enabled(False))"] = b.requires_grad
    with lib.set_grad_enabled(True):
        c = a * 3
    seen["c (with set_grad_enabled(True))"] = c.requires_grad
    d = a * 4
    seen["d (no mode)"] = d.requires_grad
    return lines(seen)


side_by_side(set_grad_enabled_blocks)


# %%
def set_grad_enabled_call(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    seen = {}
    try:
        lib.set_grad_enabled(True)  # a plain call
        e = a * 5
        seen["e (after the call set_grad_enabled(True))"] = e.requires_grad
        lib.set_grad_enabled(False)  # a plain call: lasts until changed
        f = a * 6
        seen["f (after the call set_grad_enabled(False))"] = f.requires_grad
        seen["is_grad_enabled() now"] = lib.is_grad_enabled()
    finally:
        lib.set_grad_enabled(True)  # switch back, or the rest of the notebook records nothing
    return lines(seen)


# %%
side_by_side(set_grad_enabled_call)

# %% [markdown]
# Note the `finally` above: a plain `set_grad_enabled(False)` stays in force for
# everything that follows on this thread, including code you did not write. Prefer the
# `with` form unless you really mean a global switch (chapter 8 comes back to this).

# %% [markdown]
# ## Nesting: the most recent setting wins
#
# Two programs. In the first, a plain call `set_grad_enabled(False)` sits inside an
# `enable_grad()` block. In the second, a plain call `set_grad_enabled(True)` comes
# first, and then a `no_grad()` block.
#
# **Predict:** `y.requires_grad` in the first, `z.requires_grad` in the second. Then:
# is grad mode on after the first program's block ends?


# %% id="nesting" tags=["seed:s002-nesting"]
def nesting(lib):
    x = lib.tensor([1.0], requires_grad=True)
    seen = {}
    with lib.enable_grad():
        lib.set_grad_enabled(False)
        y = x * 2
        seen["y.requires_grad (enable_grad, then set_grad_enabled(False))"] = y.requires_grad
    seen["is_grad_enabled() after that block"] = lib.is_grad_enabled()

    lib.set_grad_enabled(True)
    with lib.no_grad():
        z = x * 2
        seen["z.requires_grad (set_grad_enabled(True), then no_grad)"] = z.requires_grad
    return lines(seen)


# %%
side_by_side(nesting)

# %% [markdown]
# Both `False`: whatever set the switch last, before the multiplication, decides. The
# order in the code matters, not which manager sounds stronger. And the plain call inside
# the block did not outlive it: `enable_grad().__exit__` restored the "on" it had saved on
# entry, wiping out the plain call's effect.

# %% [markdown]
# ## The three managers side by side
#
# Time to build the comparison table from observations instead of from documentation.
# For each manager we compute `x * 2` inside it twice: once entered from the default
# (recording on) and once entered from inside `no_grad()`. "Records a graph?" is then
# read off, not asserted.
#
# **Predict:** the two `True`/`False` values for each of the four rows.

# %% id="manager-table" tags=["seed:s000-table"]
MANAGERS = {
    "no_grad()": lambda lib: lib.no_grad(),
    "enable_grad()": lambda lib: lib.enable_grad(),
    "set_grad_enabled(True)": lambda lib: lib.set_grad_enabled(True),
    "set_grad_enabled(False)": lambda lib: lib.set_grad_enabled(False),
}


# %%
def observe_managers(lib):
    x = lib.tensor([1.0], requires_grad=True)
    rows = {}
    for name, make in MANAGERS.items():
        with make(lib):
            from_on = (x * 2).requires_grad
        with lib.no_grad(), make(lib):  # make(lib) entered inside no_grad()
            from_off = (x * 2).requires_grad
        rows[name] = (from_on, from_off)
    return rows


side_by_side(observe_managers)

# %%
# The same observations as a table, with the typical use of each manager beside them.
TYPICAL_USE = {
    "no_grad()": "evaluation, inference, updating weights by hand",
    "enable_grad()": "a part that must record inside no_grad() code",
    "set_grad_enabled(True)": "code that trains or evaluates depending on a flag",
    "set_grad_enabled(False)": "(same manager, flag off)",
}
observed = observe_managers(mg)
print()
print(f"{'manager':<25} {'records? (from on)':<19} {'records? (from off)':<20} typical use")
for name, (from_on, from_off) in observed.items():
    print(f"{name:<25} {from_on!s:<19} {from_off!s:<20} {TYPICAL_USE[name]}")

# %% [markdown]
# `no_grad()` never records, `enable_grad()` always does, `set_grad_enabled(mode)`
# records exactly when `mode` is True. None of them cares what was on before: each sets
# the switch, and innermost wins.

# %% [markdown]
# ## Threads do not share modes
#
# The state is a `threading.local`, so a mode entered in one thread is invisible in
# another. We start a real `threading.Thread` *from inside* a `no_grad()` block.
#
# **Predict:** what does `is_grad_enabled()` return in the worker thread? And what
# does `(x * 2).requires_grad` give there?


# %% id="thread-local" tags=["seed:s002-thread-local"]
def thread_local(lib):
    x = lib.tensor([1.0], requires_grad=True)
    seen = {}

    def work():
        seen["worker: is_grad_enabled()"] = lib.is_grad_enabled()
        seen["worker: (x * 2).requires_grad"] = (x * 2).requires_grad

    with lib.no_grad():
        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
        seen["main, in no_grad(): is_grad_enabled()"] = lib.is_grad_enabled()
    return lines(seen)


# %%
side_by_side(thread_local)

# %% [markdown]
# The worker records, although it was started inside `no_grad()`: a new thread begins
# with grad on. If work is sent to other threads (a thread pool, a data-loading worker),
# enter the mode *in* the function those threads run, for example by decorating it.

# %% [markdown]
# ## Optional: decorated generators
#
# *An optional section: nothing after it in this chapter uses it; skip to
# "`inference_mode()`" if you are short of time.*
#
# A generator function runs in pieces: up to a `yield`, then back to the caller, then on
# again at the next `next()`. A mode used as a decorator on a generator function is
# entered around each piece, and left while the caller runs. The wrapper does this:

# %%
show_source(grad_mode._GradModeContext._wrap_generator)

# %% [markdown]
# Compare that with a `with no_grad():` block written *inside* the generator: the block
# is still open while the generator is suspended at `yield`, so the caller runs inside it
# too, until the generator finishes or is closed.
#
# **Predict:** for each generator, is grad mode on inside it at the first `yield`, and in
# the caller between two `next()` calls?


# %%
def watch_generators(lib, generator_functions):
    """Grad mode inside each generator at a yield, and in the caller around it."""
    seen = {}
    for name, gen_fn in generator_functions.items():
        gen = gen_fn()
        seen[f"{name}: inside at yield"] = next(gen)
        seen[f"{name}: caller between next() calls"] = lib.is_grad_enabled()
        gen.close()  # finishes the generator, which closes its block
        seen[f"{name}: caller after close()"] = lib.is_grad_enabled()
    return lines(seen)


# %%
def generators(lib):
    x = lib.tensor([1.0], requires_grad=True)

    @lib.no_grad()
    def decorated():
        for _ in range(2):
            yield lib.is_grad_enabled(), (x * 2).requires_grad

    def block_inside():
        with lib.no_grad():
            for _ in range(2):
                yield lib.is_grad_enabled(), (x * 2).requires_grad

    generator_functions = {"@no_grad() generator": decorated, "with no_grad() inside": block_inside}
    return watch_generators(lib, generator_functions)


# %%
side_by_side(generators)

# %% [markdown]
# Inside, both generators see recording off. Between steps, the decorated one hands the
# caller its own mode back; the other leaks `no_grad()` into the caller until it is
# closed. So: decorate generators, don't `yield` from inside a mode block.

# %% [markdown]
# ## `inference_mode()`: `no_grad()` and a promise
#
# `inference_mode()` turns recording off like `no_grad()`, and in addition marks every
# tensor made inside as an **inference tensor**: a promise that it will never take part
# in autograd. PyTorch uses that promise to skip bookkeeping (such tensors do not even
# have a version counter). In minigrad the mode is one more `_new_state`, plus a flag.

# %%
show_source(mg.inference_mode._new_state)

# %% [markdown]
# **Predict:** `y` is made in `inference_mode()`, `n` in `no_grad()`. `requires_grad` and
# `is_inference()` of each?


# %%
def inference_vs_no_grad(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with lib.inference_mode():
        y = x * 2
        inside = (lib.is_grad_enabled(), lib.is_inference_mode_enabled())
    with lib.no_grad():
        n = x * 2
    seen = {"in inference_mode(): is_grad_enabled, is_inference_mode_enabled": inside}
    seen["y: requires_grad, is_inference()"] = (y.requires_grad, y.is_inference())
    seen["n: requires_grad, is_inference()"] = (n.requires_grad, n.is_inference())
    return lines(seen)


side_by_side(inference_vs_no_grad)

# %% [markdown]
# Both record nothing; only `y` is an inference tensor. The difference shows later, when
# `y` meets autograd outside the block. A node may not **save** an inference tensor, and
# an inference tensor may not be changed in place outside inference mode. An op that
# saves nothing (`add`, chapter 6) is fine.
#
# **Predict:** which of these four lines raise?


# %%
def inference_tensor_errors(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with lib.inference_mode():
        y = x * 2
    seen = {}
    for name, action in [
        ("x + y   (add saves nothing)", lambda: (x + y).grad_fn.name()),
        ("x * y   (mul saves y)", lambda: (x * y).grad_fn.name()),
        ("y.add_(1) outside", lambda: y.add_(1)),
        ("x * y.clone()", lambda: (x * y.clone()).grad_fn.name()),
    ]:
        seen[name] = outcome(action)
    return lines(seen)


# %%
side_by_side(inference_tensor_errors)

# %% [markdown]
# The fix is in the message: `y.clone()` outside inference mode is a normal tensor. If
# you are unsure whether results will be reused with autograd, `no_grad()` is the safe
# choice; `inference_mode()` is for code that only ever predicts.
#
# `inference_mode(False)` switches inference mode off again inside a block.
#
# **Predict:** inside `inference_mode(False)`, is recording on? Does it matter whether the
# enclosing block is `inference_mode()` or `no_grad()`?


# %%
def inference_mode_false(lib, outer="inference_mode"):
    x = lib.tensor([1.0], requires_grad=True)
    seen = {}
    with getattr(lib, outer)():
        seen[f"in {outer}(): is_grad_enabled"] = lib.is_grad_enabled()
        with lib.inference_mode(False):
            y = x * 2
            key = "  inference_mode(False): is_grad_enabled, y.requires_grad, y.is_inference()"
            seen[key] = (lib.is_grad_enabled(), y.requires_grad, y.is_inference())
    return lines(seen)


side_by_side(inference_mode_false)
side_by_side(lambda lib: inference_mode_false(lib, "no_grad"))

# %% [markdown]
# Recording is on in both: `_new_state` above gives `inference_mode(False)` the state
# (grad on, inference off), whatever encloses it. So it is not "undo the inference
# block", it is one more setting, and like every other one the innermost wins.

# %% [markdown]
# ## Optional: a walk-through, a table of nestings and its picture
#
# *An optional section: it practises the rules above on longer nestings; the summary
# follows it.*
#
# Now all four modes at once. For each program below, write down, level by level,
# `is_grad_enabled()` and `(x * 2).requires_grad` if `x * 2` were computed right there
# (`x` requires grad). Lines without `with` are plain calls.
#
# ```python
# # A
# with no_grad():
#     with enable_grad():
#         set_grad_enabled(False)
# # B
# set_grad_enabled(False)
# with enable_grad():
#     with no_grad():
#         with set_grad_enabled(True):
#             ...
# # C
# with inference_mode():
#     with no_grad():
#         with inference_mode(False):
#             set_grad_enabled(False)
# ```
#
# **Predict** all of it before running the next cell.

# %%
NESTINGS = {
    "A": ["no_grad", "enable_grad", ("set_grad_enabled", False, "call")],
    "B": [
        ("set_grad_enabled", False, "call"),
        "enable_grad",
        "no_grad",
        ("set_grad_enabled", True),
    ],
    "C": [
        "inference_mode",
        "no_grad",
        ("inference_mode", False),
        ("set_grad_enabled", False, "call"),
    ],
}


# %%
def nesting_table(lib):
    x = lib.tensor([1.0], requires_grad=True)
    lines = []
    for name, levels in NESTINGS.items():
        lines.append(f"{name}:{'':38}is_grad_enabled  (x*2).requires_grad")
        indent = 0
        for row in grad_mode_levels(levels, x):
            code = "    " * indent + row.code
            lines.append(f"   {code:<38}{row.grad_enabled!s:<17}{row.requires_grad}")
            indent += row.code.startswith("with ")
    return "\n".join(lines)


side_by_side(nesting_table)

# %% [markdown]
# `grad_mode_levels` (from `coursekit.viz`) enters the levels from outer to inner with the
# real context managers, computes `x * 2` at each level, and undoes everything at the end.
# Every row is decided by the last line above it that set the switch. In C, the third
# level is the surprising one: `inference_mode(False)` turns recording back on through
# two enclosing "off" blocks.
#
# To play with other nestings, pick levels in the playground below (it runs the same
# function each time a dropdown changes; in a static view of this notebook the widget
# shows only as text).

# %%
x = mg.tensor([1.0], requires_grad=True)
GradModePlayground(x, levels=NESTINGS["A"])

# %% [markdown]
# ### A picture of a nesting
#
# Each block is a box inside the box that encloses it, coloured by the state the switch
# has there; a plain call is a band that runs to the end of its enclosing block. The
# state of each level comes from `grad_mode_levels`, so the picture cannot disagree with
# the engine.

# %%
draw_nestings({"nesting A": NESTINGS["A"], "nesting C": NESTINGS["C"]})

# %% [markdown]
# ## Summary
#
# You can now predict:
# - an operation is recorded when grad mode is on **and** an input requires grad;
#   `is_grad_enabled()` tells you the first;
# - in any nesting, the last setting before a line decides it (innermost wins), and each
#   block's exit restores the state its enter found;
# - `set_grad_enabled(mode)` acts when called: as a plain call it lasts until the next
#   change or until an enclosing block exits;
# - decorated functions run in the mode wherever they are called; decorated generators
#   only while their own code runs;
# - a new thread starts with grad on, whatever the thread that started it had;
# - `inference_mode()` records nothing and makes inference tensors, which cannot be saved
#   for backward or changed in place later; `inference_mode(False)` turns recording on.
#
# **Next:** chapter 8 trains a model, where these modes meet `model.train()` and
# `model.eval()`, which are something else entirely.
