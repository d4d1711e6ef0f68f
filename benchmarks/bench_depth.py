"""Depth: backward through chains of 10^4, 10^5 and 10^6 nodes.

``y = x`` then ``y = y * 1.0001`` again and again (float64, so that the
gradient 1.0001**n can be checked): a graph that is one long line. A recursive backward (micrograd's topological sort is one) stops at
Python's recursion limit, about a thousand nodes; minigrad's engine walks the
graph with an explicit stack and a ready queue, so only time and memory grow.
Each row gives the time to build the chain, the time of backward, and the
peak memory of both (tracemalloc, in a separate run: tracing slows Python).
"""

from __future__ import annotations

import gc
import time

from harness import Section, fmt_bytes, fmt_seconds, heading, not_installed, optional, print_table

NAME = "depth"
TITLE = "depth: backward through a chain of y = y * 1.0001"
FACTOR = 1.0001


def _leaf(backend):
    if backend == "minigrad.Tensor":
        import minigrad as mg

        return mg.tensor(1.0, dtype=mg.float64, requires_grad=True)
    if backend == "minigrad.Scalar":
        from minigrad import Scalar

        return Scalar(1.0, requires_grad=True)
    if backend == "torch":
        import torch

        return torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    from micrograd.engine import Value

    return Value(1.0)


def _grad_of(backend, x):
    g = x._grad if backend == "minigrad.Scalar" else x.grad
    return float(g)


def chain(backend, n):
    """(build seconds, backward seconds, gradient) for a chain of n multiplications."""
    x = _leaf(backend)
    start = time.perf_counter()
    y = x
    for _ in range(n):
        y = y * FACTOR
    built = time.perf_counter()
    y.backward()
    done = time.perf_counter()
    return built - start, done - built, _grad_of(backend, x)


def traced_peak(backend, n):
    """Peak memory of building and backpropagating the chain (tracemalloc)."""
    from coursekit import measure

    return measure.memory_during(chain, backend, n).peak


def run(settings):
    heading(TITLE)
    section = Section(NAME, TITLE)
    sizes = (10**4,) if settings.quick else (10**4, 10**5, 10**6)
    backends = ["minigrad.Tensor", "minigrad.Scalar"]
    for optional_backend in ("torch", "micrograd"):
        if optional(optional_backend) is not None:
            backends.append(optional_backend)
        else:
            section.note(not_installed(optional_backend))
    header = [
        "backend",
        "nodes",
        "build",
        "backward",
        "backward/node",
        "peak (traced)",
        "per node",
        "result",
    ]
    rows = []
    for backend in backends:
        for n in sizes:
            record = {"backend": backend, "nodes": n}
            try:
                gc.collect()
                build, backward, grad = chain(backend, n)
            except RecursionError:
                rows.append([backend, n, "-", "-", "-", "-", "-", "RecursionError"])
                section.rows.append(record | {"error": "RecursionError"})
                break  # deeper chains fail the same way
            expected = FACTOR**n
            ok = abs(grad - expected) <= 1e-3 * expected
            # Traced memory for minigrad (numpy and Python objects are visible to
            # tracemalloc; PyTorch's C++ allocations are not, so no figure for it).
            peak = traced_peak(backend, n) if backend.startswith("minigrad") else None
            rows.append(
                [
                    backend,
                    n,
                    fmt_seconds(build),
                    fmt_seconds(backward),
                    fmt_seconds(backward / n),
                    fmt_bytes(peak),
                    fmt_bytes(peak // n) if peak else "-",
                    "ok" if ok else f"wrong gradient {grad:.4g}",
                ]
            )
            section.rows.append(
                record
                | {
                    "build_s": build,
                    "backward_s": backward,
                    "peak_traced_bytes": peak,
                    "gradient_ok": ok,
                }
            )
    print_table(header, rows)
    section.note(
        "single runs (not interleaved): the 10^6 chains take long; treat the times as "
        "rough, the memory per node as exact up to Python's small-object rounding"
    )
    return section
