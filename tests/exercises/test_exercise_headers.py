"""Every exercise says what it asks before the learner starts, and helps in two steps.

Issue 15: "Each exercise states its kind, difficulty (1-3) and expected minutes;
hints are progressive (first hint, then a stronger one) and collapsible." Read
from the single source of the exercises (solutions/src) and from the notebooks
handed out (exercises/), so neither can lose it.
"""

import json
import re
from pathlib import Path

import pytest

from coursekit.checks import registry
from coursekit.checks.piece import PIECE_OF
from coursekit.engine_build import pieces

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "solutions" / "src").glob("ch*.py"))
HANDED_OUT = sorted((ROOT / "exercises").glob("ch*.ipynb"))

TITLE = re.compile(r"^## Exercise (\d+) \((implement|predict|find the bug)\): \S")
HEADER = re.compile(
    r"^\*(Implement|Predict|Find the bug) · difficulty ([123]) of 3 · "
    r"about (\d+) minutes( · a piece of your engine)?\*$"
)
HINT = re.compile(
    r"<details><summary>(.*?)</summary>\n(.*?)</details>",
    re.S,
)
CHECK_CALL = re.compile(r'^check\("([^"]+)"\)', re.M)


def problems(text: str, number: int, check_id: str) -> list:
    """What is missing from one exercise's text (markdown, without the `# ` prefixes)."""
    lines = text.strip("\n").split("\n")
    title = TITLE.match(lines[0])
    if not title:
        return [f"the first line is not '## Exercise N (kind): ...': {lines[0]!r}"]
    found = []
    if int(title.group(1)) != number:
        found.append(f"numbered {title.group(1)}, expected {number}")
    header = HEADER.match(lines[2]) if len(lines) > 2 and lines[1] == "" else None
    if not header:
        return [*found, "no '*Kind · difficulty d of 3 · about m minutes*' line under the title"]
    if header.group(1).lower() != title.group(2):
        found.append(f"the header says {header.group(1)}, the title {title.group(2)}")
    if int(header.group(3)) < 1:
        found.append("expected minutes below 1")
    if bool(header.group(4)) != is_piece(check_id):
        found.append(f"'a piece of your engine' must be said exactly for the pieces ({check_id})")
    hints = HINT.findall(text)
    if [summary for summary, _ in hints] != ["First hint", "A stronger hint"]:
        found.append(f"hints {[s for s, _ in hints]}, expected a first and a stronger one")
    for summary, body in hints:
        if len(body.strip()) < 20:
            found.append(f"the {summary!r} is empty")
    if len(hints) == 2 and hints[0][1].strip() == hints[1][1].strip():
        found.append("the stronger hint repeats the first")
    if text.count("<details>") != 2 or text.count("</details>") != 2:
        found.append("a hint block is not closed, or there are more than two")
    return found


def is_piece(check_id: str) -> bool:
    """A piece's own check, or an exercise's check that also checks a piece (with_piece)."""
    chapter = check_id.split(".")[0]
    if chapter in {f"ch{n:02d}" for n in range(12)}:
        registry.load_chapter(chapter)  # fills PIECE_OF for the chapter's with_piece checks
    return check_id in pieces.BY_ID or check_id in PIECE_OF


def source_cells(path: Path) -> list:
    """(cell id, markdown or code text) of a jupytext percent source, in order."""
    cells = []
    for chunk in re.split(r"^# %%", path.read_text(encoding="utf-8"), flags=re.M)[1:]:
        head, _, body = chunk.partition("\n")
        cell_id = re.search(r'id="([^"]+)"', head).group(1)
        if "[markdown]" in head:
            body = "\n".join(
                line[2:] if line.startswith("# ") else line[1:] for line in body.split("\n")
            )
        cells.append((cell_id, body))
    return cells


def exercises(cells) -> list:
    """(number, text, check id) of every exercise: a text cell exN-text and its check cell."""
    found, texts = [], {}
    for cell_id, body in cells:
        if re.fullmatch(r"ex\d+-text", cell_id):
            texts[cell_id[:-5]] = body
        elif re.fullmatch(r"ex\d+-check", cell_id):
            key = cell_id[:-6]
            found.append((int(key[2:]), texts.get(key, ""), CHECK_CALL.search(body).group(1)))
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_every_exercise_states_kind_difficulty_minutes_and_has_two_collapsible_hints(path):
    found = exercises(source_cells(path))
    assert found, f"{path.name} has no exercise"
    assert [n for n, _, _ in found] == list(range(1, len(found) + 1)), "numbered 1, 2, 3..."
    wrong = {n: problems(text, n, check_id) for n, text, check_id in found}
    assert {n: p for n, p in wrong.items() if p} == {}


@pytest.mark.parametrize("path", HANDED_OUT, ids=lambda p: p.stem)
def test_the_notebooks_handed_out_keep_the_headers_and_hints(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [
        (cell.get("id", ""), "".join(cell["source"])) for cell in nb["cells"] if cell.get("id")
    ]
    found = exercises(cells)
    assert found
    assert {n: p for n, text, c in found if (p := problems(text, n, c))} == {}


def test_the_check_fails_an_exercise_without_header_or_with_one_hint():
    """The rules above can fail: a bare exercise, a header with the wrong kind, one hint."""
    bare = "## Exercise 1 (predict): a graph\n\nPredict it.\n"
    assert problems(bare, 1, "ch01.graph_names")
    header = (
        "## Exercise 1 (predict): a graph\n\n*Implement · difficulty 1 of 3 · about 5 minutes*\n"
    )
    one_hint = header.replace("Implement", "Predict") + (
        "\n<details><summary>First hint</summary>\n\nDraw the graph on paper, box by box.\n\n"
        "</details>\n"
    )
    assert "the header says Implement, the title predict" in problems(header, 1, "ch01.graph_names")
    assert any("expected a first and a stronger one" in p for p in problems(one_hint, 1, "x.y"))
    not_a_piece = one_hint.replace("minutes*", "minutes · a piece of your engine*")
    assert any("exactly for the pieces" in p for p in problems(not_a_piece, 1, "ch01.graph_names"))
