"""The room screen: joining, the lobby, the participant list with a moderator's controls, and carrying out
what people click.

The call itself is not drawn here. It follows its owner from page to page, so app.py draws it on every page
(components/call_bar.py: the media, the person's own controls, and the poll that keeps them in the room).
The pieces live elsewhere:

- portal/call.py: this session's seat, the message a room leaves behind, and hanging up;
- portal/room_hub.py: the one MediaHub of this server process (media/hub.py, a selective forwarding
  unit), and the record it writes when the hub drops someone whose page stopped polling;
- media/patches/: the hooks that point streamlit-webrtc at that hub, installed where the hub is made;
- components/media_tiles.py: the publisher, the video tiles and the camera preview;
- components/room_roster.py: the participant list, the controls and the lobby message.
"""

from __future__ import annotations

import logging

import streamlit as st

from auth.identity import Identity
from clinical.roles import CLINICAL_ROLES
from components import refusals, room_roster
from components.plain_text import md_escape
from components.room_roster import Click, Control
from db.engine import transaction
from media import backend as video
from portal import call, clock, family_gate
from portal.room_hub import hub, room_id_for
from services import agenda, meetings

logger = logging.getLogger(__name__)

ENDED_MESSAGE = "The care team ended this meeting."
DECLINED_MESSAGE = "Sorry, you were not admitted to this meeting."
DROPPED_MESSAGE = "You lost your connection to the meeting. Press Join to come back in."
CONNECTED_MESSAGE = "Your camera and microphone are connected to the meeting."
READY_MESSAGE = "Your camera and microphone are ready: the others see and hear you once you are in."


@st.cache_resource(show_spinner=False)
def _removed_by() -> dict[tuple[str, str], str]:
    """Who removed whom, so the removed person's page can name them: (room, participant) -> name."""
    return {}


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
        seat = call.Seat(conference_id, choice.title, room_id, result.participant_id, person)
        st.session_state[call.SEAT_KEY] = seat
        call.record_event(
            seat, "joined" if result.outcome is video.JoinOutcome.JOINED else "waiting", identity, person, now
        )
    return result


def apply(identity: Identity, seat: call.Seat, click: Click, backend: video.VideoBackend) -> None:
    """Carry out a click, and record it (attendance and audit trail) once the hub has accepted it;
    ControlRefused when the hub refuses it."""
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
        call.record_event(seat, "left", identity, seat.person, now)
        call.leave_seat("info", "You left the meeting.")
    elif click.control is Control.END:
        backend.end(room, me)
        call.record_event(seat, "ended", identity, seat.person, now)
        call.leave_seat("info", "You ended the meeting for everyone.")
    elif target is not None and click.control is Control.MUTE:
        backend.mute(room, me, target.participant_id)
        call.record_event(seat, "muted", identity, target, now)
    elif target is not None and click.control is Control.ADMIT:
        family_gate.check_admission(seat, target)
        backend.admit(room, me, target.participant_id)
        call.record_event(seat, "admitted", identity, target, now)
    elif target is not None and click.control is Control.DECLINE:
        backend.decline(room, me, target.participant_id)
        call.record_event(seat, "declined", identity, target, now)
    elif target is not None and click.control is Control.REMOVE:
        _removed_by()[(room, target.participant_id)] = identity.display_name
        backend.remove(room, me, target.participant_id)
        call.record_event(seat, "removed", identity, target, now)


def find(snapshot: video.RoomSnapshot, participant_id: str) -> video.ParticipantView | None:
    return next((p for p in snapshot.participants if p.participant_id == participant_id), None)


def gone(seat: call.Seat, state: video.ParticipantState) -> bool:
    """Handle a state that takes this person out of the room (leave the seat, with a message saying
    why); True when it did."""
    if state is video.ParticipantState.ENDED:
        call.leave_seat("info", ENDED_MESSAGE)
    elif state is video.ParticipantState.DECLINED:
        call.leave_seat("warning", DECLINED_MESSAGE)
    elif state is video.ParticipantState.REMOVED:
        by = _removed_by().pop((seat.room_id, seat.participant_id), "someone from the care team")
        call.leave_seat("warning", f"You were removed from the meeting by {by}.")
    elif state is video.ParticipantState.LEFT:
        call.leave_seat("warning", DROPPED_MESSAGE)
    else:
        return False
    return True


def show(identity: Identity, seat: call.Seat, *, key: str = "room") -> None:
    """The room as this person is in it: the lobby's message, or everyone in the room and in the lobby with
    a moderator's controls. The call bar above (drawn by app.py) keeps it up to date: it reruns the page
    when anyone comes, goes, or turns a microphone or camera on or off."""
    backend = hub()
    snapshot = backend.snapshot(seat.room_id)
    me = find(snapshot, seat.participant_id)
    if me is None:  # the call bar has already handled it; nothing to draw
        return
    st.subheader(md_escape(seat.title))
    if me.state is video.ParticipantState.LOBBY:
        if family_gate.was_sent_back(seat):
            # Nothing about whom the team is discussing now: no name, no chart, no media.
            st.info(agenda.family_topic_message(), icon=":material/groups:")
        else:
            room_roster.lobby(me)
        return
    moderator = seat.person.clinician and me.state is video.ParticipantState.IN_ROOM
    click = room_roster.participants(snapshot, me, moderator=moderator, key=key)
    if click is None:
        return
    try:
        apply(identity, seat, click, backend)
    except video.ControlRefused as refused:
        refusals.show(str(refused))
        return
    st.rerun()
