"""Family access reads live consent (issue 14, point 11): granted, not withdrawn, and for the right scope.

Reproduced before the fix: with every consent withdrawn, the family member still checked in for her
mother and still joined the meeting about her."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from auth.identity import Identity
from auth.refusal import Refusal
from clinical.consent import ConsentScope
from clinical.roles import Role
from db.engine import transaction
from db.models import CompletedBy, Consent, Patient, User
from services import checkins
from tests import factories
from tests.app.conftest import page_text, sign_in

MEETING = "Weekly palliative MDT"


@pytest.fixture
def daughter(engine, clinic) -> int:
    """The clinic's family account is Ada Quillfeather's daughter, with consent for every scope."""
    with transaction(engine) as s:
        ada = s.scalar(select(Patient).where(Patient.family_name == "Quillfeather"))
        factories.family_contact(s, ada, s.get(User, clinic.users[Role.FAMILY]))
        return ada.id


def _withdraw(engine, *scopes: ConsentScope) -> None:
    with transaction(engine) as s:
        s.execute(
            update(Consent)
            .where(Consent.scope.in_([scope.value for scope in scopes]))
            .values(withdrawn_at=dt.datetime.now(dt.UTC))
        )


def _family_home(app):
    return sign_in(app(), "family")


def _checkin_page(app):
    at = sign_in(app(), "family")
    at.switch_page("pages/checkin.py").run()
    return at


def test_with_consent_she_checks_in_and_sees_the_meeting(app, daughter):
    assert MEETING in page_text(_family_home(app)), "with consent, her mother's meeting is on her Home"
    assert "Ada Quillfeather" in page_text(_checkin_page(app)), "with consent, she can check in for Ada"


def test_with_every_consent_withdrawn_she_neither_checks_in_nor_joins(app, engine, clinic, daughter):
    _withdraw(engine, *ConsentScope)
    assert MEETING not in page_text(_family_home(app)), "a withdrawn consent still shows her the meeting"
    assert "Ada Quillfeather" not in page_text(_checkin_page(app)), (
        "a withdrawn consent still lets her check in"
    )
    family = Identity(clinic.users[Role.FAMILY], "family", "Test Family", Role.FAMILY, "password")
    with pytest.raises(Refusal), transaction(engine) as s:
        # A form sent before the withdrawal is refused by the service itself.
        checkins.submit_checkin(
            s, family, daughter, {"pain": 3}, None, None, CompletedBy.FAMILY, dt.datetime.now(dt.UTC)
        )


def test_each_scope_covers_only_its_own_access(app, engine, daughter):
    _withdraw(engine, ConsentScope.VIDEO_MEETING)
    assert MEETING not in page_text(_family_home(app)), "without video consent she is offered the meeting"
    assert "Ada Quillfeather" in page_text(_checkin_page(app)), "sharing the record still lets her check in"
