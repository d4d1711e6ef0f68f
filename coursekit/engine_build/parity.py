"""Your engine against PyTorch: the recorded observations of tests/parity.

``compare_with_pytorch()`` runs every parity program (tests/parity/programs.py)
on minigrad *as it is now*, with the learner's pieces that ``setup`` installed,
and compares each program's observations with what PyTorch 2.13 observed
(tests/parity/torch_observations.json). For a program that differs, it finds
the piece to revisit: the program is run again with one of the learner's
pieces at a time (the rest minigrad's own), and every piece that alone makes
it differ is named.
"""

from __future__ import annotations

import html
import importlib.util
import json
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import minigrad

from . import pieces, store
from .switchboard import BOARD

PARITY = Path(__file__).resolve().parents[2] / "tests" / "parity"


@cache
def _parity_modules():
    """programs.py, observe.py and compare.py of tests/parity, loaded from their files."""
    if not (PARITY / "programs.py").is_file():
        raise FileNotFoundError(
            f"the recorded PyTorch observations are not here ({PARITY}): they come with the "
            "course's repository, in tests/parity"
        )
    loaded = {}
    for name in ("observe", "compare", "programs"):
        spec = importlib.util.spec_from_file_location(
            f"_engine_build_parity_{name}", PARITY / f"{name}.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        loaded[name] = module
    return loaded["observe"], loaded["compare"], loaded["programs"]


@cache
def _recording():
    data = json.loads((PARITY / "torch_observations.json").read_text(encoding="utf-8"))
    return {name: entry["observations"] for name, entry in data["programs"].items()}


def differences(name):
    """How program ``name`` run on minigrad now differs from PyTorch's recording.

    PyTorch was recorded with ``set_warn_always(True)`` (a once-per-process warning
    shows every time), so minigrad runs the program that way too: the result does not
    depend on what ran before in this process.
    """
    observe, compare, programs = _parity_modules()
    before = minigrad.is_warn_always_enabled()
    minigrad.set_warn_always(True)
    try:
        observed = observe.run_program(programs.PROGRAMS[name], minigrad)
    finally:
        minigrad.set_warn_always(before)
    return compare.compare_runs(_recording()[name], observed)


@dataclass
class Row:
    program: str
    first_difference: str
    revisit: list = field(default_factory=list)


@dataclass
class ParityReport:
    """Your engine reproduces P of N PyTorch behaviours, and what differs.

    ``stand_ins``: (piece id, why) for the pieces where minigrad's own code
    ran instead of the learner's (missing, or failing its check).
    """

    passed: int
    total: int
    rows: list
    stand_ins: list = field(default_factory=list)

    def headline(self) -> str:
        return f"Your engine reproduces {self.passed} of {self.total} PyTorch behaviours."

    @property
    def to_revisit(self) -> list:
        return sorted({piece for row in self.rows for piece in row.revisit})

    def __repr__(self) -> str:
        lines = [self.headline()]
        for piece_id, why in self.stand_ins:
            lines.append(f"  minigrad's own code ran for {piece_id} ({why}): revisit it")
        for row in self.rows:
            revisit = ", ".join(row.revisit) or "several pieces together"
            lines.append(f"  {row.program}: revisit {revisit}")
            lines.append(f"      {row.first_difference}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><td><code>{html.escape(r.program)}</code></td>"
            f"<td>{html.escape(', '.join(r.revisit) or 'several pieces together')}</td>"
            f"<td><pre>{html.escape(r.first_difference)}</pre></td></tr>"
            for r in self.rows
        )
        head = "<tr><th>program</th><th>revisit</th><th>first difference</th></tr>"
        table = f"<table>{head}{cells}</table>" if self.rows else ""
        stand_ins = "".join(
            f"<li>minigrad's own code ran for <code>{html.escape(p)}</code> ({html.escape(w)})</li>"
            for p, w in self.stand_ins
        )
        notes = f"<ul>{stand_ins}</ul>" if stand_ins else ""
        return f"<p><b>{html.escape(self.headline())}</b></p>{notes}{table}"


def _blame(name, installed):
    """The learner's pieces that alone make program ``name`` differ from PyTorch."""
    blamed = []
    for piece_id, obj in installed.items():
        with BOARD.only({piece_id: obj}):
            if differences(name):
                blamed.append(piece_id)
    if not blamed:  # only a combination differs: the pieces whose removal fixes it
        for piece_id in installed:
            with BOARD.only({p: o for p, o in installed.items() if p != piece_id}):
                if not differences(name):
                    blamed.append(piece_id)
    return blamed


def brief(difference, limit=300):
    """One difference in a line or two: where, PyTorch's value, yours."""
    actual = difference.actual
    if isinstance(actual, dict) and actual.get("kind") == "crash":
        text = f"{difference.label!r}: your engine stopped with {actual['error'][0]}: "
        text += str(actual["error"][1])
    elif isinstance(actual, str) and actual.startswith("<"):
        text = f"{difference.label!r}: {actual}"
    else:
        where = f"{difference.label!r}" + (f" {difference.path}" if difference.path else "")
        text = f"{where}: PyTorch {difference.expected!r}, yours {actual!r}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _stand_ins(installed):
    records = store.pieces()
    found = []
    for piece in pieces.PIECES:
        if piece.id in installed:
            continue
        record = records.get(piece.id)
        if record is None:
            found.append((piece.id, "not written yet"))
        elif record.get("status") != "passed":
            found.append((piece.id, "failing its check"))
        else:
            found.append((piece.id, "not loaded: run setup first"))
    return found


def compare_with_pytorch(names=None) -> ParityReport:
    """Run the parity programs on the engine as installed now; P of N, and what to revisit."""
    _, _, programs = _parity_modules()
    names = list(names or programs.PROGRAMS)
    installed = dict(BOARD.installed)
    rows = []
    for name in names:
        found = differences(name)
        if found:
            rows.append(Row(name, brief(found[0]), _blame(name, installed)))
    return ParityReport(len(names) - len(rows), len(names), rows, _stand_ins(installed))


def seed_examples() -> ParityReport:
    """The runnable examples of the course's seed posts (the ``seed_*`` programs), on the
    engine as installed now, against PyTorch's recording."""
    _, _, programs = _parity_modules()
    return compare_with_pytorch([name for name in programs.PROGRAMS if name.startswith("seed_")])
