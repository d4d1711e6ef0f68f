"""The course in a real browser: JupyterLab + Chromium, driven by Playwright.

nbval proves the notebooks compute what they show; this proves a learner sees
it: a JupyterLab started here on a free loopback port opens a chapter with a
widget and one with a graph drawing, runs all cells, and the widget and the
figure render. Screenshots are kept in test-artifacts/browser/ for a human
to look at. Without Chromium the test is skipped, saying so (tests/conftest.py).
"""

import os
import pathlib
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
# (notebook, what must render once all cells ran)
PAGES = [
    ("ch01_graph.ipynb", ".jp-RenderedImage img"),  # a graph drawing
    ("ch07_grad_modes.ipynb", ".widget-dropdown select"),  # the grad-mode playground widget
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


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A JupyterLab server on a copy of the notebooks (so nothing in course/ changes)."""
    workdir = tmp_path_factory.mktemp("lab")
    for name, _ in PAGES:
        shutil.copy(ROOT / "course" / name, workdir / name)
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
    )
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={workdir}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = open(workdir / "jupyterlab.log", "w")
    server = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(
                        "JupyterLab did not start:\n"
                        + (workdir / "jupyterlab.log").read_text()[-3000:]
                    )
                time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.mark.browser
@pytest.mark.parametrize("notebook,rendered", PAGES, ids=[p[0] for p in PAGES])
def test_chapter_runs_in_jupyterlab_and_renders(jupyterlab, chromium_path, notebook, rendered):
    from playwright.sync_api import sync_playwright

    base, token = jupyterlab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            # A workspace of its own per notebook, reset: JupyterLab would otherwise
            # reopen the tabs of the previous test.
            page.goto(f"{base}/lab/workspaces/{notebook[:4]}/tree/{notebook}?reset&token={token}")
            page.wait_for_selector(".jp-Notebook", timeout=60_000)
            # Wait for the kernel, then Run > Run All Cells from the menu bar.
            page.wait_for_selector(
                ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000
            )
            page.wait_for_timeout(2_000)  # let the kernel connection settle
            page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
            page.click("li.lm-Menu-item:has-text('Run All Cells')")
            try:
                page.wait_for_selector(rendered, state="attached", timeout=180_000)
            except Exception:
                page.screenshot(path=str(ARTIFACTS / f"{notebook[:-6]}-failed.png"))
                raise
            if page.locator(".jp-Dialog-header:has-text('Kernel Restarting')").count():
                pytest.fail(f"the kernel died while running {notebook}")
            # Every cell ran: the last code cell has an execution count.
            page.wait_for_function(
                """() => { const prompts = [...document.querySelectorAll(
                         '.jp-CodeCell .jp-InputPrompt')];
                       return prompts.length > 0 &&
                              prompts.every(p => /\\[\\d+\\]/.test(p.textContent)); }""",
                timeout=120_000,
            )
            # Cells outside the viewport may be skipped by the browser's layout, so
            # measure the first rendered element after scrolling it into view with JS.
            size = page.evaluate(
                """(selector) => { const el = document.querySelector(selector);
                       el.scrollIntoView({block: 'center'});
                       const img = el.tagName === 'IMG' ? el : null;
                       return {width: img ? img.naturalWidth : el.getBoundingClientRect().width,
                               height: img ? img.naturalHeight
                                           : el.getBoundingClientRect().height,
                               options: el.options ? el.options.length : null}; }""",
                rendered,
            )
            page.wait_for_timeout(1_000)
            assert size["width"] > 20 and size["height"] > 10, size
            if size["options"] is not None:  # a dropdown: it lists the grad modes
                assert size["options"] >= 3, size
            errors = page.locator(
                ".jp-OutputArea-output[data-mime-type="
                "'application/vnd.jupyter.stderr'] :text('Traceback')"
            )
            assert errors.count() == 0
            page.screenshot(path=str(ARTIFACTS / f"{notebook[:-6]}.png"), full_page=False)
        finally:
            browser.close()
