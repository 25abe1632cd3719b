"""The call bar: the meeting you are in, on every page, so the call goes on while you work elsewhere.

app.py draws it above every page, before the page itself. Streamlit keeps an element mounted from one run to
the next, across a page switch too, as long as the element keeps its place in the page and its key: so the
publisher (this browser's camera and microphone going to the hub) and each tile stay on the same peer
connections while their owner opens Goals of care, Patients or Home, and nobody watching sees a gap. For the
same reason everything in the bar has a fixed slot: the publisher first in its column, the tiles in a
container of their own.

The bar holds the meeting's name and the case under discussion, small live tiles of the others, this
person's own camera, their microphone, camera and Leave controls (End meeting for a moderator), and "Back
to the room". Its fragment polls the hub every POLL_SECONDS: that heartbeat is what keeps its owner in the
room (portal/room_hub.py drops a silent participant), and when something it or the page shows has changed
(someone came or went; on the room page also a microphone or camera), it reruns the page.
"""

from __future__ import annotations

from collections.abc import Hashable

import streamlit as st

from auth.identity import Identity
from clinical.roles import CLINICAL_ROLES
from components import media_tiles, refusals, room_roster, video_room
from components.plain_text import md_escape
from db.engine import reading
from media import backend as video
from portal import call, family_gate
from portal.gate import current_identity
from portal.room_hub import hub
from services import shared_view

POLL_SECONDS = 2.0
BAR_KEY = "vesper-call"
DRAWN_KEY = "vesper.call.drawn"
ROOM_PAGE = "pages/conference_room.py"
BACK_TO_ROOM = "Back to the room"


def show(identity: Identity, *, on_room_page: bool) -> None:
    """The bar, when this session sits in a meeting; otherwise the message the last meeting left, if any."""
    seat = call.current_seat(identity)
    if seat is None:
        notice = call.take_notice()
        if notice is not None:
            kind, message = notice
            (st.warning if kind == "warning" else st.info)(message)
        return
    backend = hub()
    state = backend.heartbeat(seat.room_id, seat.participant_id)
    if video_room.gone(seat, state) or family_gate.keep_to_own_case(seat, state):
        st.rerun()
    if state is video.ParticipantState.IN_ROOM:
        family_gate.note_in_room(seat)
    snapshot = backend.snapshot(seat.room_id)
    me = video_room.find(snapshot, seat.participant_id)
    if me is None:
        call.leave_seat("warning", video_room.DROPPED_MESSAGE)
        st.rerun()
    st.session_state[DRAWN_KEY] = _signature(state, snapshot, on_room_page)
    media = media_tiles.page_media(backend)
    with st.container(border=True, key=BAR_KEY):
        about, controls = st.columns([3, 2], gap="medium")
        with about:
            st.markdown(f"**{md_escape(seat.title)}**")
            _case_line(identity, seat)
            if not on_room_page:
                st.page_link(ROOM_PAGE, label=BACK_TO_ROOM, icon=":material/video_call:")
        with controls:
            _controls(identity, seat, on_room_page)
        tiles_column, own_column = st.columns([4, 1], gap="medium")
        with own_column:
            # First in its column, always: a component whose place changes is remounted, and a remount is a
            # new peer connection and a black gap for everyone watching this person.
            publisher_slot = st.container(key=f"{BAR_KEY}-publisher")
            _own_media(state, me)
            with publisher_slot:
                media.publish(seat.room_id, seat.participant_id)
        with tiles_column, st.container(key=f"{BAR_KEY}-tiles"):
            if state is video.ParticipantState.IN_ROOM:
                others = [
                    p
                    for p in snapshot.participants
                    if p.state is video.ParticipantState.IN_ROOM and p.participant_id != seat.participant_id
                ]
                media_tiles.tiles(media, seat.room_id, seat.participant_id, others)
            else:
                st.caption("You will see and hear the others once someone lets you in.")


def _signature(state: video.ParticipantState, snapshot: video.RoomSnapshot, on_room_page: bool) -> Hashable:
    """What the page shows of the room: when it changes, the page is drawn again."""
    if on_room_page:  # the participant list: everyone, with their microphone and camera
        people = tuple(
            (p.participant_id, p.state, p.mic_on, p.camera_on, p.muted_by) for p in snapshot.participants
        )
    else:  # the tiles only
        people = tuple(
            p.participant_id for p in snapshot.participants if p.state is video.ParticipantState.IN_ROOM
        )
    return (state, people)


def _case_line(identity: Identity, seat: call.Seat) -> None:
    """The case the team is looking at, for clinicians on its care team."""
    if identity.role not in CLINICAL_ROLES:
        return
    with reading() as session:
        case = shared_view.presented_case(session, identity, seat.conference_id)
    if case is None:
        st.caption("No case is on screen.")
    else:
        patient, presenter = case
        st.caption(f"Now: {md_escape(patient)} · presented by {md_escape(presenter)}")


def _own_media(state: video.ParticipantState, me: video.ParticipantView) -> None:
    """Under the publisher: this person's own camera, as only they see it."""
    if state is video.ParticipantState.IN_ROOM:
        if me.camera_on:
            # A small self-view, as every video call has: is my face in the picture, is the light right.
            media_tiles.camera_preview(caption=media_tiles.SELF_VIEW_CAPTION)
        else:
            # No self-view either: it would show a picture the others no longer see.
            st.caption("Your camera is off: the others do not see you.")
        st.caption(video_room.CONNECTED_MESSAGE)
    else:
        # The lobby: a preview only this browser plays; nothing from the room. The camera already flows to
        # the hub (which forwards it to nobody), so this person's tile starts at once when they are let in.
        # In a container of its own, so that being let in replaces it with the self-view (a fresh frame)
        # rather than keeping this one mounted through the redraw: a kept frame was seen to stay black.
        with st.container(key=f"{BAR_KEY}-lobby-preview"):
            media_tiles.camera_preview(caption=media_tiles.LOBBY_PREVIEW_CAPTION)
            st.caption(video_room.READY_MESSAGE)


@st.fragment(run_every=POLL_SECONDS)
def _controls(identity: Identity, seat: call.Seat, on_room_page: bool) -> None:
    """Polled every two seconds on every page: heartbeat, then this person's own controls. When what the page
    shows of the room has changed, or this person's own state did, the whole page is drawn again."""
    if call.current_seat(identity) != seat:
        return
    # Being in a meeting is activity: a nurse listening for twenty minutes has not walked away. This also
    # ends the call at once when the session has ended (time-out, sign-out in another tab).
    if current_identity() is None:
        st.rerun(scope="app")
    backend = hub()
    state = backend.heartbeat(seat.room_id, seat.participant_id)
    if family_gate.keep_to_own_case(seat, state):  # the team moved on to another person's case
        st.rerun(scope="app")
    snapshot = backend.snapshot(seat.room_id)
    if _signature(state, snapshot, on_room_page) != st.session_state.get(DRAWN_KEY):
        st.rerun(scope="app")
    me = video_room.find(snapshot, seat.participant_id)
    if me is None:
        return
    moderator = seat.person.clinician and state is video.ParticipantState.IN_ROOM
    click = room_roster.own_controls(me, moderator=moderator, key="vesper.call")
    if click is None:
        return
    try:
        video_room.apply(identity, seat, click, backend)
    except video.ControlRefused as refused:
        refusals.show(str(refused))
        return
    st.rerun(scope="app")


__all__ = ["BACK_TO_ROOM", "BAR_KEY", "POLL_SECONDS", "show"]
