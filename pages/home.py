"""Home: my upcoming conferences, and my patients with open alerts."""

import streamlit as st

from access.records import home_overview
from access.roles import CLINICAL_ROLES, PageId, Role
from components import alert_list, clock, conference_list
from components.gate import require_page
from db.engine import transaction

identity = require_page(PageId.HOME)

st.title("Home")
st.write(f"Signed in as {identity.display_name} ({identity.role.label})")

if identity.role in CLINICAL_ROLES:
    with transaction() as session:
        overview = home_overview(session, identity, clock.now())
    conferences, alerts = st.columns([3, 2], gap="large")
    with conferences:
        conference_list.show(overview.conferences)
    with alerts:
        alert_list.show(overview.open_alerts)
elif identity.role is Role.ADMIN:
    st.write("Use **Users and roles** to manage accounts and **Audit report** to review activity.")
else:
    st.write(
        "Welcome. When the care team invites you to a family meeting, it will appear here with the "
        "time and a link to join."
    )
