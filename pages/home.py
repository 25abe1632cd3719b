"""Home: my upcoming conferences and my patients' alerts to work through; for a family, the check-in and
their family meetings."""

import streamlit as st

from auth.permissions import PageId
from clinical.roles import CLINICAL_ROLES, Role
from components import alert_list, conference_list, conference_outcomes
from components.plain_text import md_escape
from db.engine import transaction
from portal import clock
from portal.gate import require_page
from services.agenda import my_actions
from services.alerts import alert_views, sweep_missed_checkins_when_due
from services.meetings import joinable_conferences
from services.records import home_overview

identity = require_page(PageId.HOME)

st.title("Home")
st.write(f"Signed in as {md_escape(identity.display_name)} ({identity.role.label})")

if identity.role in CLINICAL_ROLES:
    with transaction() as session:
        # Missed check-ins have no check-in to raise them: the care team opening Home is when we look.
        sweep_missed_checkins_when_due(session, clock.now())
        overview = home_overview(session, identity, clock.now())
        alerts = alert_views(session, overview.open_alerts)
        actions = my_actions(session, identity)
    conferences, alert_column = st.columns([3, 2], gap="large")
    with conferences:
        conference_outcomes.my_actions(actions, clock.now().date())
        conference_list.show(overview.conferences)
    with alert_column:
        request = alert_list.show(alerts, key="home_alerts")
    alert_list.carry_out(identity, request, key="home_alerts")
elif identity.role is Role.ADMIN:
    st.write("Use **Users and roles** to manage accounts and **Audit report** to review activity.")
else:
    st.write("Welcome. How are things today? A short symptom check-in lets the care team know.")
    if st.button("Start a symptom check-in", type="primary", icon=":material/edit_note:", width="stretch"):
        st.switch_page("pages/checkin.py")
    with transaction() as session:
        meetings = joinable_conferences(session, identity, clock.now())
    conference_list.show_invitations(meetings)
