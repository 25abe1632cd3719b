"""What the goals-of-care services share: who may act on a patient's record and plan, one writer at a time,
the record document and whether it is final, and the plain refusals they raise.

The record (services.goals_of_care.record), its conference plan (services.goals_of_care.plan), addenda and
amendments (services.goals_of_care.amendments) and the sign-off (services.goals_of_care.signoff) all build
on this module. It is a module of its own because the record's save needs the plan (a save voids the
signatures whose content, record plus plan, has changed): with these guards in the record, the record and
the plan would import each other.

Rules:
- Clinicians on the patient's care team read and change the record and the plan. A family member linked to
  the patient (FamilyContact.user_id) may only ask for a correction or acknowledge the plan.
- Once the team has signed off, the record and that conference's plan are final: changes raise RecordFinal,
  and only addenda may follow.

Writers serialise on the audit chain's lock, taken before reading what they are about to change: every write
is audited anyway, so this costs no extra waiting and cannot deadlock against the audit record.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth import audit
from auth.identity import Identity
from auth.permissions import AccessDenied
from auth.refusal import Refusal
from clinical import typed_text
from clinical.consent import ConsentScope
from clinical.roles import CLINICAL_ROLES, Role
from db import queries
from db.models import (
    AmendmentRequest,
    FamilyContact,
    GoalsOfCareDocument,
    GoalsOfCareVersion,
    Patient,
    PlanItem,
    SignOff,
    User,
)

_Row = TypeVar("_Row", PlanItem, AmendmentRequest)


# ---------------------------------------------------------------------------------------------- refusals


class Refused(Refusal):
    """Input that cannot be saved as given; nothing was written. `messages` say why, one problem each, so a
    form can list them; `message` says it in one sentence, after `lead`."""

    lead = "Not saved."

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__(f"{self.lead} " + "; ".join(self.messages) + ".")


class RecordFinal(Refusal):
    """The record was signed off by the whole team and is read-only: only addenda may follow."""


def text_problems(text: str | None, what: str, limit: int, *, empty: str | None = None) -> list[str]:
    """Why `text` cannot be saved as the `what` (empty, or longer than `limit`); [] when it can."""
    clean = typed_text.clean(text)
    if not clean:
        return [empty or f"The {what} is empty"]
    if (problem := typed_text.unstorable(clean)) is not None:
        return [f"The {what} {problem}"]
    if len(clean) > limit:
        return [f"The {what} is {len(clean)} characters long; please keep it to {limit} or fewer"]
    return []


# ------------------------------------------------------------------------------------------------ access


_CARE_TEAM_ONLY = "Only clinicians on this patient's care team can open or change this record."


def require_care_team(session: Session, identity: Identity, patient_id: int) -> Patient:
    """The patient, if this person is a clinician on their care team; AccessDenied otherwise."""
    patient = None
    if identity.role in CLINICAL_ROLES and queries.is_on_care_team(session, identity.user_id, patient_id):
        patient = session.get(Patient, patient_id)
    if patient is None:
        raise AccessDenied(_CARE_TEAM_ONLY)
    return patient


def require_family_link(session: Session, identity: Identity, patient_id: int) -> FamilyContact:
    """The family contact this person signs in as for the patient, with a live consent to share the
    record; AccessDenied otherwise."""
    contact = None
    if identity.role is Role.FAMILY:
        contact = session.scalar(
            select(FamilyContact)
            .where(
                FamilyContact.user_id == identity.user_id,
                FamilyContact.patient_id == patient_id,
                FamilyContact.patient_id.in_(
                    queries.family_patient_ids(identity.user_id, ConsentScope.SHARE_RECORD)
                ),
            )
            .limit(1)
        )
    if contact is None:
        raise AccessDenied(
            "Only a family member linked to this patient, with their consent on record, can do this."
        )
    return contact


def row_or_deny(session: Session, model: type[_Row], row_id: int) -> _Row:
    """The row with this id; AccessDenied (saying no more than for someone off the care team) if none."""
    row = session.get(model, row_id)
    if row is None:
        raise AccessDenied(_CARE_TEAM_ONLY)
    return row


def serialise_writes(session: Session) -> None:
    """Take the writers' lock before reading what is about to change (see the module docstring)."""
    audit.lock_chain(session)


# ------------------------------------------------------------------------------------------------ reading


def display_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    """User id -> display name for these users (None ids are skipped; unknown ids are left out)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(wanted))).all())


_ConferenceRow = TypeVar("_ConferenceRow", PlanItem, SignOff)


def conference_rows(
    session: Session, model: type[_ConferenceRow], patient_id: int, conference_id: int
) -> Sequence[_ConferenceRow]:
    """A patient's plan items or sign-offs for one conference, oldest first, reloaded from the database
    (another session may have changed them since this one loaded them)."""
    return session.scalars(
        select(model)
        .where(model.patient_id == patient_id, model.conference_id == conference_id)
        .order_by(model.id)
        .execution_options(populate_existing=True)
    ).all()


def document(session: Session, patient_id: int) -> GoalsOfCareDocument | None:
    return session.scalar(
        select(GoalsOfCareDocument)
        .where(GoalsOfCareDocument.patient_id == patient_id)
        .execution_options(populate_existing=True)
    )


def latest_version(session: Session, doc: GoalsOfCareDocument | None) -> GoalsOfCareVersion | None:
    """The document's newest saved version; None when there is no document or no version yet."""
    if doc is None:
        return None
    return session.scalar(
        select(GoalsOfCareVersion)
        .where(GoalsOfCareVersion.document_id == doc.id)
        .order_by(GoalsOfCareVersion.version_number.desc())
        .limit(1)
    )


# ------------------------------------------------------------------------------------------------ final


def final_refusal(doc: GoalsOfCareDocument) -> RecordFinal:
    """The refusal for a change to a record the team signed off."""
    when = f"{doc.final_at:%Y-%m-%d %H:%M} UTC" if doc.final_at else "earlier"
    return RecordFinal(
        f"Not saved: the team signed off this goals-of-care record and plan ({when}), so it is final and "
        "can no longer be changed. Add an addendum instead."
    )


def refuse_if_final(doc: GoalsOfCareDocument | None) -> None:
    """RecordFinal if the team signed off this record: it then takes addenda only."""
    if doc is not None and doc.final_at is not None:
        raise final_refusal(doc)
