"""Conference room: choose a meeting and join it (clinicians on the care team directly, everyone else through
the lobby); once in, the participant list with a moderator's controls and, for the care team, the meeting's
workspace: the agenda and the case under discussion (components/meeting_workspace.py). The call itself
(video, own controls) is the call bar above every page, drawn by app.py."""

import streamlit as st

from auth.permissions import PageId
from auth.refusal import Refusal
from clinical.roles import CLINICAL_ROLES
from components import meeting_workspace, refusals, room_roster, video_room
from components.plain_text import md_escape
from db.engine import transaction
from media.backend import JoinOutcome
from portal import call, clock
from portal.gate import require_page
from services.meetings import joinable_conferences

identity = require_page(PageId.CONFERENCE_ROOM)

st.title("Conference room")

seat = call.current_seat(identity)
if seat is not None:
    # Each in a container of its own: the number of people listed changes, and the workspace below holds
    # a polling fragment, which Streamlit finds by its place in the page. Had the list pushed the workspace
    # down, the fragment's next run would have drawn where its old place no longer exists, and the browser
    # would have given up on the page ("Bad delta path index").
    with st.container():
        video_room.show(identity, seat, key="room")
    if identity.role in CLINICAL_ROLES and call.in_room(seat):
        with st.container():
            meeting_workspace.show(identity, seat, key="room.workspace")
    st.stop()

with transaction() as session:
    choices = joinable_conferences(session, identity, clock.now())
requested = st.query_params.get("conference", "")
# A link from Home names the meeting; anything else in the address (a "²", a word) simply preselects none.
asked_for = int(requested) if requested.isascii() and requested.isdecimal() and len(requested) < 12 else None
chosen = room_roster.choose(choices, asked_for, key="room.choose")
if chosen is not None:
    try:
        result = video_room.join(identity, chosen.conference_id)
    except Refusal as refusal:
        refusals.show(refusal)
    else:
        if result.outcome in (JoinOutcome.JOINED, JoinOutcome.WAITING):
            st.rerun()
        elif result.outcome is JoinOutcome.ROOM_FULL:
            st.error(md_escape(result.message))
        else:
            st.info(md_escape(result.message))
