"""Admin: the audit report, filtered, downloadable as CSV, with a check of the hash chain."""

import streamlit as st

from auth.audit import AuditAction, record, report
from auth.audit_verify import verify
from auth.permissions import PageId
from components import audit_report
from db.engine import transaction
from db.queries import all_users
from portal import clock
from portal.gate import require_page

identity = require_page(PageId.ADMIN_AUDIT)

st.title("Audit report")

with transaction() as session:
    users = all_users(session)
chosen = audit_report.filters(users, clock.now().date(), key="audit")

with transaction() as session:
    events = report(
        session,
        actor_user_id=chosen.actor_user_id,
        patient_id=chosen.patient_id,
        actions=chosen.actions,
        since=chosen.since,
        until=chosen.until,
    )
table = audit_report.to_frame(events)


def record_reading(*, download: bool) -> None:
    """Reading the trail is itself on the trail, on screen as in a download."""
    with transaction() as session:
        record(
            session,
            AuditAction.AUDIT_REPORT_VIEWED,
            actor_user_id=identity.user_id,
            actor_name=identity.username,
            details={"download": download, "rows": len(table), "patient_id": chosen.patient_id},
            now=clock.now(),
        )


# Once for each report asked for: a rerun with the same filters (a click elsewhere on the page) is the same
# report still on screen.
asked = (chosen.actor_user_id, chosen.patient_id, tuple(chosen.actions), chosen.since, chosen.until)
if st.session_state.get("audit.recorded_report") != asked:
    record_reading(download=False)
    st.session_state["audit.recorded_report"] = asked
st.write(f"{len(table)} events match (newest first; at most 5,000 shown).")
st.dataframe(table, hide_index=True, width="stretch")

if st.download_button(
    "Download as CSV",
    audit_report.to_csv(table),
    file_name="vesper-audit.csv",
    mime="text/csv",
    on_click="rerun",
):
    record_reading(download=True)

if st.button("Check the audit chain"):
    with st.spinner("Checking every event's hash…"), transaction() as session:
        result = verify(session)
    (st.success if result.intact else st.error)(result.message())
