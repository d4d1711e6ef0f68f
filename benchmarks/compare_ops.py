"""The op chains of ``bench_ops.py`` on the minigrad of another checkout, against PyTorch.

    python benchmarks/compare_ops.py /path/to/a/checkout [rounds]

How "The seam's cost" in benchmarks/README.md compares two engines: run it
alternately on each checkout (``git worktree add ../base af2b4c8`` makes one), in
the same venv, so that both are timed by the same code: this file's chains and
clock (processor time), minigrad and PyTorch taking turns round after round, the
median per op. One line per run: minigrad/PyTorch per case, the per-op times, and
the geometric mean. Only the ratios of one run mean something (see README.md).
"""

import gc
import importlib
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # this checkout's bench_ops

import torch  # noqa: E402
from bench_ops import CASES, CHAIN, _chain  # noqa: E402 (its harness adds this checkout)

sys.path.insert(0, str(ROOT))  # the compared checkout's minigrad, before any other
mg = importlib.import_module("minigrad")

CLOCK = time.process_time


def _library(name):
    if name == "minigrad":
        return (lambda a: mg.tensor(a, requires_grad=True)), mg.tanh, True
    return (lambda a: torch.tensor(a, requires_grad=True)), torch.tanh, True


def _per_op(rounds, step, ops):
    """Median seconds per op of each library, turns alternating, gc as the harness does."""
    fns = {name: _chain(*_library(name), step) for name in ("minigrad", "torch")}
    calls = {}
    for name, fn in fns.items():
        fn()  # warm-up
        start = CLOCK()
        fn()
        calls[name] = max(1, int(0.1 / max(CLOCK() - start, 1e-7)))
    samples = {name: [] for name in fns}
    gc.collect()
    gc.freeze()
    try:
        for r in range(rounds):
            for i in range(len(fns)):
                name = list(fns)[(r + i) % len(fns)]
                start = CLOCK()
                for _ in range(calls[name]):
                    fns[name]()
                gc.collect()
                samples[name].append((CLOCK() - start) / calls[name])
    finally:
        gc.unfreeze()
    return {name: statistics.median(values) / ops for name, values in samples.items()}


def main():
    if not str(Path(mg.__file__).resolve()).startswith(str(ROOT)):
        raise SystemExit(f"minigrad came from {mg.__file__}, not from {ROOT}")
    torch.set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    ratios, cells = [], []
    for label, per_step, step in CASES:
        per_op = _per_op(rounds, step, CHAIN * per_step + 1)
        ratio = per_op["minigrad"] / per_op["torch"]
        ratios.append(ratio)
        us = {name: f"{seconds * 1e6:.1f}" for name, seconds in per_op.items()}
        cells.append(f"{label}: {ratio:.2f}x ({us['minigrad']} / {us['torch']} us)")
    mean = math.exp(sum(map(math.log, ratios)) / len(ratios))
    print(ROOT.name, " | ".join(cells), f"| geometric mean {mean:.2f}x", flush=True)


if __name__ == "__main__":
    main()
