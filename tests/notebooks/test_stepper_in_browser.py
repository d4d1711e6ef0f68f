"""Chapter 2's backward stepper on a laptop screen, in JupyterLab in Chromium.

A laptop screen of 1366x768 or 1280x800 leaves a browser page of about 1366x650
or 1280x690 once the browser's own bars are drawn. On such a page, after Run All
and three clicks on Next, the whole widget (its buttons, its text and its
picture, with the node that runs outlined) must be on screen at once.
The lab is a learner's, started as `make lab` starts it, and every wait is for
a condition (jupyterlab_page.py), so the verdict does not depend on load.
Screenshots are kept in test-artifacts/browser/ for a human to look at.
"""

import pytest
from jupyterlab_page import ARTIFACTS, opened, run_all_cells, scroll_to_cell

NOTEBOOK = "ch02_backward.ipynb"
LAPTOP_PAGES = [(1366, 650), (1280, 690)]


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


# _MEASURE, polled until two measurements in a row are the same and the
# notebook area fits the page: then JupyterLab has finished laying it out.
_SETTLED = (
    """() => { const seen = ("""
    + _MEASURE
    + """)();
    const key = JSON.stringify(seen);
    const settled = window.__lastStepperMeasure === key
                    && seen.area.bottom <= window.innerHeight
                    && seen.area.right <= window.innerWidth;
    window.__lastStepperMeasure = key;
    return settled ? seen : false; }"""
)


@pytest.mark.browser
@pytest.mark.slow
def test_stepper_buttons_and_picture_are_on_a_laptop_screen_together(learner_lab, browser):
    base, token = learner_lab
    width, height = LAPTOP_PAGES[0]
    with opened(browser, base, token, NOTEBOOK, "stepper", viewport=(width, height)) as page:
        run_all_cells(page)
        assert scroll_to_cell(page, "(cell, id) => cell.model.id === id", "stepper") >= 0
        next_button = page.locator("button:has-text('Next')").first
        for step in (1, 2, 3):
            next_button.click()
            # The kernel answers each click by redrawing: wait for that step's text.
            page.wait_for_function(
                """(step) => [...document.querySelectorAll('.widget-html-content')]
                       .some(e => e.textContent.includes(`Step ${step} of `))""",
                arg=step,
            )
        for width, height in LAPTOP_PAGES:
            page.set_viewport_size({"width": width, "height": height})
            # Measured once the layout has settled: two polls in a row agree.
            seen = page.wait_for_function(_SETTLED, polling=250).json_value()
            page.screenshot(path=str(ARTIFACTS / f"ch02-stepper-{width}x{height}.png"))
            area = seen["area"]
            for part in ("widget", "next", "picture"):
                box = seen[part]
                assert area["top"] <= box["top"] and box["bottom"] <= area["bottom"], (part, seen)
                assert area["left"] <= box["left"] and box["right"] <= area["right"], (part, seen)
            assert "Step 3 of 6: AddBackward0" in seen["status"], seen["status"]
