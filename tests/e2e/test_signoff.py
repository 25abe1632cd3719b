"""Consensus sign-off in real Chromium, three people in three browsers on the demo server: the physician
signs Margaret Thornbury's goals of care; the nurse's later edit makes that signature void; the physician
signs again, then the nurse and the social worker, and every page shows the record as Final.

A signature is bound to the content it was made on: the physician's first signature must NOT count once
the nurse has changed the record.
"""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from db.engine import PROJECT_ROOT
from tests.e2e.conftest import (
    TIMEOUT_MS,
    AppServerFactory,
    demo_password,
    home_heading,
    rerun_and_wait,
    sign_in,
)
from tests.e2e.forms import choose_in_form as _choose_in_form
from tests.e2e.forms import main as _main
from tests.e2e.forms import panel as _panel
from tests.e2e.forms import pick as _pick
from tests.e2e.forms import selectbox as _selectbox
from tests.e2e.forms import tab as _tab

pytestmark = pytest.mark.e2e

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
README_SCREENSHOT = PROJECT_ROOT / "docs" / "signoff.png"
PATIENT = "Margaret Thornbury (SYN-0001)"
NAMES = {"physician": "Dr Amara Okafor", "nurse": "Mei-Ling Tan", "social_worker": "Daniel Reyes"}
ROLE_LABELS = {"physician": "physician", "nurse": "nurse", "social_worker": "social worker"}


def _context(browser: Browser) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1280, "height": 1800})
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _choose(page: Page, label: str, option: str) -> None:
    """Pick `option` in the selectbox labelled `label`, and wait for the rerun."""
    box = _selectbox(page, label)
    rerun_and_wait(page, lambda: _pick(page, box, option))
    expect(box.get_by_role("combobox")).to_have_value(option)


def _open_record(context: BrowserContext, url: str, username: str) -> Page:
    page = context.new_page()
    page.goto(url)
    sign_in(page, username, demo_password(username), leads_to=home_heading(page))
    link = page.get_by_test_id("stSidebar").get_by_role("link").filter(has_text="Goals of care")
    rerun_and_wait(page, link.click, leads_to=_main(page).get_by_role("heading", name="Goals of care"))
    _choose(page, "Patient", PATIENT)
    expect(page.get_by_role("tab", name="Record")).to_be_visible()
    return page


def _save(page: Page, reason: str) -> None:
    _panel(page).get_by_role("textbox", name="Reason for this change", exact=True).fill(reason)
    rerun_and_wait(page, lambda: _panel(page).get_by_role("button", name="Save", exact=True).click())


def _create_first_version(page: Page) -> None:
    """The demo has no goals-of-care record: the physician writes a valid first version."""
    _choose_in_form(page, "CPR", "Do not attempt CPR")
    _choose_in_form(page, "Level of treatment", "Selective treatment")
    panel = _panel(page)
    panel.get_by_role("textbox", name="Participant 1: name", exact=True).fill("Margaret Thornbury")
    panel.get_by_role("textbox", name="Participant 1: role or relationship", exact=True).fill("patient")
    panel.get_by_role("textbox", name="Participant 2: name", exact=True).fill("Claire Thornbury")
    panel.get_by_role("textbox", name="Participant 2: role or relationship", exact=True).fill("daughter")
    panel.get_by_role("textbox", name="Goals if health worsens", exact=True).fill(
        "To be at home, comfortable, with Claire nearby."
    )
    panel.get_by_role("textbox", name="Surrogate: name", exact=True).fill("Claire Thornbury")
    panel.get_by_role("textbox", name="Surrogate: relationship", exact=True).fill("daughter")
    _save(page, "Goals-of-care conversation with Margaret and Claire")
    expect(_main(page)).to_contain_text("Saved as version 1.")


def _sign(page: Page, username: str) -> None:
    _tab(page, "Sign-off")
    panel = _panel(page)
    rerun_and_wait(
        page, lambda: panel.get_by_role("button", name=f"Sign as {ROLE_LABELS[username]}", exact=True).click()
    )
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("You are signing")
    dialog.get_by_role("textbox", name="Statement (optional)", exact=True).fill(
        f"Agreed at the MDT ({ROLE_LABELS[username]})."
    )
    rerun_and_wait(page, lambda: dialog.get_by_role("button", name="Confirm signature").click())
    expect(dialog).to_have_count(0)
    expect(_panel(page)).to_contain_text(f"Signed by {NAMES[username]}")


def _refresh_signoff(page: Page) -> None:
    _tab(page, "Sign-off")
    rerun_and_wait(page, lambda: _panel(page).get_by_role("button", name="Refresh").click())


def _shoot(pages: dict[str, Page], stage: str) -> None:
    for name, page in pages.items():
        page.mouse.move(0, 0)  # no tooltip from the last button clicked
        page.screenshot(
            path=str(ARTIFACTS / f"signoff_{stage}_{name}.png"), full_page=True, animations="disabled"
        )


def test_a_signature_is_void_after_an_edit_and_all_three_signatures_make_the_record_final(
    browser: Browser, app_server: AppServerFactory
) -> None:
    server = app_server()
    ARTIFACTS.mkdir(exist_ok=True)
    contexts = {name: _context(browser) for name in NAMES}
    pages: dict[str, Page] = {}
    try:
        physician = pages["physician"] = _open_record(contexts["physician"], server.url, "physician")
        if "this will be version 1" in _main(physician).inner_text():
            _create_first_version(physician)
        _sign(physician, "physician")

        # The nurse changes one field and saves with a reason.
        nurse = pages["nurse"] = _open_record(contexts["nurse"], server.url, "nurse")
        nurse_panel = _panel(nurse)
        nurse_panel.get_by_role("textbox", name="Hopes", exact=True).fill(
            "To be home for Christmas with her grandchildren."
        )
        _save(nurse, "Margaret told me what she hopes for")
        expect(_main(nurse)).to_contain_text(re.compile(r"Saved as version \d+\."))

        # The physician's signature is now void, and no longer counts (the thing that must NOT happen).
        _refresh_signoff(physician)
        signoff = _panel(physician)
        expect(signoff).to_contain_text("Void: the content changed after this")
        expect(signoff).not_to_contain_text(f"Signed by {NAMES['physician']}")
        expect(signoff.get_by_role("button", name="Sign as physician", exact=True)).to_be_visible()
        _shoot({"physician": physician}, "void")
        _sign(physician, "physician")

        # Nurse and social worker sign the same content: consensus, and the record is final.
        social_worker = pages["social_worker"] = _open_record(
            contexts["social_worker"], server.url, "social_worker"
        )
        _sign(nurse, "nurse")
        _sign(social_worker, "social_worker")
        for name, page in pages.items():
            if name != "social_worker":  # she signed last: her page already shows the outcome
                _refresh_signoff(page)
            expect(_main(page)).to_contain_text("Final.")
            expect(_panel(page).get_by_role("button", name=re.compile("^Sign as"))).to_have_count(0)
        # Final means read-only: the Record tab has no Save button any more.
        _tab(physician, "Record")
        expect(_panel(physician).get_by_role("button", name="Save", exact=True)).to_have_count(0)
        expect(_panel(physician)).to_contain_text("Read-only")
        _tab(physician, "Sign-off")

        _shoot(pages, "final")
        if os.environ.get("VESPER_UPDATE_SCREENSHOTS") == "1":
            nurse.mouse.move(0, 0)
            nurse.screenshot(path=str(README_SCREENSHOT), full_page=True, animations="disabled")
    except BaseException:
        for name, context in contexts.items():
            for n, page in enumerate(context.pages):
                page.screenshot(path=str(ARTIFACTS / f"signoff_failure_{name}_{n}.png"), full_page=True)
        raise
    finally:
        for context in contexts.values():
            context.close()
