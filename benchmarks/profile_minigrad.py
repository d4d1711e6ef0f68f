"""Where minigrad's time goes: per-op cost layers, and profiles of two benchmarks.

    python benchmarks/profile_minigrad.py            # both parts
    python benchmarks/profile_minigrad.py --layers   # only the per-op layers
    python benchmarks/profile_minigrad.py --pyinstrument   # + pyinstrument's call tree

Part 1 measures one 4x4 op layer by layer, each layer timed on its own and
the difference between layers taken as the cost of what the layer adds:
numpy's own work, making a Tensor, the op's checks and dispatch, recording
the node (Function.apply's bookkeeping), the backward formula (the node
called with a numpy gradient, as the engine calls it), the engine's loop
around it. Timings are interleaved medians of processor time (see
harness.py), so noisy but comparable.

Part 2 runs cProfile over the op-overhead chain and the training step, one
profile per phase (forward, backward, optimizer step), and adds each
function's own time into a bucket named after what it does. cProfile's
overhead inflates small functions, so read the buckets as shares, and the
part-1 timings as the costs.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as run_all.py's default
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from harness import Settings, fmt_seconds, interleaved, optional, print_table

import minigrad as mg
from minigrad import graph as _graph
from minigrad.tensor import _wrap

SETTINGS = Settings(quick=False)
CHAIN = 64


# --- part 1: the layers of one op ----------------------------------------------
def _backward_per_node(build, rounds=15):
    """Median seconds per node of backward alone (the chain is rebuilt, untimed, each round)."""
    times = []
    for _ in range(rounds):
        y, nodes = build()
        start = time.process_time()
        y.backward()
        times.append((time.process_time() - start) / nodes)
    return statistics.median(times)


def layers_of(name, np_op, mg_op, torch_op=None):
    """Time the layers of ``mg_op`` (two 4x4 float32 tensors -> one) and return table rows."""
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(0.5, 1.0, (4, 4)).astype(np.float32) for _ in range(2))
    ta, tb = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    ca, cb = mg.tensor(a), mg.tensor(b)  # constants: the op records nothing
    recorded = mg_op(ta, tb)
    node = recorded.grad_fn
    grad = np.ones_like(recorded.detach().numpy())  # the engine passes numpy gradients
    fns = {
        "numpy op": lambda: np_op(a, b),
        "Tensor creation (_wrap)": lambda: _wrap(a),
        "forward, not recorded": lambda: mg_op(ca, cb),
        "forward, recorded": lambda: mg_op(ta, tb),
    }
    timings = {k: t.median for k, t in interleaved(fns, SETTINGS).items()}
    # The engine runs formulas with recording off (create_graph=False), on arrays. The
    # node keeps its saved tensors (it never went through backward): it can run again.
    with mg.no_grad():
        timings["backward formula (node(grad))"] = interleaved(
            {"call": lambda: node(grad)}, SETTINGS
        )["call"].median

    def build():
        y = ta
        for _ in range(CHAIN):
            y = mg_op(y, tb)
        return y.sum(), CHAIN + 1

    per_node = _backward_per_node(build)
    numpy_op = timings["numpy op"]
    wrap = timings["Tensor creation (_wrap)"]
    plain = timings["forward, not recorded"]
    rec = timings["forward, recorded"]
    formula = timings["backward formula (node(grad))"]
    rows = [
        [name, "numpy's own work", fmt_seconds(numpy_op)],
        ["", "Tensor creation (_wrap)", fmt_seconds(wrap)],
        [
            "",
            "checks + dispatch (forward, not recorded - the two above)",
            fmt_seconds(plain - numpy_op - wrap),
        ],
        ["", "node + saving (recorded - not recorded)", fmt_seconds(rec - plain)],
        ["", "= forward, recorded", fmt_seconds(rec)],
        ["", "backward formula (node(grad), on arrays)", fmt_seconds(formula)],
        ["", "engine loop per node (backward per node - formula)", fmt_seconds(per_node - formula)],
        ["", "= backward per node (chain of 64)", fmt_seconds(per_node)],
        ["", "total forward + backward", fmt_seconds(rec + per_node)],
    ]
    if torch_op is not None and optional("torch") is not None:
        import torch

        pa, pb = (torch.tensor(x, requires_grad=True) for x in (a, b))
        t_fwd = interleaved({"torch": lambda: torch_op(pa, pb)}, SETTINGS)["torch"].median

        def torch_build():
            y = pa
            for _ in range(CHAIN):
                y = torch_op(y, pb)
            return y.sum(), CHAIN + 1

        t_bwd = _backward_per_node(torch_build)
        rows.append(
            [
                "",
                "PyTorch: forward recorded / backward per node",
                f"{fmt_seconds(t_fwd)} / {fmt_seconds(t_bwd)}",
            ]
        )
    return rows


def part_layers():
    print("part 1: the layers of one 4x4 op (interleaved medians; noisy machine)")
    rows = []
    rows += layers_of("mul", np.multiply, lambda x, y: x * y, lambda x, y: x * y)
    rows += layers_of("matmul", np.matmul, lambda x, y: x @ y, lambda x, y: x @ y)
    rows += layers_of(
        "tanh", lambda x, y: np.tanh(x), lambda x, y: mg.tanh(x), lambda x, y: x.tanh()
    )
    print_table(["op", "layer", "median"], rows)


# --- part 2: profiles by bucket ----------------------------------------------------
def _code(fn):
    return (fn.__code__.co_filename, fn.__code__.co_firstlineno)


# Functions whose name alone does not say what they do (every class has an __init__).
# (A tensor's VersionCounter has none: it is made without a Python call.)
_NODE_CREATION = {_code(_graph.SavedTensor.__init__)}

BUCKETS = [
    # (bucket, test on (file, first line, function name)); the first match wins
    ("engine loop (engine.py)", lambda f, line, n: f.endswith("minigrad/engine.py")),
    (
        "Tensor creation",
        lambda f, line, n: (
            (f.endswith("minigrad/tensor.py") and n == "_wrap") or n in ("output", "_view_of")
        ),
    ),
    (
        "node creation + saving",
        lambda f, line, n: (
            (f, line) in _NODE_CREATION
            or n in ("gradient_edge", "_get_accumulator", "_record", "save", "_save")
            or n in ("save_for_backward", "_keep_saved_results")
        ),
    ),
    (
        "the seam (Function.apply and its steps)",
        lambda f, line, n: f.endswith("minigrad/function.py") and n not in ("fit", "__call__"),
    ),
    (
        "backward formulas",
        lambda f, line, n: (
            n
            in (
                "backward",
                "__call__",
                "fit",
                "saved_tensors",
                "unpack",
                "unbroadcast",
                "release_saved",
            )
        ),
    ),
    (
        "op checks + dispatch",
        lambda f, line, n: (
            "/minigrad/ops/" in f or f.endswith(("minigrad/tensor.py", "grad_mode.py", "dtypes.py"))
        ),
    ),
    ("nn modules + functional", lambda f, line, n: "/minigrad/nn/" in f),
    ("optimizer", lambda f, line, n: "/minigrad/optim/" in f),
    (
        "imports inside functions",
        lambda f, line, n: "importlib._bootstrap" in f or n in ("_handle_fromlist", "parent"),
    ),
    ("numpy (compute + its Python wrappers)", lambda f, line, n: "numpy" in f or "numpy" in n),
]


def bucket_of(file, line, name):
    for bucket, test in BUCKETS:
        if test(file, line, name):
            return bucket
    return "other (built-ins: dict, isinstance, heapq, ...)"


def profile_phases(phases, repeats):
    """{phase: {bucket: seconds}} from one cProfile per phase; ``phases`` run in order."""
    profilers = {name: cProfile.Profile() for name, _ in phases}
    for _ in range(repeats):
        carry = None
        for name, fn in phases:
            prof = profilers[name]
            prof.enable()
            carry = fn(carry)
            prof.disable()
    result = {}
    for name, prof in profilers.items():
        buckets = defaultdict(float)
        stats = pstats.Stats(prof).stats
        for (file, line, func), (_cc, _nc, tottime, _ct, _callers) in stats.items():
            if func.startswith("<method 'disable'"):
                continue
            buckets[bucket_of(file, line, func)] += tottime
        result[name] = dict(buckets)
    return result


def print_buckets(title, phases, repeats, units):
    print(f"\n{title}")
    result = profile_phases(phases, repeats)
    total = sum(sum(b.values()) for b in result.values())
    rows = []
    for phase, buckets in result.items():
        phase_total = sum(buckets.values())
        rows.append(
            [phase, "", f"{phase_total / total:.0%}", fmt_seconds(phase_total / repeats / units)]
        )
        for bucket, seconds in sorted(buckets.items(), key=lambda kv: -kv[1]):
            if seconds / total >= 0.005:
                rows.append(
                    ["", bucket, f"{seconds / total:.0%}", fmt_seconds(seconds / repeats / units)]
                )
    print_table(["phase", "bucket (own time of its functions)", "share", "per unit"], rows)


def part_profiles():
    print("\npart 2: cProfile shares (profiler overhead inflates small functions)")
    # The op-overhead chain: linear+tanh on 4x4, per op
    import bench_ops

    rng = np.random.default_rng(0)
    x = mg.tensor(rng.uniform(0.5, 1, (4, 4)).astype(np.float32), requires_grad=True)
    w = mg.tensor((np.eye(4) * 0.5 + 0.12).astype(np.float32), requires_grad=True)
    b = mg.tensor(np.zeros((4, 4), np.float32), requires_grad=True)
    step = bench_ops.CASES[-1][2]

    def forward(_):
        x.grad = w.grad = b.grad = None
        y = x
        for _ in range(32):
            y = step(y, w, b, mg.tanh)
        return y.sum()

    def backward(loss):
        loss.backward()

    print_buckets(
        "op overhead chain (linear+tanh, 4x4), per op",
        [("forward", forward), ("backward", backward)],
        repeats=300,
        units=97,
    )

    # The training step, batch 64
    import bench_training

    from coursekit.data import load_digits
    from minigrad.nn import functional as F

    X, y = load_digits()
    mg.manual_seed(0)
    model = mg.nn.Sequential(mg.nn.Linear(64, 128), mg.nn.ReLU(), mg.nn.Linear(128, 10))
    opt = mg.optim.SGD(model.parameters(), lr=bench_training.LR)
    xb, yb = X[:64], y[:64]

    def t_forward(_):
        opt.zero_grad()
        return F.cross_entropy(model(xb), yb)

    def t_backward(loss):
        loss.backward()

    def t_step(_):
        opt.step()

    print_buckets(
        "training step, batch 64, per step",
        [("zero_grad + forward", t_forward), ("backward", t_backward), ("SGD step", t_step)],
        repeats=500,
        units=1,
    )
    return model, opt, xb, yb


def part_pyinstrument(model, opt, xb, yb):
    pyinstrument = optional("pyinstrument")
    if pyinstrument is None:
        print("\npyinstrument: not installed (pip install pyinstrument)")
        return
    from minigrad.nn import functional as F

    profiler = pyinstrument.Profiler(interval=0.0001)
    profiler.start()
    for _ in range(1000):
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False, show_all=False))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", action="store_true", help="only part 1")
    parser.add_argument(
        "--pyinstrument",
        action="store_true",
        help="also print pyinstrument's call tree of the training step",
    )
    args = parser.parse_args(argv)
    part_layers()
    if args.layers:
        return
    found = part_profiles()
    if args.pyinstrument:
        part_pyinstrument(*found)


if __name__ == "__main__":
    sys.exit(main())
