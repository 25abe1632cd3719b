"""The meeting's agenda in the room: every case in order with its presenter, time box, question and status,
the time spent on the case under discussion against its time box, and, for the chair (or the presenter the
chair handed over to), the buttons that move the meeting on.

The table is an st.table, whose cells are text in the page (an st.dataframe draws on a canvas, which screen
readers and page search cannot read); it renders Markdown, so every typed word in it is escaped. A status
is a word with its symbol, never a colour alone.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from components.plain_text import md_escape, plain_table
from db.models import AgendaStatus
from portal import clock
from services.agenda import Agenda, AgendaItem

STATUS_WORDS: dict[AgendaStatus, str] = {
    AgendaStatus.TO_DISCUSS: "○ To discuss",
    AgendaStatus.UNDER_DISCUSSION: "▶ Under discussion",
    AgendaStatus.DISCUSSED: "✓ Discussed",
    AgendaStatus.DEFERRED: "↷ Deferred",
    AgendaStatus.NOT_REACHED: "– Not reached",
}
NEXT_CASE = "Next case"
START_AGENDA = "Start with the first case"
OPEN_CASE = "Open this case instead"
HAND_OVER = "Hand over"
QUESTION_CHARS = 70


class Steer(enum.Enum):
    NEXT = enum.auto()
    OPEN = enum.auto()
    HAND_OVER = enum.auto()


@dataclass(frozen=True)
class SteerClick:
    action: Steer
    expected_current: int | None  # the case this screen showed as current when the button was pressed
    case_id: int | None = None  # OPEN: the case to open
    to_user_id: int | None = None  # HAND_OVER: the new lead (None: the chair takes the lead back)


def status_words(item: AgendaItem) -> str:
    return STATUS_WORDS[item.status]


def table(agenda: Agenda) -> pd.DataFrame:
    """The agenda as rows of text, as typed (st.table is given it through plain_table). A question is cut
    to a line here: the case under discussion shows it whole, under its heading."""
    current = agenda.current_case_id
    return pd.DataFrame(
        [
            {
                "": "Now" if item.case_id == current else "",
                "#": str(item.order),
                "Patient": item.patient_label,
                "Presenter": item.presenter_name,
                "Time box": f"{item.time_box_minutes} min",
                "Question for the team": _short(item.question),
                "Status": status_words(item),
            }
            for item in agenda.items
        ]
    )


def _short(text: str) -> str:
    return text if len(text) <= QUESTION_CHARS else text[: QUESTION_CHARS - 1].rstrip() + "…"


def time_line(agenda: Agenda, now: dt.datetime) -> None:
    """The case under discussion: which of how many, and the minutes spent against its time box."""
    item = agenda.current
    if item is None:
        st.caption("The meeting has not opened a case yet.")
        return
    spent, box = agenda.minutes_spent(now), item.time_box_minutes
    position = f"Case {item.order} of {len(agenda.items)}"
    if spent > box:
        text = f"{position} · {spent} min of {box}: over its time box by {spent - box} min"
    else:
        text = f"{position} · {spent} min of {box}"
    st.progress(min(1.0, spent / box) if box else 1.0, text=text)


def show(agenda: Agenda, user_id: int, *, key: str) -> SteerClick | None:
    """The agenda; returns what the chair or lead pressed, if anything."""
    lead = agenda.lead_name or agenda.chair_name
    st.markdown(
        f"**Agenda** · chaired by {md_escape(agenda.chair_name)}"
        + (f", led now by {md_escape(lead)}" if agenda.lead_id is not None else "")
    )
    st.table(plain_table(table(agenda)), hide_index=True)
    time_line(agenda, clock.now())
    if not agenda.may_steer(user_id):
        st.caption(f"{md_escape(lead)} moves the meeting from case to case; your workspace follows.")
        return None
    return _steering(agenda, user_id, key)


def _steering(agenda: Agenda, user_id: int, key: str) -> SteerClick | None:
    current = agenda.current
    expected = agenda.current_case_id
    waiting = [i for i in agenda.items if i.status is AgendaStatus.TO_DISCUSS]
    next_column, other_column, hand_column = st.columns([2, 3, 3], vertical_alignment="bottom")
    with next_column:
        label = START_AGENDA if current is None else NEXT_CASE
        if st.button(label, type="primary", icon=":material/skip_next:", key=f"{key}.next", width="stretch"):
            return SteerClick(Steer.NEXT, expected)
    with other_column:
        choices = {i.case_id: f"{i.order}. {i.patient_label} ({status_words(i)})" for i in agenda.items}
        chosen = st.selectbox(
            "Or open another case",
            list(choices),
            format_func=choices.__getitem__,
            index=None,
            placeholder="Choose a case",
            key=f"{key}.other",
        )
        if st.button(OPEN_CASE, key=f"{key}.open", disabled=chosen is None):
            return SteerClick(Steer.OPEN, expected, case_id=chosen)
    if user_id == agenda.chair_id:
        with hand_column:
            people = {None: f"{agenda.chair_name} (chair)"} | {
                i.presenter_id: i.presenter_name for i in agenda.items if i.presenter_id != agenda.chair_id
            }
            to = st.selectbox(
                "Who leads the meeting",
                list(people),
                index=list(people).index(agenda.lead_id) if agenda.lead_id in people else 0,
                format_func=people.__getitem__,
                key=f"{key}.lead",
            )
            if to != agenda.lead_id and st.button(HAND_OVER, key=f"{key}.hand"):
                return SteerClick(Steer.HAND_OVER, expected, to_user_id=to)
    if current is not None and current.outcome is None:
        st.caption("Record this case's outcome (the Outcome tab) before moving on.")
    elif current is not None and not waiting:
        st.caption("Every case has been opened: record any outcome still missing, then end the meeting.")
    return None


__all__ = ["NEXT_CASE", "START_AGENDA", "STATUS_WORDS", "Steer", "SteerClick", "show", "table", "time_line"]
