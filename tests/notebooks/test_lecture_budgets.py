"""Lectures show short pieces: no code cell over 15 lines, no printed source over 30.

A lecture prints minigrad's source only through ``coursekit.lecture.show_source``,
which heads each printout with a ``# path.py: name`` line; the printed lines under
each heading are counted in the stored notebook (what a learner reads). Code cells
are counted in the sources (``course/src``), from which the notebooks are built.
Each counter is tried on a planted long cell and a planted long printout, so it can
fail.
"""

import os
import pathlib
import re

import nbformat
import pytest

from coursekit import notebooks
from coursekit.lecture import MAX_CELL_LINES, MAX_SOURCE_LINES, predict, show_source

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "course" / "src").glob("ch*.py"))
HEADING = re.compile(r"^# [\w./-]+\.py: ")  # show_source's first line
RAW_SOURCE = re.compile(r"\binspect\.getsource\b|\bgetsource\(")


def long_cells(nb):
    """(cell id, lines) of each code cell longer than the budget."""
    return [
        (c.id, len(c.source.splitlines()))
        for c in nb.cells
        if c.cell_type == "code" and len(c.source.splitlines()) > MAX_CELL_LINES
    ]


def printed_sources(cell):
    """The source printouts in a cell's stored output: one list of lines per heading."""
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")
    printouts = []
    for line in text.splitlines():
        if HEADING.match(line):
            printouts.append([])
        elif printouts:
            printouts[-1].append(line)
    for lines in printouts:  # the blank lines that end a printout are not source
        while lines and not lines[-1].strip():
            lines.pop()
    return printouts


def long_printouts(nb):
    """(cell id, lines) of each source printout longer than the budget."""
    return [
        (c.id, len(lines))
        for c in nb.cells
        if c.cell_type == "code"
        for lines in printed_sources(c)
        if len(lines) > MAX_SOURCE_LINES
    ]


def raw_source_prints(nb):
    """Cells that print source some other way than show_source (so it is not counted)."""
    return [c.id for c in nb.cells if c.cell_type == "code" and RAW_SOURCE.search(c.source)]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_no_code_cell_over_the_budget(source):
    assert long_cells(notebooks.read_source(source)) == []


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_no_printed_source_over_the_budget(source):
    nb = nbformat.read(str(notebooks.output_path(source)), as_version=4)
    assert raw_source_prints(nb) == []
    assert long_printouts(nb) == []


def test_the_counters_find_a_planted_long_cell_and_a_planted_long_printout(tmp_path):
    planted = tmp_path / "src" / "ch99_planted.py"
    planted.parent.mkdir()
    body = "\n".join(f"x{i} = {i}" for i in range(MAX_CELL_LINES + 1))
    planted.write_text(f'# %% id="long"\n{body}\n\n# %% id="short"\nx = 1\n', encoding="utf-8")
    assert long_cells(notebooks.read_source(planted)) == [("long", MAX_CELL_LINES + 1)]

    nb = nbformat.v4.new_notebook()
    printout = "# minigrad/graph.py: f\n" + "line\n" * (MAX_SOURCE_LINES + 1)
    fits = "# minigrad/graph.py: g\n" + "line\n" * MAX_SOURCE_LINES
    cell = nbformat.v4.new_code_cell("show_source(f)\nshow_source(g)", id="printed")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printout + fits)]
    raw = nbformat.v4.new_code_cell("print(inspect.getsource(f))", id="raw")
    nb.cells = [cell, raw]
    assert long_printouts(nb) == [("printed", MAX_SOURCE_LINES + 1)]
    assert raw_source_prints(nb) == ["raw"]


def test_show_source_heads_its_printout_and_refuses_a_long_one(capsys):
    from minigrad import scalar

    show_source(scalar.Mul)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "# minigrad/scalar.py: Mul"
    assert printed[1].startswith("class Mul(")
    show_source(scalar.Mul, start="def backward", stop="return")
    excerpt = capsys.readouterr().out.splitlines()
    assert excerpt[0] == "# minigrad/scalar.py: Mul (excerpt)"
    assert excerpt[1].strip().startswith("def backward") and len(excerpt) == 4 + 1  # a blank
    with pytest.raises(ValueError, match="more than a lecture prints"):
        show_source(scalar.Scalar)  # a whole class of several hundred lines


def test_an_elided_run_is_one_line_that_says_so(capsys):
    from minigrad import scalar

    show_source(scalar.Mul, elide=[("def forward", "return a * b", "forward")])
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "# minigrad/scalar.py: Mul (... marks 3 lines left out)"
    assert "    ...  # forward (3 lines)" in printed
    assert not any("def forward" in line or "return a * b" in line for line in printed)
    assert any("def backward" in line for line in printed)  # the rest is printed
    with pytest.raises(ValueError, match="no line contains 'not there'"):
        show_source(scalar.Mul, elide=[("def forward", "not there", "?")])


def test_a_prediction_is_judged_against_what_the_program_gives(capsys):
    p = predict("2 + 2?", [3, 4])
    assert p.answer is None
    p.commit(4)
    p.commit(3)  # committed: a second click changes nothing
    p.reveal(2 + 2)
    assert p.right is True
    assert "You predicted it: right" in capsys.readouterr().out
    assert predict("2 * 2?", [3, 4], answer="b").answer == "4"  # by its letter
    wrong = predict("2 * 2?", [3, 4], answer=3)
    wrong.reveal(2 * 2)
    assert wrong.right is False
    assert "You predicted 3: not this time" in capsys.readouterr().out
    unanswered = predict("2 - 2?", [0, 1])
    unanswered.reveal(0)
    assert unanswered.right is None  # nothing committed
    assert "No prediction was committed" in capsys.readouterr().out
    with pytest.raises(ValueError, match="none of"):
        predict("2 / 2?", [0, 2]).reveal(2 / 2)  # a reveal must be one of the choices


# --- a learner commits before the reveal --------------------------------------------


def code_sources(nb):
    return [c.source for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_a_chapter_with_predict_questions_records_one_and_judges_it(source):
    nb = nbformat.read(str(notebooks.output_path(source)), as_version=4)
    markdown = " ".join(c.source for c in nb.cells if c.cell_type == "markdown")
    if "**Predict" not in markdown:
        pytest.skip("this chapter asks nothing to predict")
    asked = [i for i, s in enumerate(code_sources(nb)) if re.search(r"= (lecture\.)?predict\(", s)]
    revealed = [i for i, s in enumerate(code_sources(nb)) if ".reveal(" in s]
    assert asked and revealed and min(revealed) > min(asked)
    judged = [
        "".join(o.get("text", "") for o in c.outputs if o.output_type == "stream")
        for c in nb.cells
        if c.cell_type == "code" and ".reveal(" in c.source
    ]
    assert all("The program gives: " in text for text in judged)


# --- long chapters: optional sections -----------------------------------------------

LONG_CHAPTERS = ["ch04", "ch07", "ch08", "ch09"]  # 60 cells and more


def without_optional_sections(nb):
    """The notebook with every "## Optional" section left out, up to the next "## " title."""
    kept, skipping = [], False
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            titles = [line for line in cell.source.splitlines() if line.startswith("## ")]
            if titles:
                skipping = titles[0].startswith("## Optional")
        if not skipping:
            kept.append(cell)
    return kept


@pytest.mark.parametrize("chapter", LONG_CHAPTERS)
def test_a_long_chapter_has_optional_sections(chapter):
    (source,) = [s for s in SOURCES if s.name.startswith(chapter)]
    nb = notebooks.read_source(source)
    assert len(without_optional_sections(nb)) < len(nb.cells)


@pytest.mark.slow
@pytest.mark.parametrize("chapter", LONG_CHAPTERS)
def test_a_long_chapter_runs_with_its_optional_sections_skipped(chapter, tmp_path):
    # "Nothing after it needs it": the chapter, run without them, raises nothing.
    from nbclient import NotebookClient

    (source,) = [s for s in SOURCES if s.name.startswith(chapter)]
    nb = notebooks.read_source(source)
    nb.cells = without_optional_sections(nb)
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env_path) if p)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()  # raises CellExecutionError if a cell fails


def test_skipping_optional_sections_stops_at_the_next_title():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("## A"),
        nbformat.v4.new_code_cell("a = 1"),
        nbformat.v4.new_markdown_cell("intro\n## Optional: B"),
        nbformat.v4.new_code_cell("b = 1"),
        nbformat.v4.new_markdown_cell("### still B"),
        nbformat.v4.new_code_cell("b2 = 1"),
        nbformat.v4.new_markdown_cell("## C"),
        nbformat.v4.new_code_cell("c = a"),
    ]
    assert [c.source for c in without_optional_sections(nb)] == ["## A", "a = 1", "## C", "c = a"]


def test_a_click_on_the_buttons_commits_the_answer_and_locks_them(monkeypatch, capsys):
    # In a kernel, predict() shows ipywidgets buttons; a click sets their value.
    import IPython.display

    from coursekit import lecture

    monkeypatch.setattr(lecture, "_in_a_kernel", lambda: True)
    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    question = lecture.predict("2 + 2?", [3, 4])
    assert shown == [question.buttons] and question.answer is None
    question.buttons.value = "4"  # what a click does
    assert question.answer == "4" and question.buttons.disabled
    question.reveal(2 + 2)
    assert question.right is True
    assert "You predicted it: right" in capsys.readouterr().out
