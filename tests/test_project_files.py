"""The project's set-up files agree with each other and do what the README says.

pyproject.toml and environment.yml must list the same packages; the README's
two set-up commands must be Makefile targets and CI must run the test one;
the nbval sanitizer must actually be used; the markers of tests/conftest.py
must skip (or, in CI, fail) with a reason when PyTorch or Chromium is missing.
Each check is a small function run on the real files and, to show it can
fail, on a deliberately broken copy.
"""

import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
SANITIZER = ROOT / "tests" / "notebooks" / "nbval_sanitize.cfg"

# conda-forge names that differ from the PyPI name of the same package.
CONDA_TO_PYPI = {"playwright-python": "playwright"}
# Listed in environment.yml for conda's sake, not packages of the project.
CONDA_ONLY = {"python", "pip"}


def normalise(name):
    """PyPI's rule (PEP 503): case, '-', '_' and '.' do not distinguish names."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lower_bound(specifier_text):
    """'>=2.0' -> '2.0'; None when there is no '>=' bound."""
    found = re.search(r">=\s*([^,;\s]+)", specifier_text)
    return found.group(1) if found else None


# --- pyproject.toml and environment.yml -------------------------------------


def pyproject_packages(pyproject_text):
    """{normalised name: lower bound} over the dependencies and every extra."""
    project = tomllib.loads(pyproject_text)["project"]
    own_name = normalise(project["name"])
    lines = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        lines.extend(extra)
    packages = {}
    for line in lines:
        requirement = Requirement(line)
        name = normalise(requirement.name)
        if name == own_name:  # an extra that pulls in another extra
            continue
        bound = lower_bound(str(requirement.specifier))
        if packages.setdefault(name, bound) != bound:
            raise ValueError(f"{name} has two different lower bounds in pyproject.toml")
    return packages


def environment_packages(environment_text):
    """{normalised PyPI name: lower bound} over conda's and pip's lists."""
    packages = {}
    for entry in yaml.safe_load(environment_text)["dependencies"]:
        if isinstance(entry, dict):  # the pip: section, in pip's syntax
            for line in entry["pip"]:
                if line.startswith("-"):  # "-e .": the project itself
                    continue
                requirement = Requirement(line)
                packages[normalise(requirement.name)] = lower_bound(str(requirement.specifier))
            continue
        name, spec = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(.*)", entry.strip()).groups()
        name = normalise(name)
        if name in CONDA_ONLY:
            continue
        packages[CONDA_TO_PYPI.get(name, name)] = lower_bound(spec)
    return packages


def disagreements(pyproject_text, environment_text):
    """Every way the two files disagree, as sentences; empty when they agree."""
    pip_side = pyproject_packages(pyproject_text)
    conda_side = environment_packages(environment_text)
    problems = [
        f"{name} is in pyproject.toml but not in environment.yml"
        for name in sorted(pip_side.keys() - conda_side.keys())
    ]
    problems += [
        f"{name} is in environment.yml but not in pyproject.toml"
        for name in sorted(conda_side.keys() - pip_side.keys())
    ]
    problems += [
        f"{name}: pyproject.toml wants >={pip_side[name]}, environment.yml >={conda_side[name]}"
        for name in sorted(pip_side.keys() & conda_side.keys())
        if pip_side[name] != conda_side[name]
    ]
    python_pip = tomllib.loads(pyproject_text)["project"]["requires-python"]
    conda_python = [
        entry
        for entry in yaml.safe_load(environment_text)["dependencies"]
        if isinstance(entry, str) and re.match(r"python\b", entry)
    ]
    if [lower_bound(python_pip)] != [lower_bound(entry) for entry in conda_python]:
        problems.append(
            f"Python: pyproject.toml requires {python_pip}, environment.yml lists {conda_python}"
        )
    return problems


def test_pyproject_and_environment_yml_list_the_same_packages_and_bounds():
    pyproject = (ROOT / "pyproject.toml").read_text()
    environment = (ROOT / "environment.yml").read_text()

    assert disagreements(pyproject, environment) == []
    # Guard against both parsers returning nothing: the course's own packages are there.
    assert {"numpy", "jupyterlab", "nbval", "playwright"} <= pyproject_packages(pyproject).keys()


def test_a_package_or_bound_missing_on_one_side_is_reported():
    pyproject = (ROOT / "pyproject.toml").read_text()
    environment = (ROOT / "environment.yml").read_text()
    assert "  - hypothesis>=6.100\n" in environment
    assert '"matplotlib>=3.7"' in pyproject

    without_hypothesis = environment.replace("  - hypothesis>=6.100\n", "")
    other_bound = pyproject.replace('"matplotlib>=3.7"', '"matplotlib>=3.8"')
    extra_conda = environment.replace("  - pip:\n", "  - scipy>=1.10\n  - pip:\n")

    assert disagreements(pyproject, without_hypothesis) == [
        "hypothesis is in pyproject.toml but not in environment.yml"
    ]
    assert disagreements(other_bound, environment) == [
        "matplotlib: pyproject.toml wants >=3.8, environment.yml >=3.7"
    ]
    assert disagreements(pyproject, extra_conda) == [
        "scipy is in environment.yml but not in pyproject.toml"
    ]


def test_conda_forge_names_are_compared_as_their_pypi_names():
    environment = "dependencies:\n  - python>=3.10\n  - Playwright_Python>=1.44\n"

    assert environment_packages(environment) == {"playwright": "1.44"}


def test_numpy_is_the_only_runtime_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    assert [Requirement(line).name for line in project["dependencies"]] == ["numpy"]


def test_no_extra_installs_torch_unpinned():
    # An unpinned torch pulls a multi-GB CUDA build; `make torch` pins it instead.
    pyproject = (ROOT / "pyproject.toml").read_text()

    assert "torch" not in pyproject_packages(pyproject)
    assert 'install "torch==2.13.0"' in (ROOT / "Makefile").read_text()


# --- README, Makefile and .ci/run --------------------------------------------


def readme_setup_commands(readme_text):
    """The commands of the README's first code block, as (command, comment) pairs."""
    block = re.search(r"^```[^\n]*\n(.*?)^```", readme_text, re.MULTILINE | re.DOTALL)
    commands = []
    for line in block.group(1).splitlines():
        command, _, comment = line.partition("#")
        if command.strip():
            commands.append((command.strip(), comment.strip()))
    return commands


def readme_test_command(readme_text):
    """The set-up command whose comment says it runs the tests."""
    [command] = [cmd for cmd, comment in readme_setup_commands(readme_text) if "test" in comment]
    return command


def makefile_targets(makefile_text):
    """Names of the explicit targets, e.g. {'lab', 'test', '.venv/.installed'}."""
    targets = set()
    for line in makefile_text.splitlines():
        rule = re.match(r"^([^\s#=:][^=:]*?)\s*::?(?!=)", line)
        if rule:
            targets.update(rule.group(1).split())
    return targets


def runs_command(script_text, command):
    """Whether a shell script runs `command` as a command, not just in a comment."""
    for line in script_text.splitlines():
        code = line.split("#", 1)[0]
        if re.search(rf"(^|[;&|]\s*|\s)({re.escape(command)})\s*($|[;&|])", code):
            return True
    return False


def test_readme_opens_with_exactly_the_two_setup_commands():
    commands = readme_setup_commands((ROOT / "README.md").read_text())

    assert [command for command, _ in commands] == ["make lab", "make test"]


def test_readme_setup_commands_are_makefile_targets():
    targets = makefile_targets((ROOT / "Makefile").read_text())
    commands = readme_setup_commands((ROOT / "README.md").read_text())

    for command, _ in commands:
        assert command.split()[1] in targets, f"{command!r}: no such target in the Makefile"


def test_a_readme_command_without_a_makefile_target_is_noticed():
    makefile = "lab: .venv/.installed\n\tjupyter lab\n\n.venv/.installed: pyproject.toml\n"

    assert makefile_targets(makefile) == {"lab", ".venv/.installed"}
    assert "test" not in makefile_targets(makefile)
    # variable assignments are not targets
    assert makefile_targets("VENV := .venv\nPYTEST_ARGS ?=\nexport PATH := x:y\n") == set()


def test_ci_runs_the_readme_test_command():
    command = readme_test_command((ROOT / "README.md").read_text())

    assert command == "make test"
    assert runs_command((ROOT / ".ci" / "run").read_text(), command)


def test_a_ci_script_that_only_mentions_the_command_does_not_count():
    assert not runs_command("#!/bin/bash\n# then run make test\necho done\n", "make test")
    assert not runs_command("make testing\n", "make test")
    assert runs_command("set -e\nmake test\n", "make test")
    assert runs_command("cd x && make test  # the README's\n", "make test")


def test_ci_script_is_executable_and_stops_at_the_first_error():
    script = ROOT / ".ci" / "run"

    assert script.stat().st_mode & stat.S_IXUSR
    assert script.read_text().startswith("#!/usr/bin/env bash\n")
    assert runs_command(script.read_text(), "set -euo pipefail")


def test_readme_pip_route_installs_the_same_extras_as_make():
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    make_extras = re.findall(r'install -e "\.\[([a-z,]+)\]"', makefile)
    readme_extras = re.findall(r'pip install -e "\.\[([a-z,]+)\]"', readme)

    assert make_extras[0] == "course,test"
    assert readme_extras[0] == make_extras[0]


# --- pytest configuration -----------------------------------------------------


def test_pytest_validates_course_and_solutions_notebooks_but_never_exercises():
    pytest_config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    options = pytest_config["ini_options"]

    assert {"tests", "course", "solutions"} <= set(options["testpaths"])
    assert "exercises" not in options["testpaths"]
    # Not even by `pytest .`: the root conftest.py ignores exercises/. (A norecursedirs
    # entry would also hide tests/exercises/: tests/test_collection.py guards that.)
    assert "exercises" not in options["norecursedirs"]
    conftest = {}
    exec((ROOT / "conftest.py").read_text(), conftest)
    assert conftest["collect_ignore"] == ["exercises"]
    assert "--nbval" in options["addopts"]
    assert "-rs" in options["addopts"]  # skipped tests and their reasons are printed
    sanitize = [opt for opt in options["addopts"] if opt.startswith("--nbval-sanitize-with=")]
    assert [(ROOT / opt.split("=", 1)[1]).resolve() for opt in sanitize] == [SANITIZER]


# --- nbval and the sanitizer ---------------------------------------------------


def sanitize(text):
    """`text` as nbval sees it after our sanitizer file (nbval's own parser and order)."""
    from nbval.plugin import get_sanitize_patterns

    for regex, replacement in get_sanitize_patterns(SANITIZER.read_text(encoding="ascii")):
        text = re.sub(regex, replacement, text)
    return text


@pytest.mark.parametrize(
    ("varying", "sanitized"),
    [
        (
            "<minigrad.tensor.Tensor object at 0x7f3a2c1d0e50>",
            "<minigrad.tensor.Tensor object at 0xADDRESS>",
        ),
        (
            "/tmp/ipykernel_4242/1234567.py:3: UserWarning: The .grad attribute",
            "IPYKERNEL-CELL.py:LINE: UserWarning: The .grad attribute",
        ),
        (
            "/home/ana/course/minigrad/tensor.py:120: UserWarning",
            "REPO/minigrad/tensor.py:LINE: UserWarning",
        ),
        (
            "/x/.venv/lib/python3.11/site-packages/numpy/linalg.py:5: RuntimeWarning",
            "SITE-PACKAGES/numpy/linalg.py:LINE: RuntimeWarning",
        ),
        ("epoch: 40%|####      | 4/10 [00:01<00:02,  2.50it/s]", "epoch: PROGRESS-BAR"),
        ("  0%|          | 0/10 [00:00<?, ?it/s]", "  PROGRESS-BAR"),
        (
            "1.23 ms \u00b1 45.6 \u00b5s per loop (mean \u00b1 std. dev. of 7 runs, 1,000 loops each)",
            "TIME \u00b1 TIME per loop (mean \u00b1 std. dev. of 7 runs, N loops each)",
        ),
        (
            "CPU times: user 1.2 ms, sys: 0 ns\nWall time: 2.1e-05 s",
            "CPU times: user TIME, sys: TIME\nWall time: TIME",
        ),
        ("no_grad took 0.5 seconds, 12 \u03bcs per step", "no_grad took TIME, TIME per step"),
        ("at 2026-11-24 06:33:12.123456", "at DATETIME"),
        ("<Figure size 417.41x779.167 with 1 Axes>", "<Figure size WxH with 1 Axes>"),
        ("id 140234567890123", "id OBJECT-ID"),
    ],
)
def test_the_sanitizer_rewrites_each_kind_of_varying_output(varying, sanitized):
    assert sanitize(varying) == sanitized


@pytest.mark.parametrize(
    "lesson_output",
    [
        "0.30000000000000004",  # float digits are what lessons compare
        "tensor([[9., 9., 9.]], grad_fn=<MulBackward0>)",
        "10 samples in 3 steps",
        "torch.Size([2, 3]) 0x10",
    ],
)
def test_the_sanitizer_leaves_lesson_output_alone(lesson_output):
    assert sanitize(lesson_output) == lesson_output


# --- nbval with the sanitizer, run for real ------------------------------------


def _notebook(tmp_path, name, cells):
    """Write a notebook whose code cells store the given (source, stored stdout) pairs."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for count, (source, stored) in enumerate(cells, start=1):
        cell = nbformat.v4.new_code_cell(source, execution_count=count)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
        notebook.cells.append(cell)
    nbformat.write(notebook, tmp_path / name)


def _run_pytest(tmp_path, *args, env=None):
    """Run pytest in a subprocess on tmp_path, isolated from this repo's settings.

    Returns [(test name, "passed" | "failed" | "skipped")] in the order the
    tests ran, from its JUnit report, and the text it printed.
    """
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # this folder is its own rootdir
    report = tmp_path / "report.xml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-rs",
            f"--junitxml={report}",
            *args,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    outcomes = []
    for case in ET.parse(report).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        elif case.find("skipped") is not None:
            outcome = "skipped"
        else:
            outcome = "passed"
        outcomes.append((case.get("name"), outcome))
    return outcomes, result.stdout + result.stderr


VARYING_CELLS = [
    # (source run now, output stored from an earlier run on another machine)
    (
        "class Thing:\n    pass\nprint(object.__repr__(Thing()))",
        "<__main__.Thing object at 0x7f0123456789>\n",
    ),
    (
        (
            "import time\nstart = time.perf_counter()\nsum(range(10**5))\n"
            "print(f'took {time.perf_counter() - start:.9f} s')"
        ),
        "took 0.001234567 s\n",
    ),
    (
        (
            "import random\nrate = random.uniform(1000, 9000)\n"
            "print(f'100%|##########| 10/10 [00:00<00:00, {rate:.2f}it/s]')"
        ),
        "100%|##########| 10/10 [00:00<00:00, 4321.00it/s]\n",
    ),
    (
        "import os\nprint(os.path.join(os.getcwd(), 'minigrad', 'tensor.py'))",
        "/home/someone/minigrad-course/minigrad/tensor.py\n",
    ),
    ("print(id(object()))", "140123456789012\n"),
]


def test_nbval_with_the_sanitizer_accepts_outputs_that_vary_between_runs(tmp_path):
    _notebook(tmp_path, "varying.ipynb", VARYING_CELLS)
    args = ["--nbval", "--nbval-current-env", "varying.ipynb"]

    sanitized, log = _run_pytest(tmp_path, *args, f"--nbval-sanitize-with={SANITIZER}")
    unsanitized, _ = _run_pytest(tmp_path, *args)

    assert [outcome for _, outcome in sanitized] == ["passed"] * len(VARYING_CELLS), log
    # Without the sanitizer the same notebook fails in every cell: the run above
    # passes because of the file, not because nbval compares nothing.
    assert [outcome for _, outcome in unsanitized] == ["failed"] * len(VARYING_CELLS)


def test_nbval_with_the_sanitizer_still_fails_a_changed_result(tmp_path):
    _notebook(
        tmp_path,
        "changed.ipynb",
        [
            ("print(2 + 2)", "4\n"),
            ("print(2 * 3)", "5\n"),  # stored output no longer what the code prints
            ("print('took 0.5 s', 0.1 + 0.2)", "took 0.25 s 0.30000000000000004\n"),
            ("print('took 0.5 s', 0.1 + 0.2)", "took 0.25 s 0.3\n"),  # float digits are checked
        ],
    )

    outcomes, log = _run_pytest(
        tmp_path,
        "--nbval",
        "--nbval-current-env",
        f"--nbval-sanitize-with={SANITIZER}",
        "changed.ipynb",
    )

    assert [outcome for _, outcome in outcomes] == ["passed", "failed", "passed", "failed"], log


# --- tests/conftest.py: skips that say why ------------------------------------

# Plugins these runs don't need; loading nbval alone takes seconds (nbformat's
# schema validation builds a grammar at import).
WITHOUT_NBVAL = ["-p", "no:nbval", "-p", "no:hypothesispytest"]

MARKED_TESTS = """
    import pytest

    @pytest.mark.torch_live
    def test_needs_torch():
        import torch
        assert torch.__version__.startswith("2.13.0")

    @pytest.mark.browser
    def test_needs_chromium(chromium_path):
        assert chromium_path.endswith("chromium")

    def test_needs_nothing():
        pass
"""


def _conftest_project(tmp_path, torch_version):
    """A project with our conftest, a fake `torch` of that version (or a broken
    one if None), and a bin/ folder to hold a fake chromium."""
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_marked.py").write_text(textwrap.dedent(MARKED_TESTS))
    fake = tmp_path / "fake_site" / "torch"
    fake.mkdir(parents=True)
    if torch_version is None:
        (fake / "__init__.py").write_text("raise ImportError('no torch in this test')\n")
    else:
        (fake / "__init__.py").write_text(f"__version__ = {torch_version!r}\n")
    (tmp_path / "bin").mkdir()
    env = {key: value for key, value in os.environ.items() if key != "MINIGRAD_REQUIRE_ALL_TESTS"}
    env["PYTHONPATH"] = str(tmp_path / "fake_site")
    env["PATH"] = str(tmp_path / "bin")  # no chromium unless a test puts one there
    return env


def test_marked_tests_are_skipped_with_a_printed_reason_when_torch_and_chromium_are_missing(
    tmp_path,
):
    env = _conftest_project(tmp_path, torch_version=None)

    ran, log = _run_pytest(tmp_path, *WITHOUT_NBVAL, env=env)
    outcomes = dict(ran)

    assert outcomes == {
        "test_needs_torch": "skipped",
        "test_needs_chromium": "skipped",
        "test_needs_nothing": "passed",
    }, log
    assert (
        "browser test not run: Chromium not found; install it with apt-get install chromium" in log
    )
    assert "torch_live test not run: PyTorch is not importable" in log
    assert "make torch (pip install torch==2.13.0)" in log


def test_a_torch_of_another_version_is_not_used_for_live_tests(tmp_path):
    env = _conftest_project(tmp_path, torch_version="2.5.1+cpu")

    ran, log = _run_pytest(tmp_path, *WITHOUT_NBVAL, "-k", "torch", env=env)
    outcomes = dict(ran)

    assert outcomes == {"test_needs_torch": "skipped"}, log
    assert "PyTorch 2.5.1+cpu is installed, the recordings are from 2.13.0" in log


def test_marked_tests_run_when_torch_2_13_and_chromium_are_there(tmp_path):
    env = _conftest_project(tmp_path, torch_version="2.13.0+cpu")
    chromium = tmp_path / "bin" / "chromium"
    chromium.write_text("#!/bin/sh\nexit 0\n")
    chromium.chmod(0o755)

    ran, log = _run_pytest(tmp_path, *WITHOUT_NBVAL, env=env)
    outcomes = dict(ran)

    assert outcomes == {
        "test_needs_torch": "passed",
        "test_needs_chromium": "passed",
        "test_needs_nothing": "passed",
    }, log


def test_in_ci_a_missing_requirement_fails_instead_of_skipping(tmp_path):
    env = _conftest_project(tmp_path, torch_version=None)
    env["MINIGRAD_REQUIRE_ALL_TESTS"] = "1"

    ran, log = _run_pytest(tmp_path, *WITHOUT_NBVAL, env=env)
    outcomes = dict(ran)

    assert outcomes == {
        "test_needs_torch": "failed",
        "test_needs_chromium": "failed",
        "test_needs_nothing": "passed",
    }, log
    assert "MINIGRAD_REQUIRE_ALL_TESTS=1: nothing may be skipped" in log


def test_the_sanitizer_file_is_plain_ascii():
    # nbval opens it with the platform's default encoding; ASCII reads the same everywhere.
    SANITIZER.read_bytes().decode("ascii")
