"""The page's media under AppTest, where no webrtc component can run (it needs a Streamlit server).

TextMedia stands in for components.media_tiles.WebRtcMedia: each tile's video is the line "Video: <name>",
the publisher the line PUBLISHER_LINE. Everything else in the room (the real MediaHub, the roster, the
controls, the camera preview, the records) is the app's own.
"""

from __future__ import annotations

import streamlit as st

from media.backend import ParticipantView
from media.hub import MediaHub

PUBLISHER_LINE = "Sending: camera and microphone"
VIDEO_PREFIX = "Video: "


class TextMedia:
    """components.media_tiles.PageMedia as lines of text."""

    def __init__(self, backend: MediaHub) -> None:
        self.backend = backend

    def publish(self, room_id: str, participant_id: str) -> None:
        st.text(PUBLISHER_LINE)

    def receive(self, room_id: str, viewer_id: str, source: ParticipantView) -> None:
        st.text(f"{VIDEO_PREFIX}{source.display_name}")
