"""Upcoming conferences with their agendas."""

from __future__ import annotations

import streamlit as st

from access.records import ConferenceSummary


def show(conferences: list[ConferenceSummary]) -> None:
    st.subheader("Upcoming conferences")
    if not conferences:
        st.write("No upcoming conferences involve you or your patients.")
        return
    for summary in conferences:
        c = summary.conference
        when = f"{c.starts_at:%a %d %b %Y, %H:%M}–{c.ends_at:%H:%M} UTC"
        with st.container(border=True):
            st.markdown(f"**{c.title}**  \n{when}")
            if not summary.agenda:
                st.caption("No cases on the agenda yet.")
            for line in summary.agenda:
                st.markdown(
                    f"{line.order}. **{line.patient_label}** · presented by {line.presenter} · "
                    f"{line.time_box_minutes} min"
                )
                if line.question:
                    st.caption(line.question)
