"""What the mutation tests share: run learner code and a check the way a notebook does.

Each test_chNN_mutations.py writes a plausible (right or wrong) solution as source
text, runs it and then a check call as two "cells" in one namespace, and reads the
verdict the learner would see.
"""

import json
import textwrap

from coursekit.checks import CheckFailed


def run_cells(learner_code, call, namespace):
    """Run ``learner_code`` then ``call`` in ``namespace``; 'PASSED' or 'FAILED <message>'."""
    exec(textwrap.dedent(learner_code), namespace)  # noqa: S102 - the test's own learner code
    try:
        exec(call, namespace)  # noqa: S102
    except CheckFailed as failure:
        return "FAILED " + str(failure)
    return "PASSED"


def solution_cell(notebook_path, grade_id):
    """The source of the cell with this grade_id (or cell id) in a solutions notebook."""
    nb = json.loads(notebook_path.read_text(encoding="utf-8"))
    for c in nb["cells"]:
        if (
            c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id
            or c.get("id") == grade_id
        ):
            return "".join(c["source"])
    raise KeyError(grade_id)
