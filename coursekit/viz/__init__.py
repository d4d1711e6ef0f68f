"""Pictures of autograd: graph drawings and widgets that teach by playing.

- ``build_graph(z)``: the graph behind a tensor as plain data (``GraphData``).
- ``draw_graph(z, names={'x': x})``: that graph as a matplotlib figure.
- ``to_dot(z)``: the same graph as Graphviz DOT text.
- ``backward_steps(z)`` / ``BackwardStepper(z)``: backward, one node at a time.
- ``grad_mode_levels(levels, x)`` / ``GradModePlayground(x)``: nested grad modes.

These live in the course package, beside the engine: the engine a learner
reads (minigrad/) holds only the engine, as torchviz is not part of torch.
matplotlib and ipywidgets are optional: they are imported only inside the
functions that draw or build widgets, so importing this package needs neither.
"""

from .dot import to_dot
from .draw import draw_graph, draw_graph_data
from .graph import ROLE_COLORS, GraphData, GraphEdge, GraphNode, build_graph
from .widgets import (
    BackwardStepper,
    GradModePlayground,
    backward_steps,
    grad_mode_levels,
)

__all__ = [
    "ROLE_COLORS",
    "BackwardStepper",
    "GradModePlayground",
    "GraphData",
    "GraphEdge",
    "GraphNode",
    "backward_steps",
    "build_graph",
    "draw_graph",
    "draw_graph_data",
    "grad_mode_levels",
    "to_dot",
]
