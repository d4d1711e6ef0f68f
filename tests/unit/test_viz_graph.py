"""coursekit.viz.graph: the graph behind a tensor, walked into plain data.

The expected graphs are PyTorch's, written out by hand: for
``z = sum(mm(x, y))`` with only ``y`` requiring grad, PyTorch records
SumBackward0 -> MmBackward0 -> AccumulateGrad(y), MmBackward0's
``next_functions`` are ``((None, 0), (AccumulateGrad, 0))`` and it saves
only ``self`` (x), the one tensor the gradient of ``mat2`` needs
(d/dy sum(x @ y) = x^T @ ones).
"""

import math
import sys
import warnings

import pytest

import minigrad as mg
from coursekit.viz.graph import ROLE_COLORS, build_graph


def mm_example():
    """Seed 001: x = arange(9).view(3, 3) (no grad), y requires grad, z = sum(mm(x, y))."""
    x = mg.arange(9).view(3, 3).float()
    y = mg.ones(3, 3, requires_grad=True)
    z = mg.sum(mg.mm(x, y))
    return x, y, z


def test_mm_example_is_sum_then_mm_then_accumulate_grad_of_y():
    x, y, z = mm_example()
    graph = build_graph(z, names={"x": x, "y": y, "z": z})
    assert set(graph.edge_titles()) == {
        ("z", "SumBackward0", "grad_fn"),
        ("SumBackward0", "MmBackward0", "next"),
        ("MmBackward0", "AccumulateGrad", "next"),
        ("AccumulateGrad", "y", "variable"),
        ("x", "MmBackward0", "saved"),
    }
    assert len(graph) == 6


def test_mm_edge_to_accumulate_grad_sits_in_slot_one_because_x_needs_no_grad():
    x, y, z = mm_example()
    graph = build_graph(z, names={"x": x, "y": y})
    (edge,) = [e for e in graph.edges if e.kind == "next" and e.src == graph.node("MmBackward0").id]
    assert edge.slot == 1


def test_mm_example_roles_and_colours_follow_what_each_box_is():
    x, y, z = mm_example()
    graph = build_graph(z, names={"x": x, "y": y, "z": z})
    roles = {n.title: n.role for n in graph.nodes}
    assert roles == {
        "z": "nonleaf",
        "SumBackward0": "backward",
        "MmBackward0": "backward",
        "AccumulateGrad": "accumulate",
        "y": "leaf",
        "x": "constant",
    }
    for node in graph.nodes:
        assert node.color == ROLE_COLORS[node.role]
    assert len(set(ROLE_COLORS.values())) == len(ROLE_COLORS)  # every role its own colour


def test_tensor_labels_give_name_shape_dtype_requires_grad_and_leafness():
    x, y, z = mm_example()
    graph = build_graph(z, names={"x": x, "y": y, "z": z})
    assert graph.node("y").lines == ["y", "[3, 3] float32", "requires_grad=True", "leaf"]
    assert graph.node("x").lines == ["x", "[3, 3] float32", "requires_grad=False", "leaf"]
    assert graph.node("z").lines == ["z", "scalar float32", "requires_grad=True", "non-leaf"]


def test_mm_node_lists_x_as_its_only_saved_tensor():
    x, y, z = mm_example()
    graph = build_graph(z, names={"x": x, "y": y})
    mm = graph.node("MmBackward0")
    assert mm.lines == ["MmBackward0", "saved self: x [3, 3]"]
    assert mm.saved == {"self": "x [3, 3]"}


def test_unnamed_output_is_titled_output_and_unnamed_saved_input_tensor():
    _x, _y, z = mm_example()
    graph = build_graph(z)
    assert graph.by_id[graph.root].title == "output"
    # y (a leaf requiring grad) and x (only saved) keep the generic title.
    assert sorted(n.role for n in graph.nodes if n.title == "tensor") == ["constant", "leaf"]


def test_after_backward_leaf_shows_its_grad_and_mm_node_shows_freed():
    x, y, z = mm_example()
    z.backward()
    graph = build_graph(z, names={"x": x, "y": y, "z": z})
    # y.grad = x^T @ ones: the column sums of x = [9, 12, 15] on each row.
    assert graph.node("y").lines[4:] == [
        "grad=[[ 9.,  9.,  9.]",
        "      [12., 12., 12.]",
        "      [15., 15., 15.]]",
    ]
    mm = graph.node("MmBackward0")
    assert mm.role == "freed"
    assert mm.lines == ["MmBackward0", "saved: freed"]
    assert "x" not in [n.title for n in graph.nodes]  # nothing saved any more


def test_show_grads_false_leaves_grad_out_of_labels():
    _x, y, z = mm_example()
    z.backward()
    graph = build_graph(z, names={"y": y}, show_grads=False)
    assert graph.node("y").lines == ["y", "[3, 3] float32", "requires_grad=True", "leaf"]


def test_retain_graph_keeps_the_saved_tensor():
    x, y, z = mm_example()
    z.backward(retain_graph=True)
    graph = build_graph(z, names={"x": x, "y": y})
    assert graph.node("MmBackward0").role == "backward"
    assert "saved self: x [3, 3]" in graph.node("MmBackward0").lines


def test_non_leaf_shows_grad_only_after_retain_grad_and_without_warning():
    a = mg.ones(2, requires_grad=True)
    b = a * 3
    b.retain_grad()
    c = a * 3
    s = (b * c).sum()
    s.backward(retain_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reading c.grad would warn: it must not be read
        graph = build_graph(s, names={"a": a, "b": b, "c": c})
    # ds/db = c = 3
    assert graph.node("b").lines[-1] == "grad=[3., 3.]"
    assert graph.node("c").lines[-1] == "non-leaf"


def test_b_equals_a_times_2_is_mul_then_accumulate_grad():
    a = mg.ones(2, requires_grad=True)
    b = a * 2
    graph = build_graph(b, names={"a": a, "b": b})
    assert graph.edge_titles() == [
        ("b", "MulBackward0", "grad_fn"),
        ("MulBackward0", "AccumulateGrad", "next"),
        ("AccumulateGrad", "a", "variable"),
    ]
    # PyTorch saves the number 2 as `other` (a 0-d tensor); it stays in the label.
    (saved,) = graph.node("MulBackward0").lines[1:]
    assert saved.startswith("saved other: 2") and saved.endswith("(scalar)")


def test_detached_tensor_is_a_lone_leaf_without_grad():
    w = mg.ones(3, 3)
    x = mg.ones(3, 3, requires_grad=True)
    yy = mg.mm(w, x)
    d = yy.detach()
    graph = build_graph(d, names={"d": d})
    assert [(n.title, n.role) for n in graph.nodes] == [("d", "constant")]
    assert graph.node("d").lines[2:] == ["requires_grad=False", "leaf"]
    assert graph.edges == []


def test_detach_leaves_the_graph_of_the_original_intact():
    w = mg.ones(3, 3)
    x = mg.ones(3, 3, requires_grad=True)
    yy = mg.mm(w, x)
    yy.detach()
    s = mg.sum(yy)
    s.backward(retain_graph=True)
    graph = build_graph(s, names={"w": w, "x": x, "yy": yy, "s": s})
    assert ("yy", "MmBackward0", "grad_fn") in graph.edge_titles()
    # x.grad = w^T @ ones: every entry is 3 (seed 001).
    assert graph.node("x").lines[4] == "grad=[[3., 3., 3.]"


def test_named_result_gets_a_box_and_drawn_edges_pass_through_it():
    a = mg.ones(2, requires_grad=True)
    b = a * 2
    c = b * b + a
    graph = build_graph(c, names={"a": a, "b": b, "c": c})
    b_box = graph.node("b")
    assert b_box.role == "nonleaf"
    # PyTorch's edges: the outer MulBackward0 points twice at b's MulBackward0.
    outer = [e for e in graph.edges if e.kind == "next" and e.dst == b_box.id]
    assert outer == []
    drawn = [
        (graph.by_id[d.src].title, graph.by_id[d.dst].title, d.slot)
        for d, _ in graph.drawn_edges()
        if d.kind == "next"
    ]
    assert ("MulBackward0", "b", 0) in drawn and ("MulBackward0", "b", 1) in drawn
    assert ("b", "MulBackward0", "grad_fn") in graph.edge_titles()


def test_leaf_used_twice_has_one_accumulate_grad_with_two_arrows_in():
    a = mg.ones(2, requires_grad=True)
    c = a * 2 + a
    graph = build_graph(c, names={"a": a})
    acc = graph.node("AccumulateGrad")
    assert len([e for e in graph.edges if e.dst == acc.id and e.kind == "next"]) == 2


def test_leaf_output_is_a_single_box():
    a = mg.ones(2, requires_grad=True)
    graph = build_graph(a, names={"a": a})
    assert [(n.title, n.role) for n in graph.nodes] == [("a", "leaf")]


def test_scalar_graph_of_chapter_one_shows_values_names_and_grads():
    a = mg.Scalar(2.0, requires_grad=True)
    b = mg.Scalar(-3.0, requires_grad=True)
    c = a * b
    d = c + a
    e = d.tanh()
    names = {"a": a, "b": b, "c": c, "d": d, "e": e}
    assert set(build_graph(e, names).edge_titles()) == {
        ("e", "TanhBackward0", "grad_fn"),
        ("d", "AddBackward0", "grad_fn"),
        ("c", "MulBackward0", "grad_fn"),
        ("TanhBackward0", "AddBackward0", "next"),
        ("AddBackward0", "MulBackward0", "next"),
        ("AddBackward0", "AccumulateGrad", "next"),  # a, directly
        ("MulBackward0", "AccumulateGrad", "next"),  # a and b
        ("AccumulateGrad", "a", "variable"),
        ("AccumulateGrad", "b", "variable"),
    }
    e.backward()
    graph = build_graph(e, names)
    assert graph.node("c").lines == ["c", "data=-6.", "requires_grad=True", "non-leaf"]
    # de/da = (1 - tanh(d)^2) * (b + 1), de/db = (1 - tanh(d)^2) * a, with d = a*b + a = -4
    local = 1 - math.tanh(-4.0) ** 2
    assert graph.node("a").lines[1:] == [
        "data=2.",
        "requires_grad=True",
        "leaf",
        f"grad={local * (-3.0 + 1):.4f}",
    ]
    assert graph.node("b").lines[-1] == f"grad={local * 2.0:.4f}"


def test_walk_survives_a_chain_longer_than_the_recursion_limit():
    a = mg.ones(1, requires_grad=True)
    t = a
    depth = sys.getrecursionlimit() + 200
    for _ in range(depth):
        t = t + 1
    graph = build_graph(t, show_saved=False)
    # the output, `depth` AddBackward0 nodes, AccumulateGrad and the leaf
    assert len(graph) == depth + 3


def _examples(lib):
    """The seed examples built with ``lib`` (torch or minigrad), and their names."""
    x = lib.arange(9).view(3, 3).float()
    y = lib.ones(3, 3, requires_grad=True)
    a = lib.ones(2, requires_grad=True)
    b = a * 2
    c = lib.tanh(b * b + a)
    names = {"x": x, "y": y, "a": a, "b": b, "c": c}
    return {"mm": lib.sum(lib.mm(x, y)), "tanh": c.sum(), "times2": b}, names


def _same_graph_data(key):
    import torch

    (mg_outs, mg_names), (t_outs, t_names) = _examples(mg), _examples(torch)
    ours, ref = build_graph(mg_outs[key], mg_names), build_graph(t_outs[key], t_names)
    assert sorted(ours.edge_titles()) == sorted(ref.edge_titles())
    assert sorted((n.role, n.lines) for n in ours.nodes) == sorted(
        (n.role, n.lines) for n in ref.nodes
    )


@pytest.mark.torch_live
def test_pytorch_and_minigrad_give_the_same_graph_data_for_the_mm_example():
    _same_graph_data("mm")


@pytest.mark.torch_live
@pytest.mark.parametrize("key", ["tanh", "times2"])
def test_pytorch_and_minigrad_give_the_same_graph_data_with_a_python_number(key):
    _same_graph_data(key)
