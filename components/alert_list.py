"""Open alerts for the signed-in clinician's patients, one block per patient."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from db.models import Alert, AlertStatus, Patient

_STATUS = {AlertStatus.OPEN: ":red-badge[Open]", AlertStatus.ACKNOWLEDGED: ":orange-badge[Acknowledged]"}
SHOWN_PER_PATIENT = 3


def show(alerts: Sequence[tuple[Alert, Patient]], *, title: str = "My patients with open alerts") -> None:
    st.subheader(title)
    if not alerts:
        st.write("No open alerts for your patients.")
        return
    by_patient: dict[int, tuple[Patient, list[Alert]]] = {}
    for alert, patient in alerts:  # newest first, so each patient's list is newest first too
        by_patient.setdefault(patient.id, (patient, []))[1].append(alert)
    # Patients with unacknowledged alerts first: those are the ones nobody has looked at yet.
    ordered = sorted(
        by_patient.values(),
        key=lambda entry: (not any(a.status is AlertStatus.OPEN for a in entry[1]), entry[0].family_name),
    )
    for patient, patient_alerts in ordered:
        with st.container(border=True):
            waiting = sum(a.status is AlertStatus.OPEN for a in patient_alerts)
            st.markdown(
                f"**{patient.full_name}** ({patient.mrn}) · {len(patient_alerts)} not yet actioned"
                + (f", {waiting} not yet acknowledged" if waiting else "")
            )
            for alert in patient_alerts[:SHOWN_PER_PATIENT]:
                st.markdown(f"{_STATUS[alert.status]} {alert.message} · {alert.raised_at:%d %b %H:%M} UTC")
            if len(patient_alerts) > SHOWN_PER_PATIENT:
                st.caption(f"and {len(patient_alerts) - SHOWN_PER_PATIENT} more")
