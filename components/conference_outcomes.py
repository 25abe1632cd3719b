"""What conferences decided, where people look for it afterwards: on a patient's record, the last conference's
decision and actions; on a clinician's Home, the actions conferences gave them.

Decisions and actions are text people typed, so they are shown with st.text or escaped, never as Markdown.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from components.outcome_panel import describe
from components.plain_text import md_escape
from services.agenda import LastConference, MyAction


def last_conference(last: LastConference | None) -> None:
    """The patient record's "Last conference: 8 Dec. Decision … Actions …"."""
    st.subheader("Last conference")
    if last is None:
        st.write("No conference has recorded an outcome for this patient yet.")
        return
    outcome = last.outcome
    with st.container(border=True):
        st.markdown(
            f"**{last.held_on:%d %b %Y}** · {md_escape(last.title)} · {describe(outcome)}"
            f" (version {outcome.version})"
        )
        if outcome.summary:
            st.caption("Decision")
            st.text(outcome.summary)
        st.caption("Actions")
        if last.actions:
            st.text("\n".join(f"• {action}" for action in last.actions))
        else:
            st.text("No actions were agreed.")
        if outcome.present:
            st.caption(f"Present: {md_escape(', '.join(outcome.present))}")


def my_actions(actions: list[MyAction], today: dt.date) -> None:
    """A clinician's open actions from conferences: what, for whom, by when."""
    st.subheader("My actions from conferences")
    if not actions:
        st.write("No open actions from conferences.")
        return
    for action in actions:
        if action.due_date is None:
            due = "no due date"
        elif action.due_date < today:
            due = f"overdue: was due {action.due_date:%d %b}"
        else:
            due = f"due {action.due_date:%d %b}"
        with st.container(border=True):
            st.markdown(f"**{md_escape(action.patient_label)}** · {due}")
            st.text(action.description)
            st.caption(f"Agreed at {md_escape(action.conference_title)}, {action.decided_on:%d %b %Y}")


__all__ = ["last_conference", "my_actions"]
