"""The video room in real Chromium: three people, the lobby, and live video through the hub.

Chromium runs with --use-fake-device-for-media-stream and --use-fake-ui-for-media-stream (tests/e2e/
conftest.py), so each browser has a synthetic camera (a moving test pattern) and microphone, granted without
a prompt. The physician and the nurse are on Margaret Thornbury's care team and join the demo's next meeting
directly; the demo family member (her daughter) waits in the lobby until the physician admits her. While she
waits, her own camera preview plays and no remote video exists on her page. Then every page must show two
remote videos actually playing (videoWidth > 0 and currentTime advancing), and a self-view of its own camera.

No ICE server is configured (the default), so the browsers and the hub connect over host candidates on
127.0.0.1; nothing reaches an outside STUN server.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from components import media_tiles
from db.engine import PROJECT_ROOT
from tests.e2e.conftest import (
    AppServer,
    AppServerFactory,
    demo_password,
    evaluate_in_frames,
    home_heading,
    rerun_and_wait,
    wait_for_app,
)

pytestmark = pytest.mark.e2e

WAITING = "Please wait: someone from the care team will let you in shortly."
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
README_SCREENSHOT = PROJECT_ROOT / "docs" / "video_room.png"
VIDEO_WAIT_S = 60.0
# Every other wait of this test (a script run, a page element): three browsers, the app and the media hub
# share a 2-core machine that other test runs may be loading too, so a script run can take well over the
# suite's usual 20 s. Each wait still ends as soon as its condition holds.
SLOW_MS = 60_000

# Every <video> in every frame of the page (each streamlit-webrtc component, and the camera preview, is its
# own iframe). The publisher (SENDONLY) draws no <video>; the preview's carries data-vesper-preview
# (components/camera_preview.html), so every other one found is a remote participant's tile.
_VIDEOS_JS = """() => Array.from(document.querySelectorAll('video')).map(v => ({
    width: v.videoWidth, time: v.currentTime, paused: v.paused,
    preview: v.hasAttribute('data-vesper-preview'),
}))"""


def _all_videos(page: Page) -> list[dict]:
    return evaluate_in_frames(page, _VIDEOS_JS)


def _videos(page: Page) -> list[dict]:
    """The remote participants' videos on the page (not the camera preview)."""
    return [v for v in _all_videos(page) if not v["preview"]]


def _previews(page: Page) -> list[dict]:
    return [v for v in _all_videos(page) if v["preview"]]


def _playing(
    page: Page, count: int, timeout_s: float = VIDEO_WAIT_S, find: Callable[[Page], list[dict]] = _videos
) -> list[dict]:
    """Wait until `count` videos (remote ones, unless `find` says otherwise) have a picture and their
    currentTime advances; return them."""
    deadline = time.monotonic() + timeout_s
    first: list[dict] | None = None
    last: list[dict] = []
    while time.monotonic() < deadline:
        last = [v for v in find(page) if v["width"] > 0 and not v["paused"]]
        if len(last) >= count:
            if first is None or len(first) < count:
                first = last
            elif all(now["time"] > then["time"] + 0.3 for then, now in zip(first, last, strict=False)):
                return last
        else:
            first = None
        page.wait_for_timeout(250)  # polling interval of a bounded wait, not a wait for the UI
    raise AssertionError(f"expected {count} videos playing, saw {_all_videos(page)} (last {last})")


def _sign_in(page: Page, username: str) -> None:
    """tests.e2e.conftest.sign_in, with this test's SLOW_MS for each wait."""
    wait_for_app(page, SLOW_MS)
    page.get_by_label("User name", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(demo_password(username))
    sign_in_button = page.get_by_role("button", name="Sign in", exact=True)
    rerun_and_wait(page, sign_in_button.click, timeout=SLOW_MS, leads_to=home_heading(page))


def _open_room(context: BrowserContext, server: AppServer, username: str) -> Page:
    page = context.new_page()
    page.goto(server.url)
    _sign_in(page, username)
    link = page.get_by_test_id("stSidebar").get_by_role("link").filter(has_text="Conference room")
    main = page.get_by_test_id("stMain")
    title = main.get_by_role("heading", level=1).filter(has_text="Conference room")
    rerun_and_wait(page, link.click, timeout=SLOW_MS, leads_to=title)
    # The next meeting is preselected; Margaret Thornbury is on its agenda for all three of them.
    expect(main).to_contain_text("About: ", timeout=SLOW_MS)
    expect(main).to_contain_text("Margaret Thornbury", timeout=SLOW_MS)
    rerun_and_wait(page, lambda: main.get_by_role("button", name="Join", exact=True).click(), timeout=SLOW_MS)
    return page


def _context(browser: Browser, name: str, console: list[str]) -> BrowserContext:
    """A browser context whose pages' console messages (streamlit-webrtc's signalling among them) go to
    `console`, saved to test-artifacts/video_room_console.log for diagnosis."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(SLOW_MS)
    context.set_default_navigation_timeout(SLOW_MS)
    context.on(
        "page",
        lambda page: page.on(
            "console", lambda msg: console.append(f"{time.time():.3f} [{name}] {msg.type}: {msg.text[:2000]}")
        ),
    )
    return context


def test_three_people_meet_with_live_video_after_the_lobby(
    browser: Browser, app_server: AppServerFactory
) -> None:
    server = app_server()
    ARTIFACTS.mkdir(exist_ok=True)
    console: list[str] = []
    contexts = [_context(browser, name, console) for name in ("physician", "nurse", "family")]
    try:
        physician = _open_room(contexts[0], server, "physician")
        expect(physician.get_by_test_id("stMain")).to_contain_text("In the room (1)", timeout=SLOW_MS)
        nurse = _open_room(contexts[1], server, "nurse")
        expect(nurse.get_by_test_id("stMain")).to_contain_text("In the room (2)", timeout=SLOW_MS)
        _playing(physician, 1)
        _playing(nurse, 1)

        family = _open_room(contexts[2], server, "family")
        expect(family.get_by_test_id("stMain")).to_contain_text(WAITING, timeout=SLOW_MS)
        # The physician's page polls the room every two seconds and shows her in the lobby.
        main = physician.get_by_test_id("stMain")
        expect(main).to_contain_text("Waiting in the lobby (1)", timeout=VIDEO_WAIT_S * 1000)
        expect(main).to_contain_text("Claire Thornbury", timeout=SLOW_MS)
        # While she waits: her own camera preview plays (in its iframe, sent nowhere)...
        (preview,) = _playing(family, 1, find=_previews)
        assert preview["width"] > 0
        preview_frame = family.frame_locator(f'iframe[title="{media_tiles.PREVIEW_ALT}"]')
        expect(preview_frame.locator("video[data-vesper-preview]")).to_be_visible(timeout=SLOW_MS)
        expect(family.get_by_test_id("stMain")).to_contain_text(media_tiles.LOBBY_PREVIEW_CAPTION)
        # ...but no remote tile exists at all, and no moderation controls.
        assert _videos(family) == [], "the lobby must receive no video"
        expect(family.get_by_role("button", name="Admit")).to_have_count(0, timeout=SLOW_MS)
        family.screenshot(path=str(ARTIFACTS / "video_room_lobby.png"), full_page=True)

        admit = main.get_by_role("button", name="Admit", exact=True)
        rerun_and_wait(physician, lambda: admit.click(), timeout=SLOW_MS)
        expect(family.get_by_test_id("stMain")).to_contain_text(
            "In the room (3)", timeout=VIDEO_WAIT_S * 1000
        )

        for name, page in (("physician", physician), ("nurse", nurse), ("family", family)):
            videos = _playing(page, 2)
            assert len(videos) == 2, f"{name} sees {len(videos)} playing videos, expected the two others"
            # And herself, small under the tiles: one self-view, told that the others see this camera.
            (self_view,) = _playing(page, 1, find=_previews)
            assert self_view["width"] > 0, f"{name}'s self-view has no picture"
            expect(page.get_by_test_id("stMain")).to_contain_text(media_tiles.SELF_VIEW_CAPTION)
        expect(family.get_by_test_id("stMain")).not_to_contain_text(media_tiles.LOBBY_PREVIEW_CAPTION)
        expect(family.get_by_role("button", name="Remove")).to_have_count(0, timeout=SLOW_MS)
        expect(family.get_by_role("button", name="End meeting")).to_have_count(0, timeout=SLOW_MS)

        for name, page in (("physician", physician), ("nurse", nurse), ("family", family)):
            page.screenshot(path=str(ARTIFACTS / f"video_room_{name}.png"), full_page=True)
        if os.environ.get("VESPER_UPDATE_SCREENSHOTS") == "1":  # tests never change tracked files by default
            physician.screenshot(path=str(README_SCREENSHOT), full_page=True)
        wait_for_app(physician, SLOW_MS)
    finally:
        (ARTIFACTS / "video_room_console.log").write_text("\n".join(console), encoding="utf-8")
        for context in contexts:
            context.close()
