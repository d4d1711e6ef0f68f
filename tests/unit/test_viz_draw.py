"""coursekit.viz.layout / draw / dot: pictures of the graph, checked by what they contain.

Layout expectations are small hand-worked cases; drawings are rendered with
matplotlib's Agg backend into a temporary folder and inspected (texts,
colours, that every label fits in its box).
"""

import subprocess
import sys
from itertools import pairwise

import pytest

import minigrad as mg
from coursekit.viz.dot import to_dot
from coursekit.viz.draw import (
    CHAR_WIDTH,
    HIGHLIGHT_COLOR,
    MAX_WIDTH_IN,
    PAD_X,
    box_size,
    draw_graph,
    layout_graph,
)
from coursekit.viz.graph import ROLE_COLORS, build_graph
from coursekit.viz.layout import (
    H_GAP,
    assign_layers,
    closest_in_order,
    count_crossings,
    layered_layout,
)


@pytest.fixture
def agg():
    """matplotlib with its file-only backend; the test is skipped without matplotlib."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    return matplotlib


def to_rgba(color):
    from matplotlib.colors import to_rgba

    return to_rgba(color)


def mm_example():
    x = mg.arange(9).view(3, 3).float()
    y = mg.ones(3, 3, requires_grad=True)
    z = mg.sum(mg.mm(x, y))
    return z, {"x": x, "y": y, "z": z}


def mlp_example():
    """A two-layer network with a penalty: about 30 boxes, several long arrows."""
    mg.manual_seed(0)
    X = mg.randn(8, 4)
    W1 = mg.randn(4, 16, requires_grad=True)
    b1 = mg.zeros(16, requires_grad=True)
    W2 = mg.randn(16, 3, requires_grad=True)
    b2 = mg.zeros(3, requires_grad=True)
    h = mg.relu(X @ W1 + b1)
    out = h @ W2 + b2
    loss = (out**2).mean() + 0.01 * (W1**2).sum() + 0.01 * (W2**2).sum()
    names = {"X": X, "W1": W1, "b1": b1, "W2": W2, "b2": b2, "h": h, "out": out, "loss": loss}
    return loss, names


# --- layout -----------------------------------------------------------------


def test_layers_put_each_box_one_row_below_its_deepest_parent():
    # a -> b -> d and a -> d: d goes below b, not beside it.
    layers = assign_layers(["a", "b", "d"], [("a", "b"), ("b", "d"), ("a", "d")])
    assert layers == {"a": 0, "b": 1, "d": 2}


def test_crossings_are_counted_between_two_rows():
    # a over c, b over d, with a->d and b->c: the two arrows cross once.
    assert count_crossings(["a", "b"], ["c", "d"], [("a", "d"), ("b", "c")]) == 1
    assert count_crossings(["a", "b"], ["d", "c"], [("a", "d"), ("b", "c")]) == 0


def test_barycenter_ordering_uncrosses_a_crossed_pair():
    sizes = {n: (2.0, 1.0) for n in ["a", "b", "c", "d"]}
    layout = layered_layout(sizes, [("a", "d"), ("b", "c")])
    assert layout.crossings == 0
    assert layout.rows[1] == ["d", "c"]


def test_boxes_in_a_row_keep_their_order_and_a_gap():
    # Two boxes 2 em wide that both want x = 0: centres 2 + H_GAP apart, around 0.
    xs = closest_in_order([0.0, 0.0], [2.0, 2.0])
    assert xs == pytest.approx([-(2 + H_GAP) / 2, (2 + H_GAP) / 2])
    # Far apart already: they stay where they want to be.
    assert closest_in_order([0.0, 10.0], [2.0, 2.0]) == pytest.approx([0.0, 10.0])


def test_every_arrow_of_a_real_graph_points_down_and_boxes_do_not_overlap():
    loss, names = mlp_example()
    graph = build_graph(loss, names)
    layout, placed = layout_graph(graph)
    for edge, _, routed in placed:
        if routed:
            src, dst = (edge.dst, edge.src) if edge.kind == "saved" else (edge.src, edge.dst)
            assert layout.y[dst] > layout.y[src]
    sizes = {n.id: box_size(n.lines) for n in graph.nodes}
    for row in layout.rows:
        for left, right in pairwise(row):
            gap = layout.x[right] - layout.x[left] - (sizes[left][0] + sizes[right][0]) / 2
            assert gap >= H_GAP - 1e-9


def test_box_is_as_wide_as_its_longest_line():
    width, height = box_size(["MmBackward0", "saved self: x [3, 3]"])
    assert width == pytest.approx(len("saved self: x [3, 3]") * CHAR_WIDTH + 2 * PAD_X)
    assert height > box_size(["MmBackward0"])[1]


# --- drawing ------------------------------------------------------------------


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _facecolors(fig):
    return {tuple(round(c, 3) for c in p.get_facecolor()) for ax in fig.axes for p in ax.patches}


def _rgba(color):
    return tuple(round(c, 3) for c in to_rgba(color))


def test_drawing_of_mm_example_has_every_label_and_role_colour(agg):
    z, names = mm_example()
    fig = draw_graph(z, names)
    texts = _texts(fig)
    for expected in [
        "z",
        "SumBackward0",
        "MmBackward0",
        "saved self: x [3, 3]",
        "AccumulateGrad",
        "y",
        "x",
        "requires_grad=False",
    ]:
        assert expected in texts
    for role in ["nonleaf", "backward", "accumulate", "leaf", "constant"]:
        assert _rgba(ROLE_COLORS[role]) in _facecolors(fig)
    assert "gradient flow in backward()" in texts  # the legend says what arrows mean
    assert "saved for backward" in texts


def test_drawing_renders_to_a_real_png(tmp_path, agg):
    z, names = mm_example()
    z.backward()
    path = tmp_path / "mm.png"
    draw_graph(z, names).savefig(path, dpi=100)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000
    image = agg.image.imread(path)
    height, width = image.shape[:2]
    assert width > 200 and height > 300
    # The leaf's green and the freed node's orange are really painted.
    pixels = {tuple(round(float(c), 2) for c in px[:3]) for row in image[::3] for px in row[::3]}
    for role in ["leaf", "freed"]:
        wanted = tuple(round(c, 2) for c in to_rgba(ROLE_COLORS[role])[:3])
        assert any(max(abs(a - b) for a, b in zip(p, wanted)) < 0.02 for p in pixels), role


def test_leaf_grad_is_drawn_after_backward_and_can_be_hidden(agg):
    z, names = mm_example()
    z.backward()
    assert "grad=[[ 9.,  9.,  9.]" in _texts(draw_graph(z, names))
    assert "grad=[[ 9.,  9.,  9.]" not in _texts(draw_graph(z, names, show_grads=False))


def test_highlighted_node_gets_a_red_outline(agg):
    z, names = mm_example()
    fig = draw_graph(z, names, highlight=z.grad_fn)
    outlined = [p for p in fig.axes[0].patches if p.get_edgecolor() == to_rgba(HIGHLIGHT_COLOR)]
    assert len(outlined) == 1


def test_drawing_into_given_axes_returns_that_figure(agg):
    import matplotlib.pyplot as plt

    z, names = mm_example()
    fig, ax = plt.subplots(figsize=(4, 6))
    try:
        assert draw_graph(z, names, ax=ax) is fig
        assert "MmBackward0" in [t.get_text() for t in ax.texts]
    finally:
        plt.close(fig)


def test_forty_box_graph_fits_a_notebook_and_every_label_fits_its_box(tmp_path, agg):
    loss, names = mlp_example()
    graph = build_graph(loss, names)
    assert 25 <= len(graph) <= 45
    fig = draw_graph(loss, names)
    assert fig.get_size_inches()[0] <= MAX_WIDTH_IN + 1e-6
    fig.savefig(tmp_path / "mlp.png", dpi=100)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)  # the figure was closed: measure on a fresh canvas
    canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    boxes = [p.get_window_extent(renderer) for p in ax.patches if hasattr(p, "get_boxstyle")]
    inside = 0
    for text in ax.texts:
        if not text.get_bbox_patch():  # box labels (arrow labels carry their own bbox)
            extent = text.get_window_extent(renderer)
            for box in boxes:
                if box.x0 <= extent.x0 <= box.x1 and box.y0 <= extent.y0 <= box.y1:
                    assert extent.x1 <= box.x1 + 1, text.get_text()  # text ends inside
                    inside += 1
                    break
    assert inside >= sum(len(n.lines) for n in graph.nodes)


def test_importing_viz_needs_neither_matplotlib_nor_ipywidgets():
    code = (
        "import sys, coursekit.viz; print('matplotlib' in sys.modules, 'ipywidgets' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_importing_minigrad_needs_no_pictures_and_no_course_package():
    code = "import sys, minigrad; print(*(m in sys.modules for m in ('matplotlib', 'coursekit')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# --- DOT ------------------------------------------------------------------------


def test_dot_text_has_the_same_boxes_and_arrows():
    z, names = mm_example()
    graph = build_graph(z, names)
    dot = to_dot(z, names)
    assert dot.startswith('digraph "minigrad" {') and dot.rstrip().endswith("}")
    ids = {n.title: n.id for n in graph.nodes}
    assert f'{ids["z"]} [label="z\\lscalar float32\\lrequires_grad=True\\lnon-leaf\\l"' in dot
    assert f'fillcolor="{ROLE_COLORS["leaf"]}"' in dot
    for src, dst in [
        ("z", "SumBackward0"),
        ("SumBackward0", "MmBackward0"),
        ("MmBackward0", "AccumulateGrad"),
        ("AccumulateGrad", "y"),
    ]:
        assert f"  {ids[src]} -> {ids[dst]};" in dot
    # x hangs below the node that saved it, joined by a dotted line.
    assert f"  {ids['MmBackward0']} -> {ids['x']} [style=dotted" in dot


def test_dot_escapes_quotes_in_names():
    a = mg.ones(2, requires_grad=True)
    dot = to_dot(a * 2, names={'my "a"': a})
    assert 'my \\"a\\"' in dot
