"""A family member is in the room only while their relative's case is under discussion.

Three places hold that line, all on services.agenda.family_may_be_in_room:
- admission: a clinician's Admit is refused (components/video_room.py) until the relative's case is open;
- moving on: the page of whoever moved the meeting to another case sends such family members back to the
  lobby at once (send_back_others);
- each family member's own call bar, every poll, sends them back itself if they are still in the room when
  they should not be (keep_to_own_case): the backstop when the chair's page was closed mid-move.

In the lobby they receive no media (the hub forwards nothing to or from someone waiting) and their pages
show no charts and no names, only the message below.
"""

from __future__ import annotations

import contextlib

import streamlit as st

from auth.identity import Identity
from clinical.roles import Role
from db.engine import reading
from media import backend as video
from portal.call import Seat
from portal.room_hub import hub
from services import agenda as agenda_service

SENT_BACK_KEY = "vesper.room.sent_back"
NOT_YET_MESSAGE = (
    "A family member joins while their relative's case is under discussion: open that case first, then let "
    "them in."
)


def is_family(participant: video.ParticipantView | video.Person) -> bool:
    return participant.role == Role.FAMILY.value


def may_be_in_room(conference_id: int, user_id: int) -> bool:
    with reading() as session:
        return agenda_service.family_may_be_in_room(session, user_id, conference_id)


def check_admission(seat: Seat, target: video.ParticipantView) -> None:
    """ControlRefused when `target` is a family member whose relative's case is not under discussion."""
    if is_family(target) and not may_be_in_room(seat.conference_id, target.user_id):
        raise video.ControlRefused(NOT_YET_MESSAGE)


def send_back_others(identity: Identity, seat: Seat) -> None:
    """After the meeting moved on: every family member in the room whose relative's case it no longer is
    goes back to the lobby."""
    backend = hub()
    for participant in backend.snapshot(seat.room_id).participants:
        if participant.state is not video.ParticipantState.IN_ROOM or not is_family(participant):
            continue
        if may_be_in_room(seat.conference_id, participant.user_id):
            continue
        # Refused when this page's owner is not (or no longer) a moderator: the family member's own bar then
        # sends them back on its next poll.
        with contextlib.suppress(video.ControlRefused):
            backend.return_to_lobby(seat.room_id, seat.participant_id, participant.participant_id)


def keep_to_own_case(seat: Seat, state: video.ParticipantState) -> bool:
    """On a family member's own page: back to the lobby if their relative's case is no longer the one under
    discussion. True when it sent them back."""
    if state is not video.ParticipantState.IN_ROOM or not is_family(seat.person):
        return False
    if may_be_in_room(seat.conference_id, seat.person.user_id):
        return False
    hub().return_to_lobby(seat.room_id, seat.participant_id, seat.participant_id)
    return True


def note_in_room(seat: Seat) -> None:
    """This seat has been in the room: should it come back to the lobby, it was sent back."""
    st.session_state[SENT_BACK_KEY] = seat.participant_id


def was_sent_back(seat: Seat) -> bool:
    """Whether this seat waits in the lobby after having been in the room (the lobby then says why)."""
    return st.session_state.get(SENT_BACK_KEY) == seat.participant_id


__all__ = [
    "NOT_YET_MESSAGE",
    "SENT_BACK_KEY",
    "check_admission",
    "keep_to_own_case",
    "may_be_in_room",
    "note_in_room",
    "send_back_others",
    "was_sent_back",
]
