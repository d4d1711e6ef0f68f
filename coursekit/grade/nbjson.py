"""Reading and writing notebooks as plain JSON.

``nbformat`` validates against a JSON schema whose import alone takes
seconds here; the grader starts a process per submission and cannot pay
that each time.  A v4 notebook is plain JSON with a few conventions, which
these two functions follow: cell sources are joined into one string when
read, and split into lines when written, with the layout nbformat uses
(sorted keys, one-space indent).  A version 3 notebook is converted to
the shape of version 4 (cells out of the worksheet, code in ``source``).
"""

from __future__ import annotations

import json


def _joined(value):
    return "".join(value) if isinstance(value, list) else value


def parse(text: str) -> dict:
    """A notebook (nbformat 4, or converted to it) as dicts, sources as strings."""
    nb = json.loads(text)
    if not isinstance(nb, dict):
        raise TypeError("not a JSON object")
    if nb.get("nbformat") == 3:
        nb = _from_v3(nb)
    elif nb.get("nbformat") != 4:
        raise ValueError(f"notebook format {nb.get('nbformat')!r} is not supported")
    nb.setdefault("metadata", {})
    for cell in nb.get("cells", []):
        if isinstance(cell, dict):
            cell["source"] = _joined(cell.get("source", ""))
            cell.setdefault("metadata", {})
    return nb


def _from_v3(nb: dict) -> dict:
    """The parts of a version 3 notebook that grading reads, as version 4."""
    cells = []
    for worksheet in nb.get("worksheets", []):
        for cell in worksheet.get("cells", []):
            kind = cell.get("cell_type")
            if kind == "code":
                cells.append(
                    {
                        "cell_type": "code",
                        "source": _joined(cell.get("input", "")),
                        "metadata": cell.get("metadata", {}),
                        "outputs": [],
                        "execution_count": None,
                    }
                )
            elif kind == "heading":
                level = int(cell.get("level", 1))
                cells.append(
                    {
                        "cell_type": "markdown",
                        "metadata": cell.get("metadata", {}),
                        "source": "#" * level + " " + _joined(cell.get("source", "")),
                    }
                )
            else:
                cells.append(
                    {
                        "cell_type": kind if kind in ("markdown", "raw") else "raw",
                        "source": _joined(cell.get("source", "")),
                        "metadata": cell.get("metadata", {}),
                    }
                )
    return {"nbformat": 4, "nbformat_minor": 0, "metadata": nb.get("metadata", {}), "cells": cells}


def dumps(nb: dict) -> str:
    """The notebook as nbformat writes it (without validating)."""
    out = dict(nb)
    out["cells"] = []
    for cell in nb["cells"]:
        cell = dict(cell)
        cell["source"] = cell["source"].splitlines(keepends=True)
        out["cells"].append(cell)
    return json.dumps(out, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
