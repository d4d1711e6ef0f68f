"""Where the learner's engine lives on disk: the ``my_engine/`` folder.

``my_engine/`` sits next to the exercise notebooks (a kernel's working
folder is its notebook's folder) and belongs to the learner:

* ``<piece id>.py``: the last version of each piece that was checked, as
  source the learner can read (``ch03.unbroadcast.py``);
* ``pieces.json``: for each piece, whether that version passed its check,
  and the check's message;
* ``exercises.json``: every exercise check's last verdict (course progress);
* ``.gitignore`` (``*``): git never picks any of it up.

Set ``MINIGRAD_MY_ENGINE`` to use another folder (the tests do).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

FOLDER = "my_engine"
ENVIRONMENT = "MINIGRAD_MY_ENGINE"
PIECES_FILE = "pieces.json"
EXERCISES_FILE = "exercises.json"
README = """\
This folder is your engine: the pieces of minigrad you wrote in the exercise
notebooks, saved when their checks ran. Each chapter's setup cell loads them.
Delete a file to go back to minigrad's own version of that piece.
"""


def folder(create: bool = False) -> Path:
    """The learner's ``my_engine/`` folder.

    ``$MINIGRAD_MY_ENGINE`` if set; otherwise ``./my_engine`` (the notebook's
    folder), or ``./exercises/my_engine`` when run from the course's top folder.
    """
    if os.environ.get(ENVIRONMENT):
        path = Path(os.environ[ENVIRONMENT])
    elif (Path.cwd() / FOLDER).is_dir() or not (Path.cwd() / "exercises").is_dir():
        path = Path.cwd() / FOLDER
    else:
        path = Path.cwd() / "exercises" / FOLDER
    if create and not path.is_dir():
        path.mkdir(parents=True)
        (path / ".gitignore").write_text("*\n", encoding="utf-8")
        (path / "README.txt").write_text(README, encoding="utf-8")
    return path


def _write(path: Path, text: str) -> None:
    """Write a file whole or not at all (a crash never leaves half a piece)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(temporary, 0o644)  # mkstemp makes it private; the learner's files are ordinary
    os.replace(temporary, path)


def _read_json(name: str) -> dict:
    path = folder() / name
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def piece_file(piece_id: str) -> Path:
    return folder() / f"{piece_id}.py"


def pieces() -> dict:
    """{piece id: {"status": "passed" | "failed" | ..., "message": str, "source": hash}}."""
    return _read_json(PIECES_FILE)


def fingerprint(text: str) -> str:
    """Which version of a piece's file a verdict is about."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def save_piece(piece_id: str, status: str, message: str, text: str | None) -> None:
    """Record a checked piece: its verdict, and its source text if there is one.

    Without a new text the verdict is about the file already saved.
    """
    path = folder(create=True)
    if text is not None:
        _write(path / f"{piece_id}.py", text)
    saved = text if text is not None else source(piece_id)
    table = pieces()
    table[piece_id] = {
        "status": status,
        "message": message,
        "source": None if saved is None else fingerprint(saved),
    }
    _write(path / PIECES_FILE, json.dumps(table, indent=1, sort_keys=True) + "\n")


def source(piece_id: str) -> str | None:
    path = piece_file(piece_id)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def exercises() -> dict:
    """{check id: {"status": ..., "points": earned, "of": points}} from disk."""
    return _read_json(EXERCISES_FILE)


def save_exercise(check_id: str, status: str, earned: int, points: int) -> None:
    path = folder(create=True)
    table = exercises()
    table[check_id] = {"status": status, "points": earned, "of": points}
    _write(path / EXERCISES_FILE, json.dumps(table, indent=1, sort_keys=True) + "\n")
