"""Vesper entry point: page setup, the sign-in gate, and navigation built from the signed-in role.

This is the only router. Each page file still checks access itself (see portal/gate.py).
"""

from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

from auth import audit_keys
from auth.permissions import PageId, pages_for
from components import call_bar, session_bar, sign_in
from portal import provider_refusals, workspace_push
from portal.gate import current_identity, oidc_refused

PAGES: dict[PageId, dict[str, str]] = {
    PageId.HOME: {"page": "pages/home.py", "title": "Home", "icon": ":material/home:"},
    PageId.PATIENTS: {"page": "pages/patients.py", "title": "Patients", "icon": ":material/group:"},
    PageId.GOALS_OF_CARE: {
        "page": "pages/goals_of_care.py",
        "title": "Goals of care",
        "icon": ":material/assignment:",
    },
    PageId.CHECKIN: {
        "page": "pages/checkin.py",
        "title": "Symptom check-in",
        "icon": ":material/edit_note:",
    },
    PageId.CONFERENCE_ROOM: {
        "page": "pages/conference_room.py",
        "title": "Conference room",
        "icon": ":material/video_call:",
    },
    PageId.ADMIN_USERS: {
        "page": "pages/admin_users.py",
        "title": "Users and roles",
        "icon": ":material/manage_accounts:",
    },
    PageId.ADMIN_AUDIT: {
        "page": "pages/admin_audit.py",
        "title": "Audit report",
        "icon": ":material/fact_check:",
    },
}

# A local icon: a ":material/...:" page icon makes the browser fetch the favicon from an outside font server.
st.set_page_config(
    page_title="Vesper", page_icon=str(Path(__file__).parent / "assets" / "favicon.png"), layout="wide"
)

# A full run is starting: a meeting workspace this page drew before registers again if drawn again.
workspace_push.forget_this_session()

# Streamlit's sign-in callback only logs a provider's refusal: keep it, to tell the person (sign_in.py).
provider_refusals.start_listening()

# Every sign-in is audited, so without a usable audit key nobody could use the portal anyway: say so once,
# plainly, rather than fail at the first click. The detail goes to the server's log, not to the browser.
try:
    audit_keys.load()
except audit_keys.AuditKeyProblem:
    logging.getLogger("vesper").exception("No usable audit key")
    st.error(
        "Vesper is not set up to keep its audit trail, so it cannot open. An administrator needs to set "
        "the audit key (docs/security.md, The audit trail)."
    )
    st.stop()

identity = current_identity()
if identity is None:
    screen = sign_in.show_no_access if oidc_refused() else sign_in.show
    navigation = st.navigation([st.Page(screen, title="Sign in", url_path="sign-in")], position="hidden")
else:
    pages = [
        st.Page(
            PAGES[page_id]["page"],
            title=PAGES[page_id]["title"],
            icon=PAGES[page_id]["icon"],
            url_path=page_id.value,
            default=(index == 0),
        )
        for index, page_id in enumerate(pages_for(identity.role))
    ]
    # The menu is drawn here rather than by st.navigation: .streamlit/config.toml turns Streamlit's own
    # sidebar menu off, because on a fresh server it would list every file in pages/ to anyone.
    navigation = st.navigation(pages, position="hidden")
    with st.sidebar:
        for page in pages:
            st.page_link(page)
        st.divider()
    session_bar.show(identity)
    # Above every page and drawn here, before the page, so the call keeps its place (and its connections)
    # while its owner moves between pages: components/call_bar.py.
    call_bar.show(identity, on_room_page=navigation.url_path == PageId.CONFERENCE_ROOM.value)
navigation.run()
