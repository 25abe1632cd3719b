"""Bad input is refused in plain words and changes nothing, on SQLite and PostgreSQL (issue 14, point 13).

Reproduced before the fix: a zero-width space passed "required"; a NUL byte crashed a PostgreSQL save,
the sign-in form's included, behind Streamlit's generic error; conversation dates of 0001 and 9999 were
accepted."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

import settings as settings_module
from auth.accounts import SignInOutcome, sign_in_with_password
from auth.identity import Identity
from auth.refusal import Refusal
from auth.stored_text import UnstorableText
from clinical.roles import Role
from db.engine import transaction
from db.models import AuditEvent, GoalsOfCareVersion, Patient, PlanItem, PlanItemKind
from services.goals_of_care import plan as care_plan
from services.goals_of_care import record as goc
from tests import factories
from tests.factories import NOW, goals_of_care_content

ZERO_WIDTH = "\u200b \u2060\u200b"  # a zero-width space, a space, a word joiner: nothing to read
NUL = "Morphine 5 mg\x00 every 4 h"
BIDI = "Do not \u202eattempt\u202c CPR"  # a right-to-left override: the screen shows the words reversed


@pytest.fixture
def ward(engine):
    with transaction(engine) as s:
        ward = factories.small_ward(s)
    return {"physician": ward.physician, "ada": ward.ada, "conference": ward.conference}


def _physician(ward) -> Identity:
    return Identity(ward["physician"], "physician", "Dr Test", Role.PHYSICIAN, "password")


def _rows(engine) -> tuple[int, int, int]:
    with transaction(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(GoalsOfCareVersion)),
            s.scalar(select(func.count()).select_from(PlanItem)),
            s.scalar(select(func.count()).select_from(AuditEvent)),
        )


def _save_goals(engine, ward, content: dict, reason: str = "Agreed at the MDT") -> None:
    with transaction(engine) as s:
        goc.save(s, _physician(ward), ward["ada"], content, 0, reason, NOW)


def _add_item(engine, ward, text: str, due: dt.date | None = None) -> None:
    with transaction(engine) as s:
        care_plan.add_plan_item(
            s,
            _physician(ward),
            ward["ada"],
            ward["conference"],
            care_plan.PlanItemDraft(PlanItemKind.RECOMMENDATION, text, due_date=due),
            NOW,
        )


@pytest.mark.parametrize(
    ("what", "save", "words"),
    [
        (
            "a reason of zero-width spaces",
            lambda e, w: _save_goals(e, w, goals_of_care_content(), ZERO_WIDTH),
            "Please give a reason",
        ),
        ("a plan item of zero-width spaces", lambda e, w: _add_item(e, w, ZERO_WIDTH), "needs a description"),
        ("a NUL in a plan item", lambda e, w: _add_item(e, w, NUL), "control character"),
        (
            "a NUL in the goals of care",
            lambda e, w: _save_goals(e, w, goals_of_care_content(goals_if_worse=NUL)),
            "control character",
        ),
        (
            "a text-direction override in the goals of care",
            lambda e, w: _save_goals(e, w, goals_of_care_content(critical_abilities=BIDI)),
            "direction",
        ),
        (
            "a conversation in the year 1",
            lambda e, w: _save_goals(e, w, goals_of_care_content(conversation_date="0001-01-01")),
            "between 1900",
        ),
        (
            "a conversation in 9999",
            lambda e, w: _save_goals(e, w, goals_of_care_content(conversation_date="9999-12-31")),
            "between 1900",
        ),
        (
            "a plan item due in 9999",
            lambda e, w: _add_item(e, w, "Review", dt.date(9999, 1, 1)),
            "between 1900",
        ),
    ],
)
def test_bad_input_is_refused_in_plain_words_and_changes_nothing(engine, ward, what, save, words):
    before = _rows(engine)
    with pytest.raises(Refusal) as refused:
        save(engine, ward)
    assert words in refused.value.message, f"{what}: the person is not told why: {refused.value.message!r}"
    assert _rows(engine) == before, f"{what} changed the record, the plan or the audit trail"


def test_any_table_refuses_text_it_cannot_store(engine, ward):
    """The guard at the flush holds for rows no service checks, with the field named in plain words."""
    with transaction(engine) as s:
        ada = s.get(Patient, ward["ada"])
        assert ada is not None
        given = ada.given_name
    refused = pytest.raises(UnstorableText, match="Not saved: the given name contains an invisible control")
    with refused, transaction(engine) as s:
        ada = s.get(Patient, ward["ada"])
        assert ada is not None
        ada.given_name = "Ada\x00"
    with transaction(engine) as s:
        assert s.scalar(select(Patient.given_name).where(Patient.id == ward["ada"])) == given


def test_sign_in_with_a_nul_in_the_name_is_a_wrong_name_not_a_crash(engine, ward):
    with transaction(engine) as s:
        result = sign_in_with_password(s, "physician\x00", "whatever", settings_module.load(), NOW)
    assert result.outcome is SignInOutcome.WRONG, "the form should say wrong user name or password"
    with transaction(engine) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in_failed")).one()
    assert event.actor_name == "ph… (unknown)", "the attempt is still recorded"
