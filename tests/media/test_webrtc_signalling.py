"""media.patches.webrtc_frontend.answer_each_offer: every new SDP offer of a streamlit-webrtc component gets
its own answer, even when no script run saw the component idle between two connections.

These drive streamlit-webrtc's real _handle_worker_lifecycle (its rerun() stubbed out: there is no script
run here) with stand-in workers, the way webrtc_streamer calls it on every run.
"""

from __future__ import annotations

import gc
import inspect
import json
from dataclasses import dataclass, field

import pytest
from streamlit_webrtc import component

from media.patches import webrtc_frontend

SIGNALLING = component.WebRtcStreamerState(playing=False, signalling=True)
PLAYING = component.WebRtcStreamerState(playing=True, signalling=False)


@dataclass
class Description:
    sdp: str
    type: str = "answer"


@dataclass
class FakeWorker:
    """Stands in for WebRtcWorker: answers an offer with "answer-to:<offer>"."""

    offers: list[str] = field(default_factory=list)
    stopped: bool = False
    local_description: Description | None = None

    def process_offer(self, sdp: str, type_: str, timeout: float | None = None) -> Description:
        self.offers.append(sdp)
        self.local_description = Description(f"answer-to:{sdp}")
        return self.local_description

    def stop(self, timeout: float | None = 1.0) -> None:
        self.stopped = True


@pytest.fixture(autouse=True)
def no_rerun(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(component, "rerun", lambda: None)


def _original():
    lifecycle = component._handle_worker_lifecycle
    return getattr(lifecycle, "__wrapped__", lifecycle)


class Browser:
    """One component as the script sees it, run after run; keeps the workers alive like the media loop
    does (the context holds its worker only by weak reference)."""

    def __init__(self, lifecycle) -> None:
        self.lifecycle = lifecycle
        self.context = component.WebRtcStreamerContext(worker=None, state=SIGNALLING)
        self.workers: list[FakeWorker] = []

    def make_worker(self) -> FakeWorker:
        worker = FakeWorker()
        self.workers.append(worker)
        return worker

    def run(self, offer: str | None, state: component.WebRtcStreamerState) -> str | None:
        """One script run with this component value; returns the answer the browser gets in its args."""
        self.context._set_state(state)
        if self.context._sdp_answer_json:  # what _get_or_create_context does at the start of a run
            self.context._is_sdp_answer_sent = True
        sdp_offer = {"sdp": offer, "type": "offer"} if offer else None
        self.lifecycle(self.context, "pub-x", sdp_offer, make_worker=self.make_worker)
        return self.context._sdp_answer_json

    def server_side_dies(self) -> None:
        """aiortc closed the connection (e.g. consent expired); nothing references the worker any more."""
        self.workers.clear()
        gc.collect()


def _answer_for(answer_json: str | None) -> str | None:
    return json.loads(answer_json)["sdp"] if answer_json else None


def test_without_the_hook_a_new_offer_after_a_dead_connection_gets_the_old_answer():
    """The defect, in streamlit-webrtc itself: the browser restarts (failed -> stopped -> offer-2) and no
    run sees it idle in between; a worker is made for offer-2, but offer-1's answer is what is sent."""
    browser = Browser(_original())
    browser.run("offer-1", SIGNALLING)
    assert _answer_for(browser.run("offer-1", PLAYING)) == "answer-to:offer-1"
    browser.server_side_dies()
    answer = _answer_for(browser.run("offer-2", SIGNALLING))
    assert browser.workers and browser.workers[0].offers == ["offer-2"]
    assert answer == "answer-to:offer-1"  # the browser's new connection gets the previous one's answer


def test_a_new_offer_after_a_dead_connection_gets_its_own_answer():
    browser = Browser(webrtc_frontend.answer_each_offer(_original()))
    browser.run("offer-1", SIGNALLING)
    assert _answer_for(browser.run("offer-1", PLAYING)) == "answer-to:offer-1"
    browser.server_side_dies()
    assert _answer_for(browser.run("offer-2", SIGNALLING)) == "answer-to:offer-2"
    assert browser.context._is_sdp_answer_sent is False  # so streamlit-webrtc sends it
    assert [w.offers for w in browser.workers] == [["offer-2"]]
    assert browser.context.state == SIGNALLING


def test_a_new_offer_while_the_old_connection_lives_replaces_it():
    """The browser made another offer (a restart, or a second peer connection of the same start) while the
    first was being answered: the old worker stops and the new offer is answered."""
    browser = Browser(webrtc_frontend.answer_each_offer(_original()))
    browser.run("offer-1", SIGNALLING)
    first = browser.workers[0]
    assert _answer_for(browser.run("offer-2", SIGNALLING)) == "answer-to:offer-2"
    assert first.stopped
    assert browser.workers[-1].offers == ["offer-2"] and not browser.workers[-1].stopped


def test_the_same_offer_is_answered_once():
    browser = Browser(webrtc_frontend.answer_each_offer(_original()))
    browser.run("offer-1", SIGNALLING)
    browser.run("offer-1", SIGNALLING)
    browser.run("offer-1", PLAYING)
    assert [w.offers for w in browser.workers] == [["offer-1"]]
    browser.server_side_dies()
    # Its connection is gone, the browser has not noticed yet: no second worker for that same offer.
    browser.run("offer-1", PLAYING)
    assert browser.workers == []


def test_idle_then_a_new_offer_still_works():
    browser = Browser(webrtc_frontend.answer_each_offer(_original()))
    browser.run("offer-1", SIGNALLING)
    browser.run("offer-1", PLAYING)
    browser.run(None, component.WebRtcStreamerState(playing=False, signalling=False))
    assert browser.context._sdp_answer_json is None
    assert _answer_for(browser.run("offer-2", SIGNALLING)) == "answer-to:offer-2"


def test_the_hook_is_installed_once_over_streamlit_webrtc(monkeypatch: pytest.MonkeyPatch):
    from streamlit_webrtc import webrtc as webrtc_module

    for name in (*webrtc_frontend.WEBRTC_HOOK_TARGETS, webrtc_frontend.WEBRTC_LIFECYCLE):
        module = component if name == webrtc_frontend.WEBRTC_LIFECYCLE else webrtc_module
        monkeypatch.setattr(module, name, getattr(module, name))
    original = _original()
    monkeypatch.setattr(component, webrtc_frontend.WEBRTC_LIFECYCLE, original)
    monkeypatch.setattr(component, webrtc_frontend.WEBRTC_COMPONENT_FUNC, component._component_func)
    webrtc_frontend.install_webrtc_hooks(lambda: None)  # type: ignore[arg-type, return-value]
    webrtc_frontend.install_webrtc_hooks(lambda: None)  # type: ignore[arg-type, return-value]
    installed = component._handle_worker_lifecycle
    assert installed.__wrapped__ is original
    # webrtc_streamer looks the function up in its module on every call, so the wrapper is what runs.
    assert "_handle_worker_lifecycle(" in inspect.getsource(component.webrtc_streamer)
