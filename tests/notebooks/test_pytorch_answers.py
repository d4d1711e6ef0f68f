"""PyTorch's answer in the lectures, live where PyTorch is installed, recorded where not.

``coursekit.compare.side_by_side`` compares minigrad with PyTorch live when
PyTorch is installed and with the answer recorded at build time when it is
not (coursekit/pytorch_answers.json). These tests prove:

- the recordings fit the stored lectures: one recorded answer per comparison,
  each for an example whose source is still in its chapter (a missing or stale
  recording is reported, shown on broken copies);
- both paths give the same verdict, on examples that agree, raise, warn and
  disagree; and a recording that no longer matches live PyTorch fails;
- for every comparison cell in course/: nbval runs the lectures with
  ``COURSEKIT_CHECK_RECORDINGS=1`` (the root conftest.py sets it), so each
  comparison also looks up its recording and, with PyTorch installed, fails
  unless the recording is what PyTorch answers live;
- nbval passes on lectures run without PyTorch (recorded path), and the two
  verdict lines are made one by the sanitizer, nothing else.
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import nbformat
import pytest

from coursekit import compare

ROOT = pathlib.Path(__file__).resolve().parents[2]
LECTURES = sorted((ROOT / "course").glob("ch*.ipynb"))
SANITIZER = ROOT / "tests" / "notebooks" / "nbval_sanitize.cfg"
TORCH_VERSION = "2.13.0"
AGREEING_LINE = re.compile(r"(?m)^PyTorch [\w.+]+(?: \(recorded\))?: the same(?: .*)?$")
# Any verdict line other than an agreeing one ("not installed ... no answer recorded").
OTHER_VERDICT = re.compile(r"(?m)^PyTorch(?: [\w.+]+)?(?: \(recorded\))?(?::| differs).*$")


# --- the recordings fit the stored lectures ------------------------------------


def code_and_verdicts(notebook):
    """The notebook's code (all cells) and its verdict lines, in order."""
    code, verdicts = [], []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        code.append(cell.source)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                verdicts += [m.group(0) for m in OTHER_VERDICT.finditer(output.text)]
    return "\n".join(code), verdicts


def recording_problems(answers, notebooks):
    """Every way the recorded answers do not fit the notebooks, as sentences.

    ``answers``: the parsed answers file; ``notebooks``: {"course/chNN.ipynb": notebook}.
    """
    problems = []
    if answers.get("torch_version") != TORCH_VERSION:
        problems.append(
            f"recorded with PyTorch {answers.get('torch_version')}, not {TORCH_VERSION}"
        )
    recorded = answers.get("notebooks", {})
    for name in sorted(recorded.keys() - notebooks.keys()):
        problems.append(f"{name}: recorded, but there is no such notebook")
    for name, notebook in sorted(notebooks.items()):
        code, verdicts = code_and_verdicts(notebook)
        entries = recorded.get(name, [])
        agreeing = [v for v in verdicts if AGREEING_LINE.fullmatch(v)]
        for line in sorted(set(verdicts) - set(agreeing)):
            problems.append(f"{name}: a stored comparison says {line!r}")
        if len(entries) != len(agreeing):
            problems.append(
                f"{name}: {len(agreeing)} comparisons, {len(entries)} recorded answers "
                "(rebuild it with PyTorch installed)"
            )
        for entry in entries:
            if entry["source"].rstrip("\n") not in code:
                problems.append(
                    f"{name}: the recorded example {entry['example']!r} is no longer in the "
                    "notebook as recorded (stale: rebuild it with PyTorch installed)"
                )
    answers_by_key = {}
    for name, entries in sorted(recorded.items()):
        for entry in entries:
            key = (entry["example"], entry["source"])
            first = answers_by_key.setdefault(key, (name, entry["pytorch"]))
            if first[1] != entry["pytorch"]:
                problems.append(
                    f"{name}: the example {entry['example']!r} is also in {first[0]} with "
                    "another answer: rename one of them"
                )
    return problems


def lectures():
    return {f"course/{path.name}": nbformat.read(str(path), as_version=4) for path in LECTURES}


def test_every_comparison_in_the_lectures_has_its_recorded_answer():
    answers = json.loads(compare.ANSWERS.read_text(encoding="utf-8"))
    notebooks = lectures()
    assert recording_problems(answers, notebooks) == []
    # Not vacuous: the lectures compare, and every chapter after the welcome does.
    counts = {name: len(entries) for name, entries in answers["notebooks"].items()}
    assert sum(counts.values()) >= 80 and all(counts.get(n, 0) >= 2 for n in notebooks), counts


def test_a_missing_or_stale_recording_is_reported():
    answers = json.loads(compare.ANSWERS.read_text(encoding="utf-8"))
    notebooks = lectures()
    name = "course/ch04_leaves_and_grad.ipynb"
    first = answers["notebooks"][name][0]

    missing = json.loads(json.dumps(answers))
    del missing["notebooks"][name][0]
    assert recording_problems(missing, notebooks) == [
        f"{name}: {len(answers['notebooks'][name])} comparisons, "
        f"{len(answers['notebooks'][name]) - 1} recorded answers "
        "(rebuild it with PyTorch installed)"
    ]

    stale = json.loads(json.dumps(answers))
    stale["notebooks"][name][0]["source"] = first["source"].replace("lib", "library")
    assert recording_problems(stale, notebooks) == [
        f"{name}: the recorded example {first['example']!r} is no longer in the notebook as "
        "recorded (stale: rebuild it with PyTorch installed)"
    ]

    other_version = dict(answers, torch_version="2.5.1")
    assert recording_problems(other_version, notebooks) == [
        f"recorded with PyTorch 2.5.1, not {TORCH_VERSION}"
    ]

    unrecorded = {name: nbformat.read(str(ROOT / name), as_version=4)}
    for cell in unrecorded[name].cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and "the same" in output.text:
                output.text = output.text.replace(
                    f"PyTorch {TORCH_VERSION}: the same",
                    "PyTorch: not installed here, and no answer recorded for this example",
                    1,
                )
                break
        else:
            continue
        break
    only_ch04 = dict(answers, notebooks={name: answers["notebooks"][name]})
    problems = recording_problems(only_ch04, unrecorded)
    assert problems[0] == (
        f"{name}: a stored comparison says 'PyTorch: not installed here, and no answer recorded "
        "for this example'"
    )


def test_the_test_run_checks_every_lecture_comparison_against_its_recording():
    # nbval's kernels inherit this environment: every side_by_side in course/
    # then fails on a missing recording or one that differs from live PyTorch.
    assert os.environ.get(compare.CHECK_ENV) == "1"


# --- the sanitizer makes the two agreeing lines one, nothing more ---------------


def sanitize(text):
    from nbval.plugin import get_sanitize_patterns

    for regex, replacement in get_sanitize_patterns(SANITIZER.read_text(encoding="ascii")):
        text = re.sub(regex, replacement, text)
    return text


def test_live_and_recorded_agreement_read_the_same_to_nbval():
    live = "tensor(8.)\nPyTorch 2.13.0: the same\n"
    recorded = "tensor(8.)\nPyTorch 2.13.0 (recorded): the same\n"
    assert (
        sanitize(live) == sanitize(recorded) != sanitize("tensor(9.)\nPyTorch 2.13.0: the same\n")
    )


@pytest.mark.parametrize(
    "line",
    [
        "PyTorch: not installed here, and no answer recorded for this example as it now reads, "
        "so not compared (pip install torch==2.13.0)",
        "PyTorch 2.13.0 differs:",
        "PyTorch 2.13.0 (recorded) differs:",
    ],
)
def test_a_verdict_that_is_not_agreement_is_not_masked(line):
    assert sanitize(line) == line
    assert sanitize(line) != sanitize("PyTorch 2.13.0: the same")


# --- both paths, one verdict -----------------------------------------------------


def agrees(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    return y, x.grad, x.dtype


def raises(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).backward()


def warns(lib):
    a = lib.tensor(2.0, requires_grad=True)
    b = a * 3
    b.backward()
    return b.grad


def disagrees(lib):
    return lib.__name__  # "minigrad" against "torch"


EXAMPLES = [agrees, raises, warns, disagrees]


def verdict_lines(example, capsys):
    """(printed lines, raised?) of side_by_side(example)."""
    try:
        compare.side_by_side(example)
        raised = False
    except AssertionError:
        raised = True
    return capsys.readouterr().out.splitlines(), raised


@pytest.fixture
def answers_file(tmp_path, monkeypatch):
    """A temporary answers file in place of the course's, checks off."""
    path = tmp_path / "pytorch_answers.json"
    monkeypatch.setattr(compare, "ANSWERS", path)
    monkeypatch.delenv(compare.CHECK_ENV, raising=False)
    monkeypatch.delenv(compare.RECORD_ENV, raising=False)
    return path


def without_torch(monkeypatch):
    monkeypatch.setattr(compare, "_torch", lambda: None)


def write_answers(path, entries):
    compare.write({"torch_version": TORCH_VERSION, "notebooks": {"course/x.ipynb": entries}}, path)


def test_recorded_path_says_recorded_and_agrees(answers_file, monkeypatch, capsys):
    without_torch(monkeypatch)
    source = compare.example_source(agrees)
    answer = "(tensor(5., grad_fn=<SumBackward0>), tensor([2., 4.]), LIB.float32)"
    write_answers(answers_file, [{"example": "agrees", "source": source, "pytorch": answer}])

    lines, raised = verdict_lines(agrees, capsys)

    assert not raised
    assert lines == [
        "(tensor(5., grad_fn=<SumBackward0>), tensor([2., 4.]), minigrad.float32)",
        "PyTorch 2.13.0 (recorded): the same",
    ]


def test_recorded_path_raises_when_the_recorded_answer_differs(answers_file, monkeypatch, capsys):
    without_torch(monkeypatch)
    source = compare.example_source(agrees)
    answer = "(tensor(6., grad_fn=<SumBackward0>), tensor([2., 4.]), LIB.float32)"
    write_answers(answers_file, [{"example": "agrees", "source": source, "pytorch": answer}])

    lines, raised = verdict_lines(agrees, capsys)

    assert raised
    assert lines[1:] == [
        "PyTorch 2.13.0 (recorded) differs:",
        "(tensor(6., grad_fn=<SumBackward0>), tensor([2., 4.]), torch.float32)",
    ]


def test_an_unrecorded_example_is_not_compared_and_fails_under_the_checks(
    answers_file, monkeypatch, capsys
):
    without_torch(monkeypatch)
    write_answers(answers_file, [])

    lines, raised = verdict_lines(agrees, capsys)
    assert not raised
    assert lines[1].startswith("PyTorch: not installed here, and no answer recorded")

    monkeypatch.setenv(compare.CHECK_ENV, "1")
    lines, raised = verdict_lines(agrees, capsys)
    assert raised


def test_a_changed_example_finds_no_recording(answers_file, monkeypatch):
    # The same name with another body (a learner edited the cell): no answer.
    source = compare.example_source(agrees)
    write_answers(answers_file, [{"example": "agrees", "source": source, "pytorch": "x"}])
    namespace = {}
    exec(textwrap.dedent(source).replace("x * x", "x * x * x"), namespace)  # noqa: S102
    assert compare.recorded_answer(agrees) == {"pytorch": "x", "version": TORCH_VERSION}
    assert compare.recorded_answer(namespace["agrees"]) is None


def test_an_example_recorded_with_two_answers_is_not_used(answers_file):
    source = compare.example_source(agrees)
    entries = {
        "course/a.ipynb": [{"example": "agrees", "source": source, "pytorch": "one"}],
        "course/b.ipynb": [{"example": "agrees", "source": source, "pytorch": "two"}],
    }
    compare.write({"torch_version": TORCH_VERSION, "notebooks": entries}, answers_file)
    assert compare.recorded_answer(agrees) is None


def test_recording_refuses_an_example_whose_answer_depends_on_outside_state(answers_file):
    records = [
        {"example": "e", "source": "def e(lib): ...\n", "pytorch": p, "version": TORCH_VERSION}
        for p in ("1", "2")
    ]
    with pytest.raises(ValueError, match="two different answers"):
        compare.store("course/x.ipynb", records, answers_file)


@pytest.mark.torch_live
def test_live_and_recorded_paths_give_the_same_verdicts(answers_file, monkeypatch, capsys):
    # Record with live PyTorch, as a build does, then compare again without it.
    live = {}
    with compare.recording("course/x.ipynb", answers_file):
        for example in EXAMPLES:
            live[example.__name__] = verdict_lines(example, capsys)
    entries = json.loads(answers_file.read_text(encoding="utf-8"))["notebooks"]["course/x.ipynb"]
    assert [e["example"] for e in entries] == [e.__name__ for e in EXAMPLES]

    without_torch(monkeypatch)
    for example in EXAMPLES:
        recorded_lines, recorded_raised = verdict_lines(example, capsys)
        live_lines, live_raised = live[example.__name__]
        assert recorded_raised == live_raised, example.__name__
        assert [line.replace(" (recorded)", "") for line in recorded_lines] == live_lines
    # The verdicts themselves: three agree (one of them an error, one a warning), one differs.
    assert [live[e.__name__][1] for e in EXAMPLES] == [False, False, False, True]
    assert live["warns"][0][0].startswith("UserWarning: The .grad attribute of a Tensor")
    assert live["raises"][0][0].startswith("RuntimeError: grad can be implicitly created")


@pytest.mark.torch_live
def test_a_recording_that_differs_from_live_pytorch_fails_under_the_checks(
    answers_file, monkeypatch, capsys
):
    source = compare.example_source(agrees)
    answer = "(tensor(6., grad_fn=<SumBackward0>), tensor([2., 4.]), LIB.float32)"
    write_answers(answers_file, [{"example": "agrees", "source": source, "pytorch": answer}])

    lines, raised = verdict_lines(agrees, capsys)
    assert not raised and lines[-1] == f"PyTorch {TORCH_VERSION}: the same"  # checks off

    monkeypatch.setenv(compare.CHECK_ENV, "1")
    with pytest.raises(AssertionError, match="is stale"):
        compare.side_by_side(agrees)


# --- a lecture run without PyTorch, end to end -----------------------------------

HIDE_TORCH = '''
import sys


class HideTorch:
    """Make `import torch` fail as if PyTorch were not installed."""

    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, HideTorch())
'''


@pytest.mark.slow
def test_lectures_pass_nbval_without_pytorch_using_the_recordings(tmp_path):
    # Two chapters (one compares a lambda) run by nbval in a Python that cannot
    # import torch; the notebooks' stored outputs were made with PyTorch live.
    (tmp_path / "sitecustomize.py").write_text(HIDE_TORCH)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]))
    env[compare.CHECK_ENV] = "1"
    chapters = ["course/ch00_welcome.ipynb", "course/ch06_inplace_and_versions.ipynb"]
    probe = subprocess.run(
        [sys.executable, "-c", "import torch"], env=env, capture_output=True, text=True
    )
    assert "No module named 'torch'" in probe.stderr
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *chapters],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", result.stdout) and "failed" not in result.stdout
