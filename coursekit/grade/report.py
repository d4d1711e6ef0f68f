"""What the grader writes: the gradebook, one feedback page per learner, a summary."""

from __future__ import annotations

import csv
import html
import io
import statistics

STATUS_MEANING = {
    "ok": "graded",
    "incidents": "graded; some cells hit a limit (their exercises failed)",
    "modified": "graded; graded cells were missing or renamed",
    "rejected": "not gradable (0 points)",
    "error": "grader error (0 points; re-run to retry)",
}


def gradebook_csv(plan, results: list) -> str:
    """One row per submission: learner, points per graded cell, total, max, status, reason."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    ids = [g.grade_id for g in plan.graded]
    writer.writerow(["learner", *ids, "total", "max", "status", "reason"])
    for result in sorted(results, key=lambda r: r["learner"]):
        points = {c["grade_id"]: c["points"] for c in result.get("cells", [])}
        writer.writerow(
            [
                result["learner"],
                *(points.get(i, 0) for i in ids),
                result["total"],
                plan.max_points,
                result["status"],
                result["reason"],
            ]
        )
    return out.getvalue()


def feedback_html(plan, result: dict) -> str:
    """The learner's page: per exercise, passed or not, the check's message, points."""
    e = html.escape
    rows = []
    for cell in result.get("cells", []):
        ok = cell["status"] == "passed"
        colour = "#1a7f37" if ok else "#cf222e"
        rows.append(
            f"<tr><td>{cell['number']}</td><td><code>{e(cell['title'])}</code><br>"
            f"<small>{e(cell['kind'])} &middot; {e(cell['grade_id'])}</small></td>"
            f"<td style='color:{colour}'>{'passed' if ok else e(cell['status'])}</td>"
            f"<td>{cell['points']} / {cell['max_points']}</td>"
            f"<td><pre style='white-space:pre-wrap;margin:0'>{e(cell['message'])}</pre></td></tr>"
        )
    reason = f"<p>{e(result['reason'])}</p>" if result.get("reason") else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(plan.chapter)}: {e(result["learner"])}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}td,th{{border-bottom:1px solid #ddd;
padding:.4em;vertical-align:top;text-align:left}}table{{border-collapse:collapse}}</style></head>
<body><h1>{e(plan.chapter)} feedback for {e(result["learner"])}</h1>
<p><b>{result["total"]} / {plan.max_points} points</b> &middot; status: {e(result["status"])}
({e(STATUS_MEANING.get(result["status"], ""))})</p>{reason}
<table><tr><th>#</th><th>exercise</th><th>result</th><th>points</th><th>message</th></tr>
{"".join(rows)}</table>
<p><small>Hidden cases were applied: your functions were tried on inputs you had not seen.</small></p>
</body></html>
"""


def summary_text(
    plan, results: list, *, graded: int, reused: int, seconds: float, workers: int, isolation: str
) -> str:
    lines = []
    n = len(results)
    lines.append(
        f"{plan.chapter}: {n} submission{'s' if n != 1 else ''} "
        f"({graded} graded now, {reused} from an earlier run) in {seconds:.1f} s "
        f"with {workers} worker{'s' if workers != 1 else ''}; isolation: {isolation}"
    )
    if not n:
        return "\n".join(lines) + "\n"
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
    counts = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    lines.append("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for r in sorted(results, key=lambda r: r["learner"]):
        if r["status"] != "ok":
            lines.append(f"  {r['learner']}: {r['status']}: {r['reason']}")
    return "\n".join(lines) + "\n"
