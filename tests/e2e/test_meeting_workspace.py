"""A whole case in the conference room, in three real Chromiums on the demo server: the physician (the demo
MDT's chair) opens case 1; the nurse writes its goals of care in the room; physician, nurse and social worker
sign it there, and the record becomes Final; the chair records the case's outcome and moves to case 2, and
the nurse's and social worker's workspaces follow. Nobody leaves the call to do any of it.
"""

from __future__ import annotations

import os
import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from components import agenda_panel, outcome_panel
from db.engine import PROJECT_ROOT
from tests.e2e.conftest import AppServerFactory, rerun_and_wait
from tests.e2e.forms import choose_in_form, main, open_lazy_tab, panel
from tests.e2e.rooms import SLOW_MS, browser_context, open_room, playing

pytestmark = pytest.mark.e2e

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
SCREENSHOT = PROJECT_ROOT / "docs" / "meeting_workspace.png"
CASE_1 = "(SYN-0002)"  # Văn Minh Nguyễn, presented by the nurse
CASE_2 = "(SYN-0005)"
ROLE_LABELS = {"physician": "physician", "nurse": "nurse", "social_worker": "social worker"}
NAMES = {"physician": "Dr Amara Okafor", "nurse": "Mei-Ling Tan", "social_worker": "Daniel Reyes"}


def _case_heading(page: Page, order: int, mrn: str):
    return main(page).get_by_role("heading", name=re.compile(rf"^Case {order}: .*{re.escape(mrn)}"))


def _write_goals_of_care(page: Page) -> None:
    """The nurse writes (or, if the demo already has one, adds to) case 1's goals of care, in the room."""
    open_lazy_tab(page, "Goals of care")
    form = panel(page)
    if "this will be version 1" in form.inner_text():
        choose_in_form(page, "CPR", "Do not attempt CPR")
        choose_in_form(page, "Level of treatment", "Selective treatment")
        form.get_by_role("textbox", name="Participant 1: name", exact=True).fill("Văn Minh Nguyễn")
        form.get_by_role("textbox", name="Participant 1: role or relationship", exact=True).fill("patient")
        form.get_by_role("textbox", name="Goals if health worsens", exact=True).fill(
            "To stay at home with his wife, pain controlled, no more hospital admissions."
        )
        form.get_by_role("textbox", name="Surrogate: name", exact=True).fill("Thi Lan Nguyễn")
        form.get_by_role("textbox", name="Surrogate: relationship", exact=True).fill("wife")
    form.get_by_role("textbox", name="Hopes", exact=True).fill("To see his granddaughter's wedding in May.")
    form.get_by_role("textbox", name="Reason for this change", exact=True).fill(
        "Agreed at the MDT, in the room"
    )
    rerun_and_wait(page, lambda: form.get_by_role("button", name="Save", exact=True).click(), timeout=SLOW_MS)
    expect(main(page)).to_contain_text(re.compile(r"Saved as version \d+\."), timeout=SLOW_MS)


def _sign(page: Page, username: str) -> None:
    open_lazy_tab(page, "Sign-off")
    signoff = panel(page)
    # Nobody refreshes anything: the nurse's save reached every workspace by itself.
    expect(signoff).to_contain_text("What is being signed", timeout=SLOW_MS)
    rerun_and_wait(
        page,
        lambda: signoff.get_by_role("button", name=f"Sign as {ROLE_LABELS[username]}", exact=True).click(),
        timeout=SLOW_MS,
    )
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("You are signing")
    rerun_and_wait(
        page, lambda: dialog.get_by_role("button", name="Confirm signature").click(), timeout=SLOW_MS
    )
    expect(dialog).to_have_count(0, timeout=SLOW_MS)
    expect(panel(page)).to_contain_text(f"Signed by {NAMES[username]}", timeout=SLOW_MS)


def _record_outcome(page: Page) -> None:
    open_lazy_tab(page, "Outcome")
    outcome = panel(page)
    outcome.get_by_role("radio", name="Discussed", exact=True).check(force=True)
    outcome.get_by_role("textbox", name="Decision (a short summary)", exact=True).fill(
        "Image the liver; start dexamethasone 8 mg if a capsular cause. Goals of care agreed and signed."
    )
    rerun_and_wait(
        page,
        lambda: outcome.get_by_role("button", name=outcome_panel.SAVE, exact=True).click(),
        timeout=SLOW_MS,
    )
    expect(main(page)).to_contain_text("Outcome saved: Discussed", timeout=SLOW_MS)


def test_a_whole_case_is_opened_documented_signed_and_closed_in_the_room(
    browser: Browser, app_server: AppServerFactory
) -> None:
    server = app_server()
    ARTIFACTS.mkdir(exist_ok=True)
    console: list[str] = []
    names = ("physician", "nurse", "social_worker")
    contexts = {name: browser_context(browser, name, console) for name in names}
    pages: dict[str, Page] = {}
    try:
        for name in names:
            pages[name] = open_room(contexts[name], server, name)
        chair, nurse, social_worker = (pages[n] for n in names)
        followers = (nurse, social_worker)

        # Everyone sees and hears the two others before the meeting starts (and the call bar, above the
        # agenda, has its full height: a tile still mounting would move the buttons under the pointer).
        for page in pages.values():
            playing(page, 2)
        # Only the chair has the buttons that move the meeting on.
        start = main(chair).get_by_role("button", name=agenda_panel.START_AGENDA, exact=True)
        for page in followers:
            expect(main(page)).to_contain_text("moves the meeting from case to case", timeout=SLOW_MS)
            expect(main(page).get_by_role("button", name=agenda_panel.START_AGENDA)).to_have_count(0)
        rerun_and_wait(chair, start.click, timeout=SLOW_MS, leads_to=_case_heading(chair, 1, CASE_1))
        for page in followers:
            expect(_case_heading(page, 1, CASE_1)).to_be_visible(timeout=SLOW_MS)

        _write_goals_of_care(nurse)
        for name in names:
            _sign(pages[name], name)
        for page in pages.values():  # the last signature made it final, on every screen
            expect(main(page)).to_contain_text("Final.", timeout=SLOW_MS)

        _record_outcome(chair)
        if os.environ.get("VESPER_UPDATE_SCREENSHOTS") == "1":
            chair.mouse.move(0, 0)
            chair.set_viewport_size({"width": 1280, "height": 1500})
            main(chair).get_by_text("Agenda", exact=True).scroll_into_view_if_needed()
            chair.mouse.wheel(0, -40)  # the line above the table, too
            chair.screenshot(path=str(SCREENSHOT), animations="disabled")
            chair.set_viewport_size({"width": 1280, "height": 1000})

        # Case 2: the chair moves on, and both followers' workspaces show it without anyone touching them.
        next_case = main(chair).get_by_role("button", name=agenda_panel.NEXT_CASE, exact=True)
        pressed = time.monotonic()
        rerun_and_wait(chair, next_case.click, timeout=SLOW_MS, leads_to=_case_heading(chair, 2, CASE_2))
        for page in followers:
            expect(_case_heading(page, 2, CASE_2)).to_be_visible(timeout=SLOW_MS)
        print(f"followers showed case 2 {time.monotonic() - pressed:.1f} s after Next case")
        for page in pages.values():
            expect(main(page)).to_contain_text("✓ Discussed")  # case 1 in everyone's agenda
    except BaseException:
        for name, page in pages.items():
            page.screenshot(path=str(ARTIFACTS / f"workspace_failure_{name}.png"), full_page=True)
        raise
    finally:
        (ARTIFACTS / "workspace_console.log").write_text("\n".join(console))
        for context in contexts.values():
            context.close()
