"""Big arithmetic: a 512x512 matrix product, forward + backward.

For C = A @ B with an incoming gradient G, backward needs two more products:
dA = G @ B^T and dB = A^T @ G. Those three numpy matmuls are the physical
limit for any engine on numpy; what minigrad adds on top (nodes, wrapping,
copying the first gradient into ``.grad``) should vanish next to 3 x 2 x 512^3
floating-point operations. Every fresh 1 MiB array may cost 256 page faults,
so the table counts them, and the target is read in a fresh process running
numpy and minigrad only (what the allocator did before changes the faults).
Target (issue 7): minigrad within 1.1x of the three numpy matmuls.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys

import numpy as np
from harness import (
    Section,
    Settings,
    Target,
    fmt_ratio,
    fmt_seconds,
    heading,
    interleaved,
    not_installed,
    optional,
    print_table,
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


def _timed(fns, settings):
    """Interleaved medians plus minor page faults per call (memory new to the process)."""
    timings = interleaved(fns, settings)
    faults = {}
    for label, fn in fns.items():
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(10):
            fn()
        faults[label] = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10
    return {
        label: timings[label].as_dict() | {"page_faults_per_call": faults[label]} for label in fns
    }


def _numpy_and_minigrad(settings):
    a, b, g = _inputs()
    return _timed(
        {
            "numpy (3 matmuls)": numpy_three_matmuls(a, b, g),
            "minigrad": minigrad_matmul(a, b, g),
            # for scale: backward should cost about two of these
            "numpy (1 matmul)": lambda: a @ b,
        },
        settings,
    )


def _worker(quick):
    """In a fresh process: numpy and minigrad only, printed as JSON."""
    print(json.dumps(_numpy_and_minigrad(Settings(quick=quick))))


def run(settings):
    heading(TITLE)
    section = Section(NAME, TITLE)
    # 1. A fresh process with numpy and minigrad only, as in a learner's notebook.
    #    glibc's allocator adapts to what a process did before (other backends' big
    #    frees change when fresh memory, and its page faults, is needed), so the
    #    target is read here, away from the other backends.
    done = subprocess.run(
        [sys.executable, __file__, "--worker"] + (["--quick"] if settings.quick else []),
        capture_output=True,
        text=True,
        check=True,
    )
    fresh = json.loads(done.stdout.strip().splitlines()[-1])
    # 2. The same in this process, with PyTorch alongside when it is installed.
    a, b, g = _inputs()
    fns = {"numpy (3 matmuls)": numpy_three_matmuls(a, b, g), "minigrad": minigrad_matmul(a, b, g)}
    if optional("torch") is not None:
        fns["torch"] = torch_matmul(a, b, g)
    else:
        section.note(not_installed("torch"))
    shared = _timed(fns, settings)
    rows = []
    for label in ["numpy (3 matmuls)", "minigrad", "torch", "numpy (1 matmul)"]:
        cells = [label]
        for found in (fresh, shared):
            if label in found:
                ratio = found[label]["median_s"] / found["numpy (3 matmuls)"]["median_s"]
                cells += [
                    fmt_seconds(found[label]["median_s"]),
                    fmt_ratio(ratio),
                    f"{found[label]['page_faults_per_call']:.0f}",
                ]
                section.rows.append(
                    {
                        "case": label,
                        "process": "fresh"
                        if found is fresh
                        else "shared with the other benchmarks",
                        "ratio_to_numpy_3_matmuls": ratio,
                    }
                    | found[label]
                )
            else:
                cells += ["-", "-", "-"]
        if label in fresh or label in shared:
            rows.append(cells)
    print_table(
        [
            "backend",
            "fresh process",
            "vs numpy",
            "faults/call",
            "in this process",
            "vs numpy",
            "faults/call",
        ],
        rows,
    )
    section.note(
        "faults/call: minor page faults, i.e. memory new to the process that the "
        "kernel must hand over (about 1 MiB = 256 faults); each costs microseconds"
    )
    ratio = fresh["minigrad"]["median_s"] / fresh["numpy (3 matmuls)"]["median_s"]
    section.check(
        Target(
            "512x512 matmul forward + backward within 1.1x of the three numpy "
            "matmuls (fresh process)",
            "minigrad/numpy",
            ratio,
            1.1,
        )
    )
    return section


if __name__ == "__main__" and len(sys.argv) >= 2 and sys.argv[1] == "--worker":
    _worker(quick="--quick" in sys.argv)
