"""The learner's pieces last: written in a notebook cell, saved to my_engine/, and back in
a fresh process (a restarted kernel, another day) as the same engine."""

import json
import linecache
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import solution_pieces

from coursekit.engine_build import assemble, pieces, store

ROOT = Path(__file__).resolve().parents[2]

CELL = textwrap.dedent(
    """
    import threading

    import minigrad as mg


    def _per_thread_defaults(state):
        state.grad_enabled = True
        state.inference_mode = False


    class GradState(threading.local):
        def __init__(self):
            _per_thread_defaults(self)


    LEAD = 0


    def unbroadcast(grad, shape):
        lead = len(grad.shape) - len(shape)
        if lead > LEAD:
            grad = grad.sum(axis=tuple(range(lead)))
        ones = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
        if ones:
            grad = grad.sum(axis=ones, keepdims=True)
        return grad
    """
)


def run_cell(source, number):
    """Run ``source`` as IPython runs a notebook cell: a file name only linecache knows."""
    filename = f"/tmp/ipykernel_0/{number}.py"  # never a real file, as in a kernel
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": "__main__"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def test_a_piece_from_a_notebook_cell_is_saved_with_the_helpers_it_uses(capsys):
    namespace = run_cell(CELL, 1)
    assert assemble.check_piece("ch07.GradState", namespace["GradState"]).passed
    assert assemble.check_piece("ch03.unbroadcast", namespace["unbroadcast"]).passed
    saved = store.source("ch07.GradState")
    assert "def _per_thread_defaults(state):" in saved  # the helper came along
    assert "import threading" in saved
    assert "LEAD = 0" in store.source("ch03.unbroadcast")
    assert store.folder().joinpath(".gitignore").read_text() == "*\n"


def test_setup_in_a_fresh_process_installs_the_saved_pieces(capsys, fresh_engine):
    namespace = run_cell(CELL, 2)
    for piece_id, obj in solution_pieces.PIECES.items():
        if piece_id == "ch03.unbroadcast":
            obj = namespace["unbroadcast"]
        assert assemble.check_piece(piece_id, obj).passed
    program = textwrap.dedent(
        """
        import json
        from coursekit.engine_build import assemble, parity
        from coursekit.engine_build.switchboard import BOARD
        report = assemble.assemble("all")
        parity_report = parity.compare_with_pytorch(["op_add_sub_broadcast", "grad_retain_grad"])
        print(json.dumps({
            "yours": report.yours,
            "installed": list(BOARD.installed),
            "parity": [parity_report.passed, parity_report.total],
        }))
        """
    )
    env = dict(os.environ, MINIGRAD_MY_ENGINE=str(fresh_engine))
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["yours"] == list(pieces.BY_ID)
    assert seen["installed"] == list(pieces.BY_ID)
    assert seen["parity"] == [2, 2]


def test_my_engine_is_next_to_the_notebooks_unless_told_otherwise(tmp_path, monkeypatch):
    monkeypatch.delenv(store.ENVIRONMENT)
    monkeypatch.chdir(tmp_path)
    assert store.folder() == tmp_path / "my_engine"
    (tmp_path / "exercises").mkdir()
    assert store.folder() == tmp_path / "exercises" / "my_engine"  # from the course's top folder
    monkeypatch.chdir(tmp_path / "exercises")
    assert store.folder() == tmp_path / "exercises" / "my_engine"


@pytest.mark.slow
def test_a_piece_checked_in_one_kernel_is_in_the_engine_of_the_next(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.delenv(store.ENVIRONMENT)  # the kernel finds my_engine/ next to the notebook
    monkeypatch.setenv("PYTHONPATH", str(ROOT))

    def run(cells):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        client = nbclient.NotebookClient(
            notebook,
            timeout=120,
            kernel_name="python3",
            resources={"metadata": {"path": str(tmp_path)}},
        )
        client.execute()
        return ["".join(o.get("text", "") for o in cell.outputs) for cell in notebook.cells]

    unbroadcast = solution_pieces.source("ch03.unbroadcast")
    first = run(
        [
            "from coursekit.engine_build.assemble import check_piece, setup\nsetup('ch03')",
            unbroadcast,
            "check_piece('ch03.unbroadcast')",
        ]
    )
    assert "✓ ch03.unbroadcast" in first[2]
    assert (tmp_path / "my_engine" / "ch03.unbroadcast.py").is_file()
    second = run(
        [
            "from coursekit.engine_build.assemble import setup\nsetup('ch04')",
            "import minigrad as mg\nw = mg.ones(2, 1, requires_grad=True)\n"
            "(mg.ones(2, 3) * w).sum().backward()\nprint(w.grad.tolist())",
        ]
    )
    assert re.search(r"✓ ch03\.unbroadcast +yours +passed its check", second[0]), second[0]
    assert second[1].strip() == "[[3.0], [3.0]]"
