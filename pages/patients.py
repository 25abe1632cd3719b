"""Patients: the list of my patients, and one patient's record summary."""

import streamlit as st

from access.records import AccessDenied, my_patients, patient_record
from access.roles import PageId
from components import clock, patient_list, patient_summary
from components.gate import require_page
from db.engine import transaction

identity = require_page(PageId.PATIENTS)

st.title("Patients")

with transaction() as session:
    rows = my_patients(session, identity)
chosen = patient_list.show(rows, clock.now().date(), key="patients")

if chosen is not None:
    try:
        with transaction() as session:
            record = patient_record(session, identity, chosen, clock.now())
    except AccessDenied as denied:
        st.error(str(denied))
    else:
        patient_summary.show(record)
