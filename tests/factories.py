"""Small builders for test data. Synthetic people only."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from dataclasses import dataclass

from sqlalchemy.orm import Session

from auth.passwords import hash_password
from clinical.consent import ConsentScope
from clinical.pcoc import PcocPhase
from clinical.roles import Role
from db.models import (
    ESAS_ITEM_COLUMNS,
    CareTeamMember,
    CompletedBy,
    Conference,
    ConferenceCase,
    ConferenceStatus,
    Consent,
    FamilyContact,
    Patient,
    SymptomAssessment,
    User,
)

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


@functools.lru_cache(maxsize=8)
def _hash(password: str) -> str:
    # Real argon2id hashes, computed once per password: tests build many accounts.
    return hash_password(password)


def user(session: Session, username: str, role: Role | None, *, password: str | None = PASSWORD) -> User:
    u = User(
        username=username,
        display_name=f"Test {username.replace('_', ' ').title()}",
        role=role,
        password_hash=_hash(password) if password else None,
        created_at=NOW,
    )
    session.add(u)
    session.flush()
    return u


def patient(session: Session, given: str, family: str, **overrides: object) -> Patient:
    n = next(_counter)
    p = Patient(
        mrn=overrides.pop("mrn", f"SYN-T{n:04d}"),
        given_name=given,
        family_name=family,
        birth_date=dt.date(1950, 1, 1),
        sex="female",
        preferred_language="English",
        diagnosis="Metastatic lung cancer",
        pcoc_phase=PcocPhase.STABLE,
        created_at=NOW,
        **overrides,
    )
    session.add(p)
    session.flush()
    return p


def on_team(session: Session, p: Patient, *users: User) -> None:
    for u in users:
        session.add(CareTeamMember(patient_id=p.id, user_id=u.id, added_at=NOW))
    session.flush()


def assessment(
    session: Session, p: Patient, when: dt.datetime, score: int = 2, **items: int
) -> SymptomAssessment:
    values = dict.fromkeys(ESAS_ITEM_COLUMNS, score)
    values.update(items)
    a = SymptomAssessment(patient_id=p.id, assessed_at=when, completed_by=CompletedBy.PATIENT, **values)
    session.add(a)
    session.flush()
    return a


def conference(
    session: Session, chair: User, title: str, starts: dt.datetime, *cases: tuple[Patient, User, str]
) -> Conference:
    c = Conference(
        title=title,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        chair_id=chair.id,
        status=ConferenceStatus.SCHEDULED,
    )
    session.add(c)
    session.flush()
    for order, (p, presenter, question) in enumerate(cases, start=1):
        session.add(
            ConferenceCase(
                conference_id=c.id,
                patient_id=p.id,
                agenda_order=order,
                presenter_id=presenter.id,
                time_box_minutes=15,
                question=question,
            )
        )
    session.flush()
    return c


def family_contact(
    session: Session,
    p: Patient,
    account: User,
    relationship: str = "daughter",
    consents: tuple[ConsentScope, ...] = tuple(ConsentScope),
) -> FamilyContact:
    """A relative of `p` who signs in to the portal with `account` (a family-role user), with consent
    granted for `consents` (every scope unless told otherwise), recorded by `account` for simplicity."""
    contact = FamilyContact(
        patient_id=p.id, name=account.display_name, relationship_to_patient=relationship, user_id=account.id
    )
    session.add(contact)
    session.flush()
    consent(session, contact, *consents)
    return contact


def consent(session: Session, contact: FamilyContact, *scopes: ConsentScope) -> None:
    """Consent granted by (or for) this relative for each scope, recorded by their own account."""
    assert contact.user_id is not None
    for scope in scopes:
        session.add(
            Consent(
                patient_id=contact.patient_id,
                family_contact_id=contact.id,
                scope=scope.value,
                granted=True,
                recorded_by_id=contact.user_id,
                recorded_at=NOW,
            )
        )
    session.flush()


def goals_of_care_content(**overrides: object) -> dict[str, object]:
    """A complete, valid goals-of-care record as a form would submit it; keyword arguments replace fields."""
    content: dict[str, object] = {
        "conversation_date": "2026-11-29",
        "facilitator": "Dr Test Physician",
        "participants": [
            {"name": "Ada Quillfeather", "role": "patient", "presence": "present"},
            {"name": "Bea Quillfeather", "role": "daughter", "presence": "remote"},
        ],
        "language": "English",
        "decision_making_capacity": "has_capacity",
        "illness_understanding": "Knows the cancer has spread and treatment will not cure it.",
        "prognosis_framing": "time_range",
        "goals_if_worse": "To be at home with her garden and her daughter.",
        "fears_worries": "Being a burden; pain.",
        "critical_abilities": "Recognising her family.",
        "treatment_limits": {
            "cpr": "do_not_attempt",
            "level_of_treatment": "selective",
            "nutrition": "trial",
        },
        "surrogate": {
            "name": "Bea Quillfeather",
            "relationship": "daughter",
            "legal_basis": "lasting power of attorney",
            "contact": "+44 7700 900123",
            "alternates": [{"name": "Cal Quillfeather", "relationship": "son", "contact": "+44 7700 900456"}],
        },
        "advance_directive": {
            "on_file": True,
            "location": "Scanned into the chart",
            "last_reviewed": "2026-10-01",
        },
    }
    content.update(overrides)
    return content


@dataclass(frozen=True)
class SmallWard:
    """Ids of a physician and a nurse on Ada Quillfeather's care team, and a conference in an hour,
    chaired by the physician, with Ada on its agenda (presented by the nurse)."""

    physician: int
    nurse: int
    ada: int
    conference: int


def small_ward(session: Session) -> SmallWard:
    physician = user(session, "physician", Role.PHYSICIAN)
    nurse = user(session, "nurse", Role.NURSE)
    ada = patient(session, "Ada", "Quillfeather")
    on_team(session, ada, physician, nurse)
    meeting = conference(session, physician, "MDT", NOW + dt.timedelta(hours=1), (ada, nurse, "GoC"))
    return SmallWard(physician.id, nurse.id, ada.id, meeting.id)
