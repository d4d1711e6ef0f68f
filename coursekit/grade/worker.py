"""One submission, one process: ``python -m coursekit.grade.worker JOB.json``.

The grader starts a fresh worker process per submission, so nothing one
grading leaves behind (a kernel, memory, a broken state) reaches the next.
The worker writes its result file atomically; a worker that dies leaves no
file, and the grader records an error that the next run retries.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path


def write_atomic(path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old or the new file, never half."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    from .runner import grade_job, result_record

    started = time.monotonic()
    try:
        result = grade_job(job)
    except Exception as exc:  # noqa: BLE001 - recorded as this submission's error row
        traceback.print_exc()
        result = result_record(
            job, None, "error", [f"grader error: {type(exc).__name__}: {exc}"], []
        )
    result["seconds"] = round(time.monotonic() - started, 2)
    write_atomic(job["result_path"], json.dumps(result, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
