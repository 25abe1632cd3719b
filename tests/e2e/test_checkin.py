"""A family member's check-in on a phone-sized screen in real Chromium, and the alert it raises reaching the
physician's Home.

The demo family member is Margaret Thornbury's daughter. The test reads Margaret's latest check-in and open
alerts from the server's database to pick a symptom that is not severe now and has no open alert, so a 9 on
it is a new condition: the care team must hear about it, once.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from clinical import esas
from db.engine import PROJECT_ROOT
from tests.e2e.conftest import (
    TIMEOUT_MS,
    AppServerFactory,
    demo_password,
    home_heading,
    rerun_and_wait,
    sign_in,
)

pytestmark = pytest.mark.e2e

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
README_SCREENSHOT = PROJECT_ROOT / "docs" / "checkin_phone.png"
PHONE = {"width": 390, "height": 844}
THANK_YOU = "Thank you. The care team can see this now."


def _new_severe_item(db_path: Path) -> tuple[int, esas.Item]:
    """Margaret's patient id, and an ESAS-r item she scored below 7 last time, with no alert of hers on it
    still open."""
    conn = sqlite3.connect(db_path)
    try:
        (patient_id,) = conn.execute("SELECT id FROM patients WHERE family_name = 'Thornbury'").fetchone()
        columns = ", ".join(esas.ITEM_KEYS)
        latest = conn.execute(
            f"SELECT {columns} FROM symptom_assessments WHERE patient_id = ? "
            "ORDER BY assessed_at DESC LIMIT 1",
            (patient_id,),
        ).fetchone()
        open_keys = {
            key
            for (key,) in conn.execute(
                "SELECT condition_key FROM alerts WHERE patient_id = ? AND status != 'actioned'",
                (patient_id,),
            )
        }
    finally:
        conn.close()
    for item, value in zip(esas.ITEMS, latest, strict=True):
        if value is not None and value < 7 and f"severe:{item.key}" not in open_keys:
            return patient_id, item
    pytest.fail(f"the demo seed left Margaret no symptom to become newly severe: {latest}, {open_keys}")


def _tap(page: Page, name: str, leads_to: Locator) -> None:
    # Waiting for the screen the tap leads to, not for a sign of a rerun: a tap that is lost fails here.
    rerun_and_wait(page, page.get_by_role("button", name=name, exact=True).click, leads_to=leads_to)


def _sign_in(page: Page, username: str) -> None:
    sign_in(page, username, demo_password(username), leads_to=home_heading(page))


def test_a_family_check_in_on_a_phone_reaches_the_care_team(
    browser: Browser, app_server: AppServerFactory
) -> None:
    server = app_server()
    ARTIFACTS.mkdir(exist_ok=True)
    margaret_id, worse = _new_severe_item(server.db_path)

    family_context = browser.new_context(viewport=PHONE)
    family_context.set_default_timeout(TIMEOUT_MS)
    physician_context = browser.new_context(viewport={"width": 1280, "height": 1000})
    physician_context.set_default_timeout(TIMEOUT_MS)
    try:
        family = family_context.new_page()
        family.goto(server.url)
        _sign_in(family, "family")
        main = family.get_by_test_id("stMain")
        _tap(
            family,
            "Start a symptom check-in",
            main.get_by_role("heading", name="Symptom check-in", exact=True),
        )
        start = main.get_by_role("button", name="Start", exact=True)
        # Start stays disabled until someone is chosen to answer, so its being enabled is the rerun's outcome.
        rerun_and_wait(
            family,
            lambda: main.get_by_role("radio").first.check(force=True),
            leads_to=start.and_(family.locator(":enabled")),
        )

        # Each answer leads to the next question's screen; the last one to the optional other problem.
        screens = [item.label for item in esas.ITEMS] + [esas.OTHER_PROBLEM.label]
        _tap(family, "Start", main.get_by_role("heading", name=screens[0], exact=True))
        for item, next_screen in zip(esas.ITEMS, screens[1:], strict=True):
            # Large buttons, each with its number and a word: never colour alone.
            expect(main.get_by_role("button", name=f"0 · {item.low_anchor}", exact=True)).to_be_visible()
            if item is esas.ITEMS[0]:
                family.screenshot(path=str(ARTIFACTS / "checkin_phone_question.png"), full_page=True)
                if os.environ.get("VESPER_UPDATE_SCREENSHOTS") == "1":
                    family.screenshot(path=str(README_SCREENSHOT), full_page=True)
            _tap(
                family,
                "9 · severe" if item is worse else "2 · mild",
                main.get_by_role("heading", name=next_screen, exact=True),
            )
        _tap(family, "Skip this one", main.get_by_role("heading", name="Check your answers", exact=True))

        expect(main).to_contain_text(f"{worse.label}")
        family.screenshot(path=str(ARTIFACTS / "checkin_phone_review.png"), full_page=True)
        _tap(family, "Save check-in", main.get_by_text(THANK_YOU, exact=True))
        expect(main).to_contain_text("they have been told")
        # Plain words for a family: no rule names or thresholds.
        expect(main).not_to_contain_text("severe:")
        family.screenshot(path=str(ARTIFACTS / "checkin_phone_saved.png"), full_page=True)

        physician = physician_context.new_page()
        physician.goto(server.url)
        _sign_in(physician, "physician")
        home = physician.get_by_test_id("stMain")
        expect(home).to_contain_text(f"{worse.label} 9/10 (severe)")
        # Once among Margaret's alerts, not twice. (Another patient of the demo may have the same alert.)
        margaret = home.locator(f".st-key-home_alerts_patient_{margaret_id}")
        expect(margaret.get_by_text(f"{worse.label} 9/10 (severe)")).to_have_count(1)
    finally:
        family_context.close()
        physician_context.close()
