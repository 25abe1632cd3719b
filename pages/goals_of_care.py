"""Goals of care: one patient's goals-of-care record with its versions, the conference plan, the team's
sign-off, the family's amendment requests, and a printable summary for the family once it is final."""

import streamlit as st

from auth.permissions import PageId
from auth.refusal import Refusal
from components import (
    amendments_panel,
    case_panels,
    family_summary,
    goals_of_care_form,
    goals_of_care_history,
    refusals,
)
from db.engine import transaction
from portal.gate import require_page
from services.records import my_patients

identity = require_page(PageId.GOALS_OF_CARE)

st.title("Goals of care")

with transaction() as session:
    rows = my_patients(session, identity)
patients = {r.patient.id: r.patient for r in rows}
patient_id = st.selectbox(
    "Patient",
    list(patients),
    format_func=lambda pid: f"{patients[pid].full_name} ({patients[pid].mrn})",
    index=None,
    placeholder="Choose a patient from your care team",
    key="goc.patient",
)
if patient_id is None:
    if not rows:
        st.info("You are not on the care team of any patient yet.")
    st.stop()

conference_key = f"goc.{patient_id}.conference"
try:
    material = case_panels.load(identity, patient_id, st.session_state.get(conference_key))
except Refusal as refusal:
    refusals.show(refusal)
    st.stop()
record, plan = material.record, material.plan

# A final record's plan and sign-off are those of the conference where the team signed it off.
if record.final_conference_id is None and material.conferences:
    conferences = {c.conference_id: f"{c.title}, {c.starts_at:%d %b %Y}" for c in material.conferences}
    st.selectbox(
        "Conference (the plan and the sign-off belong to it)",
        list(conferences),
        index=list(conferences).index(material.conference_id) if material.conference_id in conferences else 0,
        format_func=conferences.__getitem__,
        key=conference_key,
    )

goals_of_care_form.final_banner(record)
amendments_panel.waiting_banner(record.amendments)
key = f"goc.{patient_id}"
# Fixed labels and a key, so the open tab stays open across reruns.
record_tab, history_tab, plan_tab, signoff_tab, amendments_tab, family_tab = st.tabs(
    ["Record", "History", "Plan", "Sign-off", "Amendments", "Family summary"], key=f"{key}.tabs"
)
with record_tab:
    case_panels.goals_of_care(identity, material, key=key)
with history_tab:
    goals_of_care_history.show(identity, record, key=f"{key}.history")
with plan_tab:
    case_panels.plan(identity, material, key=key)
with signoff_tab:
    case_panels.sign_off(identity, material, key=key)
with amendments_tab:
    amendments_panel.show(identity, record, key=f"{key}.amendments", form_key=f"{key}.form")
with family_tab:
    family_summary.show(identity, patients[patient_id].full_name, record, plan, key=f"{key}.family")
