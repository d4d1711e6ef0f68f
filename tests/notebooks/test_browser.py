"""The course in a real browser: JupyterLab + Chromium, driven by Playwright.

nbval proves the notebooks compute what they show; this proves a learner sees
it, in a JupyterLab started the way ``make lab`` starts it (jupyterlab_page.py:
``python -m coursekit.lab`` with a port, a token, copies of the lectures and a
fresh user configuration). In it:

- a chapter with a graph drawing and one with a widget run all their cells,
  without an error, and the drawing and the widget render;
- the learner sees no instructor tool (no "Nbgrader" menu, no "Create
  Assignment" panel, no "Validate" button, no formgrader page) and no news
  pop-up. The same observations, made on the same command with nbgrader and
  the news plugin switched back on, find all of them: the checks can fail.

Every wait is for a condition, with generous but bounded timeouts, so the
verdict does not depend on how busy the machine is (jupyterlab_page.py).
Screenshots are kept in test-artifacts/browser/ for a human to look at.
Without Chromium the tests are skipped, saying so (tests/conftest.py).
"""

import json

import pytest
from jupyterlab_page import (
    ARTIFACTS,
    PAGE_MS,
    http_status,
    lecture_copies,
    opened,
    run_all_cells,
    running_lab,
    scroll_to_cell,
)

from coursekit import lab

# (notebook, the output's MIME type, what must render from it once all cells ran)
PAGES = [
    ("ch01_graph.ipynb", "image/png", ".jp-RenderedImage img"),  # a graph drawing
    (  # the grad-mode playground widget
        "ch07_grad_modes.ipynb",
        "application/vnd.jupyter.widget-view+json",
        ".widget-dropdown select",
    ),
]
NEWS_QUESTION = "Would you like to get notified about official Jupyter news?"


# --- a chapter runs and renders ------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("notebook,mime,rendered", PAGES, ids=[p[0] for p in PAGES])
def test_chapter_runs_in_jupyterlab_and_renders(learner_lab, browser, notebook, mime, rendered):
    base, token = learner_lab
    with opened(browser, base, token, notebook, workspace=notebook[:4]) as page:
        run_all_cells(page)
        # The first cell with such an output, scrolled into view, shows it drawn.
        index = scroll_to_cell(
            page,
            """(cell, mime) => cell.model.type === 'code' &&
                   cell.model.outputs.toJSON().some(o => o.data && mime in o.data)""",
            mime,
        )
        assert index >= 0, f"no {mime} output in {notebook}"
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
        "formgrader page": http_status(f"{base}/formgrader?token={token}"),
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
    workdir = lecture_copies(tmp_path_factory.mktemp("lab-switched-on"))
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


# --- a Predict cell: the learner clicks an answer, the reveal judges it -------------

CELL_TEXT = """(cell, text) => cell.model.type === 'code' &&
    cell.model.sharedModel.getSource().includes(text)"""


@pytest.mark.browser
def test_a_clicked_prediction_is_recorded_and_judged(learner_lab, browser):
    base, token = learner_lab
    with opened(browser, base, token, "ch00_welcome.ipynb", workspace="predict") as page:
        run_all_cells(page)
        asked = scroll_to_cell(page, CELL_TEXT, "first_question = predict(")
        assert asked >= 0
        button = page.locator(".widget-toggle-button", has_text="8").first
        button.click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.widget-toggle-button')].every(b => b.disabled)",
            polling=500,
        )  # committed: the buttons lock
        revealed = scroll_to_cell(page, CELL_TEXT, "first_question.reveal(")
        page.evaluate(
            """(i) => { const notebook = window.jupyterapp.shell.currentWidget.content;
                   notebook.activeCellIndex = i;
                   return window.jupyterapp.commands.execute('notebook:run-cell'); }""",
            revealed,
        )
        page.wait_for_function(
            """(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].model.outputs
                   .toJSON().some(o => (o.text || '').includes('You predicted it: right'))""",
            arg=revealed,
            polling=500,
        )
        page.screenshot(path=str(ARTIFACTS / "ch00-predict.png"), full_page=False)
