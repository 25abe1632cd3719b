"""The shared case view in real Chromium: the presenter switches case and window, the other clinician's chart
follows within 2 s; one who looks around on their own is not pulled back until they switch Follow on again.

Both clinicians are on the care team of every patient on the demo's next meeting, so both join the room
directly (the video itself is tests/e2e/test_video_room.py's subject, not this file's). The clock starts once
each has the other's video playing: while a participant's video is still connecting, every step of it
(offer, answer, playing) reruns their whole page and holds its script for up to seconds, so nothing on that
page moves, the case view included. The 2 s promise is measured for a meeting under way.

Each measured delay is printed (pytest -s shows them; a failure's report shows those measured before it).
"""

from __future__ import annotations

import os
import re
import time

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from db.engine import PROJECT_ROOT
from tests.e2e.conftest import (
    TIMEOUT_MS,
    AppServerFactory,
    demo_password,
    evaluate_in_frames,
    rerun_and_wait,
    sign_in,
    wait_for_app,
)
from tests.e2e.forms import selectbox

pytestmark = pytest.mark.e2e

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
README_SCREENSHOT = PROJECT_ROOT / "docs" / "shared_view.png"
# The promise to the people following is that the presenter's change shows within 2 s. That rests
# on the follower's page polling every POLL_SECONDS (checked in tests/app/test_shared_case_view.py); here
# the follower must see it by itself, and how long it took is printed, not asserted: on a loaded machine a
# browser test is no stopwatch. Twice the promise: long enough that a follower would have moved.
LOOK_AROUND_MS = 4000
# How long the two clinicians' browsers and the media hub may take to connect their video, on a loaded
# 2-core machine.
ROOM_CONNECT_S = 60.0
# The other participants' videos in one frame (each streamlit-webrtc tile is its own iframe; the camera
# preview's <video> carries data-vesper-preview).
_REMOTE_VIDEOS_JS = """() => Array.from(document.querySelectorAll('video'))
    .filter(v => !v.hasAttribute('data-vesper-preview') && v.videoWidth > 0 && !v.paused)
    .map(v => v.currentTime)"""


def _context(browser: Browser) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1280, "height": 2600})
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _enter_meeting(context: BrowserContext, url: str, username: str) -> Page:
    page = context.new_page()
    page.goto(url)
    sign_in(page, username, demo_password(username))
    link = page.get_by_test_id("stSidebar").get_by_role("link").filter(has_text="Conference room")
    rerun_and_wait(page, lambda: link.click())
    main = page.get_by_test_id("stMain")
    rerun_and_wait(page, lambda: main.get_by_role("button", name="Join", exact=True).click())
    expect(main.get_by_role("heading", name="Case view")).to_be_visible()
    return page


def _playing_times(page: Page) -> list[float]:
    return evaluate_in_frames(page, _REMOTE_VIDEOS_JS)


def _wait_until_connected(page: Page) -> None:
    """Wait until the page plays the other clinician's video (a picture whose time advances), then until
    the page's script is idle."""
    deadline = time.monotonic() + ROOM_CONNECT_S
    first: list[float] = []
    while time.monotonic() < deadline:
        now = _playing_times(page)
        if first and now and max(now) > max(first) + 0.3:
            wait_for_app(page)
            return
        first = first or now
        page.wait_for_timeout(250)  # polling interval of a bounded wait, not a wait for the UI
    raise AssertionError(f"the other clinician's video never started playing (saw {_playing_times(page)})")


def _case_view(page: Page) -> Locator:
    # The fragment's block: everything from the "Case view" heading's container down.
    return page.get_by_test_id("stMain")


def _choose_case(page: Page, label: str) -> None:
    box = selectbox(page, "Case")
    box.click()
    page.get_by_role("option", name=label).click()


def _case_labels(page: Page) -> list[str]:
    box = selectbox(page, "Case")  # the case view's own, not the agenda's "Or open another case"
    box.click()
    labels = page.get_by_role("option").all_inner_texts()
    # Close the list by choosing the first case (the preselected one): a click elsewhere would only close
    # it, and be lost.
    page.get_by_role("option", name=labels[0]).click()
    return labels


def _follow(presenter: Page, follower: Page, change, shown: re.Pattern[str]) -> float:
    """Make the presenter's change, and return how long after her own screen showed it the follower's did.
    The follower does nothing: her page must catch up by itself (within Playwright's usual wait)."""
    change()
    expect(presenter.get_by_test_id("stMain")).to_contain_text(shown)
    started = time.monotonic()
    try:
        expect(follower.get_by_test_id("stMain")).to_contain_text(shown)
    finally:
        what = re.sub(r"\\(.)", r"\1", shown.pattern)
        print(f"follower: {what!r} {time.monotonic() - started:.2f} s after the presenter's screen")
    return time.monotonic() - started


def _showing(label: str, window: str) -> re.Pattern[str]:
    return re.compile(rf"Showing {re.escape(label)} over the last {re.escape(window)}")


def test_the_chart_follows_the_presenter_by_itself(browser: Browser, app_server: AppServerFactory) -> None:
    server = app_server()
    ARTIFACTS.mkdir(exist_ok=True)
    contexts = [_context(browser) for _ in range(2)]
    try:
        physician = _enter_meeting(contexts[0], server.url, "physician")
        nurse = _enter_meeting(contexts[1], server.url, "nurse")
        expect(nurse.get_by_test_id("stMain")).to_contain_text("Nobody is presenting yet")
        for page in (physician, nurse):
            _wait_until_connected(page)

        labels = _case_labels(physician)
        assert len(labels) >= 2, f"the demo meeting should have at least two cases, found {labels}"
        first, second = labels[0], labels[1]

        # The physician presents the first case over 30 days.
        physician.get_by_text("Present my view to everyone").click()
        expect(physician.get_by_test_id("stMain")).to_contain_text("You are presenting")
        expect(nurse.get_by_test_id("stMain")).to_contain_text(_showing(first, "30 days"))
        expect(nurse.get_by_test_id("stMain")).to_contain_text("Following ")
        expect(nurse.get_by_test_id("stVegaLiteChart").first).to_be_visible()

        # She switches case, then window: each time the nurse's page follows by itself.
        delays = [
            _follow(physician, nurse, lambda: _choose_case(physician, second), _showing(second, "30 days")),
            _follow(
                physician,
                nurse,
                lambda: physician.get_by_role("radio", name="90 days", exact=True).click(),
                _showing(second, "90 days"),
            ),
        ]
        expect(nurse.get_by_test_id("stVegaLiteChart").first).to_be_visible()

        for name, page in (("physician", physician), ("nurse", nurse)):
            page.screenshot(path=str(ARTIFACTS / f"shared_view_{name}.png"), full_page=True)
        if os.environ.get("VESPER_UPDATE_SCREENSHOTS") == "1":
            nurse.screenshot(path=str(README_SCREENSHOT), full_page=True)

        # The nurse looks around on her own: the presenter's next change must NOT pull her back...
        nurse.get_by_text("Follow the presenter").click()
        expect(nurse.get_by_test_id("stMain")).to_contain_text("Looking on your own")
        nurse.get_by_role("radio", name="1 year", exact=True).click()
        expect(nurse.get_by_test_id("stMain")).to_contain_text(_showing(second, "year"))
        _choose_case(physician, first)
        expect(physician.get_by_test_id("stMain")).to_contain_text(_showing(first, "90 days"))
        nurse.wait_for_timeout(LOOK_AROUND_MS)
        expect(nurse.get_by_test_id("stMain")).to_contain_text(_showing(second, "year"))

        # ...until she switches Follow back on, when she sees the presenter's current view.
        nurse.get_by_text("Follow the presenter").click()
        clicked = time.monotonic()
        expect(nurse.get_by_test_id("stMain")).to_contain_text(_showing(first, "90 days"))
        print(f"rejoined the presenter's view {time.monotonic() - clicked:.2f} s after switching Follow on")
        print("follower caught up after the presenter's screen, seconds:", [f"{d:.2f}" for d in delays])
    except BaseException:
        # What each person saw when it went wrong, for the CI log reader.
        for index, context in enumerate(contexts):
            for n, page in enumerate(context.pages):
                page.screenshot(path=str(ARTIFACTS / f"shared_view_failure_{index}_{n}.png"), full_page=True)
        raise
    finally:
        for context in contexts:
            context.close()
