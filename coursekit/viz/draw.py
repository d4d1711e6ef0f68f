"""Draw the graph behind a tensor with matplotlib: ``draw_graph(z)``.

Every box is a tensor or a backward node, coloured by its role (see the
legend under the picture). Arrows point the way PyTorch's graph points, from
a node to its ``next_functions``: the way gradients travel during
``backward()``, from the output at the top down to the leaves. A node's box
lists the tensors it saved for its backward formula; an input kept only for
that (it needs no gradient) hangs below the node on a dotted line.

matplotlib is imported only when a picture is drawn, so minigrad itself
does not need it. ``to_dot`` (Graphviz text) is re-exported here too.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from .dot import to_dot  # noqa: F401  (re-exported: both turn a graph into a picture)
from .graph import ROLE_COLORS, ROLE_DESCRIPTIONS, GraphData, build_graph
from .layout import V_GAP, Layout, closest_in_order, layered_layout

# em per character: DejaVu Sans Mono advances 0.602 em, but Agg rounds each
# advance to whole pixels, up to ~0.65 em at small sizes; boxes budget that.
CHAR_WIDTH = 0.64
LINE_HEIGHT = 1.3  # em per line of text in a box
PAD_X, PAD_Y = 0.7, 0.5  # em between a box's border and its text
MARGIN = 1.0  # em around the whole picture
FONT = "DejaVu Sans Mono"  # ships with matplotlib; monospace makes widths exact

# The picture is scaled (through its font size) to fit these, in inches:
# about the width of a notebook cell, so the browser does not shrink it.
# Tall pictures scroll, so height is capped only loosely.
MAX_WIDTH_IN, MAX_HEIGHT_IN = 10.0, 40.0
MAX_FONT_PT, MIN_FONT_PT = 10.0, 7.0

EDGE_COLOR = "#3a3a3a"
SAVED_COLOR = "#8c8c8c"
HIGHLIGHT_COLOR = "#d7191c"
LABEL_COLOR = "#b2182b"
FADED_LABEL_COLOR = "#9e6b6b"


def box_size(lines: list[str]) -> tuple[float, float]:
    """Width and height, in em, of a box that fits these lines of text."""
    width = max(len(line) for line in lines) * CHAR_WIDTH + 2 * PAD_X
    return width, len(lines) * LINE_HEIGHT + 2 * PAD_Y


def draw_graph(
    tensor: Any,
    names: dict[str, Any] | None = None,
    ax: Any = None,
    show_grads: bool = True,
    *,
    show_saved: bool = True,
    highlight: Any = None,
    edge_labels: dict | None = None,
    title: str | None = None,
):
    """Draw the graph behind ``tensor``; return the matplotlib Figure.

    ``names`` gives tensors the learner's names (``{'x': x, 'y': y}``);
    ``show_grads`` writes ``.grad`` into the leaves' boxes once backward has
    run. Pass ``ax`` to draw into your own axes. ``highlight`` is a tensor or
    backward node (or a list of them) to outline in red.
    """
    graph = build_graph(tensor, names, show_grads=show_grads, show_saved=show_saved)
    ids = []
    for obj in highlight if isinstance(highlight, (list, tuple, set)) else [highlight]:
        node = graph.find(obj) if obj is not None else None
        if node is not None:
            ids.append(node.id)
    return draw_graph_data(graph, ax, highlight=ids, edge_labels=edge_labels, title=title)


def layout_graph(graph: GraphData, v_gap: float = V_GAP) -> tuple[Layout, list]:
    """Place the boxes of ``graph``; return the layout and the edges to draw.

    Each drawn edge is ``(edge, origin, routed)``: ``routed`` tells whether
    the layout placed it (a downward arrow) or it is drawn as a free curve.
    A tensor that is only saved (an input that needs no gradient) is laid out
    in the row below the node that saved it, like the node's other inputs.
    """
    drawn, seen_saved = [], set()
    for edge, origin in graph.drawn_edges():
        if edge.kind == "saved":
            if (edge.src, edge.dst) in seen_saved:  # b * b saves b twice: one line
                continue
            seen_saved.add((edge.src, edge.dst))
        drawn.append((edge, origin))
    hanging = graph.saved_only()

    layout_edges, placed = [], []
    for edge, origin in drawn:
        if edge.kind != "saved":
            layout_edges.append((edge.src, edge.dst))
            placed.append((edge, origin, True))
        elif edge.src in hanging:  # a saved-only tensor hangs below its node
            layout_edges.append((edge.dst, edge.src))
            placed.append((edge, origin, True))
        else:
            placed.append((edge, origin, False))
    sizes = {n.id: box_size(n.lines) for n in graph.nodes}
    layout = layered_layout(sizes, layout_edges, v_gap)
    return layout, placed


LABEL_SCALE = 0.85  # edge labels and the legend use a slightly smaller font


def merged_edge_labels(graph: GraphData, edge_labels: dict, emphasize=None) -> dict:
    """Arrow labels gathered per pair of boxes: ``{(src, dst): (text, strong)}``.

    Parallel arrows (``b * b`` sends two gradients to ``b``) share one label
    with a line per slot, ``0: ...`` and ``1: ...``.
    """
    emphasize = set(edge_labels) if emphasize is None else set(emphasize)
    gathered: dict[tuple, list] = {}
    for edge, origin in graph.drawn_edges():
        key = (origin.src, origin.dst, origin.slot)
        if edge.kind != "saved" and edge_labels.get(key):
            gathered.setdefault((edge.src, edge.dst), []).append(
                (origin.slot, edge_labels[key], key in emphasize)
            )
    merged = {}
    for pair, labels in gathered.items():
        if len(labels) == 1:
            text = labels[0][1]
        else:  # one line per slot; continuation lines aligned under the values
            text = "\n".join(
                f"{slot}: " + t.replace("\n", "\n" + " " * (len(str(slot)) + 2))
                for slot, t, _ in labels
            )
        merged[pair] = (text, any(hot for _, _, hot in labels))
    return merged


def spread_labels(labels: list, scale: float, width: float | None = None) -> list:
    """Move arrow labels sideways so that labels in the same gap do not overlap.

    Labels of arrows leaving the same row sit at the same height; sorted by
    x, each keeps its place if it can and otherwise moves the least it must
    (the same rule that keeps boxes apart in a row), so it stays by its arrow.
    With ``width``, a row of labels is shifted to stay within ``[0, width]``.
    """
    rows: dict[float, list] = {}
    for label in labels:
        rows.setdefault(round(label[1], 3), []).append(label)
    for row in rows.values():
        row.sort(key=lambda label: label[0])
        widths = [
            max(len(line) for line in label[2].split("\n")) * CHAR_WIDTH * scale + 0.8
            for label in row
        ]
        xs = closest_in_order([label[0] for label in row], widths, gap=0.3)
        if width is not None:  # keep the whole row of labels inside the picture
            left = min(x - w / 2 for x, w in zip(xs, widths))
            right = max(x + w / 2 for x, w in zip(xs, widths))
            shift = max(0.2 - left, 0.0) or min(width - 0.2 - right, 0.0)
            xs = [x + shift for x in xs]
        for label, x in zip(row, xs):
            label[0] = x
    return labels


def gap_for_labels(labels) -> float:
    """Space between rows, in em, so the tallest arrow label fits between them."""
    lines = max((text.count("\n") + 1 for text, _ in labels), default=0)
    return max(V_GAP, lines * LINE_HEIGHT * LABEL_SCALE + 2.4)


def _legend_items(graph: GraphData, placed: list) -> list[tuple[str, str]]:
    """(kind, text) of each legend entry: the roles present, then the line styles."""
    roles = [r for r in ROLE_COLORS if any(n.role == r for n in graph.nodes)]
    items = [(role, ROLE_DESCRIPTIONS[role]) for role in roles]
    if len(graph) > 1:
        items.append(("arrow", "gradient flow in backward()"))
    if any(e.kind == "saved" and (r or not graph.by_id[e.src].name) for e, _, r in placed):
        items.append(("saved", "saved for backward"))
    return items


def _legend_grid(items, max_width: float, scale: float) -> tuple[list[list], float]:
    """Legend entries in rows of equal columns, as many columns as fit ``max_width`` em."""
    col = max((2.2 + len(text) * CHAR_WIDTH * scale + 1.6 for _, text in items), default=0)
    ncols = max(1, min(len(items), int(max_width // col))) if items else 1
    rows = [items[i : i + ncols] for i in range(0, len(items), ncols)]
    return rows, col


def draw_graph_data(
    graph: GraphData,
    ax: Any = None,
    *,
    highlight: list[str] | None = None,
    edge_labels: dict | None = None,
    emphasize: set | None = None,
    title: str | None = None,
    legend: bool = True,
    v_gap: float | None = None,
    max_size: tuple[float, float] = (MAX_WIDTH_IN, MAX_HEIGHT_IN),
):
    """Draw an already built :class:`GraphData`; return the Figure.

    ``highlight`` lists node ids to outline; ``edge_labels`` maps an edge of
    the graph, as ``(src id, dst id, slot)``, to text written on its arrow
    (the backward stepper writes gradients there); labels whose key is in
    ``emphasize`` are drawn strong, the others faded. Arrows that join the
    same two boxes (``b * b``) share one label, a line per slot. Rows are
    spaced to fit the tallest label, or by ``v_gap`` em if given. A new
    figure's font is scaled so that it fits ``max_size`` (width, height in
    inches), but never below ``MIN_FONT_PT``.
    """
    pair_labels = merged_edge_labels(graph, edge_labels or {}, emphasize)
    if v_gap is None:
        v_gap = gap_for_labels(pair_labels.values())
    layout, placed = layout_graph(graph, v_gap)
    picture = _Picture(graph, layout, title, legend, placed, ax, max_size)
    picture.draw_boxes(set(highlight or []))
    picture.draw_arrows(placed, pair_labels)
    picture.draw_saved_curves(placed)
    picture.draw_legend()
    return picture.fig


class _Picture:
    """One drawing in progress: the axes, the font size, and where things go.

    Everything is measured in em; the font size ``fs`` (points per em) then
    sets the scale, so text and boxes always fit each other.
    """

    def __init__(self, graph, layout, title, legend, placed, ax, max_size):
        import matplotlib.pyplot as plt

        self.graph, self.layout, self.title = graph, layout, title
        self.sizes = {n.id: box_size(n.lines) for n in graph.nodes}
        width = max(layout.width, 24.0 if legend else 0.0)
        if title:  # the title is drawn 1.1 times larger than the boxes' text
            width = max(width, len(title) * CHAR_WIDTH * 1.1)
        items = _legend_items(graph, placed) if legend else []
        self.legend_rows, self.legend_col = _legend_grid(items, width, LABEL_SCALE)
        width = max(width, self.legend_col * max(map(len, self.legend_rows), default=0))
        self.width = width
        self.top = MARGIN + (2.2 if title else 0.0)  # where the graph's first row starts
        legend_h = (1.0 + 1.7 * len(self.legend_rows)) if self.legend_rows else 0.0
        self.total_w = width + 2 * MARGIN
        self.total_h = self.top + layout.height + legend_h + MARGIN
        self.left = MARGIN + (width - layout.width) / 2

        if ax is None:
            fs = min(max_size[0] * 72 / self.total_w, max_size[1] * 72 / self.total_h)
            self.fs = max(min(fs, MAX_FONT_PT), MIN_FONT_PT)
            size = (self.total_w * self.fs / 72, self.total_h * self.fs / 72)
            self.fig = plt.figure(figsize=size)
            # Close it at once: the caller shows the returned figure (a notebook
            # displays it once, instead of once more when the cell ends).
            plt.close(self.fig)
            ax = self.fig.add_axes((0, 0, 1, 1))
        else:
            self.fig = ax.figure
            box = ax.get_window_extent().transformed(self.fig.dpi_scale_trans.inverted())
            fs = min(box.width * 72 / self.total_w, box.height * 72 / self.total_h)
            self.fs = min(fs, MAX_FONT_PT)
        ax.set_xlim(0, self.total_w)
        ax.set_ylim(self.total_h, 0)  # y grows downwards, like the layout's rows
        ax.set_aspect("equal")
        ax.axis("off")
        self.ax = ax
        self.patches = {}
        if title:
            ax.text(MARGIN, MARGIN + 0.8, title, fontsize=self.fs * 1.1, family=FONT,
                    weight="bold", va="center", ha="left")  # fmt: skip

    def at(self, node_id):
        """Centre of a box, in the axes' coordinates."""
        return self.left + self.layout.x[node_id], self.top + self.layout.y[node_id]

    def draw_boxes(self, highlight: set) -> None:
        """A box per node, its text one line at a time (a bold title, then the rest)."""
        from matplotlib.patches import FancyBboxPatch

        for node in self.graph.nodes:
            (w, h), (cx, cy) = self.sizes[node.id], self.at(node.id)
            lit = node.id in highlight
            patch = FancyBboxPatch(
                (cx - w / 2, cy - h / 2),
                w,
                h,
                # backward nodes round, tensors nearly square: two kinds of thing
                boxstyle=f"round,pad=0,rounding_size={0.9 if node.kind == 'node' else 0.2}",
                facecolor=node.color,
                edgecolor=HIGHLIGHT_COLOR if lit else "#555555",
                linewidth=3.0 if lit else (1.6 if node.id == self.graph.root else 0.9),
                zorder=3,
            )
            self.ax.add_patch(patch)
            self.patches[node.id] = patch
            for i, line in enumerate(node.lines):
                self.ax.text(
                    cx - w / 2 + PAD_X,
                    cy - h / 2 + PAD_Y + (i + 0.5) * LINE_HEIGHT,
                    line,
                    fontsize=self.fs,
                    family=FONT,
                    va="center",
                    ha="left",
                    zorder=4,
                    weight="bold" if i == 0 else "normal",
                    color="#111111" if i == 0 else "#333333",
                )

    def _ports(self, routed):
        """Where each arrow leaves and enters its boxes.

        A box's arrows leave its bottom and enter its top side by side, sorted
        by where they go, so that parallel arrows do not sit on each other.
        """
        out_ports, in_ports = {}, {}
        for k, (edge, route) in enumerate(routed):
            out_ports.setdefault(route_src(edge), []).append((route[1][0], k))
            in_ports.setdefault(route_dst(edge), []).append((route[-2][0], k))

        def port_x(ports, node_id, k):
            order = [kk for _, kk in sorted(ports[node_id])]
            step = min(1.4, 0.7 * self.sizes[node_id][0] / len(order))
            return self.at(node_id)[0] + (order.index(k) - (len(order) - 1) / 2) * step

        ports = []
        for k, (edge, route) in enumerate(routed):
            src, dst = route_src(edge), route_dst(edge)
            start, end = port_x(out_ports, src, k), port_x(in_ports, dst, k)
            if len(route) == 2 and len(out_ports[src]) == 1 and len(in_ports[dst]) == 1:
                # The only arrow between two boxes that overlap sideways: straight down.
                (sx, _), (dx, _) = self.at(src), self.at(dst)
                (sw, _), (dw, _) = self.sizes[src], self.sizes[dst]
                low = max(sx - sw / 2, dx - dw / 2) + 1.0
                high = min(sx + sw / 2, dx + dw / 2) - 1.0
                if low <= high:
                    start = end = min(max((start + end) / 2, low), high)
            ports.append((start, end))
        return ports

    def draw_arrows(self, placed, pair_labels) -> None:
        """The arrows the layout routed, and the labels written on them."""
        from matplotlib.patches import FancyArrowPatch
        from matplotlib.path import Path

        routed = [(edge, self.layout.routes[k])
                  for k, (edge, _, _) in enumerate(p for p in placed if p[2])]  # fmt: skip
        labels = []  # [x, y, text, strong], placed once all arrows are known
        for (edge, route), (start, end) in zip(routed, self._ports(routed)):
            src, dst = route_src(edge), route_dst(edge)
            points = [(self.left + x, self.top + y) for x, y in route]
            points[0] = (start, self.at(src)[1] + self.sizes[src][1] / 2)
            points[-1] = (end, self.at(dst)[1] - self.sizes[dst][1] / 2)
            row_end = self.top + self.layout.row_bottom[src]
            gap = 0  # index of the segment crossing the gap below the source's row
            if row_end > points[0][1] + 1e-9:  # a short box: straight down to its row's end
                points.insert(1, (start, row_end))
                gap = 1
            verts, codes = [points[0]], [Path.MOVETO]
            for (x0, y0), (x1, y1) in pairwise(points):
                dy = (y1 - y0) / 2  # vertical tangents: smooth S-shaped bends
                verts += [(x0, y0 + dy), (x1, y1 - dy), (x1, y1)]
                codes += [Path.CURVE4] * 3
            saved = edge.kind == "saved"
            self.ax.add_patch(
                FancyArrowPatch(
                    path=Path(verts, codes),
                    arrowstyle="-" if saved else "-|>",
                    mutation_scale=self.fs * 1.1,
                    color=SAVED_COLOR if saved else EDGE_COLOR,
                    linestyle=(0, (1.5, 2.0)) if saved else "-",
                    linewidth=1.1,
                    shrinkA=0,
                    shrinkB=0,
                    zorder=2,
                )
            )
            label = None if saved else pair_labels.pop((edge.src, edge.dst), None)
            if label:
                # In the gap below the source's row, where no box stands: the
                # middle of that segment (a cubic Bezier with vertical tangents
                # passes through the midpoint of its ends at t = 1/2).
                (x0, y0), (x1, y1) = points[gap], points[gap + 1]
                labels.append([(x0 + x1) / 2, (y0 + y1) / 2, *label])
        self.draw_labels(labels)

    def draw_labels(self, labels) -> None:
        """The arrows' labels, spread so that none covers another."""
        for x, y, text, strong in spread_labels(labels, LABEL_SCALE, self.total_w):
            color = LABEL_COLOR if strong else FADED_LABEL_COLOR
            self.ax.text(
                x,
                y,
                text,
                fontsize=self.fs * LABEL_SCALE,
                family=FONT,
                color=color,
                ha="center",
                va="center",
                zorder=5,
                weight="bold" if strong else "normal",
                bbox={
                    "boxstyle": "round,pad=0.25",
                    "fc": "white",
                    "ec": color,
                    "lw": 1.2 if strong else 0.6,
                    "alpha": 0.95,
                },
            )

    def draw_saved_curves(self, placed) -> None:
        """A dotted curve from an unnamed saved tensor drawn elsewhere to its node.

        A named one needs none: the node's label names it ('saved self: b').
        """
        from matplotlib.patches import FancyArrowPatch

        for edge, _, is_routed in placed:
            if is_routed or self.graph.by_id[edge.src].name:
                continue
            self.ax.add_patch(
                FancyArrowPatch(
                    self.at(edge.src),
                    self.at(edge.dst),
                    patchA=self.patches[edge.src],
                    patchB=self.patches[edge.dst],
                    arrowstyle="-",
                    connectionstyle="arc3,rad=0.3",
                    color=SAVED_COLOR,
                    linestyle=(0, (1.5, 2.0)),
                    linewidth=1.1,
                    zorder=1,
                )
            )

    def draw_legend(self) -> None:
        """Under the graph: a swatch per role present, then the two line styles."""
        from matplotlib.patches import FancyArrowPatch, Rectangle

        y = self.top + self.layout.height + 1.0
        for row in self.legend_rows:
            x = MARGIN + (self.width - self.legend_col * len(self.legend_rows[0])) / 2
            y += 0.85
            for kind, text in row:
                if kind in ROLE_COLORS:
                    swatch = Rectangle((x, y - 0.55), 1.6, 1.1, facecolor=ROLE_COLORS[kind],
                                       edgecolor="#555555", linewidth=0.6)  # fmt: skip
                else:
                    saved = kind == "saved"
                    swatch = FancyArrowPatch(
                        (x, y),
                        (x + 1.8, y),
                        arrowstyle="-" if saved else "-|>",
                        mutation_scale=self.fs,
                        linewidth=1.1,
                        linestyle=(0, (1.5, 2.0)) if saved else "-",
                        color=SAVED_COLOR if saved else EDGE_COLOR,
                        shrinkA=0,
                        shrinkB=0,
                    )
                self.ax.add_patch(swatch)
                self.ax.text(x + 2.2, y, text, fontsize=self.fs * LABEL_SCALE, family=FONT,
                             va="center", ha="left", color="#333333")  # fmt: skip
                x += self.legend_col
            y += 0.85


def route_src(edge) -> str:
    """The box an arrow leaves from in the picture (saved-only tensors hang below)."""
    return edge.dst if edge.kind == "saved" else edge.src


def route_dst(edge) -> str:
    return edge.src if edge.kind == "saved" else edge.dst
