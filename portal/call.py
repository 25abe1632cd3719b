"""The call this browser session is in: its seat, the message it leaves behind, and hanging up.

A seat is held in the session, not in a page, so the call goes on while its owner moves between pages
(components/call_bar.py draws it on every page). Anything that ends a signed-in session hangs up first
(portal/gate.py: sign-out and time-out), so a seat never outlives the person who took it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st

from auth.identity import Identity
from db.engine import transaction
from media import backend as video
from portal import clock
from portal.room_hub import hub
from services import meetings

SEAT_KEY = "vesper.room.seat"
NOTICE_KEY = "vesper.room.notice"


@dataclass(frozen=True)
class Seat:
    conference_id: int
    title: str
    room_id: str
    participant_id: str
    person: video.Person


def current_seat(identity: Identity | None = None) -> Seat | None:
    """This session's seat; None when there is none, or when it is not `identity`'s own (given)."""
    seat: Seat | None = st.session_state.get(SEAT_KEY)
    if seat is not None and identity is not None and seat.person.user_id != identity.user_id:
        return None
    return seat


def take_notice() -> tuple[str, str] | None:
    """A message from the last room this person was in ("info" or "warning", text), shown once."""
    return st.session_state.pop(NOTICE_KEY, None)


def leave_seat(kind: str, message: str) -> None:
    """Forget the seat (the hub already let it go) and leave `message` for the next page drawn."""
    st.session_state.pop(SEAT_KEY, None)
    st.session_state[NOTICE_KEY] = (kind, message)


def record_event(
    seat: Seat,
    event: str,
    identity: Identity | None,
    subject: video.ParticipantView | video.Person,
    now: dt.datetime,
) -> None:
    """Write a room event (attendance and the audit trail) about `subject`, done by `identity`."""
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


def in_room(seat: Seat) -> bool:
    """Whether this seat is in the room itself now (not waiting in the lobby, not gone)."""
    return any(
        p.participant_id == seat.participant_id and p.state is video.ParticipantState.IN_ROOM
        for p in hub().snapshot(seat.room_id).participants
    )


def hang_up(identity: Identity | None) -> None:
    """Leave the meeting this session sits in, if any, recorded as "left": for sign-out and time-out."""
    seat: Seat | None = st.session_state.pop(SEAT_KEY, None)
    if seat is None:
        return
    backend = hub()
    present = {
        p.participant_id
        for p in backend.snapshot(seat.room_id).participants
        if p.state in (video.ParticipantState.IN_ROOM, video.ParticipantState.LOBBY)
    }
    if seat.participant_id not in present:
        return  # already out (ended, removed, dropped): that was recorded when it happened
    backend.leave(seat.room_id, seat.participant_id)
    record_event(seat, "left", identity, seat.person, clock.now())


__all__ = [
    "NOTICE_KEY",
    "SEAT_KEY",
    "Seat",
    "current_seat",
    "hang_up",
    "leave_seat",
    "record_event",
    "take_notice",
]
