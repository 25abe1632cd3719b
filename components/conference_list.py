"""Upcoming conferences: with their agendas for the care team, as invitations for a family."""

from __future__ import annotations

import streamlit as st

from components.plain_text import md_escape
from services.meetings import MeetingChoice
from services.records import ConferenceSummary

NO_FAMILY_MEETINGS = (
    "When the care team invites you to a family meeting, it will appear here with the time and a link "
    "to join."
)


def show(conferences: list[ConferenceSummary]) -> None:
    st.subheader("Upcoming conferences")
    if not conferences:
        st.write("No upcoming conferences involve you or your patients.")
        return
    for summary in conferences:
        c = summary.conference
        when = f"{c.starts_at:%a %d %b %Y, %H:%M}–{c.ends_at:%H:%M} UTC"
        with st.container(border=True):
            st.markdown(f"**{md_escape(c.title)}**  \n{when}")
            if not summary.agenda:
                st.caption("No cases on the agenda yet.")
            for line in summary.agenda:
                st.markdown(
                    f"{line.order}. **{md_escape(line.patient_label)}** · "
                    f"presented by {md_escape(line.presenter)} · {line.time_box_minutes} min"
                )
                if line.question:
                    st.caption(md_escape(line.question))


def show_invitations(meetings: list[MeetingChoice]) -> None:
    """A family member's meetings: when, about whom, and a link that opens the room with it chosen."""
    st.subheader("Your family meetings")
    if not meetings:
        st.write(NO_FAMILY_MEETINGS)
        return
    for meeting in meetings:
        with st.container(border=True):
            st.markdown(
                f"**{md_escape(meeting.title)}**  \n"
                f"{meeting.starts_at:%A %d %B %Y, %H:%M}–{meeting.ends_at:%H:%M} UTC"
            )
            if meeting.patient_labels:
                st.write(f"About: {md_escape(', '.join(meeting.patient_labels))}")
            st.page_link(
                "pages/conference_room.py",
                label="Go to the meeting",
                icon=":material/videocam:",
                query_params={"conference": str(meeting.conference_id)},
            )
            st.caption("You wait in the lobby until someone from the care team lets you in.")
