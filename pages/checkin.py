"""Symptom check-in: a family member (or a clinician) answers the ESAS-r questions, one per screen."""

import streamlit as st

from auth.permissions import PageId
from auth.refusal import Refusal
from clinical.roles import CLINICAL_ROLES
from components import checkin_form
from db.engine import transaction
from portal import clock
from portal.gate import require_page
from services.checkins import completer_choices, patients_i_can_check_in_for, save_checkin

identity = require_page(PageId.CHECKIN)

st.title("Symptom check-in")

with transaction() as session:
    patients = patients_i_can_check_in_for(session, identity)
draft = checkin_form.show(
    patients, completer_choices(identity), clinician=identity.role in CLINICAL_ROLES, key="checkin"
)

if draft is not None:
    try:
        with transaction() as session:
            result = save_checkin(session, identity, draft, clock.now())
    except Refusal as refusal:
        checkin_form.refused(refusal, key="checkin")
    else:
        checkin_form.saved(result, key="checkin")
