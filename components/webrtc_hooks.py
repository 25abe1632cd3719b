"""The two hooks that point streamlit-webrtc at the MediaHub, and the checks that they still hold.

streamlit-webrtc draws the browser side of the video room; the server side is our MediaHub (media/hub.py).
install_webrtc_hooks makes its peer connections run on the hub's own event loop, never on Streamlit's, and
replaces its MediaRelay with a pass-through so the hub's tracks reach aiortc's senders and receivers as they
are. connection_of reads its registry of live workers to find the peer connection behind a track.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from aiortc.mediastreams import MediaStreamTrack
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


def install_webrtc_hooks(get_hub: Callable[[], MediaHub]) -> None:
    """Make streamlit-webrtc run every peer connection on the hub's event loop, with no MediaRelay.

    Patched: streamlit_webrtc.webrtc.get_global_event_loop (normally Streamlit's own server loop) and
    streamlit_webrtc.webrtc.get_global_relay (normally a MediaRelay made on that loop). Peer connections on
    the hub's loop get media.passthrough's receivers, which yield encoded packets instead of frames.
    """
    for name in WEBRTC_HOOK_TARGETS:
        if not callable(getattr(webrtc_module, name, None)):
            raise RuntimeError(f"streamlit_webrtc.webrtc.{name} is gone: re-check components/webrtc_hooks.py")
    relay = PassThroughRelay()

    def hub_loop():  # type: ignore[no-untyped-def]
        return get_hub().loop

    def hub_relay() -> Any:
        return relay

    webrtc_module.get_global_event_loop = hub_loop  # type: ignore[assignment]
    webrtc_module.get_global_relay = hub_relay  # type: ignore[assignment]


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
    "WEBRTC_HOOK_TARGETS",
    "WEBRTC_LIVE_WORKERS",
    "PassThroughRelay",
    "connection_of",
    "install_webrtc_hooks",
    "webrtc_hook_targets_used",
    "webrtc_hooks_installed",
]
