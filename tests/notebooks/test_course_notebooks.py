"""The lecture notebooks: built from their sources, every seed item taught, nbval bites.

nbval itself runs over course/ in the main test command (see pyproject.toml);
these tests check what nbval cannot: that the stored notebooks are what their
sources say, that course/README.md's seed table is true, and that a stored
output which no longer matches makes nbval fail.
"""

import json
import pathlib
import re
import subprocess
import sys

import pytest

from coursekit import notebooks, seedtable
from coursekit.seed_items import SEED_ITEMS

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "course" / "src").glob("ch*.py"))
CHAPTERS = [f"ch{n:02d}" for n in range(11)]


def test_there_is_one_source_per_chapter():
    assert [s.name[:4] for s in SOURCES] == CHAPTERS


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_is_built_from_its_source_with_outputs(source):
    assert notebooks.differences(source) == []


def test_every_seed_item_is_taught_in_a_tagged_cell():
    found = seedtable.tagged_cells()
    missing = [item for item in SEED_ITEMS if item not in found]
    unknown = [item for item in found if item not in SEED_ITEMS]
    assert missing == [] and unknown == []


def test_seed_items_are_taught_in_their_chapter():
    found = seedtable.tagged_cells()
    misplaced = {
        item: [nb for nb, _ in places]
        for item, places in found.items()
        if item in SEED_ITEMS and not any(nb.startswith(SEED_ITEMS[item][0]) for nb, _ in places)
    }
    assert misplaced == {}


LEARNER_NOTEBOOKS = [
    path for folder in ("course", "solutions", "exercises") for path in sorted((ROOT / folder).glob("ch*.ipynb"))
]  # fmt: skip


@pytest.mark.parametrize("path", LEARNER_NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_text_a_learner_reads_names_a_seed_item(path):
    # Seed items are the course's internal bookkeeping: cells carry them as tags
    # (metadata), which coursekit.seedtable reads; the text and outputs never do.
    nb = json.loads(path.read_text(encoding="utf-8"))
    shown = []
    for cell in nb["cells"]:
        shown.append("".join(cell["source"]))
        for out in cell.get("outputs", []):
            shown.append("".join(out.get("text", "")))
            shown.extend(
                "".join(v) for k, v in out.get("data", {}).items() if k.startswith("text/")
            )
    text = "\n".join(shown)
    assert re.findall(r"seed item|\bs00\d-[a-z][a-z0-9-]*", text) == []


def test_course_readme_seed_table_is_current():
    readme = (ROOT / "course" / "README.md").read_text(encoding="utf-8")
    expected = seedtable.readme_with_table(readme, seedtable.render(seedtable.tagged_cells()))
    assert readme == expected, "run: python -m coursekit.seedtable --write"


def test_nbval_fails_when_a_stored_output_changes(tmp_path):
    # Take a real chapter, change one stored text output, and run nbval on it.
    source = ROOT / "course" / "ch01_graph.ipynb"
    nb = json.loads(source.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        outputs = [o for o in cell.get("outputs", []) if o.get("name") == "stdout"]
        if outputs:
            outputs[0]["text"] = ["this is not what the cell prints\n"]
            break
    else:
        pytest.fail("no stdout output found to change")
    changed = tmp_path / "changed.ipynb"
    changed.write_text(json.dumps(nb), encoding="utf-8")
    unchanged = tmp_path / "unchanged.ipynb"
    unchanged.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    sanitize = ROOT / "tests" / "notebooks" / "nbval_sanitize.cfg"

    def nbval(path):
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--nbval",
                "--nbval-sanitize-with",
                str(sanitize),
                str(path),
            ],
            cwd=ROOT / "course",
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    assert nbval(unchanged).returncode == 0
    result = nbval(changed)
    assert result.returncode != 0
    assert "this is not what the cell prints" in result.stdout
