"""What the mutation tests share: run learner code and a check the way a notebook does.

Each test_chNN_mutations.py writes a plausible (right or wrong) solution as source
text, runs it and then a check call as two "cells" in one namespace, and reads the
verdict the learner would see.
"""

import contextlib
import io
import json
import textwrap

from coursekit import check


def run_cells(learner_code, call, namespace):
    """Run ``learner_code`` then ``call`` in ``namespace``; 'PASSED' or 'FAILED <message>'.

    A check prints ✓ (on stdout) or ✗ and its message (on stderr); it never raises.
    """
    exec(textwrap.dedent(learner_code), namespace)  # noqa: S102 - the test's own learner code
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        exec(call, namespace)  # noqa: S102
    failure = err.getvalue().find("✗")
    if failure >= 0:
        return "FAILED " + err.getvalue()[failure:].rstrip("\n")
    assert "✓" in out.getvalue(), out.getvalue() + err.getvalue()
    return "PASSED"


def run_after_setup(prelude, learner_code, call):
    """``run_cells`` in a fresh namespace (a new kernel) that has run ``prelude``, the
    chapter's setup imports, first."""
    namespace = {"check": check}
    exec(prelude, namespace)  # noqa: S102 - what the notebook's setup cell imports
    return run_cells(learner_code, call, namespace)


def visible_and_hidden(run, learner_code, check_id):
    """The verdicts of ``check(check_id)`` on its visible cases, then on its hidden ones."""
    return [
        run(learner_code, f'check("{check_id}")'),
        run(learner_code, f'check("{check_id}", hidden=True)'),
    ]


def answers(values, **changes):
    """A predict exercise's answer cell: ``values`` (name -> source text), some changed."""
    return "\n".join(f"{k} = {v}" for k, v in {**values, **changes}.items())


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
