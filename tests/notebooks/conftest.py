"""Fixtures of the browser tests: a learner's JupyterLab and one Chromium per module."""

import pytest
from jupyterlab_page import ARTIFACTS, CHROMIUM_ARGS, lecture_copies, running_lab


@pytest.fixture(scope="module")
def learner_lab(tmp_path_factory):
    """(base url, token) of a JupyterLab started as `make lab` starts it, on copies of the lectures."""
    workdir = lecture_copies(tmp_path_factory.mktemp("lab"))
    with running_lab(workdir) as server:
        yield server


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
