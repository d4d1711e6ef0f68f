"""Shared pytest set-up: markers, and skips that say why a test did not run.

Three kinds of test need something pip does not install:

* ``@pytest.mark.torch_live`` needs PyTorch 2.13.0 (``make torch``);
* ``@pytest.mark.browser`` needs a Chromium binary (``apt-get install chromium``);
* ``@pytest.mark.sandbox`` needs bubblewrap (``apt-get install bubblewrap``):
  the grader runs every learner's kernel in its sandbox and refuses to
  grade without one.

Without it the test is skipped with a reason that says what is missing and how
to get it; ``-rs`` in pyproject's addopts prints those reasons in the summary.
CI installs both, and sets ``MINIGRAD_REQUIRE_ALL_TESTS=1`` so that a missing
one fails the run instead of being skipped quietly.
"""

import functools
import os
import shutil
from pathlib import Path

import pytest

TORCH_VERSION = "2.13.0"
NO_CHROMIUM = "browser test not run: Chromium not found; install it with apt-get install chromium"
NO_BWRAP = (
    "grading test not run: bubblewrap (bwrap) not found; install it with apt-get install bubblewrap"
)

# Notebooks under tests/ are test data (fixtures, submissions to grade), not
# lessons: nbval (--nbval in addopts) must not validate them. Tests that need
# them run them explicitly. The glob is relative to this folder and `*` also
# matches `/`, so this covers every sub-folder.
collect_ignore_glob = ["*.ipynb"]

MARKERS = {
    "torch_live": "needs PyTorch 2.13.0 installed (make torch); compares against it live",
    "browser": "needs a Chromium binary (Debian: apt-get install chromium)",
    "sandbox": "needs bubblewrap (Debian: apt-get install bubblewrap); grades in its sandbox",
    "slow": "takes more than a few seconds; deselect with -m 'not slow'",
}


def pytest_configure(config):
    # pyproject.toml registers the markers too; this keeps them known when the
    # tests run under another configuration (a temporary pytester project).
    known = {line.split(":")[0].strip() for line in config.getini("markers")}
    for name, text in MARKERS.items():
        if name not in known:
            config.addinivalue_line("markers", f"{name}: {text}")

    # nbval opens the sanitizer file relative to the current directory; make
    # the configured relative path work from any directory inside the repo.
    sanitize = getattr(config.option, "nbval_sanitize_with", None)
    if sanitize and not Path(sanitize).is_absolute() and not Path(sanitize).exists():
        candidate = config.rootpath / sanitize
        if candidate.exists():
            config.option.nbval_sanitize_with = str(candidate)


def find_chromium():
    """Path of the Chromium binary (Debian: chromium; Ubuntu: chromium-browser), or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


@functools.cache
def _torch_problem():
    """Why the live PyTorch tests cannot run here, or None if they can."""
    try:
        import torch
    except (ImportError, OSError) as exc:  # OSError: a broken install missing a shared library
        return f"PyTorch is not importable ({type(exc).__name__}: {exc})"
    found = torch.__version__.split("+")[0]  # "2.13.0+cpu" -> "2.13.0"
    if found != TORCH_VERSION:
        return f"PyTorch {torch.__version__} is installed, the recordings are from {TORCH_VERSION}"
    return None


def _missing_requirement(item):
    """The reason `item` cannot run on this machine, or None."""
    if item.get_closest_marker("torch_live"):
        problem = _torch_problem()
        if problem:
            return (
                f"torch_live test not run: {problem}; "
                f"install it with make torch (pip install torch=={TORCH_VERSION})"
            )
    if item.get_closest_marker("browser") and find_chromium() is None:
        return NO_CHROMIUM
    if item.get_closest_marker("sandbox") and shutil.which("bwrap") is None:
        return NO_BWRAP
    return None


def _not_run(reason):
    """Skip with `reason`; in CI (MINIGRAD_REQUIRE_ALL_TESTS=1) fail instead."""
    if os.environ.get("MINIGRAD_REQUIRE_ALL_TESTS") == "1":
        pytest.fail(
            f"{reason} (MINIGRAD_REQUIRE_ALL_TESTS=1: nothing may be skipped)", pytrace=False
        )
    pytest.skip(reason)


def pytest_runtest_setup(item):
    reason = _missing_requirement(item)
    if reason is not None:
        _not_run(reason)


@pytest.fixture(scope="session")
def chromium_path():
    """Path of the Chromium binary, for Playwright's ``executable_path``.

    Use it in tests marked ``browser``: the marker skips them when there is none.
    """
    path = find_chromium()
    if path is None:
        _not_run(NO_CHROMIUM)
    return path
