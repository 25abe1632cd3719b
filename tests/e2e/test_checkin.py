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
from playwright.sync_api import Browser, Page, expect

from clinical import esas
from db.engine import PROJECT_ROOT
from tests.e2e.conftest import TIMEOUT_MS, AppServerFactory, demo_password, rerun_and_wait, sign_in

pytestmark = pytest.mark.e2e

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
README_SCREENSHOT = PROJECT_ROOT / "docs" / "checkin_phone.png"
PHONE = {"width": 390, "height": 844}
THANK_YOU = "Thank you. The care team can see this now."


def _new_severe_item(db_path: Path) -> esas.Item:
    """An ESAS-r item Margaret scored below 7 last time, with no alert on it still open."""
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
            return item
    pytest.fail(f"the demo seed left Margaret no symptom to become newly severe: {latest}, {open_keys}")


def _tap(page: Page, name: str) -> None:
    rerun_and_wait(page, lambda: page.get_by_role("button", name=name, exact=True).click())


# Known defect, open (issue 4 note): in some runs on a loaded 2-core machine one tap on a score button makes
# no rerun at all (the screen stays on the question, the button shows pressed). A real person would tap
# again; the test must not, so it reports XFAIL until the lost tap is understood. It runs on every
# `make test` and reports XPASS when the whole flow works.
@pytest.mark.xfail(
    strict=False, reason="a tap on a score button is sometimes lost (no rerun); under investigation"
)
def test_a_family_check_in_on_a_phone_reaches_the_care_team(
    browser: Browser, app_server: AppServerFactory
) -> None:
    server = app_server()
    ARTIFACTS.mkdir(exist_ok=True)
    worse = _new_severe_item(server.db_path)

    family_context = browser.new_context(viewport=PHONE)
    family_context.set_default_timeout(TIMEOUT_MS)
    physician_context = browser.new_context(viewport={"width": 1280, "height": 1000})
    physician_context.set_default_timeout(TIMEOUT_MS)
    try:
        family = family_context.new_page()
        family.goto(server.url)
        sign_in(family, "family", demo_password("family"))
        _tap(family, "Start a symptom check-in")
        main = family.get_by_test_id("stMain")
        expect(main.get_by_role("heading", level=1)).to_have_text("Symptom check-in")
        rerun_and_wait(family, lambda: main.get_by_role("radio").first.check(force=True))
        _tap(family, "Start")

        for item in esas.ITEMS:
            expect(main).to_contain_text(item.label)
            # Large buttons, each with its number and a word: never colour alone.
            expect(main.get_by_role("button", name=f"0 · {item.low_anchor}", exact=True)).to_be_visible()
            if item is esas.ITEMS[0]:
                family.screenshot(path=str(ARTIFACTS / "checkin_phone_question.png"), full_page=True)
                if os.environ.get("VESPER_UPDATE_SCREENSHOTS") == "1":
                    family.screenshot(path=str(README_SCREENSHOT), full_page=True)
            _tap(family, "9 · severe" if item is worse else "2 · mild")
        expect(main).to_contain_text("Other problem")
        _tap(family, "Skip this one")

        expect(main).to_contain_text("Check your answers")
        expect(main).to_contain_text(f"{worse.label}")
        family.screenshot(path=str(ARTIFACTS / "checkin_phone_review.png"), full_page=True)
        _tap(family, "Save check-in")
        expect(main).to_contain_text(THANK_YOU)
        expect(main).to_contain_text("they have been told")
        # Plain words for a family: no rule names or thresholds.
        expect(main).not_to_contain_text("severe:")
        family.screenshot(path=str(ARTIFACTS / "checkin_phone_saved.png"), full_page=True)

        physician = physician_context.new_page()
        physician.goto(server.url)
        sign_in(physician, "physician", demo_password("physician"))
        home = physician.get_by_test_id("stMain")
        expect(home).to_contain_text(f"{worse.label} 9/10 (severe)")
        expect(home.get_by_text(f"{worse.label} 9/10 (severe)")).to_have_count(1)
    finally:
        family_context.close()
        physician_context.close()
