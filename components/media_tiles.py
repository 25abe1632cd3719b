"""The media on a participant's page: their publisher, a tile per other participant, their own preview.

- one SENDONLY publisher (streamlit-webrtc): the browser's camera and microphone go to the hub
  (HubSink -> hub.attach_source);
- one RECVONLY tile per other participant in the room: hub.subscriber_track(...) carries that source's
  encoded packets to this viewer, with no decode and no encode on the server;
- the camera preview: a fixed page in an iframe that plays this browser's own camera locally, in the lobby
  and, small under the tiles, in the room (a self-view). It sends nothing to the server (the SENDONLY
  publisher draws no local video, and the hub never sends anyone their own stream).

The two streamlit-webrtc parts (publisher and tile video) go through a PageMedia, made by page_media(): the
WebRTC one here. No webrtc component can run without a Streamlit server, so the AppTests replace page_media
with a fake that writes a line of text instead (tests/app/fake_media.py); nothing here asks where it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

import settings as settings_module
from components import room_roster
from components.plain_text import md_escape
from media.backend import ControlRefused, ParticipantView
from media.hub import MediaHub
from media.patches.webrtc_frontend import connection_of
from media.sink import HubSink

MEDIA_STREAM_CONSTRAINTS = {"video": {"width": 640, "height": 360, "frameRate": 15}, "audio": True}

PREVIEW_PAGE = Path(__file__).with_name("camera_preview.html")  # static: nothing is filled in
PREVIEW_ALT = "Your own camera"
LOBBY_PREVIEW_CAPTION = "Your camera (only you see this)"
SELF_VIEW_CAPTION = "You: the others in the meeting see this camera"
PREVIEW_WIDTH = 160  # fits the call bar's own column on a laptop screen
TILE_COLUMNS = 3


def rtc_configuration() -> dict[str, Any]:
    # An explicit list, even when empty: streamlit-webrtc and aiortc fill in Google's STUN server only
    # when iceServers is missing (None), never for [].
    return {"iceServers": [dict(s) for s in settings_module.load().ice_servers]}


def _session_cached(key: str, make: Callable[[], Any], alive: Callable[[Any], bool] = lambda _: True) -> Any:
    value = st.session_state.get(key)
    if value is None or not alive(value):
        value = make()
        st.session_state[key] = value
    return value


def camera_preview(*, caption: str, width: int = PREVIEW_WIDTH) -> None:
    """This browser's own camera, played locally in an iframe and sent nowhere, with `caption` under it
    (who sees it).

    Streamlit gives the iframe the camera in its feature policy (allow="camera; ..."), and it shares the
    app's origin, so getUserMedia works there as on the page itself.
    """
    # The picture's own height (16:9, as the page draws it): a measured height left a gap under it.
    st.iframe(PREVIEW_PAGE, width=width, height=round(width * 9 / 16), alt=PREVIEW_ALT)
    st.caption(caption)


class PageMedia(Protocol):
    """The media between this browser and the hub: this person's camera and microphone going in, one other
    participant's coming out."""

    def publish(self, room_id: str, participant_id: str) -> None:
        """This browser's camera and microphone, sent to the hub (draws no video of its own)."""

    def receive(self, room_id: str, viewer_id: str, source: ParticipantView) -> None:
        """`source`'s live video and sound, for `viewer_id`; ControlRefused when `source` has gone."""


class WebRtcMedia:
    """PageMedia over streamlit-webrtc: a SENDONLY publisher into a HubSink, a RECVONLY component per tile
    fed by the hub's forwarding tracks."""

    def __init__(self, backend: MediaHub) -> None:
        self.backend = backend

    def publish(self, room_id: str, participant_id: str) -> None:
        backend = self.backend
        video = _session_cached(
            f"vesper.room.sink.video.{participant_id}",
            lambda: HubSink(backend, room_id, participant_id, "video", connection_of),
        )
        audio = _session_cached(
            f"vesper.room.sink.audio.{participant_id}",
            lambda: HubSink(backend, room_id, participant_id, "audio", connection_of),
        )
        _streamer(
            f"pub-{participant_id}",
            WebRtcMode.SENDONLY,
            media_stream_constraints=MEDIA_STREAM_CONSTRAINTS,
            sink_video_track=video,
            sink_audio_track=audio,
        )

    def receive(self, room_id: str, viewer_id: str, source: ParticipantView) -> None:
        video = self._forwarding_track(room_id, viewer_id, source.participant_id, "video")
        audio = self._forwarding_track(room_id, viewer_id, source.participant_id, "audio")
        _streamer(
            f"tile-{source.participant_id}",
            WebRtcMode.RECVONLY,
            source_video_track=video,
            source_audio_track=audio,
        )

    def _forwarding_track(self, room_id: str, viewer_id: str, source_id: str, kind: str) -> Any:
        # One forwarding track per viewer, source and kind for as long as it lives; streamlit-webrtc stops it
        # when the tile's connection ends, and the next connection gets a fresh one.
        return _session_cached(
            f"vesper.room.track.{kind}.{viewer_id}.{source_id}",
            lambda: self.backend.subscriber_track(room_id, viewer_id, source_id, kind),
            alive=lambda track: track.readyState != "ended",
        )


def _streamer(key: str, mode: WebRtcMode, **tracks: Any) -> None:
    """One streamlit-webrtc component, always playing, with the hub's ICE servers; `tracks` are its
    sink (publisher) or source (tile) tracks and anything else only that side needs."""
    webrtc_streamer(
        key=key,
        mode=mode,
        rtc_configuration=rtc_configuration(),
        desired_playing_state=True,
        media_toggle_controls=False,  # the room's own buttons are the one truth for mic and camera
        **tracks,
    )


def page_media(backend: MediaHub) -> PageMedia:
    """How this page carries media to and from `backend`: streamlit-webrtc (the AppTests replace this)."""
    return WebRtcMedia(backend)


def tile_key(user_id: int) -> str:
    """The key of the container around one person's tile, the same wherever it is drawn (the browser
    tests find a person's video by it)."""
    return f"vesper-tile-{user_id}"


def tile(media: PageMedia, room_id: str, viewer_id: str, source: ParticipantView) -> None:
    """One other participant: name and role above their live video."""
    st.markdown(f"**{md_escape(source.display_name)}** · {room_roster.role_label(source.role)}")
    try:
        media.receive(room_id, viewer_id, source)
    except ControlRefused as refused:  # they left between the snapshot and now
        st.caption(md_escape(str(refused)))


def tiles(media: PageMedia, room_id: str, viewer_id: str, others: list[ParticipantView]) -> None:
    """A tile per other participant, TILE_COLUMNS to a row."""
    if not others:
        st.caption("Nobody else is in the room yet.")
        return
    for start in range(0, len(others), TILE_COLUMNS):
        for column, source in zip(
            st.columns(TILE_COLUMNS), others[start : start + TILE_COLUMNS], strict=False
        ):
            with column, st.container(border=True, key=tile_key(source.user_id)):
                tile(media, room_id, viewer_id, source)


__all__ = [
    "LOBBY_PREVIEW_CAPTION",
    "PREVIEW_ALT",
    "PREVIEW_WIDTH",
    "SELF_VIEW_CAPTION",
    "TILE_COLUMNS",
    "PageMedia",
    "WebRtcMedia",
    "camera_preview",
    "page_media",
    "rtc_configuration",
    "tile",
    "tile_key",
    "tiles",
]
