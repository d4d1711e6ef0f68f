"""Scalar engine: a graph of about 10,000 single-number operations, forward + backward.

A small MLP (2 -> 16 -> 16 -> 1, ReLU) applied to a batch of 16 points, with
every weight, product and sum a separate scalar node: the graph micrograd is
famous for, built the same way with ``minigrad.Scalar`` and with micrograd's
``Value``. Pure Python on both sides, so this measures the engines' own code.
Target (issue 7): minigrad.Scalar at least 1.5x faster than micrograd.
"""

from __future__ import annotations

import itertools
import random

from harness import (
    Section,
    Target,
    fmt_ratio,
    fmt_seconds,
    heading,
    interleaved,
    not_installed,
    optional,
    print_table,
    spread,
)

NAME = "scalar"
TITLE = "scalar engine: MLP 2-16-16-1 over 16 points, built from scalars"
SIZES = (2, 16, 16, 1)
BATCH = 16


def make_parameters(make_leaf, seed=0):
    """Weights and biases, layer by layer: [(rows of weights, biases), ...]."""
    rng = random.Random(seed)
    layers = []
    for n_in, n_out in itertools.pairwise(SIZES):
        weights = [[make_leaf(rng.uniform(-1, 1)) for _ in range(n_in)] for _ in range(n_out)]
        biases = [make_leaf(rng.uniform(-0.1, 0.1)) for _ in range(n_out)]
        layers.append((weights, biases))
    return layers


def make_batch(seed=1):
    rng = random.Random(seed)
    points = [[rng.uniform(-1, 1) for _ in range(SIZES[0])] for _ in range(BATCH)]
    targets = [1.0 if x * y > 0 else -1.0 for x, y in points]
    return points, targets


def loss_of(layers, points, targets):
    """Sum of squared errors; every + and * is a node, as in micrograd's own MLP."""
    loss = 0.0
    for point, target in zip(points, targets):
        activations = point
        for depth, (weights, biases) in enumerate(layers):
            outputs = []
            for row, bias in zip(weights, biases):
                total = bias
                for w, a in zip(row, activations):
                    total = total + w * a
                last = depth == len(layers) - 1
                outputs.append(total if last else total.relu())
            activations = outputs
        loss = (activations[0] - target) ** 2 + loss
    return loss


def _leaf_maker(backend):
    if backend == "minigrad":
        from minigrad import Scalar

        return lambda v: Scalar(v, requires_grad=True)
    from micrograd.engine import Value

    return Value


def _flat(layers):
    return [p for weights, biases in layers for p in [w for row in weights for w in row] + biases]


def _grads(backend, layers):
    return [p._grad if backend == "minigrad" else p.grad for p in _flat(layers)]


def count_minigrad_ops(loss):
    """Operation nodes behind a minigrad.Scalar result (leaves' accumulators not counted)."""
    seen, stack = set(), [loss.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen or not node.next_functions:
            continue
        seen.add(id(node))
        stack.extend(child for child, _ in node.next_functions)
    return len(seen)


def run(settings):
    heading(TITLE)
    section = Section(NAME, TITLE)
    points, targets = make_batch()
    backends = ["minigrad"] + (["micrograd"] if optional("micrograd") is not None else [])
    if "micrograd" not in backends:
        section.note(not_installed("micrograd"))
    params = {b: make_parameters(_leaf_maker(b)) for b in backends}
    ops = count_minigrad_ops(loss_of(params["minigrad"], points, targets))
    section.note(f"graph: {ops} operation nodes per forward pass")

    if "micrograd" in backends:
        # Same graph, same maths: the gradients must agree before timing means anything.
        for b in backends:
            loss_of(params[b], points, targets).backward()
        worst = max(
            abs(g1 - g2) / max(1e-12, abs(g2))
            for g1, g2 in zip(
                _grads("minigrad", params["minigrad"]), _grads("micrograd", params["micrograd"])
            )
            if g1 is not None
        )
        if worst > 1e-9:
            raise AssertionError(f"minigrad.Scalar and micrograd disagree (relative {worst:.1e})")
        section.note(f"gradients agree with micrograd's (largest relative difference {worst:.0e})")

    fwd = {b: (lambda layers=params[b]: loss_of(layers, points, targets)) for b in backends}
    both = {
        b: (lambda layers=params[b]: loss_of(layers, points, targets).backward()) for b in backends
    }
    # (label, functions, collector on?): the target is the realistic case, collector
    # on; with it off, only the engines' own code is compared.
    cases = [
        ("forward", fwd, True),
        ("forward + backward", both, True),
        ("forward + backward, gc off", both, False),
    ]
    header = ["case"] + backends + [f"per node ({b})" for b in backends]
    if "micrograd" in backends:
        header.append("micrograd/minigrad")
    rows, speedups = [], {}
    for label, fns, collect in cases:
        timings = interleaved(fns, settings, collect=collect)
        row = [label] + [fmt_seconds(timings[b].median) for b in backends]
        row += [fmt_seconds(timings[b].median / ops) for b in backends]
        record = {"case": label, "nodes": ops, "gc": collect}
        for b in backends:
            record[b] = timings[b].as_dict() | {"iqr_over_median": spread(timings[b])}
        if "micrograd" in backends:
            ratio = timings["micrograd"].median / timings["minigrad"].median
            row.append(fmt_ratio(ratio))
            record["micrograd/minigrad"] = ratio
            speedups[label] = ratio
        rows.append(row)
        section.rows.append(record)
    print_table(header, rows)
    section.note(
        "micrograd's closures make reference cycles, so the garbage collector has "
        "work to do after it; minigrad.Scalar's graph is freed by reference counting"
    )
    section.check(
        Target(
            "minigrad.Scalar at least 1.5x faster than micrograd (forward + backward)",
            "micrograd/minigrad",
            speedups.get("forward + backward"),
            1.5,
            at_most=False,
            why_missing="micrograd not installed",
        )
    )
    return section
