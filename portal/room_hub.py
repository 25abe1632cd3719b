"""The one MediaHub of this server process, and what it records on its own: participants it drops.

The hub (media/hub.py) drops a participant whose page stopped polling (tab closed, network lost) after
DROP_AFTER_SECONDS. Nobody clicked anything then, so no page records it: record_dropped, registered with
the hub as its on_dropped observer, writes the "dropped" attendance outcome and the meeting_dropped audit
event (actor: the system). The hub calls it on its own observer thread, never on the media loop.
"""

from __future__ import annotations

import atexit
import logging
import os

import streamlit as st
from aiortc import RTCIceServer

import settings as settings_module
from db.engine import transaction
from media import patches
from media.backend import ParticipantView
from media.hub import MediaHub
from portal import clock
from services import meetings

logger = logging.getLogger(__name__)

if os.environ.get("VESPER_MEDIA_DEBUG") == "1":  # diagnosis only: media events to the server's log
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("media").setLevel(logging.DEBUG)
    logging.getLogger("aioice").setLevel(logging.INFO)
    logging.getLogger("aiortc").setLevel(logging.INFO)
    logging.getLogger("streamlit_webrtc").setLevel(logging.DEBUG)
    for name in ("aiortc.rtcdtlstransport", "aiortc.rtcicetransport", "aiortc.rtcpeerconnection"):
        logging.getLogger(name).setLevel(logging.DEBUG)

# A page polls every 2 s, but on a busy server or a slow connection a poll can wait far longer than that:
# after 10 s, people who had not left (a family member in the lobby, most often) were put out of the
# meeting with "You lost your connection". 30 s is how long WebRTC itself waits before a silent peer's
# connection counts as gone (RFC 7675 consent freshness, media/patches/aioice_consent.py).
DROP_AFTER_SECONDS = 30.0
ROOM_ID_PREFIX = "conference-"


def room_id_for(conference_id: int) -> str:
    return f"{ROOM_ID_PREFIX}{conference_id}"


def conference_id_for(room_id: str) -> int | None:
    """The conference a room id of room_id_for belongs to; None for any other room id."""
    number = room_id.removeprefix(ROOM_ID_PREFIX)
    # isdigit() would pass "²", which int() refuses.
    if number == room_id or not (number.isascii() and number.isdecimal()):
        return None
    return int(number)


def record_dropped(room_id: str, participant: ParticipantView) -> None:
    """The hub's on_dropped observer: write the drop to attendance and the audit trail, in its own
    transaction."""
    conference_id = conference_id_for(room_id)
    if conference_id is None:
        logger.warning("not recording a drop from room %r: not a conference room", room_id)
        return
    with transaction() as session:
        meetings.record_room_event(
            session,
            conference_id,
            "dropped",
            actor=None,
            subject_user_id=participant.user_id,
            subject_name=participant.display_name,
            subject_role=participant.role,
            now=clock.now(),
        )


def _close_hub(media_hub: MediaHub) -> None:
    try:
        media_hub.close()
    except Exception:  # noqa: BLE001 - closing at shutdown must not raise
        logger.exception("closing the media hub failed")


@st.cache_resource(show_spinner=False, on_release=_close_hub)
def hub() -> MediaHub:
    """The one media hub of this server process (closed when the cache is cleared and at exit)."""
    # The one place the app installs its hooks into aiortc, aioice and streamlit-webrtc (media/patches/):
    # here the app starts its media, before the first peer connection, and only once someone opens a room
    # (app.py runs for every page, the sign-in screen included, which need no media). The streamlit-webrtc
    # hook needs this very function to find the hub's loop. A cleared cache comes back here: installing
    # again is harmless.
    patches.install_all(hub)
    settings = settings_module.load()
    media_hub = MediaHub(
        cap=settings.room_cap,
        drop_after=DROP_AFTER_SECONDS,
        ice_servers=[RTCIceServer(**server) for server in settings.ice_servers],
    )
    media_hub.on_dropped(record_dropped)
    atexit.register(_close_hub, media_hub)
    return media_hub


__all__ = ["DROP_AFTER_SECONDS", "conference_id_for", "hub", "record_dropped", "room_id_for"]
