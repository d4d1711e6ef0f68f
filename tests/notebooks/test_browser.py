"""The course in a real browser: JupyterLab + Chromium, driven by Playwright.

nbval proves the notebooks compute what they show; this proves a learner sees
it, in a JupyterLab started the way ``make lab`` starts it
(``python -m coursekit.lab``, coursekit/lab.py) with only what a test needs
added: a free loopback port, a token, a copy of the notebooks as its root, and
a fresh user configuration (a learner's first start). In it:

- a chapter with a graph drawing and one with a widget run all their cells,
  without an error, and the drawing and the widget render;
- the learner sees no instructor tool (no "Nbgrader" menu, no "Create
  Assignment" panel, no formgrader page) and no news pop-up. The same
  observations, made on the same command with nbgrader and the news plugin
  switched back on, find all of them: the checks can fail.

Screenshots are kept in test-artifacts/browser/ for a human to look at.
Without Chromium the tests are skipped, saying so (tests/conftest.py).

Load: the machine may be busy (CI shares its cores). Every wait is for a
condition (the server answers, the app is restored, the kernel is idle, every
code cell has run), with generous but bounded timeouts; nothing sleeps for a
fixed time and hopes the page is ready.
"""

import contextlib
import json
import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from coursekit import lab

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
# (notebook, the output's MIME type, what must render from it once all cells ran)
PAGES = [
    ("ch01_graph.ipynb", "image/png", ".jp-RenderedImage img"),  # a graph drawing
    (  # the grad-mode playground widget
        "ch07_grad_modes.ipynb",
        "application/vnd.jupyter.widget-view+json",
        ".widget-dropdown select",
    ),
]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
# Bounds, not expectations: on a quiet machine each step takes a few seconds.
SERVER_START_S = 240
PAGE_MS = 180_000  # the page, the app and the kernel are ready
RUN_ALL_MS = 420_000  # every cell of a chapter has run
NEWS_QUESTION = "Would you like to get notified about official Jupyter news?"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_lab(workdir, command_for, env_extra=None):
    """A JupyterLab on ``workdir``: yields (base url, token); stopped afterwards.

    ``command_for(options)`` is the command to start it with the test's options.
    """
    port, token = _free_port(), secrets.token_hex(16)
    options = [
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={workdir}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: the app's own state
    ]
    user_config = workdir.with_name(workdir.name + "-user-config")  # no user settings yet
    user_config.mkdir(exist_ok=True)
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(user_config),
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
        **(env_extra or {}),
    )
    log_path = workdir / "jupyterlab.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            command_for(options), cwd=workdir, env=env, stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + SERVER_START_S
            while not _answers(f"{base}/api/status?token={token}"):
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("JupyterLab did not start:\n" + log_path.read_text()[-3000:])
                time.sleep(0.5)  # polling interval of a condition, not a wait for readiness
            yield base, token
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _answers(url):
    try:
        urllib.request.urlopen(url, timeout=5)
        return True
    except (OSError, urllib.error.URLError):
        return False


def _status(url):
    """The HTTP status of a GET (redirects followed)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _workdir(tmp_path_factory, name):
    workdir = tmp_path_factory.mktemp(name)
    for notebook, _, _ in PAGES:  # a copy, so nothing in course/ changes
        shutil.copy(ROOT / "course" / notebook, workdir / notebook)
    return workdir


def learners_command(options):
    """`make lab` runs `python -m coursekit.lab $(LAB_ARGS)`: the same, with the test's options."""
    return [sys.executable, "-m", "coursekit.lab", *options]


@pytest.fixture(scope="module")
def learner_lab(tmp_path_factory):
    workdir = _workdir(tmp_path_factory, "lab")
    with running_lab(workdir, learners_command) as server:
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


# The notebook is open and current, its kernel connected and idle, and the
# notebook commands (Run > Run All Cells) are enabled for it. (A predicate must
# answer at once: a Promise would count as true.)
NOTEBOOK_READY = """() => {
    const app = window.jupyterapp;
    const panel = app && app.shell.currentWidget;
    const session = panel && panel.sessionContext;
    const kernel = session && session.session && session.session.kernel;
    return !!(kernel && panel.context.isReady && session.isReady
              && kernel.connectionStatus === 'connected' && kernel.status === 'idle'
              && app.commands.isEnabled('runmenu:run-all'));
}"""
# Every code cell has an execution count and the kernel is idle again (read from
# the notebook's model: cells scrolled out of view may not be drawn).
ALL_CELLS_RAN = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    const cells = panel.content.widgets.filter(c => c.model.type === 'code');
    return !!kernel && kernel.status === 'idle' && cells.length > 0
           && cells.every(c => c.model.executionCount !== null);
}"""


@contextlib.contextmanager
def opened(browser, base, token, notebook, workspace):
    """A page with ``notebook`` open and ready to run (NOTEBOOK_READY)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(PAGE_MS)
    try:
        # A workspace of its own, reset: JupyterLab would otherwise reopen old tabs.
        page.goto(f"{base}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={token}")
        page.wait_for_function(NOTEBOOK_READY, timeout=PAGE_MS, polling=500)
        yield page
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{workspace}-failed.png"))
        raise
    finally:
        page.close()


# --- a chapter runs and renders ------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("notebook,mime,rendered", PAGES, ids=[p[0] for p in PAGES])
def test_chapter_runs_in_jupyterlab_and_renders(learner_lab, browser, notebook, mime, rendered):
    base, token = learner_lab
    with opened(browser, base, token, notebook, workspace=notebook[:4]) as page:
        # What a learner does: Run > Run All Cells, from the menu bar.
        page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
        page.click("li.lm-Menu-item[data-command='runmenu:run-all']:not(.lm-mod-disabled)")
        page.wait_for_function(ALL_CELLS_RAN, timeout=RUN_ALL_MS, polling=1000)
        errors = page.evaluate(
            """() => window.jupyterapp.shell.currentWidget.content.widgets
                 .filter(c => c.model.type === 'code')
                 .flatMap(c => c.model.outputs.toJSON())
                 .filter(o => o.output_type === 'error')
                 .map(o => `${o.ename}: ${o.evalue}`)"""
        )
        assert errors == []
        assert not page.locator(".jp-Dialog-header:has-text('Kernel Restarting')").count()

        # Bring the first cell with such an output into view, then see it drawn.
        index = page.evaluate(
            """(mime) => window.jupyterapp.shell.currentWidget.content.widgets.findIndex(
                   c => c.model.type === 'code' && c.model.outputs.toJSON().some(
                       o => o.data && mime in o.data))""",
            mime,
        )
        assert index >= 0, f"no {mime} output in {notebook}"
        page.evaluate(
            "(i) => window.jupyterapp.shell.currentWidget.content.scrollToItem(i, 'center')",
            index,
        )
        page.wait_for_selector(rendered, state="visible")
        size = page.evaluate(
            """(selector) => { const el = document.querySelector(selector);
                   const img = el.tagName === 'IMG' ? el : null;
                   return {width: img ? img.naturalWidth : el.getBoundingClientRect().width,
                           height: img ? img.naturalHeight
                                       : el.getBoundingClientRect().height,
                           options: el.options ? el.options.length : null}; }""",
            rendered,
        )
        assert size["width"] > 20 and size["height"] > 10, size
        if size["options"] is not None:  # a dropdown: it lists the grad modes
            assert size["options"] >= 3, size
        page.screenshot(path=str(ARTIFACTS / f"{notebook[:-6]}.png"), full_page=False)


# --- a learner's JupyterLab has no instructor tools and no news pop-up -------------


def what_is_on_screen(page, base, token):
    """The instructor tools and the news question a learner would meet."""
    menus = page.locator("div.lm-MenuBar-itemLabel").all_inner_texts()
    assert {"File", "Run", "Kernel", "Help"} <= set(menus), menus  # the menu bar is there
    side_tabs = page.locator(".jp-SideBar .lm-TabBar-tab").evaluate_all(
        "tabs => tabs.map(t => [t.getAttribute('title') || '', t.textContent].join(' '))"
    )
    assert any("File Browser" in tab for tab in side_tabs), side_tabs  # the side bars are there
    plugins = page.evaluate("() => window.jupyterapp.listPlugins()")
    return {
        "menus": [m for m in menus if "nbgrader" in m.lower()],
        "side panels": [t.strip() for t in side_tabs if "assignment" in t.lower()],
        "toolbar buttons": page.locator(
            ".jp-NotebookPanel-toolbar .validate-button"
        ).all_inner_texts(),
        "plugins": [p for p in plugins if "nbgrader" in p or p == lab.NEWS_PLUGIN],
        "news question": page.get_by_text(NEWS_QUESTION).all_inner_texts(),
        "formgrader page": _status(f"{base}/formgrader?token={token}"),
    }


@pytest.mark.browser
def test_a_learner_sees_no_instructor_tools_and_no_news_pop_up(learner_lab, browser):
    base, token = learner_lab
    with opened(browser, base, token, PAGES[0][0], workspace="learner") as page:
        seen = what_is_on_screen(page, base, token)
        page.screenshot(path=str(ARTIFACTS / "learner-lab.png"))
    # The news plugin is not even loaded, so its question can never pop up later.
    assert seen == {
        "menus": [],
        "side panels": [],
        "toolbar buttons": [],
        "plugins": [],
        "news question": [],
        "formgrader page": 404,
    }


@pytest.mark.browser
def test_the_same_checks_find_nbgrader_and_the_news_when_they_are_on(tmp_path_factory, browser):
    # The command make lab runs, without coursekit.lab's settings: a config
    # folder that Jupyter reads first switches nbgrader and the news plugin on.
    switched_on = tmp_path_factory.mktemp("switched-on")
    (switched_on / "labconfig").mkdir()
    (switched_on / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {name: False for name in lab.HIDDEN_LAB_EXTENSIONS}})
    )
    extensions = {name: True for name in lab.instructor_server_extensions()}
    assert extensions, "nbgrader's server extensions are not installed here"
    (switched_on / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": extensions}})
    )
    workdir = _workdir(tmp_path_factory, "lab-switched-on")
    env = {"JUPYTER_CONFIG_PATH": str(switched_on)}
    with running_lab(workdir, lab.lab_command, env) as (base, token):
        with opened(browser, base, token, PAGES[0][0], workspace="switched-on") as page:
            # The question comes a moment after the app is restored: wait for it.
            page.get_by_text(NEWS_QUESTION).wait_for(timeout=PAGE_MS)
            seen = what_is_on_screen(page, base, token)
            page.screenshot(path=str(ARTIFACTS / "lab-with-instructor-tools.png"))
    assert seen["menus"] == ["Nbgrader"]
    assert seen["side panels"] == ["Nbgrader Create Assignment Create Assignment"]
    assert seen["toolbar buttons"] == ["Validate"]
    assert "@jupyter/nbgrader:create-assignment" in seen["plugins"]
    assert lab.NEWS_PLUGIN in seen["plugins"]
    assert seen["news question"] == [NEWS_QUESTION]
    assert seen["formgrader page"] == 200
