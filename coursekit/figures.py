"""Pictures the lectures draw: the plotting code lives here, and a lecture calls it.

Each function takes the data the lecture computed (or the program to run) and
draws it; what a picture shows is decided by the engine, never by this code.
"""

import matplotlib.pyplot as plt
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
