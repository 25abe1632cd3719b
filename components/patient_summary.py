"""One patient's record summary: who they are, who cares for them, and how their symptoms are."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from access.records import PatientRecord
from clinical import esas
from components.severity import badge


def show(record: PatientRecord) -> None:
    p = record.patient
    st.header(f"{p.full_name} ({p.mrn})")
    cols = st.columns(4)
    cols[0].metric("Phase of care", p.pcoc_phase.value.capitalize())
    cols[1].metric("Born", f"{p.birth_date:%d %b %Y}")
    cols[2].metric("Language", p.preferred_language + (" (interpreter)" if p.interpreter_needed else ""))
    cols[3].metric("Check-in every", f"{p.checkin_interval_days} days")
    st.write(f"**Diagnosis:** {p.diagnosis}")

    _latest_symptoms(record)
    _trend(record)

    left, right = st.columns(2)
    with left:
        st.subheader("Care team")
        for member in record.care_team:
            st.write(f"{member.display_name} · {member.role.label if member.role else 'no role'}")
    with right:
        st.subheader("Family and surrogate")
        if not record.family:
            st.write("No family contacts recorded.")
        for contact in record.family:
            surrogate = " · **surrogate decision-maker**" if contact.is_surrogate else ""
            st.write(f"{contact.name} ({contact.relationship_to_patient}){surrogate}")

    st.subheader("Coming up in case conferences")
    if not record.upcoming_cases:
        st.write("Not on an upcoming conference agenda.")
    for case, conference in record.upcoming_cases:
        st.write(f"{conference.starts_at:%a %d %b %H:%M} UTC · {conference.title}: {case.question}")


def _latest_symptoms(record: PatientRecord) -> None:
    st.subheader("Latest symptom check-in (ESAS-r)")
    if not record.assessments:
        st.write("No check-ins in the last 90 days.")
        return
    latest = record.assessments[-1]
    who = {"patient": "the patient", "family": "a family member (proxy)", "clinician": "a clinician"}
    st.caption(f"{latest.assessed_at:%d %b %Y %H:%M} UTC, completed by {who[latest.completed_by.value]}")
    rows = [f"{item.label}: {badge(getattr(latest, item.key))}" for item in esas.ITEMS]
    if latest.other_problem:
        rows.append(f"Other ({latest.other_problem}): {badge(latest.other_score)}")
    half = (len(rows) + 1) // 2
    a, b = st.columns(2)
    a.markdown("  \n".join(rows[:half]))
    b.markdown("  \n".join(rows[half:]))
    st.caption(esas.ACKNOWLEDGEMENT)


def _trend(record: PatientRecord) -> None:
    points = []
    for a in record.assessments:
        total = esas.scores({k: getattr(a, k) for k in esas.ITEM_KEYS}).total
        if total is not None:
            points.append({"When": a.assessed_at, "Total symptom distress (0-90)": total})
    if len(points) < 2:
        return
    chart = (
        alt.Chart(pd.DataFrame(points))
        .mark_line(point=True)
        .encode(
            x=alt.X("When:T", title=None),
            y=alt.Y("Total symptom distress (0-90):Q", scale=alt.Scale(domain=[0, 90])),
            tooltip=["When:T", "Total symptom distress (0-90):Q"],
        )
        .properties(height=220)
    )
    st.altair_chart(chart, width="stretch")
