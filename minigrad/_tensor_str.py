"""How a tensor prints: PyTorch's ``repr`` rules (default print options), on numpy.

1. Over 1000 elements: each dimension longer than 6 shows its first and last 3.
2. One format for all entries, set by the shown finite non-zero ones: scientific
   (``1.0000e-05``) if the largest is above 1e8, the smallest below 1e-4 or their
   ratio above 1000; else ``3.`` if all are whole, else 4 decimals. Entries are
   right-aligned to the widest of them.
3. Layout: ``[`` and one more space of indent per dimension; matrix rows on new
   lines, deeper dimensions separated by blank lines; rows wrap at 80 columns.
4. Suffixes: ``size=`` (empty), ``dtype=`` (non-default), then the caller's;
   one that would overflow the last line starts a new line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# PyTorch's default print options (torch.set_printoptions(profile="default")).
PRECISION = 4  # digits after the decimal point
THRESHOLD = 1000  # more elements than this -> summarise
EDGEITEMS = 3  # entries kept at each end of a summarised dimension
LINEWIDTH = 80  # characters per line before wrapping

PREFIX = "tensor("

# A dtype= suffix is left out for these: float32 is PyTorch's default dtype,
# and int64/bool are what torch.tensor() infers from Python ints and bools.
_IMPLIED_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))


def dtype_suffix_needed(array_dtype, *, empty: bool = False) -> bool:
    """Whether PyTorch's repr shows ``dtype=`` for a tensor of this dtype.

    A non-empty tensor shows its dtype unless it is float32, int64 or bool,
    the dtypes one gets from Python numbers anyway. An empty tensor has no
    entries to hint at its type, so PyTorch shows every dtype but float32.
    """
    dtype = np.dtype(array_dtype)
    return dtype != np.float32 if empty else dtype not in _IMPLIED_DTYPES


def _shown(n: int, summarize: bool) -> list:
    """The indices shown along a dimension of size ``n``; None stands for the "..."."""
    if summarize and n > 2 * EDGEITEMS:
        return [*range(EDGEITEMS), None, *range(n - EDGEITEMS, n)]
    return list(range(n))


def _shown_entries(array: np.ndarray) -> np.ndarray:
    """The entries a summarised print shows: the ends of every long dimension."""
    index = [[i for i in _shown(n, True) if i is not None] for n in array.shape]
    return array[np.ix_(*index)] if array.ndim else array


class _NumberFormat:
    """One format for every entry of a tensor, and the width they are padded to.

    The statistics come from the shown entries only. As in PyTorch, floats are
    measured as doubles (a float32 value widens to double exactly, so each one
    prints from its own float32 value, e.g. ``0.1`` as ``0.1000``).
    """

    def __init__(self, shown: np.ndarray):
        self.is_float = np.issubdtype(shown.dtype, np.floating)
        self.int_mode = True  # every value is a whole number: print "3." style
        self.sci_mode = False
        values = shown.ravel()  # integers and bools print as Python does ("12", "True")
        if self.is_float:
            # nan, inf and zeros say nothing about the scale of the data.
            values = values[np.isfinite(values) & (values != 0)]
        if self.is_float and values.size:
            magnitudes = np.abs(values).astype(np.float64)
            smallest, largest = float(magnitudes.min()), float(magnitudes.max())
            self.int_mode = bool(np.all(values == np.ceil(values)))
            self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        self.width = max((len(self.text(value)) for value in values.tolist()), default=1)

    def text(self, value) -> str:
        """One entry as text."""
        if not self.is_float:
            return str(value)
        if self.sci_mode:
            return f"{value:.{PRECISION}e}"
        if self.int_mode:  # the trailing "." marks a float; "nan" and "inf" get none
            return f"{value:.0f}" + ("." if math.isfinite(value) else "")
        return f"{value:.{PRECISION}f}"

    def __call__(self, value) -> str:
        """One entry as text, right-aligned to the common width."""
        # Values not measured above ("nan", "-0.") may be wider: never cut them.
        return self.text(value).rjust(self.width)


def _format_row(row: np.ndarray, indent: int, summarize: bool, fmt: _NumberFormat) -> str:
    """A 1-d block: entries joined by ", ", wrapped to fit the line width."""
    values = row.tolist()
    cells = [" ..." if i is None else fmt(values[i]) for i in _shown(len(values), summarize)]

    # Every cell counts as width + 2 for the ", " after it; PyTorch sizes the
    # lines by the common width, so all wrapped lines hold the same count.
    per_line = max(1, (LINEWIDTH - indent) // (fmt.width + 2))
    lines = [", ".join(cells[i : i + per_line]) for i in range(0, len(cells), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _format_block(block: np.ndarray, indent: int, summarize: bool, fmt: _NumberFormat) -> str:
    """A block of any rank, nested brackets inside; ``indent`` is its column."""
    if block.ndim == 0:
        return fmt(block.item())
    if block.ndim == 1:
        return _format_row(block, indent, summarize, fmt)

    parts = [
        "..." if i is None else _format_block(block[i], indent + 1, summarize, fmt)
        for i in _shown(block.shape[0], summarize)
    ]

    # Sub-blocks of a 2-d block sit on consecutive lines; each further
    # dimension adds one blank line between them, which shows the nesting.
    separator = "," + "\n" * (block.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(parts) + "]"


def _append_suffixes(text: str, suffixes: Sequence[str], indent: int) -> str:
    """Close the repr with ", suffix" items, each moved to a new line if too long."""
    pieces = [text]
    # PyTorch's running count starts 2 above the true length of the last line
    # and forgets that extra 2 after a line break; we keep its arithmetic so
    # that our breaks land exactly where PyTorch's do.
    used = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        # PyTorch measures "dtype=torch.float64": count our namespace as "torch."
        length = len(suffix.replace("minigrad.", "torch."))
        if used + length + 2 > LINEWIDTH:
            pieces.append(",\n" + " " * indent + suffix)
            used = indent + length
        else:
            pieces.append(", " + suffix)
            used += length + 2
    pieces.append(")")
    return "".join(pieces)


def format_tensor(array: np.ndarray, suffixes: Sequence[str] = ()) -> str:
    """The repr PyTorch prints for a tensor holding ``array``'s data.

    ``suffixes`` are the caller's extra items (``grad_fn=<MulBackward0>`` or
    ``requires_grad=True``), printed in order after the ones PyTorch derives
    from the data itself: ``size=(0, 3)`` for empty tensors that are not 1-d and
    ``dtype=minigrad.float64`` for non-default dtypes. This function decides
    the ``dtype=`` item itself, so a ``dtype=`` item among ``suffixes`` is
    optional and dropped (it is put back in PyTorch's position).
    """
    array = np.asarray(array)
    indent = len(PREFIX)
    own = []

    if array.size == 0:
        body = "[]"
        # Like numpy, a shape that "[]" does not already say is spelled out.
        if array.ndim != 1:
            own.append(f"size={tuple(array.shape)}")
    else:
        summarize = array.size > THRESHOLD
        fmt = _NumberFormat(_shown_entries(array) if summarize else array)
        body = _format_block(array, indent, summarize, fmt)

    if dtype_suffix_needed(array.dtype, empty=array.size == 0):
        own.append(f"dtype=minigrad.{array.dtype.name}")

    extra = [s for s in suffixes if not s.startswith("dtype=")]
    return _append_suffixes(PREFIX + body, own + extra, indent)
