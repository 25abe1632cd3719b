"""Conference room: choose a meeting and join it (clinicians on the care team directly, everyone else through
the lobby); once in, the participant list with a moderator's controls, and the shared case view. The call
itself (video, own controls) is the call bar above every page, drawn by app.py."""

import streamlit as st

from auth.permissions import PageId
from auth.refusal import Refusal
from components import refusals, room_roster, shared_case_view, video_room
from db.engine import transaction
from media.backend import JoinOutcome
from portal import call, clock
from portal.gate import require_page
from services.meetings import joinable_conferences

identity = require_page(PageId.CONFERENCE_ROOM)

st.title("Conference room")

seat = call.current_seat(identity)
if seat is not None:
    video_room.show(identity, seat, key="room")
    shared_case_view.show(identity, seat.conference_id, key="case")
    st.stop()

with transaction() as session:
    choices = joinable_conferences(session, identity, clock.now())
requested = st.query_params.get("conference", "")
chosen = room_roster.choose(choices, int(requested) if requested.isdigit() else None, key="room.choose")
if chosen is not None:
    try:
        result = video_room.join(identity, chosen.conference_id)
    except Refusal as refusal:
        refusals.show(refusal)
    else:
        if result.outcome in (JoinOutcome.JOINED, JoinOutcome.WAITING):
            st.rerun()
        elif result.outcome is JoinOutcome.ROOM_FULL:
            st.error(result.message)
        else:
            st.info(result.message)
