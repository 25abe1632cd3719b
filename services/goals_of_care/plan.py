"""A conference's plan for a patient: recommendations and action items, who reads and changes them, and
the content a sign-off covers (the latest goals of care plus that plan).

Rules:
- Clinicians on the patient's care team read and change the plan of a conference whose agenda has the
  patient. An action item has an owner: a clinical role or someone on the care team, not both.
- A change names the item's version the editor opened; if someone changed the item since, it is refused
  with StalePlanItem carrying the item as it is now, and nothing is written. An item is never deleted:
  it is set withdrawn.
- Any change to the record or a plan voids the live signatures on content that no longer exists
  (void_stale_signatures, which the record's save calls too).
- Once the team has signed off at a conference, that conference's plan is final (RecordFinal).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from auth import audit
from auth.audit import AuditAction
from auth.identity import Identity
from auth.refusal import Refusal
from clinical import goals_of_care as gc
from clinical import typed_text
from clinical.canonical import canonical_sha256
from clinical.roles import CLINICAL_ROLES, Role
from db import queries
from db.models import ConferenceCase, PlanItem, PlanItemKind, PlanItemStatus, SignOff
from services.goals_of_care import guards

PLAN_TEXT_MAX_CHARS = 2000


@dataclass(frozen=True)
class PlanItemView:
    item_id: int
    conference_id: int
    kind: PlanItemKind
    text: str
    owner_role: Role | None
    owner_user_id: int | None
    owner_name: str | None
    due_date: dt.date | None
    status: PlanItemStatus
    version: int

    def canonical(self) -> dict[str, Any]:
        """What a signature covers of this item."""
        return {
            "id": self.item_id,
            "kind": self.kind.value,
            "text": self.text,
            "owner_role": self.owner_role.value if self.owner_role else None,
            "owner_user_id": self.owner_user_id,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "status": self.status.value,
        }


@dataclass(frozen=True)
class PlanItemDraft:
    """A plan item as an editor filled it in. The owner is a role or a person, not both."""

    kind: PlanItemKind | str
    text: str
    owner_role: Role | str | None = None
    owner_user_id: int | None = None
    due_date: dt.date | str | None = None
    status: PlanItemStatus | str = PlanItemStatus.PROPOSED


class PlanItemRefused(guards.Refused):
    """A plan item as entered cannot be saved."""


class StalePlanItem(Refusal):
    """Someone changed the plan item after the editor opened it; `theirs` is the item as it is now."""

    def __init__(self, theirs: PlanItemView) -> None:
        self.theirs = theirs
        super().__init__(
            "Not saved: someone changed this plan item after you opened it. Your text is kept: compare it "
            "with the current item, then save again."
        )


# ------------------------------------------------------------------------------------------------ reading


def _plan_view(item: PlanItem, names: Mapping[int, str]) -> PlanItemView:
    return PlanItemView(
        item.id,
        item.conference_id or 0,
        item.kind,
        item.description,
        item.owner_role,
        item.owner_user_id,
        item.owner_role.label if item.owner_role else names.get(item.owner_user_id or 0),
        item.due_date,
        item.status,
        item.version,
    )


def plan_views(session: Session, patient_id: int, conference_id: int) -> list[PlanItemView]:
    """The conference's plan for the patient, oldest item first, with owners' names (no access check)."""
    rows = guards.conference_rows(session, PlanItem, patient_id, conference_id)
    names = guards.display_names(session, {r.owner_user_id for r in rows})
    return [_plan_view(r, names) for r in rows]


def plan_items(
    session: Session, identity: Identity, patient_id: int, conference_id: int
) -> list[PlanItemView]:
    """The conference's plan for the patient, oldest item first."""
    guards.require_care_team(session, identity, patient_id)
    return plan_views(session, patient_id, conference_id)


# ------------------------------------------------------------------------------- content hash and voiding


def current_hash(session: Session, patient_id: int, conference_id: int) -> str | None:
    """SHA-256 of what a signature at this conference covers now: the latest goals-of-care content and
    the conference's plan for the patient. None while there is no goals-of-care record to sign."""
    latest = guards.latest_version(session, guards.document(session, patient_id))
    if latest is None:
        return None
    return hash_of(latest.content, plan_views(session, patient_id, conference_id))


def hash_of(content: Mapping[str, Any], plan: Sequence[PlanItemView]) -> str:
    """SHA-256 of these goals-of-care content and plan items, as a signature on them names it."""
    return gc.content_hash(content, [p.canonical() for p in plan])


def void_stale_signatures(session: Session, actor: Identity, patient_id: int, now: dt.datetime) -> list[int]:
    """Void every live signature (agreement or dissent) on this patient's content that no longer matches
    what it signed. Void signatures stay on the record, marked void."""
    live = session.scalars(
        select(SignOff).where(
            SignOff.patient_id == patient_id, SignOff.voided_at.is_(None), SignOff.withdrawn_at.is_(None)
        )
    ).all()
    hashes: dict[int, str | None] = {}
    voided = []
    for s in live:
        conference = s.conference_id or 0
        if conference not in hashes:
            hashes[conference] = current_hash(session, patient_id, conference)
        if s.content_sha256 != hashes[conference]:
            s.voided_at = now
            voided.append(s)
    if voided:
        session.flush()
        audit.record_by(
            session,
            actor,
            AuditAction.SIGNOFFS_VOIDED,
            patient_id=patient_id,
            target_type="sign_off",
            target_id=",".join(str(s.id) for s in voided)[:60],
            details={
                "sign_offs": [s.id for s in voided],
                "conferences": sorted({s.conference_id for s in voided}),
            },
            now=now,
        )
    return [s.id for s in voided]


# ------------------------------------------------------------------------------------------------ writing


def _require_case(session: Session, patient_id: int, conference_id: int) -> None:
    case = session.scalar(
        select(ConferenceCase.id).where(
            ConferenceCase.patient_id == patient_id, ConferenceCase.conference_id == conference_id
        )
    )
    if case is None:
        raise PlanItemRefused(["This patient is not on that conference's agenda"])


def _refuse_if_plan_final(session: Session, patient_id: int, conference_id: int) -> None:
    doc = guards.document(session, patient_id)
    if doc is not None and doc.final_at is not None and doc.final_conference_id == conference_id:
        raise guards.final_refusal(doc)


@dataclass(frozen=True)
class _CleanItem:
    kind: PlanItemKind
    text: str
    owner_role: Role | None
    owner_user_id: int | None
    due_date: dt.date | None
    status: PlanItemStatus


def _clean_item(session: Session, patient_id: int, draft: PlanItemDraft) -> _CleanItem:
    problems: list[str] = []
    kind = status = owner_role = due = None
    try:
        kind = PlanItemKind(draft.kind)
    except ValueError:
        problems.append("Say whether this is a recommendation or an action item")
    try:
        status = PlanItemStatus(draft.status)
    except ValueError:
        problems.append(f"{draft.status!r} is not a plan item status (proposed, agreed, done or withdrawn)")
    text = typed_text.clean(draft.text)
    if not text:
        problems.append("The plan item needs a description")
    elif len(text) > PLAN_TEXT_MAX_CHARS:
        problems.append(
            f"The description is {len(text)} characters long; please keep it to {PLAN_TEXT_MAX_CHARS}"
        )
    if draft.owner_role is not None:
        try:
            owner_role = Role(draft.owner_role)
        except ValueError:
            owner_role = None
        if owner_role not in CLINICAL_ROLES:
            problems.append(f"{draft.owner_role!r} is not a clinical role that can own a plan item")
    if draft.owner_role is not None and draft.owner_user_id is not None:
        problems.append("Give the item one owner: a role or a person, not both")
    if draft.owner_user_id is not None and not queries.is_on_care_team(
        session, draft.owner_user_id, patient_id
    ):
        problems.append("The owner must be someone on the patient's care team")
    if kind is PlanItemKind.ACTION and draft.owner_role is None and draft.owner_user_id is None:
        problems.append("An action item needs an owner: a role or a person")
    if isinstance(draft.due_date, str) and draft.due_date.strip():
        try:
            due = dt.date.fromisoformat(draft.due_date.strip())
        except ValueError:
            problems.append("The due date is not a date (expected a date like 2026-12-31)")
    elif isinstance(draft.due_date, dt.date):
        due = draft.due_date
    if due is not None and (problem := typed_text.date_problem(due)) is not None:
        problems.append(f"The due date: {problem}")
    if problems:
        raise PlanItemRefused(problems)
    assert kind is not None and status is not None
    return _CleanItem(kind, text, owner_role, draft.owner_user_id, due, status)


def add_plan_item(
    session: Session,
    identity: Identity,
    patient_id: int,
    conference_id: int,
    draft: PlanItemDraft,
    now: dt.datetime,
) -> PlanItemView:
    """Add a recommendation or an action item to the conference's plan for the patient."""
    guards.require_care_team(session, identity, patient_id)
    _require_case(session, patient_id, conference_id)
    clean = _clean_item(session, patient_id, draft)
    guards.serialise_writes(session)
    _refuse_if_plan_final(session, patient_id, conference_id)
    item = PlanItem(
        patient_id=patient_id,
        conference_id=conference_id,
        discipline=identity.role,
        description=clean.text,
        status=clean.status,
        created_by_id=identity.user_id,
        created_at=now,
        kind=clean.kind,
        owner_role=clean.owner_role,
        owner_user_id=clean.owner_user_id,
        due_date=clean.due_date,
    )
    session.add(item)
    session.flush()
    _audit_item(session, identity, item, AuditAction.PLAN_ITEM_ADDED, now)
    void_stale_signatures(session, identity, patient_id, now)
    return _plan_view(item, guards.display_names(session, {item.owner_user_id}))


def update_plan_item(
    session: Session,
    identity: Identity,
    item_id: int,
    draft: PlanItemDraft,
    based_on_version: int,
    now: dt.datetime,
) -> PlanItemView:
    """Replace a plan item's text, kind, owner, due date and status. `based_on_version` is the item's
    version the editor opened; StalePlanItem if it moved since. Remove an item by setting it withdrawn."""
    item = guards.row_or_deny(session, PlanItem, item_id)
    guards.require_care_team(session, identity, item.patient_id)
    clean = _clean_item(session, item.patient_id, draft)
    guards.serialise_writes(session)
    session.refresh(item)
    _refuse_if_plan_final(session, item.patient_id, item.conference_id or 0)
    if item.version != based_on_version:
        raise StalePlanItem(_plan_view(item, guards.display_names(session, {item.owner_user_id})))
    before = _plan_view(item, {}).canonical()
    item.kind, item.description, item.status = clean.kind, clean.text, clean.status
    item.owner_role, item.owner_user_id, item.due_date = clean.owner_role, clean.owner_user_id, clean.due_date
    item.updated_at = now
    flag_modified(item, "updated_at")
    session.flush()
    _audit_item(session, identity, item, AuditAction.PLAN_ITEM_CHANGED, now, before=before)
    void_stale_signatures(session, identity, item.patient_id, now)
    return _plan_view(item, guards.display_names(session, {item.owner_user_id}))


def _audit_item(
    session: Session,
    identity: Identity,
    item: PlanItem,
    action: AuditAction,
    now: dt.datetime,
    before: dict[str, Any] | None = None,
) -> None:
    after = _plan_view(item, {}).canonical()
    # Which fields changed and a hash of the item, not its words: the plan is clinical text, read on the
    # Plan tab by the care team, while the audit report is read by administrators.
    details: dict[str, Any] = {
        "conference_id": item.conference_id,
        "version": item.version,
        "item_sha256": canonical_sha256(after),
    }
    if before is not None:
        details["changed"] = sorted(k for k in after if before[k] != after[k])
    audit.record_by(
        session,
        identity,
        action,
        patient_id=item.patient_id,
        target_type="plan_item",
        target_id=item.id,
        details=details,
        now=now,
    )
