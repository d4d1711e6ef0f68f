"""Learners re-run cells: running any lecture cell a second time changes nothing shown.

Each lecture is run with every code cell executed twice in a row (run, then run
again at once, as a learner pressing Shift+Enter twice, or going back to a cell).
The second run of each cell, and so every later cell, must print what the stored
notebook shows, and draw the same picture as its first run (a backward() repeated
on the same tensors would double a drawn .grad). A cell whose output may change
when re-run is tagged ``rerun-changes-output`` and its lesson text says so; later
cells must still not change. Outputs nbval does not compare
(``nbval-ignore-output``) are not compared here either.
"""

import copy
import os
import pathlib
import re

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
LECTURES = sorted((ROOT / "course").glob("ch*.ipynb"))
SANITIZER = ROOT / "tests" / "notebooks" / "nbval_sanitize.cfg"
CHANGES_ON_RERUN = "rerun-changes-output"


def sanitizers():
    """(regex, replacement) pairs from nbval's sanitizer file, in file order."""
    pairs, pattern = [], None
    for line in SANITIZER.read_text(encoding="utf-8").splitlines():
        if line.startswith("regex:"):
            pattern = line[len("regex:") :].strip()
        elif line.startswith("replace:") and pattern is not None:
            pairs.append((re.compile(pattern), line[len("replace:") :].strip()))
            pattern = None
    return pairs


def shown_text(cell, rules):
    """What a cell shows as text (streams, text results, errors), sanitized."""
    parts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            parts.append(out["text"])
        elif out["output_type"] in ("execute_result", "display_data"):
            data = out.get("data", {})
            if "image/png" in data or "application/vnd.jupyter.widget-view+json" in data:
                continue
            parts.append(data.get("text/plain", ""))
        elif out["output_type"] == "error":
            parts.append(f"{out['ename']}: {out['evalue']}")
    text = "".join(p if isinstance(p, str) else "".join(p) for p in parts)
    for regex, replacement in rules:
        text = regex.sub(replacement, text)
    return text


def compared(cell):
    tags = cell.get("metadata", {}).get("tags", [])
    return cell.cell_type == "code" and not {"nbval-ignore-output", "nbval-skip"} & set(tags)


@pytest.mark.slow
@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_running_every_cell_twice_shows_what_the_notebook_stores(path):
    from nbclient import NotebookClient

    stored = nbformat.read(str(path), as_version=4)
    doubled = copy.deepcopy(stored)
    doubled.cells = []
    second_runs = []  # index in `doubled` of each cell's second run
    for cell in stored.cells:
        doubled.cells.append(copy.deepcopy(cell))
        if compared(cell):  # cells nbval does not compare (timings) are not run twice
            again = copy.deepcopy(cell)
            again.id = f"{cell.id}-again"
            doubled.cells.append(again)
        second_runs.append(len(doubled.cells) - 1)
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env_path) if p)
    NotebookClient(
        doubled,
        timeout=300,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    rules = sanitizers()
    changed = []
    for cell, index in zip(stored.cells, second_runs):
        if not compared(cell) or CHANGES_ON_RERUN in cell.metadata.get("tags", []):
            continue
        before, after = shown_text(cell, rules), shown_text(doubled.cells[index], rules)
        if before != after:
            changed.append(f"cell {cell.id}:\n--- stored\n{before}\n--- after a re-run\n{after}")
        if pictures(doubled.cells[index - 1]) != pictures(doubled.cells[index]):
            changed.append(f"cell {cell.id}: its picture changed when it ran a second time")
    assert changed == [], "\n\n".join(changed)


def pictures(cell):
    """The PNG images a cell displayed (base64 text), in order."""
    return [
        o["data"]["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})
    ]
