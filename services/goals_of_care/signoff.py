"""Consensus sign-off on a patient's goals of care and a conference's plan for them.

A signature names the SHA-256 of the content the signer saw (services.goals_of_care.plan.current_hash: the
latest goals-of-care version plus the conference's plan). If the content changed since they opened it, the
signature is refused (ContentChanged) and nothing is written. Any later change voids the signatures on the
old content; they stay on the record, marked void.

Who may do what:
- a clinician on the patient's care team signs or dissents as their own role, if the conference's sign-off
  includes that role (default: physician, nurse and social worker required, chaplain optional);
- the signer alone withdraws their own signature or dissent;
- the conference chair alone overrides a dissent, with a reason (the dissent stays on the record);
- a family member linked to the patient acknowledges the plan: recorded apart, never a signature;
- a clinician on the patient's care team sees which upcoming conferences have the patient on their agenda
  (conferences_for), to choose the one whose plan and sign-off to work on.

When every required role has signed the same content and no dissent stands, the record becomes final by
itself (finalise() does the same check on demand): from then on services.goals_of_care.record and
services.goals_of_care.plan refuse changes to the record and that conference's plan, and only addenda may
follow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from auth import audit
from auth.audit import AuditAction
from auth.identity import Identity
from auth.permissions import AccessDenied
from auth.refusal import Refusal
from clinical import consensus, typed_text
from clinical.consensus import SignOffDecision
from clinical.roles import CLINICAL_ROLES, Role
from db import queries
from db.models import (
    Conference,
    ConferenceCase,
    ConferenceSignoffRole,
    FamilyAcknowledgement,
    GoalsOfCareDocument,
    SignOff,
)
from services.goals_of_care import guards
from services.goals_of_care.plan import PlanItemView, current_hash, plan_views

# Role -> is its signature required? A conference with no configuration of its own uses this.
DEFAULT_ROLES: dict[Role, bool] = {
    Role.PHYSICIAN: True,
    Role.NURSE: True,
    Role.SOCIAL_WORKER: True,
    Role.CHAPLAIN: False,
}
STATEMENT_MAX_CHARS = 2000
REASON_MAX_CHARS = 2000


class SignOffRefused(guards.Refused):
    """The signature, dissent or override cannot be recorded as given; nothing was written."""

    # A signature is recorded, not saved: the words the sign-off panel has always shown.
    lead = "Not recorded."


class ContentChanged(Refusal):
    """The goals of care or the plan changed after the signer opened them; nothing was signed."""

    def __init__(self, current_hash: str | None) -> None:
        self.current_hash = current_hash
        super().__init__(
            "Not signed: the goals of care or the plan changed after you opened them. Please read the "
            "current version, then sign again."
        )


class NotFinal(SignOffRefused):
    """finalise() found that consensus has not been reached; the messages say what is missing."""


@dataclass(frozen=True)
class SignatureView:
    sign_off_id: int
    user_id: int
    user_name: str
    role: Role
    decision: SignOffDecision
    statement: str
    dissent_reason: str | None
    content_sha256: str
    signed_at: dt.datetime
    voided_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    override_by_name: str | None
    override_reason: str | None
    overridden_at: dt.datetime | None

    @property
    def state(self) -> str:
        """ "void", "withdrawn", "overridden" (a dissent the chair overrode) or "live"."""
        if self.voided_at is not None:
            return "void"
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.overridden_at is not None:
            return "overridden"
        return "live"


@dataclass(frozen=True)
class AcknowledgementView:
    acknowledgement_id: int
    user_name: str
    content_sha256: str
    acknowledged_at: dt.datetime
    note: str | None


@dataclass(frozen=True)
class SignOffStatus:
    patient_id: int
    conference_id: int
    current_hash: str | None  # None while there is no goals-of-care record to sign
    roles: dict[Role, bool]  # role -> required
    consensus: consensus.ConsensusStatus | None
    signatures: list[SignatureView] = field(default_factory=list)  # all of them, void ones included
    acknowledgements: list[AcknowledgementView] = field(default_factory=list)
    final_at: dt.datetime | None = None
    final_hash: str | None = None
    chair_id: int | None = None  # who may override a standing dissent

    @property
    def is_final(self) -> bool:
        return self.final_at is not None


@dataclass(frozen=True)
class ConferenceChoice:
    """An upcoming conference with the patient on its agenda."""

    conference_id: int
    title: str
    starts_at: dt.datetime


@dataclass(frozen=True)
class FamilyPlanView:
    """What a linked family member sees to acknowledge: the plan and the goals of care it rests on."""

    goals_of_care: dict[str, Any] | None
    plan: list[PlanItemView]
    content_hash: str | None
    final: bool


# ----------------------------------------------------------------------------------------------- helpers


def _conference_for(session: Session, patient_id: int, conference_id: int) -> Conference:
    conference = session.get(Conference, conference_id)
    on_agenda = session.scalar(
        select(ConferenceCase.id).where(
            ConferenceCase.conference_id == conference_id, ConferenceCase.patient_id == patient_id
        )
    )
    if conference is None or on_agenda is None:
        raise SignOffRefused(["This patient is not on that conference's agenda"])
    return conference


def _require_chair(session: Session, identity: Identity, conference_id: int | None, refusal: str) -> None:
    """AccessDenied, saying `refusal`, unless this person chairs the conference."""
    conference = session.get(Conference, conference_id) if conference_id else None
    if conference is None or conference.chair_id != identity.user_id:
        raise AccessDenied(refusal)


def roles_for(session: Session, conference_id: int) -> dict[Role, bool]:
    """The roles that sign this conference's plans, each with whether it is required."""
    rows = session.execute(
        select(ConferenceSignoffRole.role, ConferenceSignoffRole.required).where(
            ConferenceSignoffRole.conference_id == conference_id
        )
    ).all()
    return {role: required for role, required in rows} if rows else dict(DEFAULT_ROLES)


def _signature(s: SignOff) -> consensus.Signature:
    return consensus.Signature(
        role=s.role.value,
        content_hash=s.content_sha256,
        decision=consensus.SignOffDecision(s.decision.value),
        voided=s.voided_at is not None,
        withdrawn=s.withdrawn_at is not None,
        overridden=s.overridden_at is not None,
        signature_id=s.id,
    )


def _consensus(session: Session, patient_id: int, conference_id: int) -> consensus.ConsensusStatus | None:
    now_hash = current_hash(session, patient_id, conference_id)
    if now_hash is None:
        return None
    required = [r.value for r, needed in roles_for(session, conference_id).items() if needed]
    return consensus.evaluate(
        required,
        [_signature(s) for s in guards.conference_rows(session, SignOff, patient_id, conference_id)],
        now_hash,
    )


def _signature_view(s: SignOff, names: dict[int, str]) -> SignatureView:
    return SignatureView(
        s.id,
        s.user_id,
        names.get(s.user_id, "someone"),
        s.role,
        s.decision,
        s.statement,
        s.dissent_reason,
        s.content_sha256,
        s.signed_at,
        s.voided_at,
        s.withdrawn_at,
        names.get(s.override_by_id) if s.override_by_id else None,
        s.override_reason,
        s.overridden_at,
    )


def _status(session: Session, patient_id: int, conference_id: int) -> SignOffStatus:
    rows = guards.conference_rows(session, SignOff, patient_id, conference_id)
    acks = session.scalars(
        select(FamilyAcknowledgement)
        .where(
            FamilyAcknowledgement.patient_id == patient_id,
            FamilyAcknowledgement.conference_id == conference_id,
        )
        .order_by(FamilyAcknowledgement.id)
    ).all()
    names = guards.display_names(
        session,
        {s.user_id for s in rows} | {s.override_by_id for s in rows} | {a.user_id for a in acks},
    )
    doc = guards.document(session, patient_id)
    final_here = doc is not None and doc.final_at is not None and doc.final_conference_id == conference_id
    return SignOffStatus(
        patient_id,
        conference_id,
        current_hash(session, patient_id, conference_id),
        roles_for(session, conference_id),
        _consensus(session, patient_id, conference_id),
        [_signature_view(s, names) for s in rows],
        [
            AcknowledgementView(
                a.id, names.get(a.user_id, "someone"), a.content_sha256, a.acknowledged_at, a.note
            )
            for a in acks
        ],
        doc.final_at if final_here and doc else None,
        doc.final_hash if final_here and doc else None,
        session.scalar(select(Conference.chair_id).where(Conference.id == conference_id)),
    )


def _seen_by(identity: Identity, patient_id: int, conference_id: int, content_hash: str) -> dict[str, Any]:
    """What a signature and a family acknowledgement both record: who, on which conference's plan for which
    patient, and the hash of the content they saw."""
    return {
        "patient_id": patient_id,
        "conference_id": conference_id,
        "user_id": identity.user_id,
        "content_sha256": content_hash,
    }


def _text(value: str | None, what: str, limit: int, *, required: bool) -> str:
    text = typed_text.clean(value)
    if required and not text:
        raise SignOffRefused([f"Please give a {what}"])
    if len(text) > limit:
        raise SignOffRefused(
            [f"The {what} is {len(text)} characters long; please keep it to {limit} or fewer"]
        )
    return text


def _unchanged_hash(
    session: Session, patient_id: int, conference_id: int, expected_hash: str, nothing_yet: str
) -> str:
    """The content's hash now, if it is still `expected_hash` (what the person saw); SignOffRefused saying
    `nothing_yet` while there is no content, ContentChanged if it moved on since."""
    now_hash = current_hash(session, patient_id, conference_id)
    if now_hash is None:
        raise SignOffRefused([nothing_yet])
    if expected_hash != now_hash:
        raise ContentChanged(now_hash)
    return now_hash


def _maybe_finalise(
    session: Session, identity: Identity, patient_id: int, conference_id: int, now: dt.datetime
) -> bool:
    status = _consensus(session, patient_id, conference_id)
    doc = guards.document(session, patient_id)
    if status is None or not status.is_final or doc is None or doc.final_at is not None:
        return False
    doc.final_at = now
    doc.final_hash = status.current_hash
    doc.final_conference_id = conference_id
    session.flush()
    audit.record_by(
        session,
        identity,
        AuditAction.RECORD_FINALISED,
        patient_id=patient_id,
        target_type="goals_of_care",
        target_id=doc.id,
        details={
            "conference_id": conference_id,
            "content_sha256": status.current_hash,
            "signed_roles": list(status.signed_roles),
        },
        now=now,
    )
    return True


# ------------------------------------------------------------------------------------------------ reading


def status(session: Session, identity: Identity, patient_id: int, conference_id: int) -> SignOffStatus:
    """Who has signed what, who is missing, which dissents block, and whether the record is final."""
    guards.require_care_team(session, identity, patient_id)
    _conference_for(session, patient_id, conference_id)
    return _status(session, patient_id, conference_id)


def conferences_for(
    session: Session, identity: Identity, patient_id: int, now: dt.datetime
) -> list[ConferenceChoice]:
    """The conferences not yet ended that have the patient on their agenda, soonest first: where the
    patient's plan can be made and signed off."""
    guards.require_care_team(session, identity, patient_id)
    return [
        ConferenceChoice(conference.id, conference.title, conference.starts_at)
        for _, conference in queries.upcoming_cases_for_patient(session, patient_id, now)
    ]


# ----------------------------------------------------------------------------------------------- writing


def set_roles(
    session: Session,
    identity: Identity,
    conference_id: int,
    required: Iterable[Role],
    optional: Iterable[Role] = (),
    now: dt.datetime | None = None,
) -> dict[Role, bool]:
    """The chair sets which roles sign this conference's plans and which of them are required."""
    _require_chair(session, identity, conference_id, "Only the conference chair can set who signs its plans.")
    needed, extra = (
        list(dict.fromkeys(Role(r) for r in required)),
        list(dict.fromkeys(Role(r) for r in optional)),
    )
    problems = []
    # The floor: a physician and at least one other discipline sign every plan, whoever chairs.
    if Role.PHYSICIAN not in needed or len(needed) < 2:
        problems.append("A physician and at least one other discipline must be required to sign")
    if not_clinical := [r.label for r in needed + extra if r not in CLINICAL_ROLES]:
        problems.append(f"Only clinical roles sign the plan, not: {', '.join(not_clinical)}")
    if both := [r.label for r in needed if r in extra]:
        problems.append(f"A role is either required or optional, not both: {', '.join(both)}")
    if problems:
        raise SignOffRefused(problems)
    guards.serialise_writes(session)
    signed = session.scalar(
        select(SignOff.id)
        .where(
            SignOff.conference_id == conference_id,
            SignOff.voided_at.is_(None),
            SignOff.withdrawn_at.is_(None),
        )
        .limit(1)
    )
    if signed is not None:
        raise SignOffRefused(
            ["Someone has already signed at this conference, so who must sign can no longer change"]
        )
    finalised_here = session.scalar(
        select(GoalsOfCareDocument.id)
        .where(GoalsOfCareDocument.final_conference_id == conference_id)
        .limit(1)
    )
    if finalised_here is not None:
        raise guards.RecordFinal(
            "Not saved: a record signed off at this conference is final; its signers cannot change."
        )
    session.execute(delete(ConferenceSignoffRole).where(ConferenceSignoffRole.conference_id == conference_id))
    session.add_all(
        [ConferenceSignoffRole(conference_id=conference_id, role=r, required=True) for r in needed]
        + [ConferenceSignoffRole(conference_id=conference_id, role=r, required=False) for r in extra]
    )
    session.flush()
    audit.record_by(
        session,
        identity,
        AuditAction.SIGNOFF_ROLES_SET,
        target_type="conference",
        target_id=conference_id,
        details={"required": [r.value for r in needed], "optional": [r.value for r in extra]},
        now=now,
    )
    for patient_id in session.scalars(
        select(ConferenceCase.patient_id).where(ConferenceCase.conference_id == conference_id)
    ):
        _maybe_finalise(session, identity, patient_id, conference_id, now or dt.datetime.now(dt.UTC))
    return roles_for(session, conference_id)


def _decide(
    session: Session,
    identity: Identity,
    patient_id: int,
    conference_id: int,
    decision: SignOffDecision,
    statement: str,
    reason: str | None,
    expected_hash: str,
    now: dt.datetime,
) -> SignatureView:
    guards.require_care_team(session, identity, patient_id)
    _conference_for(session, patient_id, conference_id)
    roles = roles_for(session, conference_id)
    if identity.role not in roles:
        allowed = ", ".join(r.label.lower() for r in roles)
        raise SignOffRefused(
            [
                f"This conference's plan is signed by: {allowed}. "
                f"You cannot sign it as {identity.role.label.lower()}"
            ]
        )
    guards.serialise_writes(session)
    doc = guards.document(session, patient_id)
    guards.refuse_if_final(doc)
    now_hash = _unchanged_hash(
        session, patient_id, conference_id, expected_hash, "There is no goals-of-care record to sign yet"
    )
    mine = [
        s
        for s in guards.conference_rows(session, SignOff, patient_id, conference_id)
        if s.user_id == identity.user_id and s.voided_at is None and s.withdrawn_at is None
    ]
    if any(s.decision is decision and s.content_sha256 == now_hash and s.overridden_at is None for s in mine):
        word = "signed" if decision is SignOffDecision.AGREE else "dissented from"
        raise SignOffRefused([f"You have already {word} this content"])
    for s in mine:  # a new decision replaces the signer's earlier one
        s.withdrawn_at = now
    row = SignOff(
        **_seen_by(identity, patient_id, conference_id, now_hash),
        role=identity.role,
        decision=decision,
        statement=statement,
        dissent_reason=reason,
        signed_at=now,
    )
    audit.record_created(
        session,
        identity,
        AuditAction.SIGNOFF_SIGNED if decision is SignOffDecision.AGREE else AuditAction.SIGNOFF_DISSENTED,
        row,
        details={
            "conference_id": conference_id,
            "role": identity.role.value,
            "content_sha256": now_hash,
            "replaces": [s.id for s in mine],
            **({"reason_chars": len(reason)} if reason else {}),
        },
        now=now,
    )
    _maybe_finalise(session, identity, patient_id, conference_id, now)
    return _signature_view(row, {identity.user_id: identity.display_name})


def sign(
    session: Session,
    identity: Identity,
    patient_id: int,
    conference_id: int,
    statement: str | None,
    expected_hash: str,
    now: dt.datetime,
) -> SignatureView:
    """Sign the goals of care and plan as one's own role. `expected_hash` is the hash of what the signer
    saw (SignOffStatus.current_hash); if the content changed since, ContentChanged and nothing is signed.
    The record becomes final when this completes consensus."""
    text = _text(statement, "statement", STATEMENT_MAX_CHARS, required=False)
    return _decide(
        session, identity, patient_id, conference_id, SignOffDecision.AGREE, text, None, expected_hash, now
    )


def dissent(
    session: Session,
    identity: Identity,
    patient_id: int,
    conference_id: int,
    reason: str,
    expected_hash: str,
    now: dt.datetime,
) -> SignatureView:
    """Record a dissent from the content, with a reason. It blocks finalisation until withdrawn by its
    author or overridden by the chair."""
    text = _text(reason, "reason for the dissent", REASON_MAX_CHARS, required=True)
    return _decide(
        session, identity, patient_id, conference_id, SignOffDecision.DISSENT, "", text, expected_hash, now
    )


def _live_row(session: Session, sign_off_id: int) -> SignOff:
    row = session.get(SignOff, sign_off_id, populate_existing=True)
    if row is None:
        raise AccessDenied("This signature is not one you can change.")
    return row


def _lock_for_change(session: Session, row: SignOff) -> None:
    """Take the writers' lock, re-read the row, and refuse if the record became final meanwhile."""
    guards.serialise_writes(session)
    session.refresh(row)
    guards.refuse_if_final(guards.document(session, row.patient_id))


def _after_change(session: Session, identity: Identity, row: SignOff, now: dt.datetime) -> SignatureView:
    """Finalise if the change completed consensus; the changed signature as the caller shows it."""
    _maybe_finalise(session, identity, row.patient_id, row.conference_id or 0, now)
    return _signature_view(row, guards.display_names(session, {row.user_id, row.override_by_id}))


def withdraw(session: Session, identity: Identity, sign_off_id: int, now: dt.datetime) -> SignatureView:
    """Take back one's own live signature or dissent (it stays on the record, marked withdrawn)."""
    row = _live_row(session, sign_off_id)
    if row.user_id != identity.user_id:
        raise AccessDenied("Only the person who signed can withdraw their signature or dissent.")
    guards.require_care_team(session, identity, row.patient_id)
    _lock_for_change(session, row)
    if row.voided_at is not None or row.withdrawn_at is not None:
        raise SignOffRefused(["This signature is already void or withdrawn"])
    row.withdrawn_at = now
    audit.record_about(
        session,
        identity,
        AuditAction.SIGNOFF_WITHDRAWN,
        row,
        details={"conference_id": row.conference_id, "decision": row.decision.value},
        now=now,
    )
    return _after_change(session, identity, row, now)


def override_dissent(
    session: Session, identity: Identity, sign_off_id: int, reason: str, now: dt.datetime
) -> SignatureView:
    """The conference chair overrides a standing dissent, with a reason. The dissent stays visible."""
    row = _live_row(session, sign_off_id)
    _require_chair(session, identity, row.conference_id, "Only the conference chair can override a dissent.")
    # The chair of a meeting may not be on this patient's care team: overriding needs both.
    guards.require_care_team(session, identity, row.patient_id)
    text = _text(reason, "reason for overriding the dissent", REASON_MAX_CHARS, required=True)
    _lock_for_change(session, row)
    if row.decision is not SignOffDecision.DISSENT:
        raise SignOffRefused(["Only a dissent can be overridden"])
    if row.voided_at is not None or row.withdrawn_at is not None or row.overridden_at is not None:
        raise SignOffRefused(["This dissent no longer stands (void, withdrawn or already overridden)"])
    row.override_by_id = identity.user_id
    row.override_reason = text
    row.overridden_at = now
    audit.record_about(
        session,
        identity,
        AuditAction.SIGNOFF_DISSENT_OVERRIDDEN,
        row,
        details={"conference_id": row.conference_id, "reason_chars": len(text)},
        now=now,
    )
    return _after_change(session, identity, row, now)


def finalise(
    session: Session, identity: Identity, patient_id: int, conference_id: int, now: dt.datetime
) -> SignOffStatus:
    """Make the record final if consensus is reached (it normally happens by itself on the last
    signature); NotFinal, saying what is missing, if not."""
    guards.require_care_team(session, identity, patient_id)
    _conference_for(session, patient_id, conference_id)
    guards.serialise_writes(session)
    doc = guards.document(session, patient_id)
    if doc is None or doc.final_at is None:
        result = _consensus(session, patient_id, conference_id)
        if result is None:
            raise NotFinal(["There is no goals-of-care record to sign yet"])
        if not result.is_final:
            raise NotFinal([result.explain()])
        _maybe_finalise(session, identity, patient_id, conference_id, now)
    return _status(session, patient_id, conference_id)


# ------------------------------------------------------------------------------------------------- family


def plan_for_family(
    session: Session, identity: Identity, patient_id: int, conference_id: int
) -> FamilyPlanView:
    """The plan and goals of care a linked family member is asked to acknowledge, with their hash."""
    guards.require_family_link(session, identity, patient_id)
    _conference_for(session, patient_id, conference_id)
    doc = guards.document(session, patient_id)
    latest = guards.latest_version(session, doc)
    return FamilyPlanView(
        dict(latest.content) if latest else None,
        plan_views(session, patient_id, conference_id),
        current_hash(session, patient_id, conference_id),
        bool(doc and doc.final_at and doc.final_conference_id == conference_id),
    )


def family_acknowledge(
    session: Session,
    identity: Identity,
    patient_id: int,
    conference_id: int,
    expected_hash: str,
    note: str | None,
    now: dt.datetime,
) -> AcknowledgementView:
    """A linked family member acknowledges the plan they saw (FamilyPlanView.content_hash). Recorded
    apart from the clinical signatures; it never counts towards consensus."""
    contact = guards.require_family_link(session, identity, patient_id)
    _conference_for(session, patient_id, conference_id)
    text = _text(note, "note", STATEMENT_MAX_CHARS, required=False) or None
    guards.serialise_writes(session)
    now_hash = _unchanged_hash(
        session, patient_id, conference_id, expected_hash, "There is no plan to acknowledge yet"
    )
    ack = FamilyAcknowledgement(
        **_seen_by(identity, patient_id, conference_id, now_hash),
        family_contact_id=contact.id,
        note=text,
        acknowledged_at=now,
    )
    audit.record_created(
        session,
        identity,
        AuditAction.FAMILY_ACKNOWLEDGED,
        ack,
        details={"conference_id": conference_id, "content_sha256": now_hash},
        now=now,
    )
    return AcknowledgementView(ack.id, identity.display_name, now_hash, now, text)
