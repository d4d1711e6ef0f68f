"""JupyterLab in Chromium for the browser tests: started as `make lab` starts it.

`make lab` runs ``python -m coursekit.lab $(LAB_ARGS)``; the tests run the
same with only what a test needs added: a free loopback port, a token, a copy
of the lecture notebooks as the server's root, the app exposed to the page
(``window.jupyterapp``, to read its state), and a fresh user configuration (a
learner's first start).

Load: the machine may be busy (CI shares its cores with other work). Every
wait here is for a condition read from JupyterLab's own state (the server
answers, the notebook's kernel is idle, Run All is enabled, every code cell has
an execution count, a layout has stopped moving), with generous but bounded
timeouts. Nothing sleeps a fixed time and hopes the page is ready.
"""

import contextlib
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

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
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
PAGE_MS = 180_000  # a page, the app and its kernel are ready; a click is answered
RUN_ALL_MS = 420_000  # every cell of a chapter has run


def learners_command(options):
    """`make lab` runs `python -m coursekit.lab $(LAB_ARGS)`: the same, with ``options``."""
    return [sys.executable, "-m", "coursekit.lab", *options]


def lecture_copies(folder):
    """A copy of every lecture notebook in ``folder``, so nothing in course/ changes."""
    folder.mkdir(parents=True, exist_ok=True)
    for notebook in (ROOT / "course").glob("ch*.ipynb"):
        shutil.copy(notebook, folder / notebook.name)
    return folder


@contextlib.contextmanager
def running_lab(workdir, command_for=learners_command, env_extra=None):
    """A JupyterLab on ``workdir``: yields (base url, token); stopped afterwards.

    ``command_for(options)`` is the command that starts it with the test's options.
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
    log_path = workdir.with_name(workdir.name + "-jupyterlab.log")
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
                time.sleep(0.5)  # the polling interval of a condition
            yield base, token
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def http_status(url):
    """The HTTP status of a GET (redirects followed)."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url):
    try:
        urllib.request.urlopen(url, timeout=5)
        return True
    except (OSError, urllib.error.URLError):
        return False


# The notebook is open and current, its kernel connected and idle, and Run >
# Run All Cells (the command "runmenu:run-all") is enabled for it. (A predicate must answer at once: a Promise
# would count as true.)
NOTEBOOK_READY = """() => {
    const app = window.jupyterapp;
    const panel = app && app.shell.currentWidget;
    const session = panel && panel.sessionContext;
    const kernel = session && session.session && session.session.kernel;
    return !!(kernel && panel.context.isReady && session.isReady
              && kernel.connectionStatus === 'connected' && kernel.status === 'idle'
              && app.commands.isEnabled('runmenu:run-all'));
}"""

# The notebook's code cells (read from its model: cells scrolled out of view
# may not be drawn), the empty ones left out (running them runs nothing).
_CODE_CELLS = """window.jupyterapp.shell.currentWidget.content.widgets.filter(
    c => c.model.type === 'code' && c.model.sharedModel.getSource().trim() !== '')"""

# No code cell has an execution count: the stored ones are cleared.
NOTHING_RAN = f"""() => {_CODE_CELLS}.every(c => c.model.executionCount === null)"""

# The kernel is idle again, and every code cell has run (or one stopped the run
# with an error, which the caller then reports).
ALL_CELLS_RAN = f"""() => {{
    const session = window.jupyterapp.shell.currentWidget.sessionContext.session;
    const cells = {_CODE_CELLS};
    const failed = cells.some(c => c.model.outputs.toJSON().some(o => o.output_type === 'error'));
    return !!(session && session.kernel && session.kernel.status === 'idle') && cells.length > 0
           && (failed || cells.every(c => c.model.executionCount !== null));
}}"""

ERRORS = """() => window.jupyterapp.shell.currentWidget.content.widgets
    .filter(c => c.model.type === 'code')
    .flatMap(c => c.model.outputs.toJSON())
    .filter(o => o.output_type === 'error')
    .map(o => `${o.ename}: ${o.evalue}`)"""


@contextlib.contextmanager
def opened(browser, base, token, notebook, workspace, viewport=(1400, 1000)):
    """A page with ``notebook`` open and ready to run (NOTEBOOK_READY)."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
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


def run_all_cells(page):
    """Clear the stored outputs, then Run > Run All Cells; check every cell ran without error.

    The stored notebook already has an execution count in every code cell, so
    they are cleared first (Edit > Clear Outputs of All Cells): a count seen
    afterwards was made by this run. Both are run as the commands behind those
    menu items, so no click can be lost on a busy machine.
    """
    run = "(command) => { window.jupyterapp.commands.execute(command); return true; }"
    page.evaluate(run, "notebook:clear-all-cell-outputs")
    page.wait_for_function(NOTHING_RAN, polling=500)
    page.evaluate(run, "runmenu:run-all")
    page.wait_for_function(ALL_CELLS_RAN, timeout=RUN_ALL_MS, polling=1000)
    errors = page.evaluate(ERRORS)
    assert errors == [], f"cells failed: {errors}"
    restarting = page.locator(".jp-Dialog-header:has-text('Kernel Restarting')").count()
    assert not restarting, "the kernel died and restarted"


def scroll_to_cell(page, predicate, argument=None):
    """Scroll the first cell for which the JS ``predicate(cell, argument)`` holds into view.

    Returns its index (-1 when there is none). A cell out of view may not be
    drawn, so this comes before waiting for something inside it.
    """
    index = page.evaluate(
        f"""(argument) => window.jupyterapp.shell.currentWidget.content.widgets
               .findIndex(cell => ({predicate})(cell, argument))""",
        argument,
    )
    if index >= 0:
        page.evaluate(
            "(i) => window.jupyterapp.shell.currentWidget.content.scrollToItem(i, 'center')",
            index,
        )
    return index
