"""The hooks that point streamlit-webrtc at the MediaHub and keep its signalling straight, and the checks
that they still hold.

streamlit-webrtc draws the browser side of the video room; the server side is our MediaHub (media/hub.py).
install_webrtc_hooks makes its peer connections run on the hub's own event loop, never on Streamlit's, and
replaces its MediaRelay with a pass-through so the hub's tracks reach aiortc's senders and receivers as they
are. It also makes every new SDP offer get its own answer (see answer_each_offer). connection_of reads its
registry of live workers to find the peer connection behind a track.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from aiortc.mediastreams import MediaStreamTrack
from streamlit_webrtc import component as component_module
from streamlit_webrtc import webrtc as webrtc_module

from media.hub import MediaHub


class PassThroughRelay:
    """Stands in for aiortc's MediaRelay inside streamlit-webrtc: every track goes through unchanged.

    MediaRelay would put a proxy between the hub and aiortc: a RelayStreamTrack that copies whatever the
    source yields. With it, a subscriber's PLI/FIR would reach the proxy, not the hub's forwarding track,
    and a lobby participant's incoming track would be read by the relay's own task. Without it the hub's
    forwarding track is the sender's track and the browser's incoming track is handed to the hub as it is.
    """

    def subscribe(self, track: MediaStreamTrack, buffered: bool = True) -> MediaStreamTrack:
        return track


# The module globals of streamlit_webrtc.webrtc that WebRtcWorker.__init__ calls when no loop/relay is
# passed (component.webrtc_streamer never passes them). tests/app/test_conference_room.py checks they still
# exist and are still what WebRtcWorker uses, so an upgrade of streamlit-webrtc cannot silently undo this.
WEBRTC_HOOK_TARGETS = ("get_global_event_loop", "get_global_relay")
# Read, not patched: the WeakSet of live WebRtcWorkers, to find the peer connection behind a sink's track
# (the hub needs its RTCRtpReceiver to send the browser keyframe requests, and adopts the connection so it
# closes it when the participant goes). Checked by the same test.
WEBRTC_LIVE_WORKERS = "_live_workers"
# Wrapped, in streamlit_webrtc.component: the per-run reconciliation of a component's server side with its
# browser side (module global, called by webrtc_streamer), and the reset it uses. See answer_each_offer.
WEBRTC_LIFECYCLE = "_handle_worker_lifecycle"
WEBRTC_RESET = "_reset_context"
# Set on a WebRtcStreamerContext: the offer SDP its current answer was made for.
ANSWERED_OFFER_ATTR = "_vesper_answered_offer_sdp"


def answer_each_offer(lifecycle: Callable[..., None]) -> Callable[..., None]:
    """Wrap streamlit-webrtc's _handle_worker_lifecycle so that every new SDP offer gets its own answer.

    streamlit-webrtc keeps one context per component key: the worker (server peer connection), the answer
    it made, and whether that answer was already sent. It forgets them only when a script run sees the
    browser side idle (neither playing nor signalling). When the server side of a connection dies (aiortc
    closes it on ICE consent expiry, for one) and the browser restarts that component at once (failed ->
    stopped -> new offer), the idle value is often overwritten before any full run reads it: the room page
    reruns on every component value and fragment tick, and a slow server coalesces them. The next run then
    sees a new offer and no live worker: it makes a new worker for the offer, but, the old answer being
    marked sent, it never sends the new one, and the browser's new peer connection is handed the previous
    connection's answer (other ICE credentials, candidates and DTLS fingerprint). Chrome then never gets a
    check through, the hub's new connection stays "checking", and the component times out and starts over.

    With this wrapper a context remembers which offer its answer is for. An offer other than that one is a
    new connection: the context is reset first (old worker stopped, old answer dropped), so the offer gets a
    fresh worker and its own answer. The offer already answered is never answered twice: when its worker is
    gone, no new worker is made for it (one would wait for checks that never come); the browser notices the
    dead connection and starts a new one.
    """

    def handle_worker_lifecycle(context: Any, key: str, sdp_offer: Any, **kwargs: Any) -> None:
        offer_sdp = sdp_offer.get("sdp") if isinstance(sdp_offer, dict) else None
        answered = getattr(context, ANSWERED_OFFER_ATTR, None)
        if offer_sdp and answered is not None and offer_sdp != answered:
            state = context.state
            getattr(component_module, WEBRTC_RESET)(context)
            context._set_state(state)  # what the browser last said; the reset assumes "idle"
            setattr(context, ANSWERED_OFFER_ATTR, None)
        elif offer_sdp and offer_sdp == answered and context._get_worker() is None:
            sdp_offer = None
        before = context._get_worker()
        try:
            lifecycle(context, key, sdp_offer, **kwargs)
        finally:
            worker = context._get_worker()
            if worker is not None and worker is not before and offer_sdp:
                setattr(context, ANSWERED_OFFER_ATTR, offer_sdp)  # a worker was made for this offer
            elif worker is None and not context.state.signalling and not context.state.playing:
                setattr(context, ANSWERED_OFFER_ATTR, None)

    handle_worker_lifecycle.__wrapped__ = lifecycle  # type: ignore[attr-defined]
    return handle_worker_lifecycle


def install_webrtc_hooks(get_hub: Callable[[], MediaHub]) -> None:
    """Make streamlit-webrtc run every peer connection on the hub's event loop, with no MediaRelay.

    Patched: streamlit_webrtc.webrtc.get_global_event_loop (normally Streamlit's own server loop) and
    streamlit_webrtc.webrtc.get_global_relay (normally a MediaRelay made on that loop). Peer connections on
    the hub's loop get media.passthrough's receivers, which yield encoded packets instead of frames.
    """
    for name in WEBRTC_HOOK_TARGETS:
        if not callable(getattr(webrtc_module, name, None)):
            raise RuntimeError(f"streamlit_webrtc.webrtc.{name} is gone: re-check components/webrtc_hooks.py")
    for name in (WEBRTC_LIFECYCLE, WEBRTC_RESET):
        if not callable(getattr(component_module, name, None)):
            raise RuntimeError(
                f"streamlit_webrtc.component.{name} is gone: re-check components/webrtc_hooks.py"
            )
    relay = PassThroughRelay()

    def hub_loop():  # type: ignore[no-untyped-def]
        return get_hub().loop

    def hub_relay() -> Any:
        return relay

    webrtc_module.get_global_event_loop = hub_loop  # type: ignore[assignment]
    webrtc_module.get_global_relay = hub_relay  # type: ignore[assignment]
    lifecycle = getattr(component_module, WEBRTC_LIFECYCLE)
    if not hasattr(lifecycle, "__wrapped__"):
        setattr(component_module, WEBRTC_LIFECYCLE, answer_each_offer(lifecycle))


def webrtc_hooks_installed() -> bool:
    return getattr(webrtc_module.get_global_relay, "__qualname__", "").startswith("install_webrtc_hooks")


def webrtc_hook_targets_used() -> bool:
    """Whether WebRtcWorker still resolves its loop and relay through the patched module globals."""
    source = inspect.getsource(webrtc_module.WebRtcWorker.__init__)
    return all(f"{name}()" in source for name in WEBRTC_HOOK_TARGETS)


def connection_of(sink: object, track: MediaStreamTrack) -> tuple[Any, Any]:
    """The peer connection and RTCRtpReceiver that `track` (handed to the MediaSink `sink`) arrives on, if
    found among streamlit-webrtc's live workers."""
    for worker in list(getattr(webrtc_module, WEBRTC_LIVE_WORKERS, ())):
        if sink not in (worker.sink_video_track, worker.sink_audio_track):
            continue
        for receiver in worker.pc.getReceivers():
            if receiver.track is track:
                return worker.pc, receiver
        return worker.pc, None
    return None, None


__all__ = [
    "ANSWERED_OFFER_ATTR",
    "WEBRTC_HOOK_TARGETS",
    "WEBRTC_LIFECYCLE",
    "WEBRTC_RESET",
    "WEBRTC_LIVE_WORKERS",
    "PassThroughRelay",
    "answer_each_offer",
    "connection_of",
    "install_webrtc_hooks",
    "webrtc_hook_targets_used",
    "webrtc_hooks_installed",
]
