"""A learner's JupyterLab (coursekit/lab.py), without a browser.

``make lab`` runs ``python -m coursekit.lab``, and installing applies its
settings: nbgrader's lab extension and JupyterLab's news plugin disabled and
locked, nbgrader's server extensions disabled, all at the environment's level.
These tests show the settings hold here, that a user's own settings cannot
switch the tools back on, and that the check sees them when they are on.
test_browser.py proves the same on screen.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_core.paths import prefer_environment_over_user

from coursekit import lab

ROOT = Path(__file__).resolve().parents[2]


def recipe(makefile, target):
    """The command lines of a Makefile target."""
    lines = makefile.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    commands = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        commands.append(line.strip())
    return commands


def test_make_lab_starts_coursekit_lab_and_installing_applies_its_settings():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert recipe(makefile, "lab") == ["$(VENV_PY) -m coursekit.lab $(LAB_ARGS)"]
    install = recipe(makefile, "$(VENV)/.installed")
    assert install.index("$(VENV_PY) -m coursekit.lab --settings-only") == 1  # after pip


def test_the_lab_opens_the_course_and_a_given_root_replaces_the_repository():
    command = lab.lab_command([])
    assert command[:4] == [sys.executable, "-m", "jupyter", "lab"]
    assert f"--ServerApp.root_dir={ROOT}" in command
    assert "--LabApp.default_url=/lab/tree/course" in command

    other = lab.lab_command(["--ServerApp.root_dir=/elsewhere", "--no-browser"])
    assert [o for o in other if "root_dir" in o] == ["--ServerApp.root_dir=/elsewhere"]
    assert other[-2:] == ["--ServerApp.root_dir=/elsewhere", "--no-browser"]


@pytest.fixture
def learner_environment():
    """This environment with the learner's settings applied (what make lab does)."""
    lab.make_learner_environment()
    return lab


def test_this_environment_shows_a_learner_no_instructor_tools(learner_environment):
    assert learner_environment.what_a_learner_would_see() == []
    # nbgrader is installed here (test extra): the check had something to look at.
    assert len(lab.instructor_server_extensions()) >= 4


def test_a_users_own_settings_do_not_switch_the_tools_back_on(
    learner_environment, tmp_path, monkeypatch
):
    # In a virtual or conda environment Jupyter reads the environment's level
    # before the user's: what the course set there wins.
    assert prefer_environment_over_user(), "not a virtual or conda environment"
    user = tmp_path / "user-config"
    (user / "labconfig").mkdir(parents=True)
    (user / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {name: False for name in lab.HIDDEN_LAB_EXTENSIONS}})
    )
    extensions = {name: True for name in lab.instructor_server_extensions()}
    (user / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": extensions}})
    )
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(user))
    assert lab.what_a_learner_would_see() == []

    # And JupyterLab's own command (the extension manager's way) refuses: locked.
    result = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "enable", "--level=user"]
        + lab.HIDDEN_LAB_EXTENSIONS,
        env=dict(os.environ, JUPYTER_CONFIG_DIR=str(user)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "locked" in result.stdout + result.stderr
    assert lab.what_a_learner_would_see() == []


def test_tools_switched_on_ahead_of_the_environment_are_reported(tmp_path, monkeypatch):
    # JUPYTER_CONFIG_PATH is read before every other level: the check must see it.
    ahead = tmp_path / "ahead"
    (ahead / "labconfig").mkdir(parents=True)
    (ahead / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {lab.NBGRADER_LAB_EXTENSION: False}})
    )
    (ahead / "jupyter_server_config.json").write_text(
        json.dumps(
            {"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": True}}}
        )
    )
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(ahead))
    assert lab.what_a_learner_would_see() == [
        "lab extension @jupyter/nbgrader is enabled",
        "server extension nbgrader.server_extensions.formgrader is enabled",
    ]
