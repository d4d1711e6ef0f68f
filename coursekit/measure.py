"""Measuring what recording a graph costs: saved bytes, memory, time (chapter 09).

Three instruments, from exact to noisy:

- graph_memory(outputs): walk the graph behind some outputs and add up the
  tensors its nodes saved for backward. Exact and deterministic: it depends
  only on shapes and dtypes, so it works the same on any machine.
- memory_during(fn): run fn under tracemalloc and report how much memory its
  result keeps alive and the peak on the way. numpy reports its array buffers
  to tracemalloc, so minigrad's memory is visible; PyTorch's allocator is not.
- best_times(fns): the fastest of several interleaved rounds, in processor
  time. Still noisy (they depend on the machine and on what else it runs):
  repeat them to see how much, print ratios, never raw numbers, in checked
  output. one_thread() makes them steadier.

The graph functions accept minigrad and PyTorch tensors alike (both expose a
node's saved tensors as ``_saved_*`` attributes), so the same walk measures both.
"""

import contextlib
import gc
import math
import sys
import time
import tracemalloc
from typing import NamedTuple

import numpy as np

try:  # numpy >= 2 moved byte_bounds out of the main namespace
    from numpy.lib.array_utils import byte_bounds as _byte_bounds
except ImportError:  # pragma: no cover - numpy 1.x
    _byte_bounds = np.byte_bounds


class GraphMemory(NamedTuple):
    """What a recorded graph holds.

    nodes: backward nodes reachable from the outputs (AccumulateGrad included).
    saved_bytes: bytes of every tensor saved for backward, counted once per
    node that saved it (one tensor saved by two nodes counts twice).
    held_bytes: distinct memory behind those saved tensors that is not part
    of the ``exclude`` tensors (parameters, inputs): the activations that live
    only because the graph keeps them, i.e. what no_grad would free.
    """

    nodes: int
    saved_bytes: int
    held_bytes: int


class MemoryUse(NamedTuple):
    """Bytes traced by tracemalloc while a function ran (relative to its start).

    retained: still allocated when the function had returned, its result alive.
    peak: the most allocated at any moment during the call.
    """

    retained: int
    peak: int


def _as_list(outputs):
    if isinstance(outputs, (list, tuple)):
        return list(outputs)
    return [outputs]


def graph_nodes(outputs):
    """Every node reachable from the outputs' grad_fn, each once, in visiting order.

    Iterative (an explicit stack), so graphs of any depth can be walked.
    Outputs recorded under no_grad have no grad_fn and contribute nothing.
    """
    stack = [t.grad_fn for t in reversed(_as_list(outputs)) if t.grad_fn is not None]
    seen, nodes = set(), []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        stack.extend(fn for fn, _ in reversed(node.next_functions) if fn is not None)
    return nodes


def saved_tensors(node):
    """The tensors a node saved for backward (its ``_saved_*`` attributes that are tensors)."""
    found = []
    for name in dir(node):
        if name.startswith("_saved_"):
            value = getattr(node, name)
            if hasattr(value, "numel") and hasattr(value, "element_size"):
                found.append(value)
    return found


def _nbytes(tensor):
    return tensor.numel() * tensor.element_size()


def node_saved_bytes(node):
    """Bytes of the tensors one node saved: minigrad's own count, or the saved attributes'."""
    own_count = getattr(node, "saved_tensors_nbytes", None)
    if own_count is not None:
        return own_count()
    return sum(_nbytes(t) for t in saved_tensors(node))


def _memory_span(tensor):
    """(first, last) byte address of the memory behind a tensor (a view shares its base's)."""
    return _byte_bounds(tensor.detach().numpy())


def _overlaps(span, spans):
    return any(span[0] < end and start < span[1] for start, end in spans)


def graph_memory(outputs, exclude=()):
    """Nodes, saved bytes and held bytes of the graph behind ``outputs`` (see GraphMemory).

    ``exclude``: tensors whose memory exists anyway (the model's parameters,
    the input batch); saved tensors sharing their memory are not counted as held.
    """
    nodes = graph_nodes(outputs)
    saved = sum(node_saved_bytes(node) for node in nodes)
    excluded = [_memory_span(t) for t in exclude]
    held, counted = 0, set()
    for node in nodes:
        for tensor in saved_tensors(node):
            span = _memory_span(tensor)
            if span in counted or _overlaps(span, excluded):
                continue
            counted.add(span)
            held += span[1] - span[0]
    return GraphMemory(len(nodes), saved, held)


def memory_during(fn, *args):
    """Run ``fn(*args)`` under tracemalloc; return MemoryUse(retained, peak) in bytes.

    Measured from the allocations in place when fn starts, so only fn's own
    allocations count. Python's cyclic garbage collector is paused during the
    call, so it cannot free unrelated objects in the middle of the measurement.
    The result is kept alive until the measurement is read, then dropped (so a
    result holding a graph counts as retained).
    """
    was_tracing, gc_was_enabled = tracemalloc.is_tracing(), gc.isenabled()
    if not was_tracing:
        tracemalloc.start()
    gc.disable()
    try:
        tracemalloc.reset_peak()
        start, _ = tracemalloc.get_traced_memory()
        result = fn(*args)
        current, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        if gc_was_enabled:
            gc.enable()
        if not was_tracing:
            tracemalloc.stop()
    return MemoryUse(current - start, peak - start)


def best_times(fns, *args, rounds=10, round_seconds=0.002, warmup=1, timer=time.process_time):
    """The fastest CPU seconds per call of each ``fn(*args)``, from interleaved rounds.

    ``warmup`` untimed calls of each function come first (first calls pay for
    caches), then one timed call each picks ``number``: a round runs a
    function ``number`` times in a row, so that a round of the slowest one
    lasts about ``round_seconds`` (short rounds are rarely disturbed, yet long
    enough to dwarf the clock's resolution), and is divided by ``number``.
    The functions take turns round by round, ``rounds`` times, and each keeps
    its fastest round: whatever disturbs a measurement (another program, a
    cache emptied by it) only ever adds time, so the minimum is the closest
    to the work itself.

    The clock is ``time.process_time``: the processor time this process
    used. Wall-clock time also counts the moments when another program had
    the processor, which on a shared machine can be most of the time.
    """
    for fn in fns:
        for _ in range(warmup):
            fn(*args)
    slowest = 0.0
    for fn in fns:
        start = timer()
        fn(*args)
        slowest = max(slowest, timer() - start)
    number = max(1, math.ceil(round_seconds / max(slowest, 1e-9)))
    best = [math.inf] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            start = timer()
            for _ in range(number):
                fn(*args)
            best[i] = min(best[i], (timer() - start) / number)
    return best


@contextlib.contextmanager
def one_thread():
    """Run the block with numpy's BLAS and PyTorch (if imported) on one thread each.

    Timings then compare the work itself: on a busy machine a multi-threaded
    matrix product can spend longer waiting for a free core than computing.
    numpy's threads are limited through threadpoolctl (installed with
    scikit-learn), when it is there; the previous settings come back afterwards.
    """
    with contextlib.ExitStack() as stack:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - depends on the environment
            pass
        else:
            stack.enter_context(threadpool_limits(limits=1))
        torch = sys.modules.get("torch")
        if torch is not None:
            previous = torch.get_num_threads()
            torch.set_num_threads(1)
            stack.callback(torch.set_num_threads, previous)
        yield
