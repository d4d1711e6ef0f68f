"""The graph behind a tensor as Graphviz DOT text: ``to_dot(z)``.

For those who have Graphviz installed (``dot -Tpng graph.dot -o graph.png``,
or the ``graphviz`` Python package). The text describes the same
:class:`~coursekit.viz.graph.GraphData` as ``draw_graph``: the same boxes,
colours and arrows, with arrows pointing the way gradients flow in
``backward()``; dotted lines join nodes to the tensors they saved.
"""

from __future__ import annotations

from typing import Any

from .graph import GraphData, build_graph


def _quote(text: str) -> str:
    """A DOT string literal; each line left-aligned (``\\l`` ends a line)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "\\l".join(escaped.split("\n")) + '\\l"'


def graph_to_dot(graph: GraphData, title: str = "minigrad") -> str:
    """DOT text for an already built graph."""
    lines = [
        f'digraph "{title}" {{',
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fontname="DejaVu Sans Mono", fontsize=10];',
        '  edge [color="#3a3a3a"];',
    ]
    for node in graph.nodes:
        style = '"rounded,filled"' if node.kind == "node" else "filled"
        width = ", penwidth=2" if node.id == graph.root else ""
        lines.append(
            f'  {node.id} [label={_quote(node.label)}, fillcolor="{node.color}", '
            f"style={style}{width}];"
        )
    seen_saved, hanging = set(), graph.saved_only()
    for edge, _ in graph.drawn_edges():
        if edge.kind == "saved":
            if (edge.src, edge.dst) in seen_saved:  # b * b saves b twice: one line
                continue
            seen_saved.add((edge.src, edge.dst))
            dotted = 'style=dotted, dir=none, color="#8c8c8c"'
            if edge.src in hanging:  # written node -> tensor: the tensor goes below
                lines.append(f"  {edge.dst} -> {edge.src} [{dotted}];")
            else:  # constraint=false: this line does not move anything
                lines.append(f"  {edge.src} -> {edge.dst} [{dotted}, constraint=false];")
        else:
            lines.append(f"  {edge.src} -> {edge.dst};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_dot(tensor: Any, names: dict[str, Any] | None = None, show_grads: bool = True) -> str:
    """Graphviz DOT text of the graph behind ``tensor`` (see ``draw_graph``)."""
    return graph_to_dot(build_graph(tensor, names, show_grads=show_grads))
