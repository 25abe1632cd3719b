"""The video room in real Chromium: three people, the lobby, and live video through the hub.

Chromium runs with --use-fake-device-for-media-stream and --use-fake-ui-for-media-stream (tests/e2e/
conftest.py), so each browser has a synthetic camera (a moving test pattern) and microphone, granted without
a prompt. The physician and the nurse are on Margaret Thornbury's care team and join the demo's next meeting
directly; the demo family member (her daughter) waits in the lobby until the physician admits her. While she
waits, her own camera preview plays and no remote video exists on her page. Then every page must show two
remote videos actually playing (videoWidth > 0 and their decoded frame count growing), and a self-view of
its own camera.

No ICE server is configured (the default), so the browsers and the hub connect over host candidates on
127.0.0.1; nothing reaches an outside STUN server.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Browser, expect

from components import call_bar, media_tiles
from db.engine import PROJECT_ROOT
from tests.e2e.conftest import AppServerFactory, rerun_and_wait, wait_for_app
from tests.e2e.rooms import (
    SLOW_MS,
    VIDEO_WAIT_S,
    browser_context,
    open_case,
    open_room,
    playing,
    previews,
    remote_videos,
)

pytestmark = pytest.mark.e2e

WAITING = "Please wait: someone from the care team will let you in shortly."
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
README_SCREENSHOT = PROJECT_ROOT / "docs" / "video_room.png"


def test_three_people_meet_with_live_video_after_the_lobby(
    browser: Browser, app_server: AppServerFactory
) -> None:
    server = app_server()
    ARTIFACTS.mkdir(exist_ok=True)
    console: list[str] = []
    contexts = [browser_context(browser, name, console) for name in ("physician", "nurse", "family")]
    try:
        physician = open_room(contexts[0], server, "physician")
        expect(physician.get_by_test_id("stMain")).to_contain_text("In the room (1)", timeout=SLOW_MS)
        nurse = open_room(contexts[1], server, "nurse")
        expect(nurse.get_by_test_id("stMain")).to_contain_text("In the room (2)", timeout=SLOW_MS)
        playing(physician, 1)
        playing(nurse, 1)

        family = open_room(contexts[2], server, "family")
        expect(family.get_by_test_id("stMain")).to_contain_text(WAITING, timeout=SLOW_MS)
        # The physician's page polls the room every two seconds and shows her in the lobby.
        main = physician.get_by_test_id("stMain")
        expect(main).to_contain_text("Waiting in the lobby (1)", timeout=VIDEO_WAIT_S * 1000)
        expect(main).to_contain_text("Claire Thornbury", timeout=SLOW_MS)
        # While she waits: her own camera preview plays (in its iframe, sent nowhere)...
        (preview,) = playing(family, 1, find=previews)
        assert preview["width"] > 0
        preview_frame = family.frame_locator(f'iframe[title="{media_tiles.PREVIEW_ALT}"]')
        expect(preview_frame.locator("video[data-vesper-preview]")).to_be_visible(timeout=SLOW_MS)
        expect(family.get_by_test_id("stMain")).to_contain_text(media_tiles.LOBBY_PREVIEW_CAPTION)
        # ...but no remote tile exists at all, and no moderation controls.
        assert remote_videos(family) == [], "the lobby must receive no video"
        expect(family.get_by_role("button", name="Admit")).to_have_count(0, timeout=SLOW_MS)
        family.screenshot(path=str(ARTIFACTS / "video_room_lobby.png"), full_page=True)

        # A family member joins for her relative's case only: the physician (the chair) opens Margaret's.
        open_case(physician, 3, "SYN-0001")
        admit = main.get_by_role("button", name="Admit", exact=True)
        rerun_and_wait(physician, lambda: admit.click(), timeout=SLOW_MS)
        expect(family.get_by_test_id("stMain")).to_contain_text(
            "In the room (3)", timeout=VIDEO_WAIT_S * 1000
        )

        for name, page in (("physician", physician), ("nurse", nurse), ("family", family)):
            videos = playing(page, 2)
            assert len(videos) == 2, f"{name} sees {len(videos)} playing videos, expected the two others"
            # And herself, small under the tiles: one self-view, told that the others see this camera.
            (self_view,) = playing(page, 1, find=previews)
            assert self_view["width"] > 0, f"{name}'s self-view has no picture"
            expect(page.get_by_test_id("stMain")).to_contain_text(media_tiles.SELF_VIEW_CAPTION)
        expect(family.get_by_test_id("stMain")).not_to_contain_text(media_tiles.LOBBY_PREVIEW_CAPTION)
        expect(family.get_by_role("button", name="Remove")).to_have_count(0, timeout=SLOW_MS)
        expect(family.get_by_role("button", name="End meeting")).to_have_count(0, timeout=SLOW_MS)

        for name, page in (("physician", physician), ("nurse", nurse), ("family", family)):
            # Clicks scroll the page; the call bar, with the video, is at its top.
            page.locator(f".st-key-{call_bar.BAR_KEY}").scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / f"video_room_{name}.png"), full_page=True)
        if os.environ.get("VESPER_UPDATE_SCREENSHOTS") == "1":  # tests never change tracked files by default
            physician.screenshot(path=str(README_SCREENSHOT), full_page=True)
        wait_for_app(physician, SLOW_MS)
    finally:
        (ARTIFACTS / "video_room_console.log").write_text("\n".join(console), encoding="utf-8")
        for context in contexts:
            context.close()
