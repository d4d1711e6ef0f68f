"""coursekit.viz widgets: the backward stepper and the grad-mode playground.

The plain functions are checked against gradients worked out by hand (the
chain rule, written in each test) and grad-mode rules as PyTorch 2.13 shows
them; the widgets are driven from Python (button clicks, dropdown values).
"""

import pytest

import minigrad as mg
from coursekit.viz.widgets import backward_steps, grad_mode_levels

ONES_3x3 = [[1.0, 1.0, 1.0]] * 3
# d/dy sum(x @ y) = x^T @ ones: column sums of x = arange(9).view(3, 3).
MM_GRAD = [[9.0, 9.0, 9.0], [12.0, 12.0, 12.0], [15.0, 15.0, 15.0]]


def mm_example():
    x = mg.arange(9).view(3, 3).float()
    y = mg.ones(3, 3, requires_grad=True)
    z = mg.sum(mg.mm(x, y))
    return x, y, z


# --- backward_steps -------------------------------------------------------------------


def test_mm_backward_runs_sum_then_mm_then_accumulate_grad():
    x, y, z = mm_example()
    steps = backward_steps(z, names={"x": x, "y": y})
    assert [s.node for s in steps] == ["SumBackward0", "MmBackward0", "AccumulateGrad"]
    sum_step, mm_step, acc_step = steps
    assert sum_step.grad_output == 1.0  # backward() of a scalar starts from 1
    assert [(g.target, g.grad) for g in sum_step.grad_inputs] == [("MmBackward0", ONES_3x3)]
    assert mm_step.grad_output == ONES_3x3
    # x needs no gradient: its next_functions entry is None, and so is its grad.
    assert [(g.slot, g.target, g.grad) for g in mm_step.grad_inputs] == [
        (0, "None", None),
        (1, "AccumulateGrad (y)", MM_GRAD),
    ]
    assert acc_step.grad_output == MM_GRAD and acc_step.grad_inputs == []


def test_backward_steps_is_a_real_backward_that_keeps_the_graph():
    x, y, z = mm_example()
    backward_steps(z)
    assert y.grad.tolist() == MM_GRAD
    assert x.grad is None
    z.backward()  # the graph was retained: a second backward works and accumulates
    assert y.grad.tolist() == [[2 * v for v in row] for row in MM_GRAD]


def test_b_times_2_sends_2_to_a():
    a = mg.ones(2, requires_grad=True)
    b = a * 2
    steps = backward_steps(b.sum(), names={"a": a})
    assert [s.node for s in steps] == ["SumBackward0", "MulBackward0", "AccumulateGrad"]
    assert steps[1].grad_inputs[0].target == "AccumulateGrad (a)"
    assert steps[1].grad_inputs[0].grad == [2.0, 2.0]  # d(2a)/da = 2
    assert a.grad.tolist() == [2.0, 2.0]  # seed 002: a.grad all 2


def test_gradients_meeting_at_a_leaf_are_summed_before_it_runs_once():
    a = mg.ones(2, requires_grad=True)
    b = a * 2
    c = b * b + a
    steps = backward_steps(c.sum(), names={"a": a, "b": b})
    names = [s.node for s in steps]
    assert names.count("AccumulateGrad") == 1 and len(steps) == 5
    # b * b sends grad * (the other factor) = b = 2 to each of its two inputs,
    # both b: 4 in all, which a * 2 turns into 8 for a ...
    square = next(s for s in steps if s.node == "MulBackward0" and len(s.grad_inputs) == 2)
    assert [g.grad for g in square.grad_inputs] == [[2.0, 2.0], [2.0, 2.0]]
    # ... so dc/da = 1 + 2b * 2 = 1 + 8 = 9 arrives at a's AccumulateGrad in one go.
    assert steps[-1].node == "AccumulateGrad" and steps[-1].grad_output == [9.0, 9.0]


def test_backward_steps_of_a_vector_start_from_the_given_gradient():
    a = mg.ones(2, requires_grad=True)
    v = a * 2
    steps = backward_steps(v, gradient=mg.tensor([1.0, 0.5]))
    assert [(s.node, s.grad_output) for s in steps] == [
        ("MulBackward0", [1.0, 0.5]),
        ("AccumulateGrad", [2.0, 1.0]),  # 2 * the gradient given
    ]


def test_backward_steps_of_a_tensor_made_under_no_grad_raises_pytorch_error():
    a = mg.ones(2, requires_grad=True)
    with mg.no_grad():
        c = a * 2
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        backward_steps(c.sum())


# --- grad_mode_levels -----------------------------------------------------------------


def test_each_level_of_the_nesting_sees_the_innermost_setting():
    x = mg.ones(2, requires_grad=True)
    levels = [
        "no_grad",
        "enable_grad",
        ("set_grad_enabled", False),
        "inference_mode",
        ("inference_mode", False),
    ]
    rows = grad_mode_levels(levels, x)
    assert [r.level for r in rows] == levels
    observed = [(r.grad_enabled, r.inference_mode, r.requires_grad) for r in rows]
    assert observed == [
        (False, False, False),  # no_grad: off
        (True, False, True),  # enable_grad inside it: on again
        (False, False, False),  # set_grad_enabled(False): off
        (False, True, False),  # inference_mode: off, and inference mode on
        # inference_mode(False) turns grad mode on, even inside no_grad / off blocks
        # (PyTorch 2.13: `with no_grad(): with inference_mode(False):` is_grad_enabled() True).
        (True, False, True),
    ]
    assert [r.is_inference for r in rows] == [False, False, False, True, False]
    assert mg.is_grad_enabled() and not mg.is_inference_mode_enabled()  # all undone


def test_plain_set_grad_enabled_call_inside_enable_grad_turns_recording_off():
    # Seed 002: `with enable_grad(): set_grad_enabled(False); y = x * 2` -> no grad.
    x = mg.ones(2, requires_grad=True)
    rows = grad_mode_levels(["enable_grad", ("set_grad_enabled", False, "call")], x)
    assert [r.code for r in rows] == ["with enable_grad():", "set_grad_enabled(False)"]
    assert [r.requires_grad for r in rows] == [True, False]
    assert mg.is_grad_enabled()


def test_plain_call_at_the_top_does_not_leak_out_of_the_function():
    x = mg.ones(2, requires_grad=True)
    (row,) = grad_mode_levels([("set_grad_enabled", False, "call")], x)
    assert row.grad_enabled is False
    assert mg.is_grad_enabled()


def test_unknown_level_is_refused():
    with pytest.raises(ValueError, match="unknown grad-mode level"):
        grad_mode_levels(["no_grads"], mg.ones(1))


# --- the widgets, driven from Python ----------------------------------------------------


@pytest.fixture
def widgets():
    """ipywidgets, and matplotlib drawing to files only; skipped without them."""
    pytest.importorskip("ipywidgets")
    pytest.importorskip("matplotlib").use("Agg")


def test_stepper_buttons_move_through_the_steps(widgets):
    from coursekit.viz.widgets import BackwardStepper

    x, y, z = mm_example()
    stepper = BackwardStepper(z, names={"x": x, "y": y, "z": z})
    assert stepper.position == 0 and stepper.current is None
    assert stepper.back_button.disabled and not stepper.next_button.disabled
    assert "has not started" in stepper.status.value

    stepper.next_button.click()
    stepper.next_button.click()
    assert stepper.position == 2 and stepper.current.node == "MmBackward0"
    assert "MmBackward0" in stepper.status.value and "AccumulateGrad (y)" in stepper.status.value
    assert "[12., 12., 12.]" in stepper.status.value

    stepper.next_button.click()
    assert stepper.position == 3 and stepper.next_button.disabled
    stepper.next_button.click()  # past the end: nothing happens
    assert stepper.position == 3
    stepper.back_button.click()
    assert stepper.position == 2
    stepper.reset_button.click()
    assert stepper.position == 0


def test_stepper_picture_highlights_the_running_node_and_labels_its_arrows(widgets):
    from matplotlib.colors import to_rgba

    from coursekit.viz.draw import HIGHLIGHT_COLOR
    from coursekit.viz.widgets import BackwardStepper

    x, y, z = mm_example()
    stepper = BackwardStepper(z, names={"x": x, "y": y, "z": z})

    def outlined():
        red = to_rgba(HIGHLIGHT_COLOR)
        return [p for p in stepper.figure.axes[0].patches if p.get_edgecolor() == red]

    assert outlined() == []
    stepper.go(2)
    assert len(outlined()) == 1
    assert stepper.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    labels, latest = stepper.edge_labels()
    mm, acc = stepper.graph.node("MmBackward0").id, stepper.graph.node("AccumulateGrad").id
    assert labels[(mm, acc, 1)] == "[[ 9.,  9.,  9.]\n [12., 12., 12.]\n [15., 15., 15.]]"
    assert latest == {(mm, acc, 1)}
    texts = [t.get_text() for t in stepper.figure.axes[0].texts]
    assert labels[(mm, acc, 1)] in texts
    assert "Step 2 of 3: MmBackward0" in stepper.status.value


def chapter_2_expression():
    """Chapter 2's example: L = sum((a * b + a) ** 2), with a and b named."""
    a = mg.tensor([2.0, 1.0], requires_grad=True)
    b = mg.tensor([-3.0, 4.0], requires_grad=True)
    c = a * b
    d = c + a
    L = (d**2).sum()
    return {"a": a, "b": b, "c": c, "d": d, "L": L}


def test_steps_are_numbered_from_one_and_the_stepper_shows_the_same_numbers(widgets):
    from coursekit.viz.widgets import BackwardStepper

    t = chapter_2_expression()
    steps = backward_steps(t["L"], names=t)
    assert [s.index for s in steps] == [1, 2, 3, 4, 5, 6]
    assert [s.title for s in steps] == [
        "SumBackward0",
        "PowBackward0",
        "AddBackward0",
        "MulBackward0",
        "AccumulateGrad (a)",
        "AccumulateGrad (b)",
    ]
    t = chapter_2_expression()
    stepper = BackwardStepper(t["L"], names=t)
    for step in steps:
        stepper.go(step.index)  # the widget after `index` clicks on Next
        assert stepper.current.index == step.index and stepper.current.title == step.title
        assert f"Step {step.index} of 6: {step.title}</b>" in stepper.status.value


def test_an_accumulate_grad_step_names_the_leaf_it_adds_into(widgets):
    from coursekit.viz.widgets import BackwardStepper

    t = chapter_2_expression()
    stepper = BackwardStepper(t["L"], names=t)
    stepper.go(5)
    assert stepper.current.leaf == "a" and stepper.current.grad_output == [16.0, 50.0]
    assert "added into the .grad of a" in stepper.status.value


def test_stepper_fits_a_laptop_screen_beside_its_buttons(widgets):
    # About 1366x768 or 1280x800, less the browser's and JupyterLab's bars: the
    # picture may be at most 460 px tall, and the buttons stand beside it, not
    # above it, so the running node and the buttons are on screen together.
    from coursekit.viz.draw import MIN_FONT_PT
    from coursekit.viz.widgets import BackwardStepper

    t = chapter_2_expression()
    stepper = BackwardStepper(t["L"], names=t)
    controls, picture = stepper.widget.children
    assert picture is stepper.image and type(stepper.widget).__name__ == "HBox"
    assert stepper.next_button in controls.children[0].children
    for position in range(len(stepper.steps) + 1):
        stepper.go(position)
        width, height = stepper.figure.get_size_inches() * 100  # shown at 100 px per inch
        assert height <= 460 and width <= 520
        assert stepper.image.layout.height == f"{round(height)}px"
        sizes = {text.get_fontsize() for text in stepper.figure.axes[0].texts}
        assert min(sizes) >= MIN_FONT_PT * 0.85  # arrow labels are drawn 0.85 times smaller
    # Only the output and the leaves get boxes; results in between are arrows.
    assert sorted(n.name for n in stepper.graph.nodes if n.kind == "tensor") == ["L", "a", "b"]


def test_playground_dropdowns_rebuild_the_table(widgets):
    from coursekit.viz.widgets import GradModePlayground

    x = mg.ones(2, requires_grad=True)
    playground = GradModePlayground(x)
    assert [r.code for r in playground.results] == ["(outside any block)"]
    assert playground.results[0].requires_grad is True

    playground.dropdowns[0].value = ("no_grad",)
    playground.dropdowns[1].value = ("enable_grad",)
    assert [r.requires_grad for r in playground.results] == [True, False, True]
    assert "with enable_grad():" in playground.table.value

    playground.dropdowns[1].value = None  # take the inner level out again
    assert [r.code for r in playground.results] == ["(outside any block)", "with no_grad():"]
    assert playground.results[-1].requires_grad is False
    assert mg.is_grad_enabled()


def test_playground_can_start_from_given_levels(widgets):
    from coursekit.viz.widgets import GradModePlayground

    playground = GradModePlayground(mg.ones(1, requires_grad=True), levels=["inference_mode"])
    assert playground.levels == [("inference_mode", True)]
    assert playground.results[-1].inference_mode is True


# --- the same data from PyTorch ---------------------------------------------------------


@pytest.mark.torch_live
def test_pytorch_gives_the_same_steps_and_grad_mode_levels():
    import torch

    def run(lib):
        # small values keep tanh away from saturation, where float32 rounding
        # of 1 - tanh^2 would differ between the two libraries
        a = lib.full((2,), 0.1, requires_grad=True)
        b = a * 2
        c = lib.tanh(b * b + a)
        steps = backward_steps(c.sum(), names={"a": a, "b": b, "c": c})
        levels = [
            "no_grad",
            "enable_grad",
            ("set_grad_enabled", False),
            "inference_mode",
            ("inference_mode", False),
            ("set_grad_enabled", False, "call"),
        ]
        rows = grad_mode_levels(levels, a)
        return (
            [(s.node, s.grad_output, [(g.target, g.grad) for g in s.grad_inputs]) for s in steps],
            [(r.grad_enabled, r.inference_mode, r.requires_grad, r.is_inference) for r in rows],
        )

    ours, theirs = run(mg), run(torch)
    assert ours[1] == theirs[1]
    assert [s[0] for s in ours[0]] == [s[0] for s in theirs[0]]
    for (_, out, ins), (_, t_out, t_ins) in zip(ours[0], theirs[0]):
        assert out == pytest.approx(t_out, rel=1e-5)
        assert [t for t, _ in ins] == [t for t, _ in t_ins]
        for (_, g), (_, tg) in zip(ins, t_ins):
            assert (g is None) == (tg is None)
            if g is not None:
                assert g == pytest.approx(tg, rel=1e-5)
