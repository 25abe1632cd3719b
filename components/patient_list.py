"""The patient list, and the choice of which record to open."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from services.records import PatientRow

COLUMNS = {
    "Open alerts": st.column_config.NumberColumn(help="Alerts not yet actioned", width="small"),
    "Age": st.column_config.NumberColumn(width="small"),
}


def _age(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def show(rows: list[PatientRow], today: dt.date, *, key: str) -> int | None:
    """Shows the list; returns the id of the patient whose record the user chose to open, if any."""
    if not rows:
        st.write("You are not on the care team of any patient yet.")
        return None
    # What a clinician triages by comes first, so it is in view without scrolling sideways on a laptop: open
    # alerts and the last check-in; the long diagnosis last.
    table = pd.DataFrame(
        {
            "Name": [r.patient.full_name for r in rows],
            "Record number": [r.patient.mrn for r in rows],
            "Open alerts": [r.open_alerts for r in rows],
            "Last check-in": [
                r.last_checkin.strftime("%d %b %Y") if r.last_checkin else "Never" for r in rows
            ],
            "Phase": [r.patient.pcoc_phase.value.capitalize() for r in rows],
            "Age": [_age(r.patient.birth_date, today) for r in rows],
            "Diagnosis": [r.patient.diagnosis for r in rows],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch", column_config=COLUMNS)
    labels = {r.patient.id: f"{r.patient.full_name} ({r.patient.mrn})" for r in rows}
    chosen = st.selectbox(
        "Open a patient's record",
        options=list(labels),
        format_func=labels.__getitem__,
        index=None,
        placeholder="Choose a patient",
        key=f"{key}.open",
    )
    return chosen
