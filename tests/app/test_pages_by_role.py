"""Each role sees exactly its pages, and a page opened by the wrong role shows nothing but a refusal."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from auth.identity import Identity
from auth.permissions import PageId, pages_for
from auth.sessions import SessionClock
from clinical.roles import Role
from db.engine import PROJECT_ROOT
from portal import clock
from portal.gate import CLOCK_KEY, IDENTITY_KEY
from tests.app.conftest import page_text, sign_in

TITLES = {
    PageId.HOME: "Home",
    PageId.PATIENTS: "Patients",
    PageId.ADMIN_USERS: "Users and roles",
    PageId.ADMIN_AUDIT: "Audit report",
    PageId.CONFERENCE_ROOM: "Conference room",
    PageId.CHECKIN: "Symptom check-in",
    PageId.GOALS_OF_CARE: "Goals of care",
}


def _navigation_titles(at: AppTest) -> set[str]:
    # AppTest keeps the pages st.navigation registered in the last run; that is what the sidebar lists.
    return {
        info["page_name"] for info in at._registered_pages.values() if info.get("url_pathname") is not None
    }


@pytest.mark.parametrize("role", list(Role))
def test_navigation_lists_exactly_the_roles_pages(app, role):
    at = sign_in(app(), role.value)
    assert _navigation_titles(at) == {TITLES[p] for p in pages_for(role)}, (
        f"{role.value} would see the wrong set of pages in the sidebar"
    )


def _open_page_file_directly(page: PageId, identity: Identity | None) -> AppTest:
    """What a fresh server does for a direct URL: run the page file itself, without app.py."""
    at = AppTest.from_file(str(PROJECT_ROOT / "pages" / f"{page.value}.py"), default_timeout=30)
    if identity is not None:
        now = clock.now()
        at.session_state[IDENTITY_KEY] = identity
        at.session_state[CLOCK_KEY] = SessionClock(now, now)
    return at.run()


@pytest.mark.parametrize("page", list(PageId))
def test_page_file_opened_signed_out_shows_only_a_sign_in_prompt(clinic, page):
    at = _open_page_file_directly(page, None)
    text = page_text(at)
    assert "Please sign in to see this page." in text
    for name in [*clinic.own_patient_names, clinic.other_patient_name]:
        assert name not in text, f"{page.value} leaked a patient name to someone signed out"


@pytest.mark.parametrize("role", list(Role))
def test_page_file_opened_by_the_wrong_role_shows_only_a_refusal(clinic, role):
    identity = Identity(clinic.users[role], role.value, f"Test {role.value}", role, "password")
    for page in set(PageId) - set(pages_for(role)):
        at = _open_page_file_directly(page, identity)
        text = page_text(at)
        assert "Your role does not give access to this page." in text, f"{role.value} on {page.value}"
        assert not at.dataframe and not at.table, f"{page.value} showed a table to {role.value}"
        for name in clinic.own_patient_names:
            assert name not in text, f"{page.value} leaked a patient name to {role.value}"
