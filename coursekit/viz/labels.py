"""How tensors and backward nodes are written inside the pictures.

A picture of a graph is only as good as its labels: a learner should read a
shape, a dtype and a gradient at a glance. These helpers turn a tensor into
short lines of text. They only use the public tensor API shared by minigrad
and PyTorch (``shape``, ``dtype``, ``detach().tolist()``), so the same labels
come out for both libraries.
"""

from __future__ import annotations

import math
from typing import Any

# Above this many elements a label shows the shape instead of the values:
# a 4x4 matrix still fits in a box, a 10x10 one does not.
MAX_SHOWN_ELEMENTS = 16
VALUES_PER_LINE = 6  # a long vector wraps onto several lines, like a paragraph


def is_tensor(value: Any) -> bool:
    """True for a minigrad or PyTorch tensor (anything with the tensor basics)."""
    return all(hasattr(value, a) for a in ("shape", "dtype", "requires_grad", "grad_fn"))


def node_name(node: Any) -> str:
    """The name of a backward node, as ``node.name()`` gives it.

    PyTorch names the leaf accumulator ``torch::autograd::AccumulateGrad``;
    the pictures drop the C++ namespace so both libraries read ``AccumulateGrad``.
    """
    return node.name().rsplit("::", 1)[-1]


def shape_text(t: Any) -> str:
    """``[3, 3]`` for a matrix, ``scalar`` for a 0-dimensional tensor."""
    dims = list(t.shape)
    return str(dims) if dims else "scalar"


def dtype_text(t: Any) -> str:
    """``float32`` for ``torch.float32`` as well as ``minigrad.float32``."""
    return str(t.dtype).rsplit(".", 1)[-1]


def number_text(value: Any, style: str) -> str:
    """One number the way PyTorch prints it, in one of three styles.

    ``'integral'``: ``9.`` (every float in the tensor is whole);
    ``'fixed'``: ``0.7616`` (4 decimals); ``'sci'``: ``1.0000e-05`` (values
    too small or too large for 4 decimals). Integers and booleans as they are.
    """
    if isinstance(value, (bool, int)):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if style == "integral":
        return f"{value:.0f}."
    return f"{value:.4e}" if style == "sci" else f"{value:.4f}"


def float_style(floats: list[float]) -> str:
    """The style PyTorch would pick for all these floats (see ``number_text``)."""
    finite = [abs(v) for v in floats if math.isfinite(v)]
    if all(v == int(v) for v in finite) and max(finite, default=0) < 1e8:
        return "integral"
    nonzero = [v for v in finite if v]
    if nonzero and (max(nonzero) >= 1e8 or min(nonzero) < 1e-4):
        return "sci"
    return "fixed"


def _flatten(values: Any) -> list:
    """All numbers of a nested list, iteratively (no recursion, any depth)."""
    out, stack = [], [values]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        else:
            out.append(item)
    return out


def value_lines(t: Any, max_elements: int = MAX_SHOWN_ELEMENTS) -> list[str]:
    """The values of a small tensor as lines of text, one matrix row per line.

    Columns are right-aligned so a matrix reads like a matrix. Tensors with
    more than ``max_elements`` elements, or more than 2 dimensions, are
    summarised by their shape: the picture must stay readable.
    """
    return nested_lines(t.detach().tolist(), max_elements)


def nested_lines(values: Any, max_elements: int = MAX_SHOWN_ELEMENTS) -> list[str]:
    """Like ``value_lines``, for values already taken out as (nested) lists."""
    flat = _flatten(values)
    ndim, inner = 0, values
    while isinstance(inner, list):
        ndim += 1
        inner = inner[0] if inner else None
    if ndim > 2 or len(flat) > max_elements:
        return [f"<{_shape_of(values)} values>"]
    style = float_style([v for v in flat if isinstance(v, float)])
    if ndim == 0:
        return [number_text(values, style)]
    rows = values if ndim == 2 else [values]
    cells = [[number_text(v, style) for v in row] for row in rows]
    width = max((len(c) for row in cells for c in row), default=0)
    if ndim == 1:  # a vector: wrapped after VALUES_PER_LINE values, as PyTorch wraps
        cells = [c.rjust(width) for c in cells[0]]
        chunks = [cells[i : i + VALUES_PER_LINE] for i in range(0, len(cells), VALUES_PER_LINE)]
        lines = [" " + ", ".join(chunk) + "," for chunk in chunks] or [" ,"]
        lines[0] = "[" + lines[0][1:]
        lines[-1] = lines[-1][:-1] + "]"
        return lines
    lines = ["[" + ", ".join(c.rjust(width) for c in row) + "]" for row in cells]
    if not lines:
        return ["[]"]
    # A matrix: wrap the rows in one more pair of brackets, as PyTorch does.
    lines[0] = "[" + lines[0]
    lines[1:] = [" " + line for line in lines[1:]]
    lines[-1] += "]"
    return lines


def _shape_of(values: Any) -> str:
    """The shape of nested lists, written like ``shape_text``."""
    dims = []
    while isinstance(values, list):
        dims.append(len(values))
        values = values[0] if values else None
    return str(dims) if dims else "scalar"


def one_line_values(t: Any, max_elements: int = MAX_SHOWN_ELEMENTS) -> str:
    """The values of a small tensor on a single line (for edge labels)."""
    return " ".join(line.strip() for line in value_lines(t, max_elements))


def _number(value: float) -> str:
    return number_text(value, float_style([value]) if isinstance(value, float) else "")


def tensor_lines(t: Any, title: str, show_grads: bool = True) -> list[str]:
    """The label of a tensor box: its name, then shape and dtype, then its role.

    A ``minigrad.Scalar`` (chapters 1-2) has no shape: its box shows its
    value instead. ``.grad`` is read only where PyTorch keeps it (leaves, and
    tensors that called ``retain_grad()``): reading it on another non-leaf warns.
    """
    leaf = t.grad_fn is None
    if is_tensor(t):
        lines = [title, f"{shape_text(t)} {dtype_text(t)}"]
    else:
        lines = [title, f"data={_number(t.data)}"]
    lines.append(f"requires_grad={t.requires_grad}")
    lines.append("leaf" if leaf else "non-leaf")
    if show_grads and (leaf or getattr(t, "retains_grad", False)):
        grad = t.grad
        if grad is not None:
            values = value_lines(grad) if is_tensor(grad) else [_number(grad)]
            lines.append("grad=" + values[0])
            lines.extend("     " + v for v in values[1:])
    return lines


def saved_value_text(value: Any) -> str:
    """How one saved tensor is listed in a node's box: its shape, or a scalar's value."""
    if len(list(value.shape)) == 0:
        return f"{value_lines(value)[0]} (scalar)"
    return shape_text(value)
