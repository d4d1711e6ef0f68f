"""Notebook sources: chapters are written as plain ``.py`` files, built into ``.ipynb``.

A source file is in the "percent" format that editors know: ``# %%`` starts a
code cell, ``# %% [markdown]`` a markdown cell whose lines start with ``# ``.
Attributes after the marker are ``key=<JSON>`` pairs: ``id="mm-sum"`` gives
the cell a stable id, ``tags=["seed:s001-mm-sum"]`` tags it, and
``nbgrader={...}`` carries nbgrader's metadata for exercise notebooks.

    python -m coursekit.notebooks build course/src/ch01_graph.py   # -> course/ch01_graph.ipynb, run
    python -m coursekit.notebooks check course/src/*.py            # sources and notebooks agree?

Building runs the notebook top to bottom in a fresh kernel and stores the
outputs, so nbval can check them later. With PyTorch installed, it also records
PyTorch's answers to the chapter's comparisons (coursekit/compare.py).
"""

import argparse
import json
import os
import pathlib
import re
import sys

import nbformat

_MARKER = re.compile(r"^# %%(?P<md> \[markdown\])?(?P<attrs>.*)$")
_ATTR = re.compile(r"\s*(\w+)=")
ROOT = pathlib.Path(__file__).resolve().parent.parent


def _parse_attrs(text, where):
    """``id="x" tags=["a"]`` -> {"id": "x", "tags": ["a"]} (values are JSON)."""
    attrs, pos = {}, 0
    decoder = json.JSONDecoder()
    while pos < len(text) and text[pos:].strip():
        m = _ATTR.match(text, pos)
        if not m:
            raise ValueError(f"{where}: cannot read cell attributes {text!r}")
        try:
            value, end = decoder.raw_decode(text, m.end())
        except json.JSONDecodeError as e:
            raise ValueError(f"{where}: attribute {m.group(1)} is not valid JSON: {e}") from None
        attrs[m.group(1)] = value
        pos = end
    return attrs


def _finish(cell_lines):
    while cell_lines and not cell_lines[-1].strip():
        cell_lines.pop()
    while cell_lines and not cell_lines[0].strip():
        cell_lines.pop(0)
    return "\n".join(cell_lines)


def read_source(path):
    """Parse a percent-format source into a notebook (no outputs)."""
    path = pathlib.Path(path)
    cells, current = [], None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = _MARKER.match(line)
        if m:
            if current is not None:
                cells.append(current)
            attrs = _parse_attrs(m.group("attrs"), f"{path}:{number}")
            current = {"markdown": bool(m.group("md")), "attrs": attrs, "lines": []}
            continue
        if current is None:
            if line.strip():
                raise ValueError(f"{path}:{number}: text before the first '# %%' marker")
            continue
        if current["markdown"]:
            if line.strip() and not line.startswith("#"):
                raise ValueError(f"{path}:{number}: markdown lines must start with '#'")
            line = line[2:] if line.startswith("# ") else line[1:]
        current["lines"].append(line)
    if current is not None:
        cells.append(current)

    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
            "name": "python3",
        },
        "language_info": {"name": "python"},
    }
    if path.parent.parent.name == "solutions":
        # Exercise notebooks say which chapter they are (coursekit's release and grader read it).
        nb.metadata["coursekit"] = {"chapter": path.stem[:4]}
    seen = set()
    for i, c in enumerate(cells):
        source = _finish(c["lines"])
        attrs = dict(c["attrs"])
        cell_id = attrs.pop("id", None) or f"{path.stem[:4]}-{i:03d}"
        if cell_id in seen:
            raise ValueError(f"{path}: duplicate cell id {cell_id!r}")
        seen.add(cell_id)
        metadata = {}
        if "tags" in attrs:
            metadata["tags"] = attrs.pop("tags")
        if "nbgrader" in attrs:
            metadata["nbgrader"] = attrs.pop("nbgrader")
        metadata.update(attrs)
        if c["markdown"]:
            cell = nbformat.v4.new_markdown_cell(source, id=cell_id, metadata=metadata)
        else:
            cell = nbformat.v4.new_code_cell(source, id=cell_id, metadata=metadata)
        nb.cells.append(cell)
    return nb


def execute(nb, workdir, timeout=300):
    """Run every cell in a fresh kernel, in ``workdir``, storing the outputs."""
    from nbclient import NotebookClient

    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env_path) if p)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    )
    client.execute()
    return nb


def output_path(source):
    source = pathlib.Path(source)
    # course/src/ch01_graph.py -> course/ch01_graph.ipynb
    return source.parent.parent / (source.stem + ".ipynb")


def build(source, run=True):
    from coursekit import compare

    nb = read_source(source)
    out = output_path(source)
    if run:
        # With PyTorch installed, its answers to the chapter's side_by_side
        # comparisons are recorded for learners who run it without PyTorch.
        with compare.recording(out.resolve().relative_to(ROOT).as_posix()):
            execute(nb, out.parent)
    nbformat.validate(nb)
    out.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return out


def differences(source):
    """How the built notebook differs from its source (cells, ids, metadata)."""
    expected = read_source(source)
    out = output_path(source)
    if not out.exists():
        return [f"{out} does not exist: build it from {source}"]
    actual = nbformat.read(str(out), as_version=4)
    problems = []
    if len(actual.cells) != len(expected.cells):
        problems.append(f"{out}: {len(actual.cells)} cells, source has {len(expected.cells)}")
    for a, e in zip(actual.cells, expected.cells):
        for key in ("cell_type", "id", "source"):
            if a.get(key) != e.get(key):
                problems.append(f"{out}: cell {e.get('id')}: {key} differs from the source")
                break
        else:
            for key in ("tags", "nbgrader"):
                if a.metadata.get(key) != e.metadata.get(key):
                    problems.append(f"{out}: cell {e.id}: metadata {key} differs")
        if a.cell_type == "code" and a.get("execution_count") is None and a.source.strip():
            problems.append(f"{out}: cell {e.id} has no stored output (rebuild it)")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.notebooks",
        description="Build notebooks from percent-format sources.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build and run notebooks from sources")
    b.add_argument("sources", nargs="+")
    b.add_argument("--no-run", action="store_true", help="don't execute (no outputs)")
    c = sub.add_parser("check", help="fail if a notebook differs from its source")
    c.add_argument("sources", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "build":
        for s in args.sources:
            print(f"building {s} -> {output_path(s)}", flush=True)
            build(s, run=not args.no_run)
        return 0
    problems = [p for s in args.sources for p in differences(s)]
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
