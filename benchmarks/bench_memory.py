"""Memory: what recording a graph costs during evaluation, minigrad vs PyTorch.

An MLP 64-512-512-512-10 evaluates a batch of digits with grad recording on
and under ``no_grad``. Three instruments (see coursekit/measure.py):

- saved/held bytes: the tensors the graph's nodes saved for backward, counted
  exactly from shapes and dtypes (``measure.graph_memory``), for both libraries;
- tracemalloc peak: numpy reports its buffers to tracemalloc, so minigrad's
  (and plain numpy's) peak is exact; PyTorch's allocator is invisible to it;
- peak RSS: the operating system's high-water mark of resident memory (VmHWM,
  reset through /proc/self/clear_refs) in a fresh process per measurement,
  the same instrument for minigrad and PyTorch, coarser but fair to both.

The saving ratio is peak with recording / peak under no_grad.
Target (issue 7): minigrad's saving ratio within 10% of PyTorch's.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np
from harness import (
    Section,
    Target,
    fmt_bytes,
    fmt_ratio,
    heading,
    not_installed,
    optional,
    print_table,
)

NAME = "memory"
TITLE = "memory: evaluation of an MLP 64-512-512-512-10, recording vs no_grad"
WIDTHS = (64, 512, 512, 512, 10)


def _batch(size):
    """``size`` digits (the 1797 images repeated as needed), float32 (size, 64)."""
    from coursekit.data import load_digits

    X = load_digits()[0].numpy()
    return np.ascontiguousarray(np.resize(X, (size, X.shape[1])))


def _model(lib):
    lib.manual_seed(0)
    layers = []
    for n_in, n_out in itertools.pairwise(WIDTHS):
        layers += [lib.nn.Linear(n_in, n_out), lib.nn.ReLU()]
    return lib.nn.Sequential(*layers[:-1])  # no ReLU after the last layer


def _lib(backend):
    if backend == "torch":
        import torch

        return torch
    import minigrad

    return minigrad


def numpy_forward(x, weights):
    """The same forward in plain numpy: the floor for evaluation without a graph."""
    for i, (w, b) in enumerate(weights):
        x = x @ w.T + b
        if i < len(weights) - 1:
            x = np.maximum(x, 0)
    return x


# --- peak RSS, in a fresh process --------------------------------------------------
def _status_kib(field):
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE).group(1))


def _worker(backend, mode, batch):
    """Runs in a subprocess: print the peak RSS growth of one evaluation, in bytes."""
    lib = _lib(backend)
    model = _model(lib)
    x = lib.tensor(_batch(batch))
    context = lib.no_grad if mode == "no_grad" else lib.enable_grad
    with context():
        model(x)  # warm-up: lazy set-up (BLAS buffers, caches) is not the evaluation's memory
    Path("/proc/self/clear_refs").write_text("5")  # resets the high-water mark (Linux)
    before = _status_kib("VmRSS")
    with context():
        out = model(x)
    peak = _status_kib("VmHWM")
    kept = _status_kib("VmRSS")
    del out
    print(json.dumps({"peak": (peak - before) * 1024, "retained": (kept - before) * 1024}))


def rss_available():
    return Path("/proc/self/clear_refs").exists() and os.access("/proc/self/clear_refs", os.W_OK)


def peak_rss(backend, mode, batch, repeats):
    """Median over ``repeats`` fresh processes of the peak RSS growth (bytes)."""
    # glibc serves big blocks with mmap and returns them to the system when freed,
    # but it raises that threshold as blocks are freed, after which freed arrays
    # stay resident and RSS overstates live memory. A fixed threshold keeps RSS
    # tracking the live arrays (other C libraries ignore the variable).
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
    peaks = []
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, __file__, "--worker", backend, mode, str(batch)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        peaks.append(json.loads(done.stdout.strip().splitlines()[-1])["peak"])
    return int(statistics.median(peaks))


# --- the benchmark ---------------------------------------------------------------
def run(settings):
    import minigrad as mg
    from coursekit import measure

    batch = 1024 if settings.quick else 4096
    title = f"{TITLE}, batch {batch}"
    heading(title)
    section = Section(NAME, title)
    backends = ["minigrad"] + (["torch"] if optional("torch") is not None else [])
    if "torch" not in backends:
        section.note(not_installed("torch"))
    X = _batch(batch)

    # 1. exact: what the graph's nodes saved (the same walk reads both libraries)
    rows = []
    for b in backends:
        lib = _lib(b)
        model, x = _model(lib), lib.tensor(X)
        recorded = measure.graph_memory(model(x), exclude=[x, *model.parameters()])
        with lib.no_grad():
            unrecorded = measure.graph_memory(model(x), exclude=[x, *model.parameters()])
        rows.append(
            [
                b,
                recorded.nodes,
                fmt_bytes(recorded.saved_bytes),
                fmt_bytes(recorded.held_bytes),
                unrecorded.nodes,
            ]
        )
        section.rows.append(
            {
                "instrument": "graph_memory (exact)",
                "backend": b,
                "nodes": recorded.nodes,
                "saved_bytes": recorded.saved_bytes,
                "held_bytes": recorded.held_bytes,
                "nodes_under_no_grad": unrecorded.nodes,
            }
        )
    print("  saved tensors (exact, from shapes and dtypes)")
    print_table(["backend", "nodes", "saved", "held (not params/input)", "nodes (no_grad)"], rows)

    # 2. tracemalloc: minigrad and plain numpy (PyTorch's allocator is not traced)
    model, x = _model(mg), mg.tensor(X)
    weights = [
        (m.weight.detach().numpy(), m.bias.detach().numpy()) for m in model if hasattr(m, "weight")
    ]

    def no_grad_eval():
        with mg.no_grad():
            return model(x)

    repeats = 1 if settings.quick else 3

    def traced_peak(fn):
        return int(statistics.median(measure.memory_during(fn).peak for _ in range(repeats)))

    traced = {
        "minigrad, recording": traced_peak(lambda: model(x)),
        "minigrad, no_grad": traced_peak(no_grad_eval),
        "numpy forward": traced_peak(lambda: numpy_forward(X, weights)),
    }
    print("  tracemalloc peak during the evaluation (result kept)")
    print_table(["evaluation", "peak"], [[k, fmt_bytes(v)] for k, v in traced.items()])
    traced_saving = traced["minigrad, recording"] / traced["minigrad, no_grad"]
    section.rows.append(
        {"instrument": "tracemalloc peak", **traced, "minigrad_saving_ratio": traced_saving}
    )
    section.note(
        f"minigrad saving ratio by tracemalloc: {traced_saving:.2f}x; no_grad peak is "
        f"{traced['minigrad, no_grad'] / traced['numpy forward']:.2f}x plain numpy's"
    )

    # 3. peak RSS in fresh processes: the same instrument for both libraries
    savings = {}
    if not rss_available():
        section.note("peak RSS not measured: /proc/self/clear_refs is not writable here")
    else:
        rows = []
        for b in backends:
            peaks = {mode: peak_rss(b, mode, batch, repeats) for mode in ("grad", "no_grad")}
            savings[b] = peaks["grad"] / peaks["no_grad"]
            rows.append(
                [b, fmt_bytes(peaks["grad"]), fmt_bytes(peaks["no_grad"]), fmt_ratio(savings[b])]
            )
            section.rows.append(
                {
                    "instrument": "peak RSS growth (VmHWM, fresh process)",
                    "backend": b,
                    "recording_bytes": peaks["grad"],
                    "no_grad_bytes": peaks["no_grad"],
                    "saving_ratio": savings[b],
                }
            )
        print(f"  peak RSS growth during the evaluation (fresh process each, median of {repeats})")
        print_table(["backend", "recording", "no_grad", "saving ratio"], rows)
    distance = None
    if "minigrad" in savings and "torch" in savings:
        distance = abs(savings["minigrad"] / savings["torch"] - 1)
        section.note(
            f"saving ratios (peak RSS): minigrad {savings['minigrad']:.2f}x, "
            f"PyTorch {savings['torch']:.2f}x"
        )
    section.check(
        Target(
            "no_grad saves as much memory as in PyTorch, within 10% (peak RSS)",
            "abs(minigrad saving / torch saving - 1)",
            distance,
            0.10,
            why_missing="torch not installed"
            if "torch" not in backends
            else "peak RSS unavailable",
        )
    )
    return section


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "--worker":
    _worker(sys.argv[2], sys.argv[3], int(sys.argv[4]))
