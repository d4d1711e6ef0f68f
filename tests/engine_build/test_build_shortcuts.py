"""No shortcut: importing minigrad's answer for a piece earns nothing.

The check refuses the reference object itself, a copy of its code, a class
built on it, a class borrowing its methods and code that calls it through a
name the learner kept; code that reaches it some other way finds it
switched off while the check runs.
"""

import types

import numpy as np
import pytest

import minigrad as mg
from coursekit.engine_build import trials
from minigrad import engine, function, grad_mode, graph, scalar

REFERENCE_UNBROADCAST = function.unbroadcast


def unbroadcast_calling_a_kept_name(grad, shape):
    return REFERENCE_UNBROADCAST(grad, shape)


KEPT = {"unbroadcast": function.unbroadcast}


def unbroadcast_through_a_dict(grad, shape):
    return KEPT["unbroadcast"](grad, shape)


class SavedTensorSubclass(graph.SavedTensor):
    pass


class SavedTensorBorrowing:
    def __init__(self, tensor):
        self.tensor, self.version, self.is_output = tensor, tensor._version, False

    unpack = graph.SavedTensor.unpack


class GradModeOnMinigrads(grad_mode._GradModeContext):
    def __init__(self, mode):
        self.mode = mode

    def _new_state(self):
        return self.mode, grad_mode.is_inference_mode_enabled()


ENGINE = {"accumulate_grad": engine.accumulate_grad}


def accumulate_through_the_engine(leaf, grad):
    ENGINE["accumulate_grad"](leaf, grad)


SHORTCUTS = [
    ("ch03.unbroadcast", "the reference itself", function.unbroadcast, "refused"),
    (
        "ch03.unbroadcast",
        "a copy of its code",
        types.FunctionType(function.unbroadcast.__code__, vars(function), "unbroadcast"),
        "refused",
    ),
    ("ch03.unbroadcast", "a kept name", unbroadcast_calling_a_kept_name, "refused"),
    ("ch03.unbroadcast", "a kept reference in a dict", unbroadcast_through_a_dict, "failed"),
    ("ch02.topological_order", "the reference itself", scalar.topological_order, "refused"),
    ("ch02.run_backward", "another piece's reference", scalar.topological_order, "refused"),
    ("ch06.SavedTensor", "the reference itself", graph.SavedTensor, "refused"),
    ("ch06.SavedTensor", "a one-line subclass", SavedTensorSubclass, "refused"),
    ("ch06.SavedTensor", "a borrowed method", SavedTensorBorrowing, "refused"),
    ("ch07.GradMode", "minigrad's no_grad", mg.no_grad, "refused"),
    ("ch07.GradMode", "built on minigrad's base class", GradModeOnMinigrads, "refused"),
    ("ch07.GradState", "minigrad's state class", grad_mode._GradState, "refused"),
    (
        "ch04.accumulate_grad",
        "calls the engine's AccumulateGrad",
        accumulate_through_the_engine,
        "failed",
    ),
    ("ch05.detach", "minigrad's Tensor.detach", mg.Tensor.detach, "refused"),
    ("ch08.parameters", "minigrad's Module.parameters", mg.nn.Module.parameters, "refused"),
]


@pytest.mark.parametrize(
    "piece_id, what, obj, status", SHORTCUTS, ids=[f"{s[0]}: {s[1]}" for s in SHORTCUTS]
)
def test_importing_the_answer_earns_nothing(piece_id, what, obj, status):
    verdict = trials.check(piece_id, obj)
    assert not verdict.passed
    assert verdict.status == status, verdict.message


def test_a_reference_reached_at_run_time_is_switched_off_and_says_so():
    verdict = trials.check("ch03.unbroadcast", unbroadcast_through_a_dict)
    assert "switched off" in verdict.message


def _copy(function):
    """Another function object with ``function``'s code (what ``types.FunctionType`` makes)."""
    return types.FunctionType(function.__code__, function.__globals__, function.__name__)


COPIES = {"forward": _copy(scalar.Add.forward), "backward": _copy(scalar.Add.backward)}


class AddCallingCopies(scalar.Function):
    @staticmethod
    def forward(ctx, a, b):
        return COPIES["forward"](ctx, a, b)

    @staticmethod
    def backward(ctx, grad):
        return COPIES["backward"](ctx, grad)


def test_a_copy_of_the_references_code_is_switched_off_with_it_and_works_again_after():
    # A copy kept in a dict passed ch01's Add check before: the guard cannot see it, and
    # switching off changed only minigrad's own function objects.
    verdict = trials.check("ch01.Add", AddCallingCopies)
    assert verdict.status == "failed" and "switched off" in verdict.message, verdict
    assert COPIES["forward"](None, 1.0, 2.0) == 3.0


def test_a_refusal_says_why():
    verdict = trials.check("ch06.SavedTensor", SavedTensorSubclass)
    assert "minigrad.graph.SavedTensor" in verdict.message
    verdict = trials.check("ch03.unbroadcast", unbroadcast_calling_a_kept_name)
    assert "uses minigrad's own minigrad.function.unbroadcast" in verdict.message


def test_the_reference_works_again_after_the_check():
    trials.check("ch03.unbroadcast", unbroadcast_through_a_dict)
    assert np.allclose(function.unbroadcast(mg.ones(2, 3), (3,)).numpy(), [2.0, 2.0, 2.0])
    assert KEPT["unbroadcast"](mg.ones(2, 3), (1, 3)).shape == (1, 3)


def test_a_piece_may_call_another_piece_that_is_minigrads():
    """run_backward calls topological_order by name: minigrad's own is allowed there."""
    namespace = {"topological_order": scalar.topological_order}
    source = (
        "def run_backward(root, grad):\n"
        "    grads = {root: grad}\n"
        "    for node in topological_order(root):\n"
        "        grad = grads.pop(node, None)  # None reached it: it still runs\n"
        "        for (child, _), g in zip(node.next_functions, node(grad)):\n"
        "            if child is not None and g is not None:\n"
        "                grads[child] = grads[child] + g if child in grads else g\n"
    )
    exec(compile(source, "<cell>", "exec"), namespace)
    verdict = trials.check("ch02.run_backward", namespace["run_backward"])
    assert verdict.passed, verdict.message
