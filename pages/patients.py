"""Patients: the list of my patients, and one patient's record summary with their alerts."""

import streamlit as st

from auth.permissions import PageId
from auth.refusal import Refusal
from components import alert_list, conference_outcomes, patient_list, patient_summary, refusals
from db.engine import transaction
from portal import clock
from portal.gate import require_page
from services.agenda import last_conference
from services.alerts import patient_alerts, sweep_missed_checkins_when_due
from services.records import my_patients, patient_record
from services.symptom_views import PatientTrends, patient_trends

identity = require_page(PageId.PATIENTS)

st.title("Patients")

with transaction() as session:
    # Missed check-ins have no check-in to raise them: the care team opening the list is when we look.
    sweep_missed_checkins_when_due(session, clock.now())
    rows = my_patients(session, identity)
chosen = patient_list.show(rows, clock.now().date(), key="patients")

if chosen is not None:
    try:
        with transaction() as session:
            record = patient_record(session, identity, chosen, clock.now())
            alerts = patient_alerts(session, identity, chosen)
            last = last_conference(session, identity, chosen)
    except Refusal as refusal:
        refusals.show(refusal)
    else:

        def load_trends(window_days: int) -> PatientTrends:
            with transaction() as session:
                return patient_trends(session, identity, record.patient.id, window_days, clock.now())

        patient_summary.show(record, trends_loader=load_trends)
        conference_outcomes.last_conference(last)
        request = alert_list.show(
            alerts.not_actioned,
            key="patient_alerts",
            title="Alerts not yet actioned",
            group_by_patient=False,
            empty="No alerts waiting for this patient.",
        )
        alert_list.show_actioned(alerts.recently_actioned)
        alert_list.carry_out(identity, request, key="patient_alerts")
