"""Widgets that teach by playing, each also a plain function returning its data.

- the backward stepper (:mod:`coursekit.viz.stepper`): ``backward_steps(z)``
  and ``BackwardStepper(z)``;
- the grad-mode playground (:mod:`coursekit.viz.grad_mode_playground`):
  ``grad_mode_levels(levels, x)`` and ``GradModePlayground(x)``.

ipywidgets is imported only when a widget is created. Each widget keeps its
controls as attributes (``next_button``, ``dropdowns`` ...) so it can be
driven from Python: ``stepper.next_button.click()``, ``dropdown.value = ...``.
"""

from .grad_mode_playground import GradModePlayground, LevelResult, grad_mode_levels
from .stepper import BackwardStep, BackwardStepper, InputGrad, backward_steps

__all__ = [
    "BackwardStep",
    "BackwardStepper",
    "GradModePlayground",
    "InputGrad",
    "LevelResult",
    "backward_steps",
    "grad_mode_levels",
]
