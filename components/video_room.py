"""The room screen: joining, the lobby, the live participant list, the controls, and the media.

This module composes the screen and carries out what people click; the pieces live elsewhere:

- portal/room_hub.py: the one MediaHub of this server process (media/hub.py, a selective forwarding
  unit), and the record it writes when the hub drops someone whose page stopped polling;
- media/patches/: the hooks that point streamlit-webrtc at that hub, installed where the hub is made;
- components/media_tiles.py: the publisher, the video tiles and the camera preview, their media carried by
  media_tiles.page_media(hub) (streamlit-webrtc; a fake that writes text in the AppTests, where no webrtc
  component can run);
- components/room_roster.py: the participant list, the controls and the lobby message.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import streamlit as st

from auth.identity import Identity
from clinical.roles import CLINICAL_ROLES
from components import media_tiles, room_roster
from components.room_roster import Click, Control
from db.engine import transaction
from media import backend as video
from portal import clock
from portal.room_hub import hub, room_id_for
from services import meetings

logger = logging.getLogger(__name__)

SEAT_KEY = "vesper.room.seat"
NOTICE_KEY = "vesper.room.notice"
POLL_SECONDS = 2.0

ENDED_MESSAGE = "The care team ended this meeting."
DECLINED_MESSAGE = "Sorry, you were not admitted to this meeting."
DROPPED_MESSAGE = "You lost your connection to the meeting. Press Join to come back in."
CONNECTED_MESSAGE = "Your camera and microphone are connected to the meeting."
READY_MESSAGE = "Your camera and microphone are ready: the others see and hear you once you are in."


@st.cache_resource(show_spinner=False)
def _removed_by() -> dict[tuple[str, str], str]:
    """Who removed whom, so the removed person's page can name them: (room, participant) -> name."""
    return {}


@dataclass(frozen=True)
class Seat:
    conference_id: int
    title: str
    room_id: str
    participant_id: str
    person: video.Person


def current_seat() -> Seat | None:
    return st.session_state.get(SEAT_KEY)


def take_notice() -> tuple[str, str] | None:
    """A message from the last room this person was in ("info" or "warning", text), shown once."""
    return st.session_state.pop(NOTICE_KEY, None)


def _leave_seat(kind: str, message: str) -> None:
    st.session_state.pop(SEAT_KEY, None)
    st.session_state[NOTICE_KEY] = (kind, message)


def _record(
    seat: Seat,
    event: str,
    identity: Identity,
    subject: video.ParticipantView | video.Person,
    now: dt.datetime,
) -> None:
    with transaction() as session:
        meetings.record_room_event(
            session,
            seat.conference_id,
            event,
            actor=identity,
            subject_user_id=subject.user_id,
            subject_name=subject.display_name,
            subject_role=subject.role,
            now=now,
        )


def join(
    identity: Identity, conference_id: int, *, backend: video.VideoBackend | None = None
) -> video.JoinResult:
    """Join a meeting's room (or its lobby); AccessDenied when this person may not join it."""
    backend = backend or hub()
    now = clock.now()
    with transaction() as session:
        choice = meetings.meeting_access(session, identity, conference_id, now)
    person = video.Person(
        user_id=identity.user_id,
        display_name=identity.display_name,
        role=identity.role.value,
        clinician=identity.role in CLINICAL_ROLES,
        on_care_team=choice.on_care_team,
    )
    room_id = room_id_for(conference_id)
    result = backend.join(room_id, person)
    if result.outcome in (video.JoinOutcome.JOINED, video.JoinOutcome.WAITING) and result.participant_id:
        seat = Seat(conference_id, choice.title, room_id, result.participant_id, person)
        st.session_state[SEAT_KEY] = seat
        _record(
            seat, "joined" if result.outcome is video.JoinOutcome.JOINED else "waiting", identity, person, now
        )
    return result


def _apply(identity: Identity, seat: Seat, click: Click, backend: video.VideoBackend) -> None:
    """Carry out a click, and record it (attendance and audit trail) once the hub has accepted it."""
    room, me = seat.room_id, seat.participant_id
    now = clock.now()
    target = click.participant
    if click.control is Control.MIC_OFF:
        backend.set_own_media(room, me, mic_on=False)
    elif click.control is Control.MIC_ON:
        backend.set_own_media(room, me, mic_on=True)
    elif click.control is Control.CAMERA_OFF:
        backend.set_own_media(room, me, camera_on=False)
    elif click.control is Control.CAMERA_ON:
        backend.set_own_media(room, me, camera_on=True)
    elif click.control is Control.LEAVE:
        backend.leave(room, me)
        _record(seat, "left", identity, seat.person, now)
        _leave_seat("info", "You left the meeting.")
    elif click.control is Control.END:
        backend.end(room, me)
        _record(seat, "ended", identity, seat.person, now)
        _leave_seat("info", "You ended the meeting for everyone.")
    elif target is not None and click.control is Control.MUTE:
        backend.mute(room, me, target.participant_id)
        _record(seat, "muted", identity, target, now)
    elif target is not None and click.control is Control.ADMIT:
        backend.admit(room, me, target.participant_id)
        _record(seat, "admitted", identity, target, now)
    elif target is not None and click.control is Control.DECLINE:
        backend.decline(room, me, target.participant_id)
        _record(seat, "declined", identity, target, now)
    elif target is not None and click.control is Control.REMOVE:
        _removed_by()[(room, target.participant_id)] = identity.display_name
        backend.remove(room, me, target.participant_id)
        _record(seat, "removed", identity, target, now)


def _find(snapshot: video.RoomSnapshot, participant_id: str) -> video.ParticipantView | None:
    return next((p for p in snapshot.participants if p.participant_id == participant_id), None)


def _in_room_ids(snapshot: video.RoomSnapshot) -> tuple[str, ...]:
    return tuple(p.participant_id for p in snapshot.participants if p.state is video.ParticipantState.IN_ROOM)


def _gone(seat: Seat, state: video.ParticipantState) -> bool:
    """Handle a state that takes this person out of the room; True when it did."""
    if state is video.ParticipantState.ENDED:
        _leave_seat("info", ENDED_MESSAGE)
    elif state is video.ParticipantState.DECLINED:
        _leave_seat("warning", DECLINED_MESSAGE)
    elif state is video.ParticipantState.REMOVED:
        by = _removed_by().pop((seat.room_id, seat.participant_id), "someone from the care team")
        _leave_seat("warning", f"You were removed from the meeting by {by}.")
    elif state is video.ParticipantState.LEFT:
        _leave_seat("warning", DROPPED_MESSAGE)
    else:
        return False
    return True


def show(identity: Identity, seat: Seat, *, key: str = "room") -> None:
    """The room as this person is in it: lobby, or participant list, controls and tiles."""
    backend = hub()
    state = backend.heartbeat(seat.room_id, seat.participant_id)
    if _gone(seat, state):
        st.rerun()
    snapshot = backend.snapshot(seat.room_id)
    me = _find(snapshot, seat.participant_id)
    if me is None:
        _leave_seat("warning", DROPPED_MESSAGE)
        st.rerun()
    media = media_tiles.page_media(backend)
    st.subheader(seat.title)
    st.session_state[f"{key}.drawn"] = (state, _in_room_ids(snapshot))
    media_column, people_column = st.columns([3, 2], gap="large")
    with people_column:
        _live(identity, seat, key)
    with media_column:
        # The publisher goes in the first slot of this column, always: streamlit-webrtc remounts a
        # component whose place in the page changes (tiles come and go above it), and a remount is a new
        # peer connection and a black gap for everyone watching this person.
        publisher_slot = st.container(key=f"{key}.publisher")
        if state is video.ParticipantState.IN_ROOM:
            others = [
                p
                for p in snapshot.participants
                if p.state is video.ParticipantState.IN_ROOM and p.participant_id != seat.participant_id
            ]
            # In a container of its own, so the self-view below keeps its place (and its camera) as tiles
            # come and go.
            with st.container(key=f"{key}.tiles"):
                media_tiles.tiles(media, seat.room_id, seat.participant_id, others)
        _own_media(state, me)
        with publisher_slot:
            media.publish(seat.room_id, seat.participant_id)


def _own_media(state: video.ParticipantState, me: video.ParticipantView) -> None:
    """Below the tiles (or alone, in the lobby): this person's own camera preview."""
    if state is video.ParticipantState.IN_ROOM:
        if me.camera_on:
            # A small self-view, as every video call has: is my face in the picture, is the light right.
            media_tiles.camera_preview(
                width=media_tiles.SELF_VIEW_WIDTH, caption=media_tiles.SELF_VIEW_CAPTION
            )
        else:
            # No self-view either: it would show a picture the others no longer see.
            st.caption("Your camera is off: the others do not see you.")
    else:
        # The lobby: a preview only this browser plays; nothing from the room.
        media_tiles.camera_preview(
            width=media_tiles.LOBBY_PREVIEW_WIDTH, caption=media_tiles.LOBBY_PREVIEW_CAPTION
        )
    # Also in the lobby: the camera already flows to the hub (which forwards it to nobody) when a clinician
    # admits this person, so their tile starts at once.
    if state is video.ParticipantState.IN_ROOM:
        st.caption(CONNECTED_MESSAGE)
    else:
        st.caption(READY_MESSAGE)


@st.fragment(run_every=POLL_SECONDS)
def _live(identity: Identity, seat: Seat, key: str) -> None:
    """Polled every two seconds: heartbeat, then redraw the list and controls. When someone came or went,
    or this person's own state changed, the whole page is drawn again (new tiles, or a new view)."""
    if current_seat() != seat:
        return
    backend = hub()
    state = backend.heartbeat(seat.room_id, seat.participant_id)
    snapshot = backend.snapshot(seat.room_id)
    if (state, _in_room_ids(snapshot)) != st.session_state.get(f"{key}.drawn"):
        if not _gone(seat, state):
            st.session_state[f"{key}.drawn"] = (state, _in_room_ids(snapshot))
        st.rerun(scope="app")
    me = _find(snapshot, seat.participant_id)
    if me is None:
        return
    moderator = seat.person.clinician and state is video.ParticipantState.IN_ROOM
    if state is video.ParticipantState.LOBBY:
        click = room_roster.lobby(me, key=key)
    else:
        own = room_roster.own_controls(me, moderator=moderator, key=key)
        other = room_roster.participants(snapshot, me, moderator=moderator, key=key)
        click = own or other
    if click is None:
        return
    try:
        _apply(identity, seat, click, backend)
    except video.ControlRefused as refused:
        st.error(str(refused))
        return
    # The whole page, not just this fragment: tiles come and go with admit, remove, leave and end.
    st.rerun(scope="app")
