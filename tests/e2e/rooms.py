"""Helpers for browser tests of the meeting: people who sign in, open the Conference room and join, and what
their browsers play.

Three Chromiums sending and receiving live video, the app and the media hub share a 2-core machine, so every
wait here allows SLOW_MS (a script run can take well over the suite's usual 20 s); each wait still ends as
soon as its condition holds.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from components import agenda_panel, media_tiles
from tests.e2e.conftest import (
    AppServer,
    demo_password,
    evaluate_in_frames,
    home_heading,
    rerun_and_wait,
    wait_for_app,
)
from tests.e2e.forms import selectbox

VIDEO_WAIT_S = 60.0
SLOW_MS = 60_000

# Every <video> in every frame of the page (each streamlit-webrtc component, and the camera preview, is its
# own iframe). The publisher (SENDONLY) draws no <video>; the preview's carries data-vesper-preview
# (components/camera_preview.html), so every other one found is a remote participant's tile.
_VIDEOS_JS = """() => Array.from(document.querySelectorAll('video')).map(v => ({
    width: v.videoWidth, time: v.currentTime, paused: v.paused,
    frames: v.getVideoPlaybackQuality().totalVideoFrames,
    preview: v.hasAttribute('data-vesper-preview'),
}))"""

# Counts, in the top page, the peer connections of any of its frames that send media (addTrack: only the
# publisher sends; a tile's connection only receives). Installed in every frame before any of its scripts.
COUNT_PUBLISHING_CONNECTIONS_JS = """(() => {
    const Native = window.RTCPeerConnection;
    if (!Native || Native.prototype.__vesperCounting) return;
    const addTrack = Native.prototype.addTrack;
    Native.prototype.addTrack = function (...args) {
        if (!this.__vesperCounted) {
            this.__vesperCounted = true;
            window.top.__vesperPublishing = (window.top.__vesperPublishing || 0) + 1;
        }
        return addTrack.apply(this, args);
    };
    Native.prototype.__vesperCounting = true;
})();"""


def all_videos(page: Page) -> list[dict]:
    return evaluate_in_frames(page, _VIDEOS_JS)


def remote_videos(page: Page) -> list[dict]:
    """The remote participants' videos on the page (not the camera preview)."""
    return [v for v in all_videos(page) if not v["preview"]]


def previews(page: Page) -> list[dict]:
    return [v for v in all_videos(page) if v["preview"]]


def playing(
    page: Page,
    count: int,
    timeout_s: float = VIDEO_WAIT_S,
    find: Callable[[Page], list[dict]] = remote_videos,
) -> list[dict]:
    """Wait until `count` videos (remote ones, unless `find` says otherwise) have a picture and their decoded
    frame count grows (currentTime alone keeps advancing on a frozen stream); return them."""
    deadline = time.monotonic() + timeout_s
    first: list[dict] | None = None
    last: list[dict] = []
    while time.monotonic() < deadline:
        last = [v for v in find(page) if v["width"] > 0 and not v["paused"]]
        if len(last) >= count:
            if first is None or len(first) < count:
                first = last
            elif all(now["frames"] > then["frames"] for then, now in zip(first, last, strict=False)):
                return last
        else:
            first = None
        page.wait_for_timeout(250)  # polling interval of a bounded wait, not a wait for the UI
    raise AssertionError(f"expected {count} videos playing, saw {all_videos(page)} (last {last})")


def tile_video(page: Page, user_id: int) -> dict | None:
    """The video in `user_id`'s tile on this page (width, decoded frames), or None when there is none."""
    frame_element = page.locator(f".st-key-{media_tiles.tile_key(user_id)} iframe").first
    try:
        frame = frame_element.element_handle(timeout=5_000).content_frame()
        if frame is None:
            return None
        found = frame.evaluate(_VIDEOS_JS)
    except Exception:  # noqa: BLE001 - no tile (yet), or its frame navigating: reported as no video
        return None
    return found[0] if found else None


def publishing_connections(page: Page) -> int:
    """How many sending peer connections this page's frames have made (COUNT_PUBLISHING_CONNECTIONS_JS)."""
    return int(page.evaluate("() => window.__vesperPublishing || 0"))


def user_id(server: AppServer, username: str) -> int:
    with sqlite3.connect(server.db_path) as conn:
        row = conn.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
    assert row is not None, f"no user {username!r} in the demo database"
    return int(row[0])


def sign_in_slowly(page: Page, username: str) -> None:
    """tests.e2e.conftest.sign_in, with SLOW_MS for each wait."""
    wait_for_app(page, SLOW_MS)
    page.get_by_label("User name", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(demo_password(username))
    sign_in_button = page.get_by_role("button", name="Sign in", exact=True)
    rerun_and_wait(page, sign_in_button.click, timeout=SLOW_MS, leads_to=home_heading(page))


def sidebar_link(page: Page, title: str) -> Locator:
    """The sidebar menu's link to the page titled `title`."""
    return page.get_by_test_id("stSidebar").get_by_role("link").filter(has_text=title)


def page_heading(page: Page, title: str) -> Locator:
    """The page title (level-1 heading) that shows the page titled `title` is drawn."""
    return page.get_by_test_id("stMain").get_by_role("heading", level=1).filter(has_text=title)


def open_page(page: Page, title: str) -> None:
    """Open a page from the sidebar menu and wait until it is drawn."""
    rerun_and_wait(page, sidebar_link(page, title).click, timeout=SLOW_MS, leads_to=page_heading(page, title))


def record_frames(page: Page, into: list[bytes]) -> None:
    """Append to `into` every websocket frame `page` receives from now on (call before the page opens the
    app): what reached the browser, drawn or not."""
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived",
            lambda payload: into.append(payload if isinstance(payload, bytes) else payload.encode()),
        ),
    )


def open_room(
    context: BrowserContext, server: AppServer, username: str, *, frames: list[bytes] | None = None
) -> Page:
    """Sign in as `username`, open the Conference room and press Join on the preselected (next) meeting;
    with `frames`, every websocket frame the page receives is appended to it."""
    page = context.new_page()
    if frames is not None:
        record_frames(page, frames)
    page.goto(server.url)
    sign_in_slowly(page, username)
    open_page(page, "Conference room")
    main = page.get_by_test_id("stMain")
    # The next meeting is preselected; Margaret Thornbury is on its agenda for everyone these tests use.
    expect(main).to_contain_text("About: ", timeout=SLOW_MS)
    expect(main).to_contain_text("Margaret Thornbury", timeout=SLOW_MS)
    rerun_and_wait(page, lambda: main.get_by_role("button", name="Join", exact=True).click(), timeout=SLOW_MS)
    return page


def browser_context(browser: Browser, name: str, console: list[str]) -> BrowserContext:
    """A browser context whose pages' console messages (streamlit-webrtc's signalling among them) go to
    `console`, for the test to save for diagnosis; every frame counts its publishing connections."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(SLOW_MS)
    context.set_default_navigation_timeout(SLOW_MS)
    context.add_init_script(COUNT_PUBLISHING_CONNECTIONS_JS)
    context.on(
        "page",
        lambda page: page.on(
            "console", lambda msg: console.append(f"{time.time():.3f} [{name}] {msg.type}: {msg.text[:2000]}")
        ),
    )
    return context


def open_case(chair: Page, order: int, mrn: str) -> None:
    """As the chair, open case `order` (patient `mrn`) from the agenda's "Or open another case"."""
    main = chair.get_by_test_id("stMain")
    box = selectbox(chair, "Or open another case")
    combobox = box.get_by_role("combobox")
    combobox.click()
    combobox.press_sequentially(mrn)
    expect(chair.get_by_role("option", name=re.compile(mrn))).to_be_visible()
    combobox.press("ArrowDown")
    combobox.press("Enter")
    expect(combobox).to_have_value(re.compile(mrn))
    heading = main.get_by_role("heading", name=re.compile(rf"^Case {order}: .*{mrn}"))
    button = main.get_by_role("button", name=agenda_panel.OPEN_CASE, exact=True)
    rerun_and_wait(chair, button.click, timeout=SLOW_MS, leads_to=heading)
