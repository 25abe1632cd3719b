"""The audit report's filters, its table, and the table as a CSV file for a spreadsheet."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from auth.audit import ACTIONS
from db.models import AuditEvent, User


@dataclass(frozen=True)
class ReportFilter:
    actor_user_id: int | None
    patient_id: int | None
    actions: list[str]
    since: dt.datetime
    until: dt.datetime


def filters(users: Sequence[User], today: dt.date, *, key: str) -> ReportFilter:
    # The date range needs room for both dates ("2026/10/31 – 2026/11/30"); the others are short.
    cols = st.columns([2, 2, 2, 3])
    labels = {u.id: f"{u.display_name} ({u.username})" for u in users}
    actor = cols[0].selectbox(
        "User",
        list(labels),
        format_func=labels.__getitem__,
        index=None,
        placeholder="Anyone",
        key=f"{key}.user",
    )
    patient = cols[1].number_input(
        "Patient id", min_value=1, step=1, value=None, placeholder="Any patient", key=f"{key}.patient"
    )
    actions = cols[2].multiselect("Action", sorted(ACTIONS), placeholder="Any action", key=f"{key}.actions")
    period = cols[3].date_input("Between", value=(today - dt.timedelta(days=30), today), key=f"{key}.period")
    start, end = period if isinstance(period, tuple) and len(period) == 2 else (period, period)  # type: ignore[misc]
    since = dt.datetime.combine(start, dt.time.min, dt.UTC)
    until = dt.datetime.combine(end, dt.time.min, dt.UTC) + dt.timedelta(days=1)
    return ReportFilter(actor, int(patient) if patient else None, actions, since, until)


def to_frame(events: Sequence[AuditEvent]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Event id": [e.id for e in events],
            "When (UTC)": [e.occurred_at.strftime("%Y-%m-%d %H:%M:%S") for e in events],
            "User": [e.actor_name for e in events],
            "User id": [e.actor_user_id for e in events],
            "Action": [e.action for e in events],
            "Patient id": [e.patient_id for e in events],
            "Target": [f"{e.target_type} {e.target_id}" if e.target_type else "" for e in events],
            "Details": [", ".join(f"{k}={v}" for k, v in sorted(e.details.items())) for e in events],
        }
    )


# A spreadsheet reads a cell that starts with one of these as a formula (OWASP, "CSV injection"): a typed
# user name of =HYPERLINK(...) in a failed sign-in would become a live link in the administrator's sheet.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A cell as a spreadsheet shows it, never runs it: text that could start a formula gets a leading
    apostrophe, which spreadsheets read as "this is text" and do not display."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(table: pd.DataFrame) -> bytes:
    """The report as UTF-8 CSV with every cell and heading made spreadsheet-safe."""
    safe = table.map(spreadsheet_safe)
    safe.columns = [spreadsheet_safe(str(column)) for column in table.columns]
    return safe.to_csv(index=False).encode("utf-8")
