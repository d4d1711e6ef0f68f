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
accumulate exactly as after ``z.backward(retain_graph=True)``.
"""

from __future__ import annotations

import html
from collections import namedtuple
from dataclasses import dataclass
from typing import Any

from .draw import draw_graph_data, gap_for_labels, merged_edge_labels
from .graph import GraphData, build_graph
from .labels import is_tensor, nested_lines, node_name

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

    index: int
    node: str  # name(), e.g. 'MmBackward0'
    node_id: str | None  # the node's box in the graph
    grad_output: Any  # the gradient flowing into the node
    grad_inputs: list[InputGrad]  # what flows out, one per next_functions entry


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
    from minigrad.engine import trace_backward

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
    for i, step in enumerate(trace(tensor, gradient)):
        box = graph.find(step.node)
        inputs = []
        for slot, (nxt, _) in enumerate(step.node.next_functions):
            grad = step.grad_inputs[slot] if slot < len(step.grad_inputs) else None
            target, target_id = _target(graph, nxt)
            inputs.append(InputGrad(slot, target, target_id, _values(grad)))
        steps.append(
            BackwardStep(
                i, node_name(step.node), box.id if box else None, _values(step.grad_output), inputs
            )
        )
    return graph, steps


def backward_steps(
    tensor: Any, names: dict[str, Any] | None = None, gradient: Any = None
) -> list[BackwardStep]:
    """The steps of ``tensor.backward(gradient)``, in the order the engine ran them.

    Each step says which node ran, the gradient that flowed into it, and the
    gradient it sent to each of its inputs. This runs a real backward pass:
    the leaves' ``.grad`` accumulate, and the graph is kept (retain_graph).
    """
    return steps_with_graph(tensor, names, gradient)[1]


def _text(values: Any) -> str:
    """Gradient values written for an arrow's label (a matrix keeps its rows)."""
    return "None" if values is None else "\n".join(nested_lines(values))


class BackwardStepper:
    """A widget that replays backward on the graph, one node per click.

    Buttons Next / Back / Reset move through the steps; the picture outlines
    the node that runs and writes on each arrow the gradient it carried;
    the text under it lists the gradient flowing in and what goes to each
    input. ``position`` counts the steps taken (0: backward not started).
    Create it, then display it (last line of a cell); the whole backward pass
    runs once, when it is created.
    """

    def __init__(self, tensor: Any, names: dict[str, Any] | None = None, gradient: Any = None):
        import ipywidgets as widgets

        self.graph, self.steps = steps_with_graph(tensor, names, gradient)
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
        self.next_button.on_click(lambda _: self.go(self.position + 1))
        self.back_button.on_click(lambda _: self.go(self.position - 1))
        self.reset_button.on_click(lambda _: self.go(0))
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.status = widgets.HTML()
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.back_button, self.next_button, self.reset_button]),
                self.status,
                self.image,
            ]
        )
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
                    labels[(e.src, e.dst, e.slot)] = "grad +=\n" + _text(step.grad_output)
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
        return (
            f"<b>Step {self.position} of {n}: {html.escape(step.node)}</b><br>"
            f"gradient flowing in:<pre style='margin:0'>{html.escape(_text(step.grad_output))}"
            "</pre><table><tr><th>input</th><th>goes to</th><th>gradient sent</th></tr>"
            f"{rows}</table>"
        )

    def render(self) -> None:
        """Redraw the picture and the text for the current position."""
        import io

        step = self.current
        title = f"step {self.position} of {len(self.steps)}"
        if step is not None:
            title += f": {step.node} runs"
        labels, latest = self.edge_labels()
        self.figure = draw_graph_data(
            self.graph,
            highlight=[step.node_id] if step and step.node_id else [],
            edge_labels=labels,
            emphasize=latest,
            title=title,
            v_gap=self.v_gap,
        )
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=100)
        self.image.value = buffer.getvalue()
        self.status.value = self.status_html()
        self.back_button.disabled = self.position == 0
        self.next_button.disabled = self.position == len(self.steps)

    def _repr_mimebundle_(self, **kwargs):
        # Displaying the stepper displays its widget.
        return self.widget._repr_mimebundle_(**kwargs)
