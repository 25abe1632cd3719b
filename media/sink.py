"""HubSink: hands a streamlit-webrtc SENDONLY component's incoming track to the hub (way (b)).

It follows streamlit-webrtc's MediaSink protocol (addTrack / hasTrack / start / stop) by duck typing, so
media/ still never imports Streamlit. Passing it as `sink_video_track=` / `sink_audio_track=` also stops
streamlit-webrtc from creating its own VideoReceiver/AudioReceiver, which would compete for the same packets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from aiortc.mediastreams import MediaStreamTrack

from media.backend import ControlRefused
from media.hub import MediaHub

logger = logging.getLogger(__name__)

# Finds the peer connection and RTCRtpReceiver a sink's track arrives on, when the caller can (the hub needs
# the receiver to ask that browser for keyframes, and the connection to close it when the person goes).
ConnectionFinder = Callable[["HubSink", MediaStreamTrack], tuple[Any, Any]]


class HubSink:
    """A MediaSink that registers the track it is given as one participant's source in the hub."""

    def __init__(
        self,
        hub: MediaHub,
        room_id: str,
        participant_id: str,
        kind: str | None = None,
        find_connection: ConnectionFinder | None = None,
    ) -> None:
        self.kind = kind
        self._hub = hub
        self._room_id = room_id
        self._participant_id = participant_id
        self._find_connection = find_connection
        self._track: MediaStreamTrack | None = None

    def addTrack(self, track: MediaStreamTrack) -> None:  # noqa: N802 - streamlit-webrtc's protocol name
        self._track = track

    def hasTrack(self) -> bool:  # noqa: N802
        return self._track is not None

    def start(self) -> None:
        # Called on the hub's loop, inside streamlit-webrtc's offer processing, once the track is known.
        track = self._track
        if track is None:
            return
        pc, receiver = self._find_connection(self, track) if self._find_connection else (None, None)
        try:
            self._hub.attach_source(self._room_id, self._participant_id, track, receiver)
            if pc is not None:
                self._hub.adopt_connection(self._room_id, self._participant_id, pc)
        except ControlRefused:
            logger.info("participant %s left before their media arrived", self._participant_id)

    def stop(self) -> None:
        self._track = None
