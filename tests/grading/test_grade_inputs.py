"""What the grader reads: folders and zips a hostile class hands in, and the ids it gives.

Each test builds its input the way issue 16 found the grader fooled by it
(holes 1, 4, 6-9), grades it with the real command and checks every row.
Rejected files never start a kernel, so these runs are quick.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib

import classroom
import pytest
from classroom import read_gradebook, run_grader

from coursekit.grade.report import cell, shown
from coursekit.grade.submissions import Submission, assign_ids, learner_id, unsafe_member

pytestmark = pytest.mark.sandbox

FAKE_CHAPTER = "ch02\nzz_fake: ok 10/10 \x1b[32mall good\x1b[0m"


def grade(submissions, out, *extra):
    process = run_grader(
        "ch99",
        submissions,
        "--out",
        out,
        "--solutions",
        classroom.SOLUTIONS.parent,
        "-j",
        2,
        *extra,
    )
    assert process.returncode == 0, process.stdout[-2000:] + process.stderr[-3000:]
    return process, read_gradebook(out / "gradebook.csv")


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory):
    """Holes 1, 4 and 9: colliding and non-ASCII names, links, a pipe, a lying chapter."""
    root = tmp_path_factory.mktemp("folder")
    subs, out = root / "submissions", root / "out"
    (subs / "sub").mkdir(parents=True)
    solved = classroom.SOLUTIONS.read_bytes()
    # The two other ada files are empty (rejected without a kernel: quick).
    (subs / "ada.ipynb").write_bytes(b"")
    (subs / "ada-2.ipynb").write_bytes(solved)
    (subs / "sub" / "ada.ipynb").write_bytes(b"")
    (subs / "José.ipynb").write_bytes(b"")
    (subs / "Josè.ipynb").write_bytes(b"")
    (subs / "SAM.ipynb").write_bytes(b"")
    (subs / "sam.ipynb").write_bytes(b"")
    (subs / "to_solutions.ipynb").symlink_to(classroom.SOLUTIONS)
    (subs / "environ.ipynb").symlink_to("/proc/self/environ")
    (subs / "linked").symlink_to(classroom.SOLUTIONS.parent, target_is_directory=True)
    os.mkfifo(subs / "pipe.ipynb")
    nb = classroom.load(classroom.SOLUTIONS)
    nb["metadata"]["coursekit"]["chapter"] = FAKE_CHAPTER
    (subs / "fake_chapter.ipynb").write_bytes(classroom.dump(nb))
    (subs / "=cmd\x1b[31m.ipynb").write_bytes(b"")
    process, rows = grade(subs, out)
    return process, rows, out


def test_colliding_names_give_unique_ids_each_traced_to_its_file(hostile_folder):
    # Hole 1: sub/ada.ipynb was renamed ada-2 and overwrote the real ada-2.
    _, rows, out = hostile_folder
    got = {k: (v["source"], v["total"]) for k, v in rows.items() if k.startswith("ada")}
    assert got == {
        "ada": ("ada.ipynb", "0"),
        "ada-2": ("ada-2.ipynb", "10"),  # the solved work, graded
        "ada-3": ("sub/ada.ipynb", "0"),
    }
    for learner in got:
        assert (out / "feedback" / f"{learner}.html").is_file()


def test_non_ascii_ids_stay_readable_and_case_never_merges_two_learners(hostile_folder):
    _, rows, _ = hostile_folder
    assert {"José", "Josè"} <= set(rows)
    assert rows["José"]["source"] == "José.ipynb"
    # One file on a case-insensitive disk: the second gets its own id.
    assert {(k, v["source"]) for k, v in rows.items() if k.casefold().startswith("sam")} == {
        ("SAM", "SAM.ipynb"),
        ("sam-2", "sam.ipynb"),
    }


def test_links_and_pipes_are_refused_with_a_row_and_never_read(hostile_folder):
    # Hole 4: a link to the solutions got 11/11; one to /proc/self/environ was stored.
    process, rows, out = hostile_folder
    for learner in ("to_solutions", "environ"):
        assert rows[learner]["status"] == "rejected"
        assert rows[learner]["total"] == "0"
        assert "a symbolic link, not a file: not read" in rows[learner]["reason"]
    assert rows["pipe"]["status"] == "rejected"
    assert "not a regular file" in rows["pipe"]["reason"]
    assert "linked/,a symbolic link to a folder: not entered" in (out / "ignored.csv").read_text()
    stored = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    assert b"PATH=" not in stored  # nothing of an environment was read


def test_text_a_learner_wrote_reaches_no_terminal_summary_or_csv_unescaped(hostile_folder):
    # Hole 9: a chapter holding a newline and ANSI codes wrote a fake summary line.
    process, rows, out = hostile_folder
    for text in (process.stdout, (out / "summary.txt").read_text()):
        assert "\x1b" not in text
        assert not any(line.startswith("zz_fake") for line in text.splitlines())
        assert "ch02\\nzz_fake: ok 10/10 \\x1b[32mall good\\x1b[0m" in text
    gradebook = (out / "gradebook.csv").read_text()
    assert "\x1b" not in gradebook and "\nzz_fake" not in gradebook
    assert rows["fake_chapter"]["status"] == "rejected"
    # A file name is learner text too: no control codes in its id or source, no formula.
    evil = next(r for r in rows.values() if r["source"].startswith("'=cmd"))
    assert evil["source"] == "'=cmd\\x1b[31m.ipynb"
    assert "\x1b" not in evil["learner"]


def _zip_with_broken_members(path):
    """A zip in which one member has a bad CRC and one a header that understates its size."""
    solved = classroom.SOLUTIONS.read_bytes()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("class/good.ipynb", solved)
        z.writestr("class/bad_crc.ipynb", solved)
        z.writestr("class/short.ipynb", solved)
    data = bytearray(path.read_bytes())
    # Bad CRC: change one byte of bad_crc's data (stored, so the bytes are the file's).
    start = data.index(b"class/bad_crc.ipynb") + len("class/bad_crc.ipynb")
    data[start + 10] ^= 0xFF
    # Understated size: the central directory says short.ipynb has 100 bytes.
    entry = data.index(b"PK\x01\x02")  # the first entry of the central directory
    while True:
        name_length = struct.unpack_from("<H", data, entry + 28)[0]
        name = bytes(data[entry + 46 : entry + 46 + name_length])
        if name == b"class/short.ipynb":
            struct.pack_into("<I", data, entry + 24, 100)  # uncompressed size
            break
        extra, comment = struct.unpack_from("<HH", data, entry + 30)
        entry += 46 + name_length + extra + comment
    path.write_bytes(bytes(data))


@pytest.fixture(scope="module")
def hostile_zip(tmp_path_factory):
    """Holes 6-8: damaged members, too much data, paths that climb out."""
    root = tmp_path_factory.mktemp("zip")
    archive, out = root / "class.zip", root / "out"
    _zip_with_broken_members(archive)
    with zipfile.ZipFile(archive, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("class/huge.ipynb", b" " * (51 * 1024 * 1024))  # 51 MB of blanks, 50 kB zipped
        for n in range(4):
            z.writestr(f"class/pad{n}.ipynb", b" " * (3 * 1024 * 1024))
        for name in ("../escape.ipynb", "/abs.ipynb", "..\\win.ipynb", "C:/drive.ipynb"):
            z.writestr(name, classroom.SOLUTIONS.read_bytes())
        z.write(classroom.EXERCISES, "class/bo b.ipynb")
        z.writestr("class/.hidden.ipynb", b"{}")
        z.writestr("__MACOSX/class/._good.ipynb", b"fork")
        z.writestr("class/notes.txt", b"not a notebook")
    process, rows = grade(archive, out, "--max-total-mb", 8)
    return process, rows, out


def test_a_zip_is_graded_like_a_folder_each_row_traced_to_its_member(hostile_zip):
    _, rows, _ = hostile_zip
    assert {k: (v["source"], v["total"]) for k, v in rows.items() if k in ("good", "bo_b")} == {
        "good": ("class/good.ipynb", "10"),
        "bo_b": ("class/bo b.ipynb", "0"),
    }


def test_a_damaged_zip_member_costs_only_its_own_row(hostile_zip):
    # Hole 6: one bad member aborted the whole run with a traceback.
    _, rows, _ = hostile_zip
    assert rows["good"]["total"] == "10" and rows["good"]["status"] == "ok"
    for learner in ("bad_crc", "short"):
        assert rows[learner]["status"] == "rejected", rows[learner]
        assert "damaged zip member, not read (BadZipFile: Bad CRC-32" in rows[learner]["reason"]


def test_zip_members_are_streamed_with_a_cap_per_file_and_for_the_class(hostile_zip):
    # Hole 7: 100 members of 45 MB inflated into memory until MemoryError.
    _, rows, _ = hostile_zip
    assert rows["huge"]["status"] == "rejected"
    assert rows["huge"]["reason"] == "file larger than 50 MB: not read"
    # 8 MB for the class: the two notebooks and two pads fit, the other pads do not.
    reasons = [rows[f"pad{n}"]["reason"] for n in range(4)]
    assert reasons[:2] == ["empty file", "empty file"]
    assert all("together are larger than 8 MB (--max-total-mb)" in r for r in reasons[2:])


def test_every_member_not_graded_is_listed_with_the_reason(hostile_zip):
    # Hole 8: members with ../, ..\\, absolute paths or leading dots vanished.
    process, rows, out = hostile_zip
    ignored = (out / "ignored.csv").read_text().splitlines()
    climbs = "unsafe path in the zip (climbs out of its folder)"
    assert sorted(ignored[1:]) == sorted(
        [
            f"../escape.ipynb,{climbs}",
            f"/abs.ipynb,{climbs}",
            f"..\\win.ipynb,{climbs}",
            f"C:/drive.ipynb,{climbs}",
            "class/.hidden.ipynb,hidden file or folder (e.g. .ipynb_checkpoints)",
            "__MACOSX/class/._good.ipynb,macOS metadata (__MACOSX)",
            "class/notes.txt,not a .ipynb file",
        ]
    )
    assert "not graded, not submissions (7; every one in ignored.csv)" in process.stdout
    assert "not a .ipynb file: class/notes.txt" in process.stdout
    assert not set(rows) & {"escape", "abs", "win", "drive"}


def test_learner_ids_keep_letters_of_any_script_and_nothing_else():
    assert learner_id("José.ipynb") == "José"
    assert learner_id("Jose\u0301.ipynb") == "José"  # decomposed: the same id, NFC
    assert learner_id("王小明.ipynb") == "王小明"
    assert learner_id("a b/c\\..\\d.IPYNB") == "d"
    assert learner_id("x\x1b[31m\u202e.ipynb") == "x__31m_"
    assert learner_id("...ipynb") == "unnamed"


def test_ids_are_unique_whatever_the_order_and_case_of_the_files():
    subs = [Submission(s) for s in ("b/ada.ipynb", "ada-2.ipynb", "ada.ipynb", "Ada-3.ipynb")]
    assign_ids(subs)
    assert {s.source: s.learner for s in subs} == {
        "ada.ipynb": "ada",
        "ada-2.ipynb": "ada-2",
        "Ada-3.ipynb": "Ada-3",
        "b/ada.ipynb": "ada-4",
    }


def test_paths_that_climb_out_of_a_folder_are_recognised():
    for name in ("../x.ipynb", "a/../../x.ipynb", "/x.ipynb", "..\\x.ipynb", "C:\\x.ipynb"):
        assert unsafe_member(name), name
    for name in ("x.ipynb", "a/b/x.ipynb", "a..b.ipynb"):
        assert not unsafe_member(name), name


def test_shown_text_is_one_line_of_printable_characters():
    assert shown("a\nb\x1b[0m\u202ec\td") == "a\\nb\\x1b[0m\\u202ec\\td"
    assert shown("x" * 500, 10) == "xxxxxxx..."
    assert cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and cell("-2+3") == "'-2+3"
    assert cell("ada") == "ada"


def test_zlib_errors_of_a_member_are_caught_like_any_damage():
    from coursekit.grade.submissions import DAMAGED

    assert issubclass(zlib.error, DAMAGED) and issubclass(zipfile.BadZipFile, DAMAGED)
