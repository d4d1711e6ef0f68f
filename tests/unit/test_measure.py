"""coursekit.measure: graph saved bytes (exact), tracemalloc memory, best-of-rounds timing."""

import numpy as np
import pytest

import minigrad as mg
from coursekit import measure


def _mlp(lib):
    """Linear(3, 4) -> ReLU -> Linear(4, 2), float32."""
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))


def test_saved_bytes_of_a_small_mlp_match_the_algebra():
    model = _mlp(mg)
    x = mg.ones(5, 3)
    out = model(x)
    # What each node must keep, at 4 bytes per float32:
    #   first addmm: only x (5x3), since x needs no gradient, W1 is not needed;
    #   ReLU: its result (5x4);
    #   second addmm: its input h (5x4, for W2's gradient) and W2.T (4x2, for h's).
    expected_saved = 4 * (5 * 3 + 5 * 4 + 5 * 4 + 4 * 2)
    # Held only by the graph: h, once (ReLU's result and addmm's input are the same
    # memory); x and the weights exist anyway.
    expected_held = 4 * (5 * 4)
    # Nodes: 2 x (AddmmBackward0, TBackward0, AccumulateGrad w, AccumulateGrad b) + ReLU.
    result = measure.graph_memory(out, exclude=[x, *model.parameters()])
    assert result == measure.GraphMemory(
        nodes=9, saved_bytes=expected_saved, held_bytes=expected_held
    )


def test_without_exclusions_every_distinct_saved_buffer_is_held():
    model = _mlp(mg)
    x = mg.ones(5, 3)
    held = measure.graph_memory(model(x)).held_bytes
    # x, h and W2 (W2.T is a view of W2's memory): 4 bytes each element
    assert held == 4 * (5 * 3 + 5 * 4 + 2 * 4)


def test_nothing_is_recorded_or_saved_under_no_grad():
    model = _mlp(mg)
    with mg.no_grad():
        out = model(mg.ones(5, 3))
    assert measure.graph_memory(out) == measure.GraphMemory(0, 0, 0)


def test_outputs_sharing_a_graph_count_each_node_once():
    x = mg.ones(4, requires_grad=True)
    y = x.exp()  # ExpBackward0 saves its result: 16 bytes
    a, b = y + 1.0, y + 2.0  # AddBackward0 saves nothing
    single = measure.graph_memory([y])
    both = measure.graph_memory([a, b])
    assert single.saved_bytes == 16
    assert both.nodes == single.nodes + 2
    assert both.saved_bytes == single.saved_bytes


def test_node_saved_bytes_agrees_with_the_saved_attributes():
    out = _mlp(mg)(mg.ones(5, 3))
    for node in measure.graph_nodes(out):
        from_attributes = sum(t.numel() * t.element_size() for t in measure.saved_tensors(node))
        assert measure.node_saved_bytes(node) == from_attributes


def test_a_deep_chain_is_walked_without_recursion():
    x = mg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y + 1.0
    assert len(measure.graph_nodes(y)) == 3001  # 3000 AddBackward0 + AccumulateGrad(x)


def test_memory_during_sees_a_numpy_result_that_is_kept():
    use = measure.memory_during(lambda: np.ones(1_000_000))  # 8 MB of float64
    assert 8_000_000 <= use.retained < 8_100_000
    assert use.peak >= use.retained


def test_memory_during_sees_the_peak_of_memory_that_was_freed():
    def temporary():
        big = np.ones(1_000_000)
        return float(big[0])

    use = measure.memory_during(temporary)
    assert use.retained < 100_000
    assert use.peak >= 8_000_000


def test_memory_during_and_best_times_pass_arguments_on():
    seen = []
    measure.memory_during(seen.append, "memory")
    measure.best_times([seen.append], "time", rounds=1, round_seconds=0, warmup=0)
    assert seen == ["memory", "time", "time"]  # best_times: one calibrating call, one round


def test_best_times_keep_the_fastest_round_divided_by_number():
    calls = []
    # The clock is read twice by the calibrating call (1 ms: so 2 calls make a 2 ms
    # round), then twice per round: rounds of 6, 2 and 4 ticks for 2 calls each.
    readings = iter([0, 0.001, 10, 16, 20, 22, 30, 34])
    (best,) = measure.best_times(
        [lambda: calls.append("call")],
        rounds=3,
        round_seconds=0.002,
        warmup=1,
        timer=lambda: next(readings),
    )
    assert best == 1.0  # per call: 6/2, 2/2, 4/2 -> the fastest is 1
    assert len(calls) == 1 + 1 + 3 * 2  # warm-up, calibration, three rounds of two


def test_best_times_interleave_the_functions_round_by_round():
    calls = []
    first, second = (lambda: calls.append("a")), (lambda: calls.append("b"))
    ticks = iter(range(1000))
    measure.best_times(
        [first, second], rounds=2, round_seconds=2, warmup=1, timer=lambda: next(ticks)
    )
    # warm-up ab, calibration ab (each call 1 tick: 2 calls per round), then rounds
    assert "".join(calls) == "ab" + "ab" + "aabb" + "aabb"


def test_memory_during_is_not_disturbed_by_the_garbage_collector():
    import gc

    inside = []
    measure.memory_during(lambda: inside.append(gc.isenabled()))
    assert inside == [False]  # paused during the call
    assert gc.isenabled()  # and switched back on afterwards


def test_one_thread_limits_blas_and_restores_it():
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads():
        return [
            i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"
        ]

    before = blas_threads()
    with measure.one_thread():
        assert all(n == 1 for n in blas_threads())
    assert blas_threads() == before


def test_one_thread_limits_pytorch_and_restores_it():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    with measure.one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_saved_bytes_are_the_same_in_pytorch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (mg, torch):
        model = _mlp(lib)
        x = lib.ones(5, 3)
        results.append(measure.graph_memory(model(x), exclude=[x, *model.parameters()]))
    assert results[0] == results[1]
