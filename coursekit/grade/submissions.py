"""Finding submissions (a folder or a zip), copying each one in safely, naming its learner.

Nothing here writes to the input, and nothing from the input decides where
the grader writes: each notebook is streamed into the grader's inbox under
a number, with a cap per file and a cap on the whole class, and read from
there.  Every file found is accounted for: a submission row (graded, or
rejected with the reason) or an ignored entry that says why.

* Only regular files are read.  A symbolic link (to the solutions, to
  /proc/self/environ) or a pipe named ``*.ipynb`` is a rejected row; a
  linked folder is not entered.
* In a zip, a member whose path climbs out (``../``, ``..\\``, an absolute
  or drive path) is ignored and listed; a corrupt member (bad CRC, a header
  that understates its size, encryption) costs only its own row.
* Learner ids come from file names, are unique by construction (also
  where the file system ignores case), and keep any letter of any script:
  ``José`` and ``Josè`` stay two readable ids.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
import unicodedata
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from . import nbjson

MB = 1024 * 1024
MAX_BYTES = 50 * MB  # one notebook
ID_PUNCTUATION = "._@+-"
CHUNK = 1 * MB
# What reading a damaged or unsupported zip member raises: a bad CRC, a
# header that understates the size, a broken stream, encryption, a method
# zipfile does not know.
DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
    ValueError,
)


@dataclass
class Submission:
    source: str  # the path inside the folder or zip, as found
    learner: str = ""  # unique id, given by assign_ids
    path: Path | None = None  # the copy in the grader's inbox
    sha256: str = ""
    problem: str = ""  # why it cannot be graded; "" when it can


@dataclass
class Ignored:
    source: str
    reason: str


class Rejected(ValueError):
    """The file cannot be graded at all; the message says why."""


class Budget:
    """The caps: ``max_file`` bytes per notebook, ``max_total`` for the whole class."""

    def __init__(self, max_file: int, max_total: int):
        self.max_file, self.left = max_file, max_total
        self.max_total = max_total

    def copy(self, read, target: Path) -> tuple:
        """Stream ``read(n)`` into ``target``: ``(sha256, problem)``; problem "" if it fit."""
        digest, size, problem = hashlib.sha256(), 0, ""
        with open(target, "wb") as out:
            while True:
                chunk = read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_file:
                    problem = f"file larger than {self.max_file // MB} MB: not read"
                    break
                if size > self.left:
                    problem = (
                        f"not read: the submissions together are larger than "
                        f"{self.max_total // MB} MB (--max-total-mb)"
                    )
                    break
                digest.update(chunk)
                out.write(chunk)
        if problem:  # nothing kept, nothing charged
            target.unlink()
            return "", problem
        self.left -= size
        return digest.hexdigest(), ""


def learner_id(filename: str) -> str:
    """The learner id is the file name without ``.ipynb``, made safe for paths.

    Letters and digits of any script are kept (normalised to NFC), as are
    ``. _ @ + -``; anything else (spaces, slashes, control and format
    characters) becomes ``_``.
    """
    stem = PurePosixPath(filename.replace("\\", "/")).name
    if stem.lower().endswith(".ipynb"):
        stem = stem[: -len(".ipynb")]
    stem = unicodedata.normalize("NFC", stem)
    kept = "".join(
        ch
        if ch.isalnum() or ch in ID_PUNCTUATION or unicodedata.category(ch).startswith("M")
        else "_"
        for ch in stem
    )
    return kept.lstrip(".")[:100] or "unnamed"


def _key(learner: str) -> str:
    """Two ids with the same key would be one file on a case-insensitive disk."""
    return unicodedata.normalize("NFC", learner).casefold()


def assign_ids(submissions: list) -> None:
    """Give every submission a unique learner id, the same on every run for the same files.

    The file nearest the top (then the first by path) keeps the plain id;
    another file with the same name gets ``-2``, ``-3``, ... skipping every
    id another file's name gives.
    """
    order = sorted(submissions, key=lambda s: (s.source.count("/"), s.source))
    bases = {id(s): learner_id(s.source) for s in order}
    reserved = Counter(_key(b) for b in bases.values())
    used: set = set()
    later = []
    for sub in order:
        key = _key(bases[id(sub)])
        if key in used:
            later.append(sub)
        else:
            sub.learner = bases[id(sub)]
            used.add(key)
    for sub in later:
        base, number = bases[id(sub)], 2
        while _key(f"{base}-{number}") in used or _key(f"{base}-{number}") in reserved:
            number += 1
        sub.learner = f"{base}-{number}"
        used.add(_key(sub.learner))


def why_not_a_folder(name: str) -> str:
    """The reason nothing in a folder of this path is graded, or ""."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if any(p == "__MACOSX" for p in parts):
        return "macOS metadata (__MACOSX)"
    if any(p.startswith(".") for p in parts):
        return "hidden file or folder (e.g. .ipynb_checkpoints)"
    return ""


def why_not_a_submission(name: str) -> str:
    """The reason a file of this name is not graded, or "" if it is a notebook to grade."""
    if why_not_a_folder(name):
        return why_not_a_folder(name)
    if not name.lower().endswith(".ipynb"):
        return "not a .ipynb file"
    return ""


def unsafe_member(name: str) -> bool:
    """A zip member path that would climb out of a folder it was unpacked into."""
    path = name.replace("\\", "/")
    parts = path.split("/")
    drive = len(path) > 1 and path[1] == ":"
    return path.startswith("/") or drive or ".." in parts


def _from_zip(archive_path: Path, inbox: Path, budget: Budget, found: list, ignored: list) -> None:
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Rejected(f"{archive_path} is not a readable zip file ({exc})") from None
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            name = info.filename
            if info.is_dir():
                continue
            if unsafe_member(name):
                ignored.append(Ignored(name, "unsafe path in the zip (climbs out of its folder)"))
                continue
            reason = why_not_a_submission(name)
            if reason:
                ignored.append(Ignored(name, reason))
                continue
            sub = Submission(name)
            found.append(sub)
            if stat.S_ISLNK(info.external_attr >> 16):
                sub.problem = "a symbolic link in the zip, not a file: not read"
                continue
            if info.file_size > budget.max_file:  # said by its header; one that lies is cut below
                sub.problem = f"file larger than {budget.max_file // MB} MB: not read"
                continue
            sub.path = inbox / f"{len(found):05d}.ipynb"
            try:
                with archive.open(info) as member:
                    sub.sha256, sub.problem = budget.copy(member.read, sub.path)
            except DAMAGED as exc:
                sub.path.unlink(missing_ok=True)
                sub.problem = f"damaged zip member, not read ({type(exc).__name__}: {exc})"
            if sub.problem:
                sub.path = None


def _open_regular(path: str):
    """``(fd, "")`` for a regular file, ``(None, why not)`` otherwise; never follows a link."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, "a symbolic link, not a file: not read"
        return None, f"cannot be read ({exc.strerror})"
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None, "not a regular file (a pipe, socket or device): not read"
    return fd, ""


def _from_folder(folder: Path, inbox: Path, budget: Budget, found: list, ignored: list) -> None:
    for top, dirs, files in os.walk(folder, followlinks=False):
        here = Path(top).relative_to(folder)
        dirs.sort()
        for name in list(dirs):
            relative = (here / name).as_posix()
            if os.path.islink(os.path.join(top, name)):
                ignored.append(Ignored(relative + "/", "a symbolic link to a folder: not entered"))
                dirs.remove(name)
            elif why_not_a_folder(relative):
                ignored.append(Ignored(relative + "/", why_not_a_folder(relative)))
                dirs.remove(name)
        for name in sorted(files):
            relative = (here / name).as_posix()
            reason = why_not_a_submission(relative)
            if reason:
                ignored.append(Ignored(relative, reason))
                continue
            sub = Submission(relative)
            found.append(sub)
            fd, sub.problem = _open_regular(os.path.join(top, name))
            if fd is None:
                continue
            sub.path = inbox / f"{len(found):05d}.ipynb"
            with os.fdopen(fd, "rb") as f:
                sub.sha256, sub.problem = budget.copy(f.read, sub.path)
            if sub.problem:
                sub.path = None


def collect(path, inbox, *, max_total: int, max_file: int = MAX_BYTES) -> tuple:
    """``(submissions, ignored)`` from a folder or a ``.zip``, copied into ``inbox``.

    Raises :class:`Rejected` if ``path`` is neither a folder nor a readable zip.
    """
    path, inbox = Path(path), Path(inbox)
    budget = Budget(max_file, max_total)
    found: list = []
    ignored: list = []
    if path.is_dir():
        _from_folder(path, inbox, budget, found, ignored)
    elif path.is_file():
        _from_zip(path, inbox, budget, found, ignored)
    else:
        raise Rejected(f"{path} is neither a folder nor a zip file")
    assign_ids(found)
    return found, ignored


def load_notebook(data: bytes) -> tuple:
    """``(notebook, notes)`` or raise :class:`Rejected`."""
    notes: list = []
    if len(data) > MAX_BYTES:
        raise Rejected(f"file larger than {MAX_BYTES // MB} MB")
    if not data.strip():
        raise Rejected("empty file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Rejected("not a notebook: not UTF-8 text") from None
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Rejected(f"not a notebook: not valid JSON ({str(exc)[:80]})") from None
    if not isinstance(raw, dict) or type(raw.get("nbformat")) is not int:
        raise Rejected("not a notebook: no nbformat version")
    # A \ud800 escape is valid JSON but not text: the kernel could not be sent such code,
    # nor a result record written (Jupyter never saves one).  Each becomes "?".
    dumped = json.dumps(raw, ensure_ascii=False)
    try:
        dumped.encode("utf-8")
    except UnicodeEncodeError:
        text = dumped.encode("utf-8", "replace").decode("utf-8")
        notes.append("characters that are not text (lone surrogates) were read as '?'")
    version = raw["nbformat"]
    if version > 4 or version < 3:
        raise Rejected(f"unsupported notebook format version {version}")
    if version < 4:
        notes.append(f"converted from nbformat {version}")
    try:
        nb = nbjson.parse(text)
    except Exception as exc:  # noqa: BLE001 - any failure to read means "not a notebook"
        raise Rejected(f"not a valid notebook ({type(exc).__name__})") from None
    if not isinstance(nb.get("metadata"), dict):
        raise Rejected("not a valid notebook: malformed metadata")
    cells = nb.get("cells")
    if not isinstance(cells, list) or not all(
        isinstance(c, dict)
        and isinstance(c.get("source"), str)
        and isinstance(c.get("cell_type"), str)
        and isinstance(c.get("metadata"), dict)
        for c in cells
    ):
        raise Rejected("not a valid notebook: malformed cells")
    return nb, notes
