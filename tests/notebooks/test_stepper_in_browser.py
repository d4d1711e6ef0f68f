"""Chapter 2's backward stepper on a laptop screen, in JupyterLab in Chromium.

A laptop screen of 1366x768 or 1280x800 leaves a browser page of about 1366x650
or 1280x690 once the browser's own bars are drawn. On such a page, after Run All
and three clicks on Next, the whole widget (its buttons, its text and its
picture, with the node that runs outlined) must be on screen at once.
Screenshots are kept in test-artifacts/browser/ for a human to look at.
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
NOTEBOOK = "ch02_backward.ipynb"
LAPTOP_PAGES = [(1366, 650), (1280, 690)]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab_with_chapter_2(tmp_path_factory):
    """A JupyterLab on a copy of chapter 2; yields (base URL, token)."""
    workdir = tmp_path_factory.mktemp("stepper-lab")
    shutil.copy(ROOT / "course" / NOTEBOOK, workdir / NOTEBOOK)
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
    with open(workdir / "jupyterlab.log", "w") as log:
        server = subprocess.Popen(command, cwd=workdir, env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        pytest.fail("JupyterLab did not start")
                    time.sleep(0.5)
            yield base, token
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()


# Where the widget and its parts are on the page, relative to the notebook's
# visible area (the part of the page between JupyterLab's bars).
_MEASURE = """() => {
    const next = [...document.querySelectorAll('button')].find(b => b.textContent.includes('Next'));
    let widget = next;
    while (widget && !(widget.querySelector && widget.querySelector('img'))) {
        widget = widget.parentElement;
    }
    widget.scrollIntoView({block: 'center'});
    const box = e => { const r = e.getBoundingClientRect();
                       return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
    const area = document.querySelector('.jp-NotebookPanel-notebook')
                 || document.querySelector('.jp-Notebook');
    const status = widget.querySelector('.widget-html-content');
    return {widget: box(widget), next: box(next), picture: box(widget.querySelector('img')),
            area: box(area), status: status ? status.textContent : ''};
}"""


@pytest.mark.browser
@pytest.mark.slow
def test_stepper_buttons_and_picture_are_on_a_laptop_screen_together(
    lab_with_chapter_2, chromium_path
):
    from playwright.sync_api import sync_playwright

    base, token = lab_with_chapter_2
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            width, height = LAPTOP_PAGES[0]
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"{base}/lab/workspaces/stepper/tree/{NOTEBOOK}?reset&token={token}")
            page.wait_for_selector(".jp-Notebook", timeout=120_000)
            page.wait_for_selector(
                ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000
            )
            page.wait_for_timeout(2_000)  # let the kernel connection settle
            page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
            page.click("li.lm-Menu-item:has-text('Run All Cells')")
            next_button = page.locator("button:has-text('Next')").first
            next_button.wait_for(timeout=180_000)
            for _ in range(3):
                next_button.click()
                page.wait_for_timeout(500)
            for width, height in LAPTOP_PAGES:
                page.set_viewport_size({"width": width, "height": height})
                page.wait_for_timeout(1_000)
                seen = page.evaluate(_MEASURE)
                page.wait_for_timeout(500)
                page.screenshot(path=str(ARTIFACTS / f"ch02-stepper-{width}x{height}.png"))
                area = seen["area"]
                for part in ("widget", "next", "picture"):
                    box = seen[part]
                    assert area["top"] <= box["top"] and box["bottom"] <= area["bottom"], (
                        part,
                        seen,
                    )
                    assert area["left"] <= box["left"] and box["right"] <= area["right"], (
                        part,
                        seen,
                    )
                assert "Step 3 of 6: AddBackward0" in seen["status"], seen["status"]
        finally:
            browser.close()
