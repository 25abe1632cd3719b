"""Forms in the browser tests: a page's main area, its tabs, and picking an option in a select box the way a
person does, robustly on a busy machine."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import rerun_and_wait


def main(page: Page):
    return page.get_by_test_id("stMain")


def selectbox(page: Page, label: str) -> Locator:
    return (
        main(page)
        .get_by_test_id("stSelectbox")
        .filter(has=page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True))
    )


def pick(page: Page, box: Locator, option: str) -> None:
    """Choose `option` with the keyboard. The first click can land while the widget that had focus is
    still redrawing after losing it, which closes the list again: click until the list says it is open.
    Then type to filter the list to that one entry and take it (a mouse click on the list is fragile on a
    long form: the list can open upwards under the text areas, and scrolling to it closes it)."""
    combobox = box.get_by_role("combobox")
    for _ in range(3):
        combobox.click()
        try:
            expect(combobox).to_have_attribute("aria-expanded", "true", timeout=2000)
            break
        except AssertionError:
            continue
    combobox.press_sequentially(option)
    expect(page.get_by_role("option", name=option, exact=True)).to_be_visible()
    combobox.press("ArrowDown")
    combobox.press("Enter")


def choose_in_form(page: Page, label: str, option: str) -> None:
    """Inside a form a selectbox does not rerun the script: just pick the option."""
    box = selectbox(page, label)
    pick(page, box, option)
    expect(box.get_by_role("combobox")).to_have_value(option)


def tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute("aria-selected", "true")


def open_lazy_tab(page: Page, name: str, timeout: float = 60_000) -> None:
    """Open one of a set of tabs that draws only the open tab (st.tabs(on_change="rerun"), as the
    conference room's case tabs): the click reruns the page, and the tab's content comes with that run."""
    target = page.get_by_role("tab", name=name, exact=True)
    if target.get_attribute("aria-selected") == "true":
        return
    rerun_and_wait(page, target.click, timeout)
    expect(target).to_have_attribute("aria-selected", "true")


def panel(page: Page):
    """The open tab's panel."""
    return page.get_by_role("tabpanel").locator("visible=true")
