"""Op overhead: what one small-tensor operation costs, forward and backward.

On 4x4 tensors the arithmetic is nothing (16 numbers); what is measured is
everything around it: checking arguments, making the result tensor, recording
the node, and running its backward formula from the engine's loop. Each case
is a chain of the same kind of operation, then ``.sum().backward()``; the time
of the whole chain is divided by its number of operations.
Target (issue 7): minigrad no slower than PyTorch CPU eager.

A fourth column, "bare", runs the same chains on ``bare_autograd.py``: a
numpy autograd with nothing but parents and backward functions. It is the
floor for an engine in Python: what minigrad spends above it buys PyTorch's
behaviour (dtypes, checks, grad modes, version counters, hooks, create_graph).
"""

from __future__ import annotations

import numpy as np
from harness import (
    Section,
    Target,
    fmt_ratio,
    fmt_seconds,
    geometric_mean,
    heading,
    interleaved,
    not_installed,
    optional,
    print_table,
    spread,
)

NAME = "ops"
TITLE = "op overhead: chains of 4x4 ops, forward + backward, per op"
CHAIN = 32  # operations of one kind in a chain (steps; "linear+tanh" has 3 ops a step)


def _library(name):
    """What a chain needs from a library: a leaf maker, tanh, and whether to clear .grad.

    minigrad and PyTorch add into ``.grad``, so each run starts by setting it to
    None (as ``zero_grad()`` does); MyGrad replaces ``.grad`` at each backward.
    """
    if name == "minigrad":
        import minigrad as mg

        return (lambda a: mg.tensor(a, requires_grad=True)), mg.tanh, True
    if name == "torch":
        import torch

        return (lambda a: torch.tensor(a, requires_grad=True)), torch.tanh, True
    if name == "mygrad":
        import mygrad

        return (lambda a: mygrad.tensor(a)), mygrad.tanh, False
    if name == "bare":
        import bare_autograd

        return bare_autograd.Bare, bare_autograd.tanh, True
    raise ValueError(name)


# Each case: (label, operations per step, step(y, w, b, tanh) -> y). The values
# stay near 1 along the chain (no overflow that would change the work).
CASES = [
    ("add", 1, lambda y, w, b, tanh: y + b),
    ("mul", 1, lambda y, w, b, tanh: y * w),
    ("matmul", 1, lambda y, w, b, tanh: y @ w),
    ("tanh", 1, lambda y, w, b, tanh: tanh(y)),
    ("linear+tanh", 3, lambda y, w, b, tanh: tanh(y @ w + b)),
]


def _chain(leaf, tanh, clear, step, leaves_out=None):
    rng = np.random.default_rng(0)
    x = leaf(rng.uniform(0.5, 1.0, (4, 4)).astype(np.float32))
    # w close to the identity (matmul) and close to 1 elementwise (mul): both keep y ~ 1.
    w = leaf((np.eye(4) * 0.5 + rng.uniform(0.1, 0.14, (4, 4))).astype(np.float32))
    b = leaf(rng.uniform(-0.01, 0.01, (4, 4)).astype(np.float32))
    leaves = (x, w, b)
    if leaves_out is not None:
        leaves_out.extend(leaves)

    def run():
        if clear:
            for t in leaves:
                t.grad = None
        y = x
        for _ in range(CHAIN):
            y = step(y, w, b, tanh)
        y.sum().backward()

    return run


def check_bare_gradients():
    """The bare engine's gradients equal minigrad's on every chain (float32 rounding)."""
    worst = 0.0
    for _label, _per_step, step in CASES:
        found = {}
        for backend in ("minigrad", "bare"):
            leaves = []
            _chain(*_library(backend), step, leaves_out=leaves)()
            found[backend] = [
                None
                if t.grad is None
                else np.asarray(t.grad.numpy() if backend == "minigrad" else t.grad)
                for t in leaves
            ]
        for ours, bare in zip(found["minigrad"], found["bare"]):
            if ours is None or bare is None:  # a leaf the chain does not use
                if ours is not bare:
                    raise AssertionError("the bare engine and minigrad differ on a .grad of None")
                continue
            worst = max(worst, float(np.max(np.abs(ours - bare) / (np.abs(ours) + 1e-6))))
    if worst > 1e-4:
        raise AssertionError(f"bare engine's gradients differ from minigrad's by {worst:.1e}")
    return worst


def run(settings):
    heading(TITLE)
    section = Section(NAME, TITLE)
    worst = check_bare_gradients()
    section.note(
        f"the bare engine's gradients equal minigrad's (largest relative difference {worst:.0e})"
    )
    backends = ["minigrad"] + [n for n in ("torch", "mygrad") if optional(n) is not None]
    backends.append("bare")
    for missing in sorted({"torch", "mygrad"} - set(backends)):
        section.note(not_installed(missing))
    header = ["case", "ops"] + [f"{b} /op" for b in backends]
    header += [f"{b}/torch" for b in backends if b != "torch" and "torch" in backends]
    rows, ratios = [], []
    for label, per_step, step in CASES:
        ops = CHAIN * per_step + 1  # + the final sum
        fns = {}
        for backend in backends:
            fns[backend] = _chain(*_library(backend), step)
        timings = interleaved(fns, settings)
        per_op = {b: timings[b].median / ops for b in backends}
        row = [label, ops] + [fmt_seconds(per_op[b]) for b in backends]
        record = {"case": label, "ops": ops}
        for b in backends:
            record[b] = timings[b].as_dict() | {
                "per_op_s": per_op[b],
                "iqr_over_median": spread(timings[b]),
            }
        if "torch" in backends:
            for b in backends:
                if b != "torch":
                    row.append(fmt_ratio(per_op[b] / per_op["torch"]))
                    record[f"{b}/torch"] = per_op[b] / per_op["torch"]
            ratios.append(per_op["minigrad"] / per_op["torch"])
        rows.append(row)
        section.rows.append(record)
    print_table(header, rows)
    overall = geometric_mean(ratios) if ratios else None
    if overall is not None:
        section.note(
            f"minigrad/torch over all cases (geometric mean): {overall:.2f}x; "
            f"worst case {max(ratios):.2f}x"
        )
    section.check(
        Target(
            "small-tensor op + backward no slower than PyTorch CPU eager "
            "(geometric mean of the cases)",
            "minigrad/torch",
            overall,
            1.0,
            why_missing="torch not installed",
        )
    )
    if ratios:
        worst = max(ratios)
        section.check(Target("... and in every case", "worst minigrad/torch", worst, 1.0))
    return section
