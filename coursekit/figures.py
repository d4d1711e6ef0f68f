"""Pictures the lectures draw: the plotting code lives here, and a lecture calls it.

Each function takes the data the lecture computed (or the program to run) and
draws it; what a picture shows is decided by the engine, never by this code.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

import minigrad as mg
from coursekit.viz import grad_mode_levels

NESTING_COLORS = {"recording": "#a6d96a", "not recording": "#d9d9d9", "inference mode": "#c2a5cf"}


def _state_of(row):
    if row.inference_mode:
        return "inference mode"
    return "recording" if row.grad_enabled else "not recording"


def draw_nesting(levels, ax, title):
    """One nesting of grad modes as boxes in boxes, each coloured by the state it sets.

    A block is inset in its parent; a plain call is a dashed band that fills the rest
    of its parent. The states come from ``grad_mode_levels``, which enters the real
    context managers, so the picture cannot disagree with the engine.
    """
    x = mg.tensor([1.0], requires_grad=True)
    rows = grad_mode_levels(levels, x)
    ax.add_patch(Rectangle((0, 0), 1, 1, fc=NESTING_COLORS["recording"], ec="black"))
    ax.text(0.02, 0.97, "outside: recording", va="top", fontsize=8)
    indent, step, pad = 0, 0.8 / len(rows), 0.04
    for i, row in enumerate(rows):
        top = 0.9 - i * step
        block = row.code.startswith("with ")
        left = pad * (indent + 1) if block else pad * indent + 0.006
        colour = NESTING_COLORS[_state_of(row)]
        style = "-" if block else "--"
        ax.add_patch(
            Rectangle((left, left), 1 - 2 * left, top - left, fc=colour, ec="black", ls=style)
        )
        ax.text(left + 0.01, top - 0.015, row.code, va="top", fontsize=8, family="monospace")
        note = f"x*2 requires_grad={row.requires_grad}"
        ax.text(1 - left - 0.01, top - 0.015, note, va="top", ha="right", fontsize=7)
        indent += block
    ax.set_title(title, fontsize=9)
    ax.set(xlim=(0, 1), ylim=(0, 1))
    ax.axis("off")


def draw_nestings(nestings):
    """Draw each ``{title: levels}`` nesting side by side, with one legend."""
    fig, axes = plt.subplots(1, len(nestings), figsize=(5 * len(nestings), 4))
    for ax, (title, levels) in zip(axes, nestings.items()):
        draw_nesting(levels, ax, title)
    handles = [
        Rectangle((0, 0), 1, 1, fc=c, ec="black", label=k) for k, c in NESTING_COLORS.items()
    ]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    plt.show()


def _same_memory(a, b):
    return np.shares_memory(a._data, b._data)


def _same_counter(a, b):
    return a._version_counter is b._version_counter


def _groups(tensors, same):
    """Names grouped so that each group's tensors are ``same`` as its first one."""
    groups = []
    for name, t in tensors.items():
        group = next((g for g in groups if same(tensors[g[0]], t)), None)
        if group is None:
            groups.append([name])
        else:
            group.append(name)
    return groups


def sharing_groups(tensors):
    """Which of ``{name: tensor}`` share memory, and which share a version counter.

    Returns ``(memory, counters)``: each a list of groups of names, in order of first
    appearance. Memory is shared when numpy says the arrays overlap; a counter is shared
    when it is the same object, so that a change through one is counted for all.
    """
    return _groups(tensors, _same_memory), _groups(tensors, _same_counter)


def draw_sharing(tensors, title="what the tensors share"):
    """Tensors (middle), the memory they read (left), their version counters (right).

    An arrow joins a tensor to its memory and to its counter. The groups come from
    ``sharing_groups``, so the picture shows what the engine holds.
    """
    memory, counters = sharing_groups(tensors)
    height = len(tensors)
    fig, ax = plt.subplots(figsize=(7.5, 0.8 + 0.7 * height))

    def row(i, n):  # the height of box i of n, spread over the tensors' column
        return height - (i + 0.5) * height / n

    def box(x, y, text, colour):
        style = dict(boxstyle="round", fc=colour, ec="black")
        ax.text(x, y, text, ha="center", va="center", fontsize=9, family="monospace", bbox=style)

    def arrow(x_from, y_from, x_to, y_to, colour):
        style = dict(arrowstyle="->", color=colour)
        ax.annotate("", (x_to, y_to), (x_from, y_from), arrowprops=style)

    for j, group in enumerate(memory):
        box(0.13, row(j, len(memory)), f"memory {j + 1}\n{tensors[group[0]].tolist()}", "#fee08b")
    for k, group in enumerate(counters):
        version = tensors[group[0]]._version
        box(0.87, row(k, len(counters)), f"counter {k + 1}\nversion {version}", "#c2a5cf")
    for i, name in enumerate(tensors):
        y = row(i, height)
        box(0.5, y, name, "#a6cee3")
        j = next(j for j, group in enumerate(memory) if name in group)
        k = next(k for k, group in enumerate(counters) if name in group)
        arrow(0.4, y, 0.28, row(j, len(memory)), "#b8860b")
        arrow(0.6, y, 0.77, row(k, len(counters)), "#6a3d9a")
    ax.set(xlim=(0, 1), ylim=(0, height), title=title)
    ax.axis("off")
    plt.show()
