"""A whole class, hostile submissions included, graded once: every row checked."""

from __future__ import annotations

import html
import sys
from pathlib import Path

import classroom
import psutil
import pytest
from classroom import tree_hashes

from coursekit.grade.world import run_tag

pytestmark = pytest.mark.sandbox


def test_the_grader_finishes_with_success_and_writes_every_file(graded_class):
    process = graded_class.process
    assert process.returncode == 0, process.stderr[-3000:]
    assert (graded_class.out / "gradebook.csv").is_file()
    assert (graded_class.out / "summary.txt").is_file()
    for learner in graded_class.expected:
        assert (graded_class.out / "feedback" / f"{learner}.html").is_file(), learner


def test_the_gradebook_has_one_row_per_submission_and_a_column_per_graded_cell(graded_class):
    rows = graded_class.gradebook
    assert sorted(rows) == sorted(graded_class.expected)
    header = list(next(iter(rows.values())))
    assert header == ["learner", "source", *classroom.POINTS, "total", "max", "status", "reason"]
    assert all(row["source"] == f"{learner}.ipynb" for learner, row in rows.items())


def test_every_row_has_the_points_its_submission_earns(graded_class):
    wrong = {}
    for learner, expect in graded_class.expected.items():
        row = graded_class.gradebook[learner]
        got = {gid: int(row[gid]) for gid in classroom.POINTS}
        if got != expect.points or int(row["total"]) != expect.total or int(row["max"]) != 10:
            wrong[learner] = (got, row["total"], expect.points)
    assert not wrong, wrong


def test_every_row_has_its_status_and_a_reason_that_says_why(graded_class):
    wrong = {}
    for learner, expect in graded_class.expected.items():
        row = graded_class.gradebook[learner]
        reason_ok = expect.reason in row["reason"] if expect.reason else row["reason"] == ""
        if row["status"] != expect.status or not reason_ok:
            wrong[learner] = (row["status"], row["reason"], expect.status, expect.reason)
    assert not wrong, wrong


def test_feedback_messages_name_what_is_wrong(graded_class):
    wrong = {}
    for learner, expect in graded_class.expected.items():
        cells = {c["grade_id"]: c for c in graded_class.result(learner)["cells"]}
        for grade_id, phrase in expect.messages.items():
            if phrase not in cells[grade_id]["message"]:
                wrong[(learner, grade_id)] = cells[grade_id]["message"]
    assert not wrong, wrong


def test_feedback_pages_show_each_exercise_with_its_message_escaped(graded_class):
    page = (graded_class.out / "feedback" / "equals_everything.html").read_text()
    result = graded_class.result("equals_everything")
    assert "0 / 10 points" in page
    for cell in result["cells"]:
        assert html.escape(cell["message"]) in page
    assert "AlwaysEqual" in page


def test_an_untouched_exercise_notebook_is_told_every_exercise_is_not_implemented(graded_class):
    cells = graded_class.result("zero")["cells"]
    assert [c["status"] for c in cells] == ["not-implemented"] * 4


def test_the_summary_gives_the_mean_the_distribution_and_failures_by_exercise(graded_class):
    summary = graded_class.process.stdout
    totals = [e.total for e in graded_class.expected.values()]
    mean = sum(totals) / len(totals)
    assert f"mean {mean:.2f} / 10" in summary
    assert "distribution of totals:" in summary
    failed_ex2 = sum(1 for e in graded_class.expected.values() if e.points["ex2-check"] == 0)
    assert "ex2-check" in summary and f"{failed_ex2} of {len(totals)} failed" in summary
    assert summary.startswith((graded_class.out / "summary.txt").read_text())


def test_the_input_folder_and_the_solutions_are_unchanged(graded_class):
    assert tree_hashes(graded_class.submissions) == graded_class.input_before
    assert tree_hashes(graded_class.solutions) == graded_class.solutions_before


def test_hostile_submissions_could_not_write_outside_their_sandbox(graded_class):
    assert not graded_class.marker.exists()
    assert not (graded_class.submissions / "zz.ipynb").exists()
    assert not Path(sys.prefix, "planted.txt").exists()
    assert "planted" not in (graded_class.out / "gradebook.csv").read_text()


def test_no_process_of_a_submission_outlives_the_grader(graded_class):
    # A sandbox's processes die with its first one, whose name says which
    # grading it belongs to (other gradings may run on the same machine).
    name = f"coursekit-sandbox-{run_tag(graded_class.out)}"
    leftovers = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            cmdline = " ".join(proc.info["cmdline"] or [])
        except psutil.Error:
            continue
        if cmdline.startswith(name):
            leftovers.append((proc.pid, cmdline[:80]))
    assert not leftovers
