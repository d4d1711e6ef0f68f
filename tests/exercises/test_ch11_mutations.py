"""Chapter 11's check (the order of your loop) says what is wrong with a wrong prediction,
and how an answer of the wrong form should be written, without giving the order away."""

from __future__ import annotations

from exercise_cells import run_after_setup

PRELUDE = "import minigrad as mg\n"
RIGHT = '["SumBackward0", "MmBackward0", "AccumulateGrad", "AccumulateGrad"]'


def run(answer: str) -> str:
    return run_after_setup(PRELUDE, f"answer_order = {answer}\n", 'check("ch11.order")')


def test_the_right_order_passes():
    assert run(RIGHT) == "PASSED"


def test_two_nodes_swapped_are_named_by_position():
    result = run('["MmBackward0", "SumBackward0", "AccumulateGrad", "AccumulateGrad"]')
    assert "is not what backward gives: the 1st and 2nd items are wrong" in result


def test_a_missing_node_is_told_the_count_is_wrong_without_the_count():
    result = run('["SumBackward0", "MmBackward0", "AccumulateGrad"]')
    assert "the number of items (3) is wrong" in result
    assert "4" not in result.split("Rule")[0]


def test_names_without_backward_are_told_how_a_node_is_named():
    result = run('["Sum", "Mm", "AccumulateGrad", "AccumulateGrad"]')
    assert "a node's name is the operation's name then Backward and a number" in result
    assert "SumBackward0" not in result


def test_one_string_is_told_to_be_a_list():
    result = run('"SumBackward0, MmBackward0, AccumulateGrad, AccumulateGrad"')
    assert "answer with a list, like ['AddBackward0', 'AccumulateGrad']" in result
