"""An administrator's change to an account takes effect at the person's next click (issue 14, point 1).

Reproduced before the fix: after the nurse was deactivated she still opened a patient record in the
session she had open, and after her role was changed to family she still opened Goals of care; either
lasted up to the 12-hour limit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from auth.admin import update_user
from auth.identity import Identity
from auth.permissions import AccessDenied
from clinical.roles import Role
from db.engine import transaction
from db.models import AuditEvent, Patient
from portal.gate import ACCESS_CHANGED_MESSAGE
from services.goals_of_care import guards
from tests.app.conftest import page_text, sign_in


def _admin(clinic) -> Identity:
    return Identity(clinic.users[Role.ADMIN], "admin", "Test Admin", Role.ADMIN, "password")


def _change_nurse(engine, clinic, *, role: Role, active: bool) -> None:
    with transaction(engine) as s:
        update_user(
            s, _admin(clinic), clinic.users[Role.NURSE], role=role, active=active, now=dt.datetime.now(dt.UTC)
        )


def _nurse_on(app, page: str):
    at = sign_in(app(), "nurse")
    at.switch_page(page).run()
    return at


@pytest.mark.parametrize(
    ("change", "page"),
    [
        ({"role": Role.NURSE, "active": False}, "pages/patients.py"),
        ({"role": Role.FAMILY, "active": True}, "pages/goals_of_care.py"),
    ],
    ids=["deactivated", "made_family"],
)
def test_the_nurses_open_session_ends_at_her_next_click(app, engine, clinic, change, page):
    at = _nurse_on(app, page)
    assert "Ada Quillfeather" in page_text(at), "the nurse should see her patient before the change"
    _change_nurse(engine, clinic, **change)
    at.run()  # her next click, in the session she already had open
    text = page_text(at)
    assert "Ada Quillfeather" not in text, "the changed account still sees the patient"
    assert ACCESS_CHANGED_MESSAGE in text, "she is not told why she was signed out"
    with transaction(engine) as s:
        revoked = s.scalars(select(AuditEvent.actor_name).where(AuditEvent.action == "access_revoked")).all()
    assert revoked == ["nurse"], "the end of her sign-in is not on the audit trail"


def test_a_sign_in_after_an_unrelated_change_elsewhere_carries_on(app, engine, clinic):
    """Only the changed account's sign-ins end: the physician working alongside is not signed out."""
    at = sign_in(app(), "physician")
    at.switch_page("pages/patients.py").run()
    _change_nurse(engine, clinic, role=Role.NURSE, active=False)
    at.run()
    assert "Ada Quillfeather" in page_text(at), "another person's change signed the physician out"


def test_services_refuse_a_deactivated_clinician_whatever_screen_asks(engine, clinic):
    """A screen that still holds her identity (a polling fragment, a form sent just before) is refused by
    the service itself."""
    nurse = Identity(clinic.users[Role.NURSE], "nurse", "Test Nurse", Role.NURSE, "password")
    with transaction(engine) as s:
        ada_id = s.scalar(select(Patient.id).where(Patient.family_name == "Quillfeather"))
        guards.require_care_team(s, nurse, ada_id)  # allowed before the change
    _change_nurse(engine, clinic, role=Role.NURSE, active=False)
    with pytest.raises(AccessDenied), transaction(engine) as s:
        guards.require_care_team(s, nurse, ada_id)
