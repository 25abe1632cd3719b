"""A family member is in the room only for her relative's case, in real Chromium on the demo server.

Claire Thornbury (the demo family account) joins the demo MDT and waits in the lobby. The chair (the
physician) opens her mother Margaret's case and lets her in: she sees and hears the chair. When the chair
records the outcome and moves to the next patient, she goes back to the lobby with a plain message. From
then on her browser receives no video and no other patient's name or record number: checked in the page
text and in every websocket frame it receives, as the signed-out test checks.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, Page, expect

from components import agenda_panel, outcome_panel
from db.engine import PROJECT_ROOT
from services.agenda import family_topic_message
from tests.e2e.conftest import AppServerFactory, SeededPatient, page_text, rerun_and_wait
from tests.e2e.forms import main, open_lazy_tab, panel
from tests.e2e.rooms import (
    SLOW_MS,
    VIDEO_WAIT_S,
    browser_context,
    open_case,
    open_room,
    playing,
    remote_videos,
)

pytestmark = pytest.mark.e2e

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
HER_MOTHER = "SYN-0001"  # Margaret Thornbury, case 3 on the demo MDT's agenda
WAITING = "Please wait: someone from the care team will let you in shortly."


def _others_named(data: bytes, patients: list[SeededPatient]) -> list[str]:
    """Record numbers and family names of patients other than her mother, found in `data`."""
    found = ["a record number (SYN-)"] if b"SYN-" in data else []
    for patient in patients:
        if patient.mrn == HER_MOTHER:
            continue
        if re.search(re.escape(patient.family_name.encode()) + rb"(?![a-z])", data):
            found.append(patient.family_name)
    return found


def test_the_family_goes_back_to_the_lobby_when_the_team_moves_to_another_patient(
    browser: Browser, app_server: AppServerFactory, seeded_patients: list[SeededPatient]
) -> None:
    server = app_server()
    ARTIFACTS.mkdir(exist_ok=True)
    console: list[str] = []
    contexts = {name: browser_context(browser, name, console) for name in ("physician", "family")}
    frames: list[bytes] = []
    pages: dict[str, Page] = {}
    try:
        chair = pages["physician"] = open_room(contexts["physician"], server, "physician")
        family = pages["family"] = open_room(contexts["family"], server, "family", frames=frames)
        expect(main(family)).to_contain_text(WAITING, timeout=SLOW_MS)
        expect(main(chair)).to_contain_text("Waiting in the lobby (1)", timeout=VIDEO_WAIT_S * 1000)

        open_case(chair, 3, HER_MOTHER)
        admit = main(chair).get_by_role("button", name="Admit", exact=True)
        rerun_and_wait(chair, admit.click, timeout=SLOW_MS)
        expect(main(family)).to_contain_text("In the room (2)", timeout=VIDEO_WAIT_S * 1000)
        playing(family, 1)  # she sees the chair

        # The chair closes Margaret's case and moves on to the next patient on the agenda.
        open_lazy_tab(chair, "Outcome")
        outcome = panel(chair)
        outcome.get_by_role("textbox", name="Decision (a short summary)", exact=True).fill(
            "Rotate to methadone with specialist support; coeliac plexus block referral. Claire agreed."
        )
        rerun_and_wait(chair, lambda: outcome.get_by_role("button", name=outcome_panel.SAVE).click())
        expect(main(chair)).to_contain_text("Outcome saved", timeout=SLOW_MS)
        seen_before = len(frames)
        rerun_and_wait(
            chair,
            lambda: main(chair).get_by_role("button", name=agenda_panel.NEXT_CASE, exact=True).click(),
            timeout=SLOW_MS,
            leads_to=main(chair).get_by_role("heading", name=re.compile(r"^Case 4: ")),
        )

        # Back in the lobby, told why in plain words, with nothing from the room.
        expect(main(family)).to_contain_text(family_topic_message(), timeout=SLOW_MS)
        expect(main(chair)).to_contain_text("Waiting in the lobby (1)", timeout=SLOW_MS)
        deadline = time.monotonic() + VIDEO_WAIT_S
        while remote_videos(family) and time.monotonic() < deadline:
            family.wait_for_timeout(500)  # polling interval of a bounded wait
        assert remote_videos(family) == [], "back in the lobby, she still receives the room's video"
        family.wait_for_timeout(6_000)  # several polls of her page and the chair's, to catch anything sent
        assert remote_videos(family) == [], "video from the room came back while she waits"
        leaks = _others_named(page_text(family).encode(), seeded_patients)
        assert not leaks, f"her page shows another patient: {leaks}"
        leaks = _others_named(b"\n".join(frames[seen_before:]), seeded_patients)
        assert not leaks, f"her browser was sent another patient's details: {leaks}"
        family.screenshot(path=str(ARTIFACTS / "family_back_in_lobby.png"), full_page=True)
    except BaseException:
        for name, page in pages.items():
            page.screenshot(path=str(ARTIFACTS / f"family_case_failure_{name}.png"), full_page=True)
        raise
    finally:
        (ARTIFACTS / "family_case_console.log").write_text("\n".join(console), encoding="utf-8")
        for context in contexts.values():
            context.close()
