"""Big arithmetic: a 512x512 matrix product, forward + backward.

For C = A @ B with an incoming gradient G, backward needs two more products:
dA = G @ B^T and dB = A^T @ G. Those three numpy matmuls are the physical
limit for any engine on numpy; what minigrad adds on top (nodes, wrapping,
copying the first gradient into ``.grad``) should vanish next to 3 x 2 x 512^3
floating-point operations.
Target (issue 7): minigrad within 1.1x of the three numpy matmuls.
"""

from __future__ import annotations

import numpy as np
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

NAME = "matmul"
TITLE = "big arithmetic: 512x512 matmul, forward + backward"
N = 512


def _inputs():
    rng = np.random.default_rng(0)
    return [rng.standard_normal((N, N), dtype=np.float32) for _ in range(3)]


def numpy_three_matmuls(a, b, g):
    def run():
        c = a @ b
        return c, g @ b.T, a.T @ g

    return run


def minigrad_matmul(a, b, g):
    import minigrad as mg

    ta, tb = mg.tensor(a, requires_grad=True), mg.tensor(b, requires_grad=True)
    tg = mg.tensor(g)

    def run():
        ta.grad = tb.grad = None  # as zero_grad(): each backward starts from empty .grad
        (ta @ tb).backward(tg)

    return run


def torch_matmul(a, b, g):
    import torch

    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    tg = torch.tensor(g)

    def run():
        ta.grad = tb.grad = None
        (ta @ tb).backward(tg)

    return run


def run(settings):
    heading(TITLE)
    section = Section(NAME, TITLE)
    a, b, g = _inputs()
    fns = {"numpy (3 matmuls)": numpy_three_matmuls(a, b, g),
           "minigrad": minigrad_matmul(a, b, g)}
    if optional("torch") is not None:
        fns["torch"] = torch_matmul(a, b, g)
    else:
        section.note(not_installed("torch"))
    fns["numpy (1 matmul)"] = lambda: a @ b  # for scale: backward should cost about 2 of these
    timings = interleaved(fns, settings)
    base = timings["numpy (3 matmuls)"].median
    rows = []
    for label, timing in timings.items():
        rows.append([label, fmt_seconds(timing.median), fmt_ratio(timing.median / base),
                     f"{spread(timing):.0%}"])
        section.rows.append({"case": label, "ratio_to_numpy_3_matmuls": timing.median / base}
                            | timing.as_dict())
    print_table(["backend", "median", "vs numpy (3 matmuls)", "IQR/median"], rows)
    section.check(Target("512x512 matmul forward + backward within 1.1x of the three numpy "
                         "matmuls", "minigrad/numpy", timings["minigrad"].median / base, 1.1))
    return section
