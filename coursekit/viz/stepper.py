"""Backward, one node at a time: ``backward_steps(z)`` and ``BackwardStepper(z)``.

``backward()`` runs the graph's nodes in reverse topological order. Each node
receives the gradient of the loss with respect to its output (``grad_output``)
and applies the chain rule to hand one gradient to each entry of its
``next_functions`` (``grad_inputs``; None where an input needs no gradient).
When several arrows reach the same node, the engine adds their gradients
before running it: that is why a node runs only once.

``backward_steps`` records those steps as plain data; ``BackwardStepper`` is
an ipywidgets widget that replays them on the picture of the graph. Both run
one real backward pass (with ``retain_graph=True``), so the leaves' ``.grad``
accumulate exactly as after ``z.backward(retain_graph=True)``. Both number
the steps the same way: step 1 is the first node backward runs, and the
widget's "Step 3 of 6" is the step whose ``index`` is 3.
"""

from __future__ import annotations

import html
import io
from collections import namedtuple
from dataclasses import dataclass
from typing import Any

from minigrad.engine import trace_backward

from .draw import draw_graph_data, gap_for_labels, merged_edge_labels
from .graph import ROLE_COLORS, ROLE_DESCRIPTIONS, GraphData, build_graph
from .labels import is_tensor, nested_lines, node_name, shape_text

# What minigrad.engine.trace_backward returns for each node it ran.
Step = namedtuple("Step", ["node", "grad_output", "grad_inputs"])


@dataclass
class InputGrad:
    """The gradient one node hands to one entry of its ``next_functions``."""

    slot: int  # position in next_functions
    target: str  # 'MulBackward0', 'AccumulateGrad (a)', or 'None' for no entry
    target_id: str | None  # the target's box in the graph, None for 'None'
    grad: Any  # the gradient's values as (nested) lists, None if there is none


@dataclass
class BackwardStep:
    """One node run by backward, as plain data (values as nested lists)."""

    index: int  # 1 for the first node backward runs, as the stepper counts
    node: str  # name(), e.g. 'MmBackward0'
    node_id: str | None  # the node's box in the graph
    grad_output: Any  # the gradient flowing into the node
    grad_inputs: list[InputGrad]  # what flows out, one per next_functions entry
    leaf: str | None = None  # for AccumulateGrad: the leaf whose .grad it adds into

    @property
    def title(self) -> str:
        """How the step is named: 'MulBackward0', or 'AccumulateGrad (a)'."""
        return self.node if self.leaf is None else f"{self.node} ({self.leaf})"


def _values(grad: Any) -> Any:
    """A gradient as plain Python values (tuples of several grads become lists)."""
    if grad is None:
        return None
    if is_tensor(grad):
        return grad.detach().tolist()
    return [_values(g) for g in grad]


def _trace_torch(tensor: Any, gradient: Any) -> list[Step]:
    """PyTorch has no trace_backward: hooks on every node record the same steps.

    A node hook is called as ``hook(grad_inputs, grad_outputs)`` right after
    its node ran; ``grad_inputs`` are the gradients for ``next_functions``.
    """
    nodes, stack, seen = [], [tensor.grad_fn], set()
    while stack:  # every node of the graph, iteratively
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        nodes.append(fn)
        stack.extend(nxt for nxt, _ in fn.next_functions)
    steps, handles = [], []
    for fn in nodes:

        def record(grad_inputs, grad_outputs, fn=fn):
            out = grad_outputs[0] if len(grad_outputs) == 1 else tuple(grad_outputs)
            steps.append(Step(fn, out, tuple(grad_inputs)))

        handles.append(fn.register_hook(record))
    try:
        tensor.backward(gradient, retain_graph=True)
    finally:
        for handle in handles:
            handle.remove()
    return steps


def trace(tensor: Any, gradient: Any = None) -> list[Step]:
    """Run one real backward from ``tensor`` and return the engine's steps."""
    if tensor.grad_fn is None:
        # PyTorch's error for a backward from a tensor outside any graph.
        raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    if type(tensor).__module__.split(".")[0] == "torch":
        return _trace_torch(tensor, gradient)
    return list(trace_backward(tensor, gradient=gradient, retain_graph=True))


def _target(graph: GraphData, nxt: Any) -> tuple[str, str | None]:
    """How a next_functions entry is named in a step: its box's title."""
    if nxt is None:
        return "None", None
    box = graph.find(nxt)
    if box is None:
        return node_name(nxt), None
    leaf = next(
        (graph.by_id[e.dst] for e in graph.edges if e.src == box.id and e.kind == "variable"), None
    )
    if leaf is not None:  # AccumulateGrad (y): which leaf it writes into
        return f"{box.title} ({leaf.title})", box.id
    return box.title, box.id


def steps_with_graph(
    tensor: Any, names: dict[str, Any] | None = None, gradient: Any = None
) -> tuple[GraphData, list[BackwardStep]]:
    """The graph (taken before backward runs) and the steps, matched to its boxes."""
    graph = build_graph(tensor, names, show_grads=False)
    steps = []
    for number, step in enumerate(trace(tensor, gradient), start=1):
        box = graph.find(step.node)
        inputs = []
        for slot, (nxt, _) in enumerate(step.node.next_functions):
            grad = step.grad_inputs[slot] if slot < len(step.grad_inputs) else None
            target, target_id = _target(graph, nxt)
            inputs.append(InputGrad(slot, target, target_id, _values(grad)))
        leaf = None
        if box is not None:
            leaf = next(
                (graph.by_id[e.dst].title for e in graph.edges
                 if e.src == box.id and e.kind == "variable"),
                None,
            )  # fmt: skip
        steps.append(
            BackwardStep(
                number,
                node_name(step.node),
                box.id if box else None,
                _values(step.grad_output),
                inputs,
                leaf,
            )
        )
    return graph, steps


def backward_steps(
    tensor: Any, names: dict[str, Any] | None = None, gradient: Any = None
) -> list[BackwardStep]:
    """The steps of ``tensor.backward(gradient)``, in the order the engine ran them.

    Each step says which node ran, the gradient that flowed into it, and the
    gradient it sent to each of its inputs; ``index`` counts from 1. This runs
    a real backward pass: the leaves' ``.grad`` accumulate, and the graph is
    kept (retain_graph).
    """
    return steps_with_graph(tensor, names, gradient)[1]


def _text(values: Any) -> str:
    """Gradient values written for an arrow's label (a matrix keeps its rows)."""
    return "None" if values is None else "\n".join(nested_lines(values))


# The widget must fit a laptop screen (about 1366x768 or 1280x800, less the
# browser's and JupyterLab's bars) with its buttons and the running node in view
# together: the picture gets at most this many pixels of height, and the
# buttons and the text sit beside it, not above or below.
PICTURE_HEIGHT_PX = 460
PICTURE_WIDTH_PX = 520
SCREEN_DPI = 100  # pixels per inch of the picture as shown
SHARPNESS = 2  # the PNG has this many pixels per shown pixel (crisp on fine screens)


class BackwardStepper:
    """A widget that replays backward on the graph, one node per click.

    Buttons Next / Back / Reset move through the steps; the picture outlines
    the node that runs and writes on each arrow the gradient it carried;
    the text beside it lists the gradient flowing in and what goes to each
    input. ``position`` counts the steps taken (0: backward not started), so
    after ``go(3)`` the widget shows the step whose ``index`` is 3.
    Create it, then display it (last line of a cell); the whole backward pass
    runs once, when it is created.

    To fit a laptop screen, the picture is compact: the leaves and the output
    get a box of one line; results in between are not drawn as boxes (the
    gradient with respect to a result is what the arrow into its node carries).
    """

    def __init__(self, tensor: Any, names: dict[str, Any] | None = None, gradient: Any = None):
        import ipywidgets as widgets

        # Boxes only for the output and for leaves (names of results in between
        # would add a row each).
        names = {name: t for name, t in (names or {}).items() if t is tensor or t.grad_fn is None}
        self.graph, self.steps = steps_with_graph(tensor, names, gradient)
        for box in self.graph.nodes:
            if box.kind == "tensor":
                box.lines = [f"{box.title} {shape_text(box.obj)}"]
        self.figure = None
        # Rows spaced for the labels of the last step, so the picture does
        # not jump while the learner clicks through.
        self.position = len(self.steps)
        final_labels = merged_edge_labels(self.graph, self.edge_labels()[0])
        self.v_gap = gap_for_labels(final_labels.values())
        self.position = 0
        self.next_button = widgets.Button(description="Next", icon="step-forward")
        self.back_button = widgets.Button(description="Back", icon="step-backward")
        self.reset_button = widgets.Button(description="Reset", icon="undo")
        for button in (self.next_button, self.back_button, self.reset_button):
            button.layout = widgets.Layout(width="90px")
        self.next_button.on_click(lambda _: self.go(self.position + 1))
        self.back_button.on_click(lambda _: self.go(self.position - 1))
        self.reset_button.on_click(lambda _: self.go(0))
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML()
        self.legend = widgets.HTML(self.legend_html())
        controls = widgets.VBox(
            [
                widgets.HBox([self.back_button, self.next_button, self.reset_button]),
                self.status,
                self.legend,
            ],
            layout=widgets.Layout(margin="0 16px 0 0", min_width="300px"),
        )
        self.widget = widgets.HBox([controls, self.image])
        self.render()

    @property
    def current(self) -> BackwardStep | None:
        """The step just taken, None before the first one."""
        return self.steps[self.position - 1] if self.position else None

    def go(self, position: int) -> None:
        """Show the state after ``position`` steps (clamped to what exists)."""
        self.position = max(0, min(position, len(self.steps)))
        self.render()

    def edge_labels(self) -> tuple[dict, set]:
        """Text for each arrow that has carried a gradient so far, and the
        keys of those the current step just sent (drawn strong)."""
        labels, latest = {}, set()
        root_edge = next((e for e in self.graph.edges if e.src == self.graph.root), None)
        if root_edge is not None and self.steps:  # the seed gradient (1 for a scalar)
            labels[(root_edge.src, root_edge.dst, root_edge.slot)] = _text(
                self.steps[0].grad_output
            )
        for step in self.steps[: self.position]:
            latest = set()
            for g in step.grad_inputs:
                if g.target_id is not None and g.grad is not None:
                    key = (step.node_id, g.target_id, g.slot)
                    labels[key] = _text(g.grad)
                    latest.add(key)
            for e in self.graph.edges:  # AccumulateGrad writes into the leaf's .grad
                if e.src == step.node_id and e.kind == "variable":
                    labels[(e.src, e.dst, e.slot)] = "grad += " + _text(step.grad_output).replace(
                        "\n", "\n" + " " * len("grad += ")
                    )
                    latest.add((e.src, e.dst, e.slot))
        if self.position == 0:
            latest = set(labels)
        return labels, latest

    def status_html(self) -> str:
        """The text under the buttons: what the current node received and sent."""
        n = len(self.steps)
        step = self.current
        if step is None:
            return (
                f"<b>Step 0 of {n}</b>: backward() has not started. "
                "Click <i>Next</i> to run the first node."
            )
        rows = (
            "".join(
                f"<tr><td>{g.slot}</td><td>{html.escape(g.target)}</td>"
                f"<td><pre style='margin:0'>{html.escape(_text(g.grad))}</pre></td></tr>"
                for g in step.grad_inputs
            )
            or "<tr><td colspan=3>(no inputs: this node ends the walk)</td></tr>"
        )
        if step.leaf is not None:
            rows = f"<tr><td colspan=3>added into the .grad of {html.escape(step.leaf)}</td></tr>"
        return (
            f"<b>Step {step.index} of {n}: {html.escape(step.title)}</b><br>"
            f"gradient flowing in:<pre style='margin:0'>{html.escape(_text(step.grad_output))}"
            "</pre><table><tr><th>input</th><th>goes to</th><th>gradient sent</th></tr>"
            f"{rows}</table>"
        )

    def render(self) -> None:
        """Redraw the picture and the text for the current position."""
        step = self.current
        labels, latest = self.edge_labels()
        self.figure = draw_graph_data(
            self.graph,
            highlight=[step.node_id] if step and step.node_id else [],
            edge_labels=labels,
            emphasize=latest,
            legend=False,  # the legend, and which step this is, are text beside it
            v_gap=self.v_gap,
            max_size=(PICTURE_WIDTH_PX / SCREEN_DPI, PICTURE_HEIGHT_PX / SCREEN_DPI),
        )
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=SCREEN_DPI * SHARPNESS)
        self.image.value = buffer.getvalue()
        width, height = self.figure.get_size_inches() * SCREEN_DPI
        self.image.layout.width = f"{round(width)}px"
        self.image.layout.height = f"{round(height)}px"
        self.status.value = self.status_html()
        self.back_button.disabled = self.position == 0
        self.next_button.disabled = self.position == len(self.steps)

    def legend_html(self) -> str:
        """The colours of the boxes in the picture, as text beside it."""
        roles = [r for r in ROLE_COLORS if any(n.role == r for n in self.graph.nodes)]
        swatch = (
            "<span style='display:inline-block;width:12px;height:12px;background:{};"
            "border:1px solid #555;margin-right:6px;vertical-align:middle'></span>{}"
        )
        items = [swatch.format(ROLE_COLORS[r], html.escape(ROLE_DESCRIPTIONS[r])) for r in roles]
        return "<div style='font-size:90%;margin-top:8px'>" + "<br>".join(items) + "</div>"

    def _repr_mimebundle_(self, **kwargs):
        # Displaying the stepper displays its widget.
        return self.widget._repr_mimebundle_(**kwargs)
