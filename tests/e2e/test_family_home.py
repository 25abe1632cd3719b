"""A family member's Home on a phone: the meeting about her mother, and the link that takes her to it.

The demo family member (Claire Thornbury) is Margaret Thornbury's daughter; Margaret is on the agenda of the
demo's next meeting. Home must tell Claire of it, and its link must open the conference room with that
meeting chosen, ready to join (she then waits in the lobby: tests/e2e/test_video_room.py).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from components import conference_list
from db.engine import PROJECT_ROOT
from tests.e2e.conftest import AppServerFactory, demo_password, home_heading, rerun_and_wait, sign_in

pytestmark = pytest.mark.e2e

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
PHONE = {"width": 390, "height": 844}


def test_family_home_leads_to_the_meeting_about_her_mother(page: Page, app_server: AppServerFactory) -> None:
    server = app_server()
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size(PHONE)
    page.goto(server.url)
    sign_in(page, "family", demo_password("family"), leads_to=home_heading(page))

    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", name="Your family meetings")).to_be_visible()
    expect(main).to_contain_text("About: Margaret Thornbury")
    expect(main).not_to_contain_text(conference_list.NO_FAMILY_MEETINGS)
    page.screenshot(path=str(ARTIFACTS / "family_home_phone.png"), full_page=True)

    link = main.get_by_role("link", name="Go to the meeting")
    room = main.get_by_role("heading", level=1).filter(has_text="Conference room")
    rerun_and_wait(page, link.first.click, leads_to=room)
    # The meeting is chosen for her: what it is about, and the one button she needs.
    expect(main).to_contain_text("Margaret Thornbury")
    expect(main.get_by_role("button", name="Join", exact=True)).to_be_visible()
