"""The call follows you: a clinician who opens other pages during a meeting stays in it, seen and heard.

The physician, the nurse and the social worker join the demo's next meeting (all three are on Margaret
Thornbury's care team, so they go straight in). The physician then spends PAGE_STAY_S on each of Goals of
care, Patients and Home. Throughout, on the nurse's and the social worker's screens, the physician's tile
keeps playing: it has a picture and its decoded frame count grows between every two looks (a frozen
stream's currentTime keeps advancing, its frame count does not). Her browser made exactly one publishing
peer connection (counted in every frame by tests/e2e/rooms.py's init script), so nothing was restarted; and
"Back to the room" takes her back in without pressing Join.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, Page, expect

from components import call_bar
from db.engine import PROJECT_ROOT
from tests.e2e.conftest import AppServerFactory, rerun_and_wait
from tests.e2e.rooms import (
    SLOW_MS,
    browser_context,
    open_page,
    open_room,
    playing,
    publishing_connections,
    tile_video,
    user_id,
)

pytestmark = pytest.mark.e2e

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
PAGE_STAY_S = 20.0
MEETING = "Palliative care MDT: community team"  # the demo's next meeting
LOOK_EVERY_S = 2.0  # how often the others' screens are looked at: no two looks may see the same frame count


def _watch_tile(watchers: dict[str, Page], physician_id: int, seconds: float, where: str) -> list[str]:
    """Look at the physician's tile on each watcher's screen every LOOK_EVERY_S for `seconds`; what a
    watcher would have noticed (no picture, or a picture that stood still), as sentences."""
    problems: list[str] = []
    last_frames: dict[str, int] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, page in watchers.items():
            video = tile_video(page, physician_id)
            if video is None or video["width"] == 0:
                problems.append(f"while the physician was on {where}, {name} saw no picture in her tile")
            elif video["frames"] <= last_frames.get(name, -1):
                problems.append(
                    f"while the physician was on {where}, her picture stood still on {name}'s screen "
                    f"({video['frames']} frames, {LOOK_EVERY_S:.0f} s after {last_frames[name]})"
                )
            if video is not None:
                last_frames[name] = video["frames"]
        time.sleep(LOOK_EVERY_S)  # the interval between looks: what is measured, not a wait for the UI
    return problems


# The server runs with VESPER_MEDIA_DEBUG=1 so that a failure's report carries the hub's, aiortc's and
# streamlit-webrtc's events, and the browsers' console goes to test-artifacts/call_follows_you_console.log.
# (It once failed in one full run of three, with a viewer's tile frozen for 8 s, on 7 Dec 2026: the same
# browser crash as the video-room test's, "Bad delta path index", fixed by the room's fixed containers,
# Streamlit's message cache off and two polling fragments. It has passed in every run since, eight of them,
# and gates.)
def test_the_physician_stays_in_the_call_on_every_page(
    browser: Browser, app_server: AppServerFactory
) -> None:
    server = app_server(env={"VESPER_MEDIA_DEBUG": "1"})
    ARTIFACTS.mkdir(exist_ok=True)
    console: list[str] = []
    names = ("physician", "nurse", "social_worker")
    contexts = [browser_context(browser, name, console) for name in names]
    try:
        physician = open_room(contexts[0], server, "physician")
        nurse = open_room(contexts[1], server, "nurse")
        social_worker = open_room(contexts[2], server, "social_worker")
        for page in (physician, nurse, social_worker):
            expect(page.get_by_test_id("stMain")).to_contain_text("In the room (3)", timeout=SLOW_MS)
        for page in (physician, nurse, social_worker):
            playing(page, 2)
        physician_id = user_id(server, "physician")
        watchers = {"the nurse": nurse, "the social worker": social_worker}
        assert not _watch_tile(watchers, physician_id, 2 * LOOK_EVERY_S, "the Conference room")

        problems: list[str] = []
        for title in ("Goals of care", "Patients", "Home"):
            open_page(physician, title)
            bar = physician.get_by_test_id("stMain").locator(f".st-key-{call_bar.BAR_KEY}")
            expect(bar.get_by_role("link", name=call_bar.BACK_TO_ROOM)).to_be_visible()
            expect(bar).to_contain_text(MEETING)
            problems += _watch_tile(watchers, physician_id, PAGE_STAY_S, title)
            physician.screenshot(path=str(ARTIFACTS / f"call_bar_{title.replace(' ', '_').lower()}.png"))
        assert not problems, "\n".join(problems)
        # The others' rooms still count her in.
        for page in (nurse, social_worker):
            expect(page.get_by_test_id("stMain")).to_contain_text("In the room (3)")

        assert publishing_connections(physician) == 1, (
            "the physician's camera was sent on more than one peer connection: moving between pages "
            "restarted her call"
        )
        back = physician.get_by_role("link", name=call_bar.BACK_TO_ROOM)
        main = physician.get_by_test_id("stMain")
        rerun_and_wait(physician, back.click, timeout=SLOW_MS, leads_to=main.get_by_text("In the room (3)"))
        expect(main.get_by_role("button", name="Join", exact=True)).to_have_count(0)
        assert publishing_connections(physician) == 1, "going back to the room restarted her call"
    finally:
        (ARTIFACTS / "call_follows_you_console.log").write_text("\n".join(console), encoding="utf-8")
        for context in contexts:
            context.close()
