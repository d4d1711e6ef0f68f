"""Nest grad modes and watch what each level does: ``grad_mode_levels`` and a widget.

Grad mode is a single switch per thread, and each context manager sets it on
``__enter__`` and puts back the previous value on ``__exit__``. So in a
nesting the innermost (most recent) setting wins, and leaving a block
restores what was there before it. ``set_grad_enabled(mode)`` sets the
switch as soon as it is *called*, so as a plain call (no ``with``) it lasts
until the next change, or until an enclosing block exits. ``inference_mode``
also turns grad mode off, and its results are inference tensors.
"""

from __future__ import annotations

import html
import importlib
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

# The levels a learner can pick, with the code that each one stands for.
# A third element 'call' means a plain call of set_grad_enabled, not a block.
LEVEL_CODE = {
    ("no_grad",): "with no_grad():",
    ("enable_grad",): "with enable_grad():",
    ("set_grad_enabled", True): "with set_grad_enabled(True):",
    ("set_grad_enabled", False): "with set_grad_enabled(False):",
    ("inference_mode", True): "with inference_mode():",
    ("inference_mode", False): "with inference_mode(False):",
    ("set_grad_enabled", True, "call"): "set_grad_enabled(True)",
    ("set_grad_enabled", False, "call"): "set_grad_enabled(False)",
}


@dataclass
class LevelResult:
    """What one level of the nesting observes (``x * 2`` computed right there)."""

    level: Any  # the level as given, e.g. 'no_grad' or ('set_grad_enabled', False)
    code: str  # the line of code it stands for
    grad_enabled: bool  # is_grad_enabled()
    inference_mode: bool  # is_inference_mode_enabled()
    requires_grad: bool | None  # (x * 2).requires_grad; None if it raised
    is_inference: bool | None  # (x * 2).is_inference()
    error: str | None = None  # 'RuntimeError: ...' if x * 2 raised


def normalize_level(level: Any) -> tuple:
    """A level as a key of ``LEVEL_CODE``: ``'no_grad'`` -> ``('no_grad',)``."""
    key = (level,) if isinstance(level, str) else tuple(level)
    if key == ("inference_mode",):
        key = ("inference_mode", True)
    if key not in LEVEL_CODE:
        choices = ", ".join(repr(k[0] if len(k) == 1 else k) for k in LEVEL_CODE)
        raise ValueError(f"unknown grad-mode level {level!r}; choose from {choices}")
    return key


def library_of(x: Any):
    """The module a tensor comes from: ``torch`` or ``minigrad``."""
    return importlib.import_module(type(x).__module__.split(".")[0])


def observe(lib: Any, x: Any, level: Any = None, code: str = "(outside any block)"):
    """What the current grad mode does to ``x * 2``, as a :class:`LevelResult`."""
    try:
        y = x * 2
        requires_grad, inference, error = y.requires_grad, y.is_inference(), None
    # Any error is part of what the learner should see (e.g. an inference
    # tensor used where it may not be), so it is reported, not raised.
    except Exception as err:  # noqa: BLE001
        requires_grad, inference, error = None, None, f"{type(err).__name__}: {err}"
    return LevelResult(
        level,
        code,
        lib.is_grad_enabled(),
        lib.is_inference_mode_enabled(),
        requires_grad,
        inference,
        error,
    )


def grad_mode_levels(levels: list, x: Any) -> list[LevelResult]:
    """Enter ``levels`` from outer to inner and report what each level sees.

    ``levels`` holds ``'no_grad'``, ``'enable_grad'``, ``'inference_mode'``,
    ``('inference_mode', mode)``, ``('set_grad_enabled', mode)``, or
    ``('set_grad_enabled', mode, 'call')`` for a plain call. At each level
    ``x * 2`` is computed and its ``requires_grad`` read. Everything is undone
    at the end, a plain call's effect included.
    """
    lib = library_of(x)
    keys = [normalize_level(level) for level in levels]
    factories = {
        "no_grad": lambda: lib.no_grad(),
        "enable_grad": lambda: lib.enable_grad(),
        "set_grad_enabled": lambda mode: lib.set_grad_enabled(mode),
        "inference_mode": lambda mode: lib.inference_mode(mode),
    }
    before = lib.is_grad_enabled()
    results = []
    try:
        with ExitStack() as stack:
            for level, key in zip(levels, keys):
                manager = factories[key[0]](*key[1:2])
                if key[-1] != "call":
                    stack.enter_context(manager)
                # A plain call: set_grad_enabled already applied its mode when
                # it was created, so there is nothing to enter.
                results.append(observe(lib, x, level, LEVEL_CODE[key]))
    finally:
        lib.set_grad_enabled(before)  # a plain call at the top level must not leak
    return results


class GradModePlayground:
    """A widget to build a nesting of grad modes and see each level's state.

    Each dropdown is one level, outermost first ("-" leaves it out). The
    table shows, for every level, ``is_grad_enabled()``,
    ``is_inference_mode_enabled()`` and ``(x * 2).requires_grad``, and
    updates whenever a dropdown changes. ``results`` holds the same rows as
    :func:`grad_mode_levels` (the first row is outside any block).
    """

    def __init__(self, x: Any, depth: int = 4, levels: list | None = None):
        import ipywidgets as widgets

        self.x = x
        options = [("-", None)] + [(code, key) for key, code in LEVEL_CODE.items()]
        self.dropdowns = [
            widgets.Dropdown(options=options, value=None, layout=widgets.Layout(width="auto"))
            for _ in range(depth)
        ]
        for dropdown, level in zip(self.dropdowns, levels or []):
            dropdown.value = normalize_level(level)
        for dropdown in self.dropdowns:
            dropdown.observe(lambda change: self.update(), names="value")
        self.table = widgets.HTML()
        labels = [widgets.Label(f"level {i + 1}:") for i in range(depth)]
        self.widget = widgets.VBox(
            [
                widgets.HTML("<b>Nest grad modes</b> (outermost first):"),
                *[widgets.HBox([lab, dd]) for lab, dd in zip(labels, self.dropdowns)],
                self.table,
            ]
        )
        self.results: list[LevelResult] = []
        self.update()

    @property
    def levels(self) -> list:
        """The chosen levels, outermost first (dropdowns left at "-" are skipped)."""
        return [d.value for d in self.dropdowns if d.value is not None]

    def update(self) -> None:
        """Recompute every level and redraw the table."""
        lib = library_of(self.x)
        self.results = [observe(lib, self.x)] + grad_mode_levels(self.levels, self.x)
        self.table.value = self.table_html()

    def table_html(self) -> str:
        """The results as an HTML table: the code, indented as it nests, and the state."""
        rows, indent = [], 0
        for r in self.results:
            code = "&nbsp;" * 4 * indent + html.escape(r.code)
            result = html.escape(r.error) if r.error else str(r.requires_grad)
            rows.append(
                f"<tr><td style='text-align:left'><code>{code}</code></td>"
                f"<td>{r.grad_enabled}</td><td>{r.inference_mode}</td>"
                f"<td><b>{result}</b></td></tr>"
            )
            if r.code.startswith("with "):  # what follows is inside this block
                indent += 1
        return (
            "<table><tr><th style='text-align:left'>code</th><th>is_grad_enabled()</th>"
            "<th>is_inference_mode_enabled()</th><th>(x * 2).requires_grad</th></tr>"
            + "".join(rows)
            + "</table>"
        )

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
