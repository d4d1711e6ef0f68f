"""Record what PyTorch does in every parity program into torch_observations.json.

    python tests/parity/record.py          # from the repository root

Needs torch 2.13.0 (CPU build: ``pip install torch==2.13.0``). The default
test run compares minigrad with this file and needs no PyTorch; the tests
marked ``torch_live`` check that the file still is what PyTorch does.
Re-record after changing a program (the file keeps a hash of each program's
source, and a test says when one is stale).
"""

import hashlib
import inspect
import json
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root

from tests.parity.libraries import load
from tests.parity.observe import run_program
from tests.parity.programs import PROGRAMS

OUTPUT = Path(__file__).resolve().with_name("torch_observations.json")
TORCH_VERSION = "2.13.0"


def source_hash(program):
    """A short hash of a program's source, to tell when a recording is stale."""
    return hashlib.sha256(inspect.getsource(program).encode()).hexdigest()[:16]


def record_all():
    """Run every program on PyTorch; the content of torch_observations.json."""
    torch = load("torch")
    if torch.__version__.split("+")[0] != TORCH_VERSION:
        raise SystemExit(
            f"recordings are made with torch {TORCH_VERSION}, this is {torch.__version__}"
        )
    programs = {}
    for name, program in PROGRAMS.items():
        records = run_program(program, torch)
        broken = [r for r in records if r["kind"] in ("crash", "stray_warnings")]
        if broken:
            # On PyTorch every program must run to its end and observe every
            # warning on purpose; anything else is a bug in the program.
            raise SystemExit(f"program {name} is broken on torch: {broken}")
        programs[name] = {"source_hash": source_hash(program), "observations": records}
    return {
        "about": (
            "Observations of the parity programs in tests/parity/programs.py, run on "
            "PyTorch by tests/parity/record.py (python tests/parity/record.py). "
            "Formats: tests/parity/observe.py. torch.set_warn_always(True) was on, so "
            "warn-once warnings appear in every program that triggers them."
        ),
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "programs": programs,
    }


def write(data, path=OUTPUT):
    """One line per observation: small diffs when a recording changes."""
    lines = ["{"]
    for key in ("about", "torch_version", "python_version", "platform"):
        lines.append(f"{json.dumps(key)}: {json.dumps(data[key])},")
    lines.append('"programs": {')
    names = list(data["programs"])
    for i, name in enumerate(names):
        entry = data["programs"][name]
        lines.append(
            f'{json.dumps(name)}: {{"source_hash": {json.dumps(entry["source_hash"])}, '
            '"observations": ['
        )
        obs = entry["observations"]
        for j, record in enumerate(obs):
            lines.append(json.dumps(record, ensure_ascii=False) + ("," if j < len(obs) - 1 else ""))
        lines.append("]}" + ("," if i < len(names) - 1 else ""))
    lines.append("}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main():
    data = record_all()
    write(data)
    # The file must read back as the same data (NaN and infinities included).
    if json.loads(OUTPUT.read_text(encoding="utf-8"))["programs"].keys() != data["programs"].keys():
        raise SystemExit("the written file does not read back")
    count = sum(len(p["observations"]) for p in data["programs"].values())
    print(f"recorded {len(data['programs'])} programs, {count} observations -> {OUTPUT}")


if __name__ == "__main__":
    main()
