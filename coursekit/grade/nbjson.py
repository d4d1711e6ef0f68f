"""Reading and writing notebooks as plain JSON.

``nbformat`` validates against a JSON schema whose import alone takes
seconds here; the grader starts a process per submission and cannot pay
that each time.  A v4 notebook is plain JSON with a few conventions, which
these two functions follow: cell sources are joined into one string when
read, and split into lines when written, with the layout nbformat uses
(sorted keys, one-space indent).  Older formats go through nbformat.
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
    if nb.get("nbformat") != 4:
        import nbformat  # slow, but only for old notebooks

        nb = json.loads(nbformat.writes(nbformat.reads(text, as_version=4)))
    nb.setdefault("metadata", {})
    for cell in nb.get("cells", []):
        if isinstance(cell, dict):
            cell["source"] = _joined(cell.get("source", ""))
            cell.setdefault("metadata", {})
    return nb


def dumps(nb: dict) -> str:
    """The notebook as nbformat writes it (without validating)."""
    out = dict(nb)
    out["cells"] = []
    for cell in nb["cells"]:
        cell = dict(cell)
        cell["source"] = cell["source"].splitlines(keepends=True)
        out["cells"].append(cell)
    return json.dumps(out, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
