"""The grader's worker: ``python -m coursekit.grade.worker --serve`` (or ``JOB.json``).

With ``--serve`` it reads the paths of job files on standard input, one a
line, grades each submission and answers ``done`` on standard output once
its result file is written; the grader keeps one such process per worker
slot (``-j``), which saves starting Python and importing the grader for
every submission.  Nothing of one grading reaches the next: each submission
gets a fresh kernel in a fresh sandbox, and the worker keeps no state of
its own.  A worker that dies or hangs is replaced by the grader, and the
submission it was grading gets an error row that the next run retries.
Each job's messages (a traceback, a kernel that would not start) go to
the log file the job names.  ``python -m coursekit.grade.worker JOB.json``
grades one job and exits.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path


def write_atomic(path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old or the new file, never half.

    A character that is not text (a lone surrogate a learner's message carried) is
    written as an escape: no file the grader writes can fail on what a learner sent.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8", errors="backslashreplace") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def grade_one(job_path: str) -> None:
    """Grade the job in ``job_path``; its result file is written whatever happens."""
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    from .report import result_record
    from .runner import grade_job

    sys.stdout.flush()
    sys.stderr.flush()
    with open(job.get("log_path", os.devnull), "w") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    started = time.monotonic()
    try:
        result = grade_job(job)
    except Exception as exc:  # noqa: BLE001 - recorded as this submission's error row
        traceback.print_exc()
        result = result_record(
            job, None, "error", [f"grader error: {type(exc).__name__}: {exc}"], []
        )
    result["seconds"] = round(time.monotonic() - started, 2)
    sys.stdout.flush()
    sys.stderr.flush()
    write_atomic(job["result_path"], json.dumps(result, indent=1, sort_keys=True))


def serve() -> None:
    """Grade the jobs named on standard input, answering ``done`` for each."""
    answers = os.fdopen(os.dup(1), "w")  # the grader's pipe; fd 1 goes to each job's log
    for line in sys.stdin:
        grade_one(line.strip())
        answers.write("done\n")
        answers.flush()


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--serve"]:
        serve()
    else:
        grade_one(argv[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
