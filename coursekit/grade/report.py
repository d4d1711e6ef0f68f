"""What the grader writes: the gradebook, one feedback page per learner, a summary.

Learner ids, file names, reasons and messages may carry text a learner
chose (a file name, a notebook's metadata, an exception's message).  None
of it reaches the summary, the terminal or the CSV as it is: :func:`shown`
writes control and format characters (newlines, ANSI escapes, bidi
overrides) as escapes, and :func:`cell` keeps a spreadsheet from reading a
field as a formula.  The HTML pages escape everything they show.
"""

from __future__ import annotations

import csv
import html
import io
import statistics
import unicodedata

from ..checks.messages import FAIL

STATUS_MEANING = {
    "ok": "graded",
    "incidents": "graded; some cells hit a limit (their exercises failed)",
    "modified": "graded; graded cells were missing or renamed",
    "tampered": "graded; a cell reached into the grading (the exercises checked after it scored 0)",
    "rejected": "not gradable (0 points)",
    "error": "grader error (0 points; re-run to retry)",
}
NO_ISOLATION = (
    "graded WITHOUT a sandbox (--isolation none): the notebook ran with the "
    "instructor's rights and view of the files"
)


def shown(text, limit: int = 300) -> str:
    """``text`` safe for a terminal, a text file or a CSV field: one line, no control codes."""
    text = str(text)
    out = []
    for ch in text[: limit * 2]:
        if ch == " " or unicodedata.category(ch)[0] not in "CZ":
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    joined = "".join(out)
    return joined if len(joined) <= limit else joined[: limit - 3] + "..."


def cell(text) -> str:
    """A CSV field: shown, and never read as a formula (=, +, -, @ lead to a formula)."""
    text = shown(text, 1000)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def gradebook_csv(plan, results: list) -> str:
    """One row per submission: learner, source, points per graded cell, total, max, status, reason."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    ids = [g.grade_id for g in plan.graded]
    writer.writerow(["learner", "source", *ids, "total", "max", "status", "reason"])
    for result in sorted(results, key=lambda r: r["learner"]):
        points = {c["grade_id"]: c["points"] for c in result.get("cells", [])}
        writer.writerow(
            [
                cell(result["learner"]),
                cell(result.get("source", "")),
                *(points.get(i, 0) for i in ids),
                result["total"],
                plan.max_points,
                result["status"],
                cell(result["reason"]),
            ]
        )
    return out.getvalue()


def ignored_csv(ignored: list) -> str:
    """Every file found that is not a submission, and why."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["source", "reason"])
    for entry in ignored:
        writer.writerow([cell(entry.source), entry.reason])
    return out.getvalue()


def feedback_html(plan, result: dict) -> str:
    """The learner's page: per exercise, passed or not, the check's message, points."""
    e = html.escape
    rows = []
    for c in result.get("cells", []):
        ok = c["status"] == "passed"
        colour = "#1a7f37" if ok else "#cf222e"
        rows.append(
            f"<tr><td>{c['number']}</td><td><code>{e(c['title'])}</code><br>"
            f"<small>{e(c['kind'])} &middot; {e(c['grade_id'])}</small></td>"
            f"<td style='color:{colour}'>{'passed' if ok else e(c['status'])}</td>"
            f"<td>{c['points']} / {c['max_points']}</td>"
            f"<td><pre style='white-space:pre-wrap;margin:0'>{e(c['message'])}</pre></td></tr>"
        )
    reason = f"<p>{e(result['reason'])}</p>" if result.get("reason") else ""
    warning = f"<p><b>{e(NO_ISOLATION)}.</b></p>" if result.get("isolation") == "none" else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(plan.chapter)}: {e(result["learner"])}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{border-bottom:1px solid #ddd;
padding:.4em;vertical-align:top;text-align:left}}table{{border-collapse:collapse}}</style></head>
<body><h1>{e(plan.chapter)} feedback for {e(result["learner"])}</h1>
<p><b>{result["total"]} / {plan.max_points} points</b> &middot; status: {e(result["status"])}
({e(STATUS_MEANING.get(result["status"], ""))})</p>{reason}{warning}
<table><tr><th>#</th><th>exercise</th><th>result</th><th>points</th><th>message</th></tr>
{"".join(rows)}</table>
<p><small>Hidden cases were applied: your functions were tried on inputs you had not seen.</small></p>
</body></html>
"""


def summary_text(
    plan,
    results: list,
    *,
    graded: int,
    reused: int,
    seconds: float,
    workers: int,
    isolation: str,
    ignored: list = (),
) -> str:
    lines = []
    n = len(results)
    lines.append(
        f"{plan.chapter}: {n} submission{'s' if n != 1 else ''} "
        f"({graded} graded now, {reused} from an earlier run) in {seconds:.1f} s "
        f"with {workers} worker{'s' if workers != 1 else ''}; isolation: {isolation}"
    )
    if any(r.get("isolation") == "none" for r in results):
        lines.append(f"WARNING: {NO_ISOLATION}.")
    if n:
        lines += _statistics(plan, results)
    if ignored:
        lines.append(f"not graded, not submissions ({len(ignored)}; every one in ignored.csv):")
        by_reason: dict = {}
        for entry in ignored:
            by_reason.setdefault(entry.reason, []).append(entry.source)
        for reason, sources in by_reason.items():
            names = ", ".join(shown(s, 80) for s in sources[:5])
            more = f" and {len(sources) - 5} more" if len(sources) > 5 else ""
            lines.append(f"  {reason}: {names}{more}")
    return "\n".join(lines) + "\n"


def _statistics(plan, results: list) -> list:
    lines = []
    n = len(results)
    totals = [r["total"] for r in results]
    top = plan.max_points
    lines.append(
        f"mean {statistics.mean(totals):.2f} / {top} ({100 * statistics.mean(totals) / top:.0f}%), "
        f"median {statistics.median(totals):g}, min {min(totals)}, max {max(totals)}"
    )
    lines.append("distribution of totals:")
    width = max(1, max(totals.count(t) for t in set(totals)))
    for points in range(top + 1):
        count = totals.count(points)
        if count or points in (0, top):
            bar = "#" * max(1 if count else 0, round(30 * count / width))
            lines.append(f"  {points:>3} {bar} {count}")
    lines.append("failures by exercise:")
    for g in plan.graded:
        failed = sum(
            1
            for r in results
            if next((c["points"] for c in r.get("cells", []) if c["grade_id"] == g.grade_id), 0)
            == 0
        )
        lines.append(f"  {g.number}. {g.grade_id:<14} {g.title:<40} {failed} of {n} failed")
    counts: dict = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    lines.append("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for r in sorted(results, key=lambda r: r["learner"]):
        if r["status"] != "ok":
            lines.append(f"  {shown(r['learner'], 100)}: {r['status']}: {shown(r['reason'], 400)}")
    return lines


def result_record(job: dict, plan, status: str, reasons: list, cells: list, **extra) -> dict:
    """One submission's result, as stored in ``results/<learner>.json`` and shown in every report."""
    total = sum(c["points"] for c in cells)
    reason = "; ".join(dict.fromkeys(r for r in reasons if r))
    return {
        "learner": job["learner"],
        "source": job.get("source", ""),
        "sha256": job["sha256"],
        "config_key": job["config_key"],
        "isolation": job.get("isolation", ""),
        "status": status,
        "reason": reason if len(reason) <= 400 else reason[:397] + "...",
        "cells": cells,
        "total": total,
        "max": plan.max_points if plan else job.get("max_points", 0),
        "final": status != "error",
        **extra,
    }


def empty_cells(plan, message: str) -> list:
    """The graded cells of a submission that was not run: 0 points each, with ``message``."""
    return [
        {
            "grade_id": g.grade_id,
            "number": g.number,
            "title": g.title,
            "kind": g.check.kind,
            "max_points": g.points,
            "points": 0,
            "status": "not-run",
            "message": message,
        }
        for g in plan.graded
    ]


def rejected(job: dict, plan, reason: str) -> dict:
    """The result of a file that cannot be graded at all."""
    return result_record(
        job, plan, "rejected", [reason], empty_cells(plan, f"{FAIL} not graded: {reason}.")
    )
