"""Finding submissions (a folder or a zip) and reading each one safely.

Nothing here writes to the input: a zip is read member by member in memory
(no paths from the archive are ever used on disk), and each notebook's
bytes are copied into the grader's own folder before anything runs.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from . import nbjson

MAX_BYTES = 50 * 1024 * 1024
SAFE_ID = re.compile(r"[^A-Za-z0-9._@+-]")


@dataclass
class Submission:
    learner: str
    source: str  # where it came from, for messages
    data: bytes
    too_large: bool = False


def learner_id(filename: str) -> str:
    """The learner id is the file name without ``.ipynb``, made safe for paths."""
    stem = PurePosixPath(filename).name
    if stem.lower().endswith(".ipynb"):
        stem = stem[: -len(".ipynb")]
    stem = SAFE_ID.sub("_", stem).lstrip(".") or "unnamed"
    return stem[:100]


def _system_file(name: str) -> bool:
    """Hidden files, checkpoints and macOS resource forks: never submissions."""
    return any(p.startswith(".") or p == "__MACOSX" for p in PurePosixPath(name).parts)


def _ignored(name: str, ignored: list) -> bool:
    if _system_file(name):
        return True
    if not name.lower().endswith(".ipynb"):
        ignored.append(name)
        return True
    return False


def collect(path) -> tuple:
    """``(submissions, ignored names)`` from a folder or a ``.zip``."""
    path = Path(path)
    found: list = []
    ignored: list = []
    if path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                if info.is_dir():
                    continue
                if _ignored(info.filename, ignored):
                    continue
                if info.file_size > MAX_BYTES:  # rejected later, never inflated
                    found.append(
                        Submission(learner_id(info.filename), info.filename, b"", too_large=True)
                    )
                    continue
                found.append(
                    Submission(learner_id(info.filename), info.filename, archive.read(info))
                )
    elif path.is_dir():
        for file in sorted(path.rglob("*")):
            if not file.is_file():
                continue
            name = file.relative_to(path).as_posix()
            if _ignored(name, ignored):
                continue
            if file.stat().st_size > MAX_BYTES:
                found.append(Submission(learner_id(file.name), name, b"", too_large=True))
            else:
                found.append(Submission(learner_id(file.name), name, file.read_bytes()))
    else:
        raise FileNotFoundError(f"{path} is neither a folder nor a zip file")
    # Two files for one learner id (e.g. in two subfolders): keep both, numbered.
    seen: dict = {}
    for sub in found:
        count = seen.get(sub.learner, 0)
        seen[sub.learner] = count + 1
        if count:
            sub.learner = f"{sub.learner}-{count + 1}"
    return found, ignored


class Rejected(ValueError):
    """The file cannot be graded at all; the message says why."""


def load_notebook(data: bytes) -> tuple:
    """``(notebook, notes)`` or raise :class:`Rejected`."""
    notes: list = []
    if len(data) > MAX_BYTES:
        raise Rejected(f"file larger than {MAX_BYTES // (1024 * 1024)} MB")
    if not data.strip():
        raise Rejected("empty file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Rejected("not a notebook: not UTF-8 text") from None
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise Rejected(f"not a notebook: not valid JSON ({str(exc)[:80]})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("nbformat"), int):
        raise Rejected("not a notebook: no nbformat version")
    version = raw["nbformat"]
    if version > 4 or version < 3:
        raise Rejected(f"unsupported notebook format version {version}")
    if version < 4:
        notes.append(f"converted from nbformat {version}")
    try:
        nb = nbjson.parse(text)
    except Exception as exc:  # noqa: BLE001 - any failure to read means "not a notebook"
        raise Rejected(f"not a valid notebook ({type(exc).__name__}: {str(exc)[:80]})") from None
    if not isinstance(nb.get("metadata"), dict):
        raise Rejected("not a valid notebook: malformed metadata")
    cells = nb.get("cells")
    if not isinstance(cells, list) or not all(
        isinstance(c, dict)
        and isinstance(c.get("source"), str)
        and isinstance(c.get("cell_type"), str)
        for c in cells
    ):
        raise Rejected("not a valid notebook: malformed cells")
    return nb, notes
