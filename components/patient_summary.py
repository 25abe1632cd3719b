"""One patient's record summary: who they are, who cares for them, and how their symptoms are."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from auth.refusal import Refusal
from clinical import esas
from components import refusals, symptom_charts
from components.plain_text import md_escape
from components.severity import badge
from services.records import PatientRecord
from services.symptom_views import PatientTrends


def show(
    record: PatientRecord,
    *,
    trends_loader: Callable[[int], PatientTrends] | None = None,
    trends: PatientTrends | None = None,
    key: str = "summary",
) -> int | None:
    """Draw the summary. Returns the trend window the person chose (days), or None if no trends shown.

    trends_loader(window_days) loads the trends for the window chosen here (the page passes a function that
    opens a transaction and calls services.symptom_views.patient_trends). Alternatively pass `trends` already
    loaded: they are drawn as they are, with no window choice.
    """
    p = record.patient
    st.header(f"{md_escape(p.full_name)} ({md_escape(p.mrn)})", anchor=False)
    # Plain words that wrap, not st.metric: a metric's large value is cut short ("Deteriorat...") in a
    # quarter of a laptop screen, and the phase of care is the word the team reads first.
    facts = (
        ("Phase of care", p.pcoc_phase.value.capitalize()),
        ("Born", f"{p.birth_date:%d %b %Y}"),
        ("Language", p.preferred_language + (", interpreter needed" if p.interpreter_needed else "")),
        ("Check-in every", f"{p.checkin_interval_days} days"),
    )
    for column, (label, value) in zip(st.columns(len(facts)), facts, strict=True):
        with column:
            st.caption(label)
            st.markdown(f"**{md_escape(value)}**")
    st.write(f"**Diagnosis:** {md_escape(p.diagnosis)}")

    _latest_symptoms(record)
    window = _trends(trends_loader, trends, key)

    left, right = st.columns(2)
    with left:
        st.subheader("Care team")
        for member in record.care_team:
            st.write(f"{md_escape(member.display_name)} · {member.role.label if member.role else 'no role'}")
    with right:
        st.subheader("Family and surrogate")
        if not record.family:
            st.write("No family contacts recorded.")
        for contact in record.family:
            surrogate = " · **surrogate decision-maker**" if contact.is_surrogate else ""
            st.write(f"{md_escape(contact.name)} ({md_escape(contact.relationship_to_patient)}){surrogate}")

    st.subheader("Coming up in case conferences")
    if not record.upcoming_cases:
        st.write("Not on an upcoming conference agenda.")
    for case, conference in record.upcoming_cases:
        st.write(
            f"{conference.starts_at:%a %d %b %H:%M} UTC · {md_escape(conference.title)}: "
            f"{md_escape(case.question)}"
        )
    return window


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
        rows.append(f"Other ({md_escape(latest.other_problem)}): {badge(latest.other_score)}")
    half = (len(rows) + 1) // 2
    a, b = st.columns(2)
    a.markdown("  \n".join(rows[:half]))
    b.markdown("  \n".join(rows[half:]))
    st.caption(esas.ACKNOWLEDGEMENT)


def _trends(
    loader: Callable[[int], PatientTrends] | None, trends: PatientTrends | None, key: str
) -> int | None:
    if loader is None and trends is None:
        return None
    st.subheader("Symptom trends (ESAS-r)")
    if trends is None:
        assert loader is not None
        window = symptom_charts.window_selector(key=key)
        try:
            trends = loader(window)
        except Refusal as refusal:
            refusals.show(refusal)
            return None
    symptom_charts.show_patient_trends(trends, key=key)
    return trends.window_days
