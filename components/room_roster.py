"""The video room's plain Streamlit pieces: the meeting chooser, the participant list with its controls, and
the lobby. No media and no decisions here: each function shows what it is given and returns what the person
clicked; components/video_room.py carries it out (the hub refuses what a role may not do).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from clinical.roles import parse_role
from components.plain_text import md_escape
from media.backend import ParticipantState, ParticipantView, RoomSnapshot
from services.meetings import MeetingChoice

WAITING_MESSAGE = "Please wait: someone from the care team will let you in shortly."


class Control(enum.StrEnum):
    """What a button in the room asks for."""

    MIC_OFF = "mic_off"
    MIC_ON = "mic_on"
    CAMERA_OFF = "camera_off"
    CAMERA_ON = "camera_on"
    LEAVE = "leave"
    END = "end"
    ADMIT = "admit"
    DECLINE = "decline"
    MUTE = "mute"
    REMOVE = "remove"


@dataclass(frozen=True)
class Click:
    control: Control
    participant: ParticipantView | None = None  # whom a clinician's control is about; None for own controls


def role_label(role: str) -> str:
    parsed = parse_role(role)
    return parsed.label if parsed is not None else role


def choose(choices: Sequence[MeetingChoice], preselected: int | None, *, key: str) -> MeetingChoice | None:
    """Pick a meeting and press Join. Returns the meeting when Join was pressed, else None."""
    if not choices:
        st.write("There is no meeting you can join at the moment.")
        return None
    ids = [c.conference_id for c in choices]
    by_id = {c.conference_id: c for c in choices}
    index = ids.index(preselected) if preselected in by_id else 0

    def label(conference_id: int) -> str:
        c = by_id[conference_id]
        return f"{c.title} · {c.starts_at:%a %d %b, %H:%M}–{c.ends_at:%H:%M} UTC"

    chosen_id = st.selectbox("Meeting", ids, index=index, format_func=label, key=f"{key}.meeting")
    chosen = by_id[chosen_id]
    if chosen.patient_labels:
        st.caption("About: " + ", ".join(md_escape(label) for label in chosen.patient_labels))
    if not chosen.on_care_team:
        st.caption("You will wait in the lobby until someone from the care team lets you in.")
    if st.button("Join", type="primary", key=f"{key}.join"):
        return chosen
    return None


def _media_line(p: ParticipantView) -> str:
    mic = "microphone on" if p.mic_on else "microphone off"
    if not p.mic_on and p.muted_by:
        mic = f"muted by {md_escape(p.muted_by)}"
    camera = "camera on" if p.camera_on else "camera off"
    return f"{mic} · {camera}"


def participants(snapshot: RoomSnapshot, me: ParticipantView, *, moderator: bool, key: str) -> Click | None:
    """Everyone in the room and in the lobby. A moderator (a clinician in the room) gets Mute and Remove
    per participant, and Admit and Decline per person waiting. Returns the button pressed, if any."""
    clicked: Click | None = None
    in_room = [p for p in snapshot.participants if p.state is ParticipantState.IN_ROOM]
    waiting = [p for p in snapshot.participants if p.state is ParticipantState.LOBBY]

    st.subheader(f"In the room ({len(in_room)})")
    for p in in_room:
        you = " (you)" if p.participant_id == me.participant_id else ""
        with st.container(border=True):
            st.markdown(f"**{md_escape(p.display_name)}**{you} · {role_label(p.role)}")
            st.caption(f"Joined {p.joined_at:%H:%M} UTC · {_media_line(p)}")
            if moderator and p.participant_id != me.participant_id:
                mute, remove = st.columns(2)
                if mute.button("Mute", key=f"{key}.mute.{p.participant_id}", disabled=not p.mic_on):
                    clicked = Click(Control.MUTE, p)
                if remove.button("Remove", key=f"{key}.remove.{p.participant_id}"):
                    clicked = Click(Control.REMOVE, p)

    if waiting or moderator:
        st.subheader(f"Waiting in the lobby ({len(waiting)})")
        if not waiting:
            st.caption("Nobody is waiting.")
    for p in waiting:
        you = " (you)" if p.participant_id == me.participant_id else ""
        with st.container(border=True):
            st.markdown(f"**{md_escape(p.display_name)}**{you} · {role_label(p.role)}")
            st.caption(f"Waiting since {p.joined_at:%H:%M} UTC")
            if moderator:
                admit, decline = st.columns(2)
                if admit.button("Admit", type="primary", key=f"{key}.admit.{p.participant_id}"):
                    clicked = Click(Control.ADMIT, p)
                if decline.button("Decline", key=f"{key}.decline.{p.participant_id}"):
                    clicked = Click(Control.DECLINE, p)
    return clicked


def own_controls(me: ParticipantView, *, moderator: bool, key: str) -> Click | None:
    """The person's own microphone, camera and Leave; End meeting for a moderator. In the lobby, only a
    way to give up waiting."""
    if me.state is ParticipantState.LOBBY:
        if st.button("Leave the lobby", key=f"{key}.leave_lobby"):
            return Click(Control.LEAVE)
        return None
    clicked: Click | None = None
    mic, camera = st.columns(2)
    leave, end = st.columns(2)
    if me.mic_on:
        if mic.button("Mute microphone", key=f"{key}.mic_off"):
            clicked = Click(Control.MIC_OFF)
    elif mic.button("Unmute microphone", key=f"{key}.mic_on"):
        clicked = Click(Control.MIC_ON)
    if me.camera_on:
        if camera.button("Turn camera off", key=f"{key}.camera_off"):
            clicked = Click(Control.CAMERA_OFF)
    elif camera.button("Turn camera on", key=f"{key}.camera_on"):
        clicked = Click(Control.CAMERA_ON)
    if leave.button("Leave", icon=":material/logout:", key=f"{key}.leave"):
        clicked = Click(Control.LEAVE)
    if moderator and end.button("End meeting", type="primary", icon=":material/call_end:", key=f"{key}.end"):
        clicked = Click(Control.END)
    return clicked


def lobby(me: ParticipantView) -> None:
    """What someone waiting sees: the plain waiting message (Leave the lobby is in the call bar)."""
    st.info(WAITING_MESSAGE, icon=":material/hourglass_top:")
    st.text(f"Waiting since {me.joined_at:%H:%M} UTC as {me.display_name} ({role_label(me.role)}).")


__all__ = [
    "WAITING_MESSAGE",
    "Click",
    "Control",
    "choose",
    "lobby",
    "own_controls",
    "participants",
    "role_label",
]
