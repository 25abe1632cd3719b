"""Notes added to the goals-of-care record (addenda) and the family's requests for a correction
(amendment requests), with the clinicians' answers.

Rules:
- Clinicians on the patient's care team add addenda and answer requests; a family member linked to the
  patient (FamilyContact.user_id) asks for a correction and sees their own requests.
- An addendum is the only change a final record takes; it is allowed before that too.
- Accepting a request saves the correction as a new version (linked to the request); once the record is
  final it adds an addendum instead. Refusing needs a reason. A request is answered once.

The record shows addenda and requests (services.goals_of_care.record.open_record); their views live there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth import audit
from auth.audit import AuditAction
from auth.identity import Identity
from clinical import goals_of_care as gc
from db.models import Addendum, AmendmentRequest, AmendmentStatus
from services.goals_of_care import guards
from services.goals_of_care.record import (
    REASON_MAX_CHARS,
    AddendumView,
    AmendmentView,
    GoalsOfCareRefused,
    amendment_view,
    amendment_views,
    reason_problems,
    write_version,
)

AMENDMENT_MAX_CHARS = 4000
ADDENDUM_MAX_CHARS = 4000


class AmendmentRefused(guards.Refused):
    """An amendment request (or its answer) cannot be saved as given."""


# ------------------------------------------------------------------------------------------------ addenda


def add_addendum(
    session: Session, identity: Identity, patient_id: int, text: str, now: dt.datetime
) -> AddendumView:
    """Add a note to the record. The only change a final record takes; allowed before that too."""
    guards.require_care_team(session, identity, patient_id)
    problems = guards.text_problems(text, "addendum", ADDENDUM_MAX_CHARS)
    if problems:
        raise GoalsOfCareRefused(problems)
    return _add_addendum(session, identity, patient_id, text.strip(), now)


def _add_addendum(
    session: Session, identity: Identity, patient_id: int, text: str, now: dt.datetime
) -> AddendumView:
    guards.serialise_writes(session)
    doc = guards.document(session, patient_id)
    if doc is None:
        raise GoalsOfCareRefused(["There is no goals-of-care record yet to add an addendum to"])
    addendum = Addendum(
        patient_id=patient_id, document_id=doc.id, author_id=identity.user_id, text=text, created_at=now
    )
    audit.record_created(
        session,
        identity,
        AuditAction.ADDENDUM_ADDED,
        addendum,
        details={"final": doc.final_at is not None, "chars": len(text)},
        now=now,
    )
    return AddendumView(addendum.id, identity.display_name, now, text)


# --------------------------------------------------------------------------------------------- amendments


def my_amendment_requests(session: Session, identity: Identity, patient_id: int) -> list[AmendmentView]:
    """A family member's own requests for this patient, with their answers."""
    guards.require_family_link(session, identity, patient_id)
    return amendment_views(session, patient_id, requested_by=identity.user_id)


def request_amendment(
    session: Session, identity: Identity, patient_id: int, text: str, now: dt.datetime
) -> AmendmentView:
    """A linked family member asks for a correction to the goals-of-care record."""
    contact = guards.require_family_link(session, identity, patient_id)
    problems = guards.text_problems(text, "request", AMENDMENT_MAX_CHARS)
    if problems:
        raise AmendmentRefused(problems)
    latest = guards.latest_version(session, guards.document(session, patient_id))
    request = AmendmentRequest(
        patient_id=patient_id,
        requested_by_id=identity.user_id,
        family_contact_id=contact.id,
        about_version_id=latest.id if latest else None,
        text=text.strip(),
        status=AmendmentStatus.REQUESTED,
        requested_at=now,
    )
    audit.record_created(
        session,
        identity,
        AuditAction.AMENDMENT_REQUESTED,
        request,
        details={"about_version": latest.version_number if latest else None, "chars": len(request.text)},
        now=now,
    )
    return amendment_view(session, request)


def answer_amendment(
    session: Session,
    identity: Identity,
    request_id: int,
    *,
    accept: bool,
    reason: str,
    now: dt.datetime,
    content: Mapping[str, Any] | None = None,
    based_on_version: int | None = None,
    addendum_text: str | None = None,
) -> AmendmentView:
    """Accept (with the corrected content, saved as a new version) or refuse (with a reason) a request.

    Once the record is final it takes no new versions: accepting then adds an addendum instead
    (`addendum_text`, or the request's own words). Request, answer and result stay linked.
    """
    request = guards.row_or_deny(session, AmendmentRequest, request_id)
    patient_id = request.patient_id
    guards.require_care_team(session, identity, patient_id)
    problems = reason_problems(reason, "this answer")
    if problems:
        raise AmendmentRefused(problems)
    guards.serialise_writes(session)
    session.refresh(request)
    if request.status is not AmendmentStatus.REQUESTED:
        names = guards.display_names(session, {request.answered_by_id})
        who = names.get(request.answered_by_id or 0, "someone")
        raise AmendmentRefused([f"This request was already {request.status.value} by {who}"])

    if accept:
        doc = guards.document(session, patient_id)
        if doc is not None and doc.final_at is not None:
            text = (addendum_text or "").strip() or f"Amendment requested by the family: {request.text}"
            if problems := guards.text_problems(text, "addendum", ADDENDUM_MAX_CHARS):
                raise AmendmentRefused(problems)
            request.resulting_addendum_id = _add_addendum(
                session, identity, patient_id, text, now
            ).addendum_id
        else:
            if content is None or based_on_version is None:
                raise AmendmentRefused(
                    ["To accept, give the corrected record and the version it is based on"]
                )
            if problems := gc.validate(content):
                raise GoalsOfCareRefused(problems)
            saved = write_version(
                session,
                identity,
                patient_id,
                gc.normalise(content),
                based_on_version,
                f"Amendment request {request.id} accepted: {reason.strip()}"[:REASON_MAX_CHARS],
                now,
            )
            request.resulting_version_id = saved.version_id
    request.status = AmendmentStatus.ACCEPTED if accept else AmendmentStatus.REFUSED
    request.answered_by_id = identity.user_id
    request.answered_at = now
    request.answer_reason = reason.strip()
    audit.record_about(
        session,
        identity,
        AuditAction.AMENDMENT_ACCEPTED if accept else AuditAction.AMENDMENT_REFUSED,
        request,
        patient_id=patient_id,
        details={
            "reason_chars": len(request.answer_reason or ""),
            "resulting_version_id": request.resulting_version_id,
            "resulting_addendum_id": request.resulting_addendum_id,
        },
        now=now,
    )
    return amendment_view(session, request)


def pending_amendments(session: Session, identity: Identity, patient_id: int) -> int:
    """How many amendment requests wait for an answer (for a badge)."""
    guards.require_care_team(session, identity, patient_id)
    return (
        session.scalar(
            select(func.count())
            .select_from(AmendmentRequest)
            .where(
                AmendmentRequest.patient_id == patient_id,
                AmendmentRequest.status == AmendmentStatus.REQUESTED,
            )
        )
        or 0
    )
