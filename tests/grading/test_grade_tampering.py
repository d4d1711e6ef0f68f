"""Learner code that reaches into the grading scores 0 from there on (grade/tamper.py).

A piece's probe runs in the learner's kernel, which holds the whole engine:
a notebook that patched the piece guard and the trials there, or rewrote the
probe's frame on its way out, got full marks for three stubs (ch01's Add, Mul
and Tanh) before the grader read the notebook's source for such code. The
grading here is of a real chapter (ch01) with three submissions; the source
scan is also held against every cell a learner is handed or shown, which it
must let through.
"""

from __future__ import annotations

import builtins
import copy
import json
import textwrap
from pathlib import Path

import classroom
import numpy as np
import pytest
from classroom import read_gradebook, run_grader
from fixtures import tampering

from coursekit import check
from coursekit.grade import tamper, watch, wire

ROOT = Path(__file__).parents[2]

PATCH_THE_TRIALS = """
import coursekit.engine_build.guard as _g, coursekit.engine_build.trials as _t
_g.refusal = lambda *a, **k: None
_t.shape_problem = lambda *a, **k: None
_t.observe = lambda piece, obj, only=None: {"cases": [{"ok": e} for e in _t.expect(piece, only)]}
"""

# Rewrites the probe's frame: every piece case answered with minigrad's own observations.
FORGE_THE_FRAME = r"""
import json, re, sys
from coursekit.engine_build import trials as _trials
_out, _loads, _forged = sys.stdout, json.loads, []

def _reading_the_cases(text, *args, **kwargs):
    value = _loads(text, *args, **kwargs)
    if isinstance(value, list) and value and isinstance(value[0], dict) and "piece" in value[0]:
        _forged[:] = [{"refused": None} if c.get("guard") else
                      {"cases": [{"ok": e} for e in _trials.expect(c["piece"], c["index"])]}
                      for c in value]
    return value

class _Forger:
    def __getattr__(self, name):
        return getattr(_out, name)

    def write(self, text):
        frame = re.match(r"(<<coursekit:\w+>>).*(<</coursekit:\w+>>)", text, re.S)
        if frame:
            results = [{"status": "ok", "value": value} for value in _forged]
            text = frame[1] + json.dumps({"results": results}) + frame[2] + "\n"
        return _out.write(text)

json.loads = _reading_the_cases
sys.stdout = _Forger()
"""

# Runs what the learner's copy of a check cell holds (the grader never runs that copy, so
# never reads it either): from the notebook's own file, as a module.
LOAD_FROM_THE_NOTEBOOK = """
import json
cells = json.load(open("submission.ipynb"))["cells"]
hidden = [c for c in cells if c["metadata"].get("nbgrader", {}).get("grade_id") == "ex1-check"]
with open("helper_module.py", "w") as f:
    f.write("".join(hidden[0]["source"]))
import helper_module
"""


def _notebook(name: str) -> dict:
    return classroom.load(ROOT / name)


def _with_cell_before(nb: dict, grade_id: str, code: str) -> dict:
    nb = copy.deepcopy(nb)
    target = classroom.cell(nb, grade_id)
    target["source"] = textwrap.dedent(code).strip("\n") + "\n" + target["source"]
    return nb


@pytest.mark.sandbox
def test_stub_pieces_with_the_grading_patched_in_the_kernel_score_nothing(tmp_path):
    solved, handed_out = (
        _notebook("solutions/ch01_graph.ipynb"),
        _notebook("exercises/ch01_graph.ipynb"),
    )
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for learner, nb in {
        "solved": solved,
        "patches_the_trials": _with_cell_before(handed_out, "ex5-impl", PATCH_THE_TRIALS),
        "forges_the_frame": _with_cell_before(handed_out, "ex5-impl", FORGE_THE_FRAME),
        "hides_the_patch": _with_cell_before(
            _with_cell_before(handed_out, "ex1-check", PATCH_THE_TRIALS),
            "ex5-impl",
            LOAD_FROM_THE_NOTEBOOK,
        ),
        **{
            learner: _with_cell_before(handed_out, "ex5-impl", cell)
            for learner, cell in tampering.ALL.items()
        },
        "copies_the_code": classroom.replaced(handed_out, {"ex5-impl": tampering.COPIED_CODE}),
    }.items():
        (submissions / f"{learner}.ipynb").write_text(json.dumps(nb))
    out = tmp_path / "out"
    process = run_grader(
        "ch01", submissions, "--out", out, "--solutions", ROOT / "solutions", "-j", 2
    )
    assert process.returncode == 0, process.stderr[-3000:]
    rows = read_gradebook(out / "gradebook.csv")
    assert (rows["solved"]["total"], rows["solved"]["status"]) == ("14", "ok")
    # What the learner's copy of a check cell holds never runs, nor is it in the kernel's copy.
    hidden = rows["hides_the_patch"]
    assert (hidden["total"], hidden["status"]) == ("0", "ok"), hidden
    for learner, line in [
        ("patches_the_trials", "its line 1: `import coursekit.engine_build.guard"),
        ("forges_the_frame", "its line 2: `from coursekit.engine_build import trials"),
    ]:
        row = rows[learner]
        assert (row["total"], row["status"]) == ("0", "tampered"), row
        assert f"a cell in exercise 5 uses the grading machinery ({line}" in row["reason"]
        assert "the exercises checked after it score 0" in row["reason"]
        result = json.loads((out / ".coursekit-grade" / "results" / f"{learner}.json").read_text())
        pieces = [
            c for c in result["cells"] if c["grade_id"] in ("ex5-check", "ex6-check", "ex7-check")
        ]
        # What the check saw is kept for the instructor: the patched probe reported passes.
        assert all(c["status"] == "tampered" and "The check saw: ✓" in c["message"] for c in pieces)
    # Code the scan cannot read (fixtures/tampering.py): the kernel is compared with the
    # snapshot it took before the learner's first cell, and what changed is named.
    for learner, changed in [
        ("handed_object", "coursekit.engine_build.trials.observe (replaced)"),
        ("class_attribute", "Scalar.__add__ (replaced)"),
        ("keyword_defaults", "json.loads.__kwdefaults__ (replaced)"),
        ("defaults", "Scalar.__add__.__code__ (replaced)"),
    ]:
        assert [tamper.find(line) for line in tampering.ALL[learner].split("\n")] == [None] * len(
            tampering.ALL[learner].split("\n")
        )
        row = rows[learner]
        assert (row["total"], row["status"]) == ("0", "tampered"), row
        assert row["reason"].startswith(
            "code run before exercise 5 was checked changed what the check relies on in the "
            "kernel ("
        ), row
        assert changed in row["reason"], row
    # A piece that calls copies of minigrad's own functions: they are switched off too.
    copied = json.loads(
        (out / ".coursekit-grade" / "results" / "copies_the_code.json").read_text()
    )["cells"]
    add = next(c for c in copied if c["grade_id"] == "ex5-check")
    assert (add["points"], add["status"]) == (0, "failed"), add
    assert "minigrad's own code for this piece is switched off" in add["message"]


def _learner_cells(pattern: str):
    for path in sorted(ROOT.glob(pattern)):
        for cell in classroom.load(path)["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] == "code" and not meta.get("grade"):
                yield path.name, cell["source"]


def test_no_cell_a_learner_is_handed_or_shown_counts_as_tampering():
    # Solutions (what an honest learner writes), the exercises with their read-only cells
    # (which a learner may copy) and the lectures' code (which a learner may copy too).
    cells = [*_learner_cells("solutions/*.ipynb"), *_learner_cells("course/*.ipynb")]
    cells += _learner_cells("exercises/*.ipynb")
    assert len(cells) > 400
    flagged = [(name, tamper.find(source)) for name, source in cells if tamper.find(source)]
    assert not flagged


@pytest.mark.parametrize(
    "line",
    [
        "import coursekit.engine_build.trials as t",
        "from coursekit.engine_build import setup, guard",
        "from coursekit import engine_build",
        "import coursekit.checks.core as core",
        "sys.stdout = Forger()",
        "sys.stdout.write = forged_write",
        "type(sys.stdout).write = forged_write",
        "object.__getattribute__(module, name)",
        "json.dumps = forged_dumps",
        "import builtins",
        "get_ipython().input_transformers_post.append(rewrite)",
        "exec(code)",
        "answer = eval(text)",
        "clone = types.FunctionType(Add.forward.__code__, {})",
        "sys.modules['minigrad']",
        "objects = gc.get_objects()",
        "importlib.import_module('coursekit.' + name)",
        "__import__('coursekit')",
        "ｅｘｅｃ(code)",  # Python reads fullwidth letters in names as plain ones (NFKC)
        "import ｃｏｕｒｓｅｋｉｔ.ｅｎｇｉｎｅ_ｂｕｉｌｄ.ｇｕａｒｄ as g",
        # Names built from pieces of strings: caught by what they are used with.
        "import coursekit",
        "import os, coursekit as ck",
        'guard = getattr(getattr(coursekit, "engine" + "_build"), "gu" + "ard")',
        'setattr(guard, "refu" + "sal", lambda *a: None)',
        "delattr(trials, name)",
        'object.__setattr__(module, "ob" + "serve", fake)',
        'vars(module)["ob" + "serve"] = fake',
        "module.__dict__.update(observe=fake)",
        'setattr(sys, "std" + "out", forger)',
        'modules = getattr(sys, "mod" + "ules")',
        "checks = inspect.getmodule(check)",
        "original = check.__wrapped__",
    ],
)
def test_code_that_reaches_into_the_grading_is_found(line):
    source = f"x = 1\n{line}  # and a comment\n"
    found = tamper.find(source)
    assert found is not None and found[1:] == (2, f"{line}  # and a comment")


def test_a_comment_or_a_method_of_the_same_name_is_not_tampering():
    assert tamper.find("# exec(code) would be wrong\nmodel.eval()\nre.compile('a')") is None
    honest = 'print("done", file=sys.stderr, end="")\nif sys.stdout.isatty() == False: pass'
    assert tamper.find(honest) is None


def test_names_an_honest_cell_uses_with_getattr_or_setattr_are_not_tampering():
    honest = [
        "from coursekit.viz import draw_graph",  # the lectures' helpers, imported by name
        'print("/opt/coursekit/site", "coursekit-run")',  # a path is not the package
        "value = getattr(node, name)",  # reading by name (the lectures do)
        "with getattr(lib, mode)():",
        "setattr(self, name, layer)",  # an object setting its own attributes
        "super().__setattr__(name, value)",
        "object.__setattr__(self, name, value)",
        "print(model.__dict__)",
    ]
    assert [tamper.find(line) for line in honest] == [None] * len(honest)


def test_a_statement_split_over_lines_is_read_whole():
    assert tamper.find("x = 1\n(sys\n    .stdout) = forger\n")[1:] == (2, "(sys")
    assert tamper.find("sys.\\\n    stdout = forger")[1] == 1
    assert tamper.find("from coursekit.engine_build import (\n    setup,\n    parity,\n)") is None


def test_the_notebooks_check_says_what_the_grader_will_not_count(tmp_path, monkeypatch, capsys):
    # In the notebook, check() reads the cells run so far (IPython's In) with the same scan:
    # a ✓ there never becomes a 0 in the gradebook unannounced.
    monkeypatch.setenv("MINIGRAD_MY_ENGINE", str(tmp_path))
    solution = classroom.cell(classroom.load(classroom.SOLUTIONS), "ex1-impl")["source"]
    for cells, verdict in [
        (["", solution], "✓ unbroadcast(grad, shape): all 7 cases pass.\n"),
        (
            ["", "import builtins", solution],
            "✗ unbroadcast(grad, shape): not counted: a cell you ran replaces how results "
            "leave the kernel (`import builtins`), and when your notebook is graded every "
            "exercise checked after it scores 0. (The check saw: ✓ unbroadcast(grad, shape): "
            "all 7 cases pass.)",
        ),
    ]:
        namespace = {"check": check, "np": np, "In": cells}
        exec(solution, namespace)  # noqa: S102 - the demo's own solution
        exec('check("ch99.unbroadcast")', namespace)  # noqa: S102
        printed = capsys.readouterr()
        assert (printed.out + printed.err).startswith(verdict.rstrip("\n")), printed


def test_reading_a_huge_cell_takes_time_in_proportion_to_its_size():
    # A pattern that backtracked over the rest of the line at every 'stdout' took 39 s for
    # 20,000 of them (quadratic: a 50 MB notebook would have held a worker for days).
    import time

    started = time.process_time()
    assert tamper.find("x = (" + "stdout " * 40_000 + ")") is None
    assert tamper.find("x = 1\n" * 200_000 + "exec(code)")[1] == 200_001
    for piece in ["__dict__[", "vars(x)["]:  # each an opening nothing closes
        assert tamper.find(piece * 20_000) is None
    assert time.process_time() - started < 10


# -- the kernel's snapshot (grade/watch.py), in this process -------------------------------

PIECE_PROBES = ["coursekit.engine_build", "coursekit.engine_build.trials", "minigrad"]


def _changed(snapshot, change) -> list:
    """What a walk names after ``change()`` (which returns how to undo it), undone after."""
    names, before = snapshot
    undo = change()
    try:
        return watch.changes(before, watch.walk(names))
    finally:
        undo()
        assert watch.numbers(watch.walk(names)) == watch.numbers(before)


def _assigned(owner, name, value):
    def change():
        old = getattr(owner, name)
        setattr(owner, name, value)
        return lambda: setattr(owner, name, old)

    return change


@pytest.fixture(scope="module")
def snapshot():
    return watch.take(PIECE_PROBES)


def test_what_the_chapters_probes_import_is_what_the_kernel_imports_before_its_snapshot():
    from coursekit.grade.plan import read_plan

    checks = [
        g.check for g in read_plan(ROOT / "solutions" / "ch09_what_no_grad_saves.ipynb").graded
    ]
    assert wire.probe_imports(checks) == [
        "coursekit",
        "coursekit.engine_build.guard",
        "coursekit.engine_build.guard.reached_helper",  # (a name: the kernel's import skips it)
        "coursekit.measure",
        "minigrad",
        "minigrad.grad_mode",
    ]
    assert wire.probe_imports([classroom_check("ch99.unbroadcast")]) == []


def classroom_check(check_id):
    from coursekit.checks import registry

    return registry.get(check_id)


def test_an_honest_notebook_changes_nothing_the_snapshot_watches(snapshot):
    import warnings

    import minigrad as mg
    from coursekit.engine_build import setup, trials
    from minigrad.scalar import Function

    class Add(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    with mg.no_grad():
        mg.manual_seed(3)
        mg.randn(2, 3)
    mg.set_grad_enabled(False)
    mg.set_grad_enabled(True)
    mg.set_warn_always(True)
    mg.set_warn_always(False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x * 2).grad  # noqa: B018 - a warning, given once
    assert trials.check("ch01.Add", Add).passed  # installs, switches off, puts back
    setup("ch04")
    import coursekit.viz  # noqa: F401 - a module first imported after the snapshot

    names, before = snapshot
    after = watch.walk(names)
    assert watch.numbers(after) == watch.numbers(before), watch.changes(before, after)


def test_every_way_of_changing_what_a_probe_relies_on_is_named(snapshot):
    import minigrad as mg
    from coursekit.engine_build import observe, plugs, trials

    def swap_item(container, key, value):
        def change():
            old = container[key]
            container[key] = value
            return lambda: container.__setitem__(key, old)

        return change

    def added(owner, name, value):
        def change():
            setattr(owner, name, value)
            return lambda: delattr(owner, name)

        return change

    def cell_contents(function, number, value):
        def change():
            cell = function.__closure__[number]
            old = cell.cell_contents
            cell.cell_contents = value
            return lambda: setattr(cell, "cell_contents", old)

        return change

    def frozen_field(obj, name, value):
        def change():
            old = getattr(obj, name)
            object.__setattr__(obj, name, value)
            return lambda: object.__setattr__(obj, name, old)

        return change

    add_plug = plugs.PLUGS["ch01.Add"]
    fake = lambda *a, **k: None  # noqa: E731
    cases = [
        (_assigned(trials, "observe", fake), "coursekit.engine_build.trials.observe (replaced)"),
        (_assigned(mg.Scalar, "__add__", fake), "minigrad.scalar.Scalar.__add__ (replaced)"),
        (added(mg.scalar.Mul, "apply", fake), "minigrad.scalar.Mul.apply (added)"),
        (_assigned(trials.expect, "__defaults__", (1,)), "trials.expect.__defaults__ (replaced)"),
        (
            _assigned(mg.Tensor.sum, "__kwdefaults__", {"axis": 0, "keepdims": None}),
            "minigrad.tensor.Tensor.sum.__kwdefaults__ (replaced)",
        ),
        (
            _assigned(trials.observe, "__code__", fake.__code__),
            "trials.observe.__code__ (replaced)",
        ),
        (
            cell_contents(add_plug.references, 0, mg.scalar.Mul),
            "references.__closure__[0] (replaced)",
        ),
        (frozen_field(add_plug, "sites", fake), "PLUGS['ch01.Add'].sites (replaced)"),
        (
            swap_item(observe.CASES["ch01.Add"], 0, observe.CASES["ch01.Mul"][0]),
            "CASES['ch01.Add'][0] (replaced)",
        ),
        (_assigned(json, "dumps", fake), "json.dumps (replaced)"),
        (_assigned(builtins, "compile", fake), "builtins.compile (replaced)"),
    ]
    for change, named in cases:
        changed = _changed(snapshot, change)
        assert any(named in line for line in changed), (named, changed)
