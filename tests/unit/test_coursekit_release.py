"""``python -m coursekit.release``: exercises/ made from solutions/, and the checks on authors' work."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from coursekit.grade import nbjson
from coursekit.grade.plan import PlanError, read_plan
from coursekit.nbgrader_cells import ANSWER_STUB_HEAD, CODE_STUB, release_cell
from coursekit.release import main, release_text

FIXTURES = Path(__file__).parents[1] / "grading" / "fixtures"
SOLUTION = FIXTURES / "solutions" / "ch99_demo.ipynb"
EXERCISE = FIXTURES / "exercises" / "ch99_demo.ipynb"


def code_cell(source, **nbgrader):
    meta = {"nbgrader": {"grade_id": "x", "schema_version": 3, **nbgrader}} if nbgrader else {}
    return {
        "cell_type": "code",
        "source": source,
        "metadata": meta,
        "outputs": [{"output_type": "stream"}],
        "execution_count": 7,
    }


def test_a_solution_region_becomes_the_stub_indented_like_its_begin_line():
    cell = code_cell(
        "def f(x):\n    '''Doc.'''\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n# after",
        solution=True,
    )
    assert release_cell(cell)["source"] == (
        "def f(x):\n    '''Doc.'''\n    # YOUR CODE HERE\n    raise NotImplementedError()\n# after"
    )


def test_a_solution_cell_without_markers_is_replaced_whole():
    assert release_cell(code_cell("answer = True", solution=True))["source"] == CODE_STUB


def test_a_predict_answer_becomes_a_placeholder_per_answer_and_the_cell_runs():
    region = (
        "### BEGIN SOLUTION\nanswer_a = True  # why\nanswer_b, x = 1, 2\n"
        "answer_c = [1, 2]\n### END SOLUTION"
    )
    released = release_cell(code_cell(region, solution=True))["source"]
    assert released == (
        "# YOUR ANSWER HERE: replace each ... by your answer\nanswer_a = ...\nanswer_c = ..."
    )
    namespace: dict = {}
    exec(released, namespace)  # noqa: S102 - the stub itself: it must not raise
    assert namespace["answer_a"] is Ellipsis


def test_hidden_tests_are_removed_with_their_markers():
    cell = code_cell(
        'check("a")\n### BEGIN HIDDEN TESTS\ncheck("a", hidden=True)\n### END HIDDEN TESTS',
        grade=True,
        points=1,
        locked=True,
    )
    assert release_cell(cell)["source"] == 'check("a")'


def test_outputs_and_counts_are_cleared_and_cells_are_locked_like_nbgrader_locks_them():
    test_cell = release_cell(code_cell("check('a')", grade=True, points=1, locked=True))
    answer_cell = release_cell(code_cell("x = 1", solution=True))
    assert test_cell["outputs"] == [] and test_cell["execution_count"] is None
    assert (
        test_cell["metadata"]["editable"] is False and test_cell["metadata"]["deletable"] is False
    )
    assert (
        "editable" not in answer_cell["metadata"] and answer_cell["metadata"]["deletable"] is False
    )


def test_the_input_cell_is_left_untouched():
    cell = code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", solution=True)
    before = copy.deepcopy(cell)
    release_cell(cell)
    assert cell == before


def test_release_is_deterministic_and_matches_the_committed_exercise_notebook():
    assert release_text(SOLUTION) == release_text(SOLUTION) == EXERCISE.read_text(encoding="utf-8")


def test_check_mode_passes_when_exercises_are_current_and_fails_on_any_drift(tmp_path, capsys):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    shutil.copytree(SOLUTION.parent, solutions)
    shutil.copytree(EXERCISE.parent, exercises)
    args = ["--solutions", str(solutions), "--exercises", str(exercises)]
    assert main([*args, "--check"]) == 0

    released = exercises / SOLUTION.name
    released.write_text(released.read_text().replace("YOUR CODE HERE", "your code here", 1))
    assert main([*args, "--check"]) == 1
    assert "differs from" in capsys.readouterr().err
    assert main(args) == 0  # regenerates
    assert main([*args, "--check"]) == 0

    (exercises / "ch98_orphan.ipynb").write_text("{}")
    assert main([*args, "--check"]) == 1
    assert "has no source" in capsys.readouterr().err
    (exercises / "ch98_orphan.ipynb").unlink()
    released.unlink()
    assert main([*args, "--check"]) == 1
    assert "is missing" in capsys.readouterr().err


@pytest.mark.slow
def test_release_gives_the_same_cells_as_nbgrader_generate_assignment():
    nbformat = pytest.importorskip("nbformat")
    preprocessors = pytest.importorskip("nbgrader.preprocessors")
    # generate_assignment's steps that change cells, in its order.
    nb, resources = nbformat.read(SOLUTION, as_version=4), {}
    for step in (
        preprocessors.LockCells(),
        preprocessors.ClearSolutions(),
        preprocessors.ClearOutput(),
        preprocessors.ClearHiddenTests(),
    ):
        nb, resources = step.preprocess(nb, resources)
    ours = nbjson.parse(release_text(SOLUTION))
    # One difference on purpose: nbgrader's stub of a predict answer raises, which stops
    # "Run All"; ours assigns the placeholder ... to each answer.
    theirs = [c.source for c in nb.cells]
    answers = [i for i, c in enumerate(ours["cells"]) if c["source"].startswith(ANSWER_STUB_HEAD)]
    assert answers and all(theirs[i] == CODE_STUB for i in answers)
    for i in answers:
        theirs[i] = ours["cells"][i]["source"]
    assert [c["source"] for c in ours["cells"]] == theirs
    for mine, theirs in zip(ours["cells"], nb.cells):
        for key in ("editable", "deletable"):
            assert mine["metadata"].get(key) == theirs.metadata.get(key)


def _broken(tmp_path, change) -> Path:
    nb = json.loads(SOLUTION.read_text())
    change(nb)
    path = tmp_path / SOLUTION.name
    path.write_text(json.dumps(nb))
    return path


def _cell(nb, grade_id):
    return next(
        c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id
    )


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (
            lambda nb: _cell(nb, "ex1-check")["metadata"]["nbgrader"].update(points=5),
            "the cell gives 5 points, ch99.unbroadcast says 3",
        ),
        (
            lambda nb: _cell(nb, "ex1-check").update(source='check("ch99.unbroadcastt")'),
            "no check called 'ch99.unbroadcastt'",
        ),
        (
            lambda nb: _cell(nb, "ex1-check").update(
                source='check("ch99.unbroadcast", hidden=True)'
            ),
            "belongs inside the hidden-tests markers",
        ),
        (
            lambda nb: _cell(nb, "ex1-impl").update(source="### BEGIN SOLUTION\nx = 1"),
            "'BEGIN SOLUTION' without 'END SOLUTION'",
        ),
        (lambda nb: nb["cells"].remove(_cell(nb, "ex4-check")), "checks never graded: ch99.train"),
        (lambda nb: nb["metadata"].pop("coursekit"), "notebook metadata needs"),
        (
            lambda nb: _cell(nb, "ex2-check")["metadata"]["nbgrader"].update(grade_id="ex1-check"),
            "grade_id 'ex1-check' is used twice",
        ),
    ],
)
def test_a_solutions_notebook_written_wrongly_is_refused_with_the_reason(
    tmp_path, change, complaint
):
    with pytest.raises(PlanError) as info:
        read_plan(_broken(tmp_path, change))
    assert complaint in str(info.value)


def test_the_demo_plan_lists_its_graded_cells_points_and_hidden_calls():
    plan = read_plan(SOLUTION)
    assert [(g.grade_id, g.points) for g in plan.graded] == [
        ("ex1-check", 3),
        ("ex2-check", 3),
        ("ex3-check", 2),
        ("ex4-check", 2),
    ]
    assert [[c.hidden for c in g.calls] for g in plan.graded] == [
        [False, True],
        [False, True],
        [False],
        [False, True],
    ]
    assert set(plan.locked_sources) == {"setup", "ex4-given", "progress"}


def test_the_released_notebook_run_as_handed_out_runs_to_the_end_every_check_not_implemented():
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(EXERCISE, as_version=4)
    root = str(Path(__file__).parents[2])
    # allow_errors=False: any cell that raises stops "Run All", and fails this test.
    client = nbclient.NotebookClient(nb, timeout=60, resources={"metadata": {"path": root}})
    client.execute()
    graded = 0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            graded += 1
            assert {o.name for o in cell.outputs if o.output_type == "stream"} == {"stderr"}
            printed = "".join(o.text for o in cell.outputs)
            assert printed.startswith("✗") and "not implemented yet" in printed, printed
    progress = next(
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "progress"
    )
    shown = progress.outputs[0]["data"]["text/plain"]
    assert f"0 of {graded} exercises passed, 0 of 10 points" in shown
