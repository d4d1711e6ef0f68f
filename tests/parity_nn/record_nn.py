"""Record the training-layer programs on real PyTorch into recordings/<name>.json.

    python tests/parity_nn/record_nn.py            # every program
    python tests/parity_nn/record_nn.py adam_default

Needs torch==2.13.0 (CPU). Each file holds PyTorch's version, the initial
weights PyTorch's own default init gave under torch.manual_seed(0) (the
minigrad run loads exactly these), and what the program observed.
"""

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))  # the repository root

from nn_programs import PROGRAMS, state_values

RECORDINGS = Path(__file__).resolve().parent / "recordings"


def record(name):
    """Run program `name` on PyTorch; returns {'torch_version', 'init', 'observed'}."""
    import torch

    program, build = PROGRAMS[name]
    torch.manual_seed(0)
    init = state_values(build(torch)) if build is not None else None
    torch.manual_seed(0)
    return {"torch_version": torch.__version__, "init": init, "observed": program(torch, init)}


def _shortest(value):
    """Floats as the shortest text that reads back as the same float32 (smaller files)."""
    if isinstance(value, float):
        return float(str(np.float32(value))) if np.isfinite(value) else value
    if isinstance(value, list):
        return [_shortest(v) for v in value]
    if isinstance(value, dict):
        return {k: _shortest(v) for k, v in value.items()}
    return value


def save(name, recording):
    RECORDINGS.mkdir(exist_ok=True)
    path = RECORDINGS / f"{name}.json"
    path.write_text(json.dumps(_shortest(recording), separators=(",", ":")) + "\n")
    return path


def main(names):
    for name in names or sorted(PROGRAMS):
        print("recorded", save(name, record(name)))


if __name__ == "__main__":
    main(sys.argv[1:])
