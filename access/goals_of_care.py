"""The goals-of-care record and the conference plan: who may read and change them, versions, amendments
and addenda. Sign-off lives in access.signoff.

Rules:
- Clinicians on the patient's care team read and edit the record and the plan. A family member linked to
  the patient (FamilyContact.user_id) may only ask for a correction (an amendment request); the sign-off
  module lets them acknowledge the plan.
- Every save is a new, immutable version with author, time and reason. A save names the version the
  editor opened; if someone saved since, it is refused with StaleVersion carrying their version, and
  nothing is written: the editor keeps their own text and can compare.
- Bad input is refused whole (GoalsOfCareRefused and friends, with plain messages) and changes nothing.
- Any change to the record or a plan voids the live signatures on content that no longer exists.
- Once the team has signed off (access.signoff), the record and that conference's plan are final:
  changes raise RecordFinal, and only addenda may follow.

Writers serialise on the audit chain's lock, taken before reading what they are about to change: every
write is audited anyway, so this costs no extra waiting and cannot deadlock against the audit record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from access import audit
from access.accounts import Identity
from access.records import AccessDenied
from access.roles import CLINICAL_ROLES, Role
from clinical import goals_of_care as gc
from db import queries
from db.models import (
    Addendum,
    AmendmentRequest,
    AmendmentStatus,
    ConferenceCase,
    FamilyContact,
    GoalsOfCareDocument,
    GoalsOfCareVersion,
    Patient,
    PlanItem,
    PlanItemKind,
    PlanItemStatus,
    SignOff,
    User,
)

REASON_MAX_CHARS = 500
AMENDMENT_MAX_CHARS = 4000
ADDENDUM_MAX_CHARS = 4000
PLAN_TEXT_MAX_CHARS = 2000

_Row = TypeVar("_Row", PlanItem, AmendmentRequest)


# ---------------------------------------------------------------------------------------------- refusals


class Refused(Exception):
    """Input that cannot be saved as given. `messages` say why in plain words; nothing was written."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("Not saved. " + "; ".join(self.messages) + ".")


class GoalsOfCareRefused(Refused):
    """The goals-of-care record as entered cannot be saved (missing, contradictory or over-long fields)."""


class PlanItemRefused(Refused):
    """A plan item as entered cannot be saved."""


class AmendmentRefused(Refused):
    """An amendment request (or its answer) cannot be saved as given."""


class RecordFinal(Exception):
    """The record was signed off by the whole team and is read-only: only addenda may follow."""


@dataclass(frozen=True)
class VersionView:
    """One saved version, as plain data (safe to keep in session state)."""

    version_id: int
    number: int
    content: dict[str, Any]
    content_sha256: str
    author_id: int
    author_name: str
    created_at: dt.datetime
    reason: str


class StaleVersion(Exception):
    """Someone saved the record after the editor opened it. `theirs` is their version, to show beside the
    editor's own text (which the caller still holds: nothing was saved and nothing overwritten)."""

    def __init__(self, theirs: VersionView, based_on: int) -> None:
        self.theirs = theirs
        self.based_on = based_on
        super().__init__(
            f"Not saved: {theirs.author_name} saved version {theirs.number} at "
            f"{theirs.created_at:%Y-%m-%d %H:%M} UTC, after you opened version {based_on}. Your text is "
            "kept: compare it with theirs, then save again."
        )


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


class StalePlanItem(Exception):
    """Someone changed the plan item after the editor opened it; `theirs` is the item as it is now."""

    def __init__(self, theirs: PlanItemView) -> None:
        self.theirs = theirs
        super().__init__(
            "Not saved: someone changed this plan item after you opened it. Your text is kept: compare it "
            "with the current item, then save again."
        )


@dataclass(frozen=True)
class PlanItemDraft:
    """A plan item as an editor filled it in. The owner is a role or a person, not both."""

    kind: PlanItemKind | str
    text: str
    owner_role: Role | str | None = None
    owner_user_id: int | None = None
    due_date: dt.date | str | None = None
    status: PlanItemStatus | str = PlanItemStatus.PROPOSED


@dataclass(frozen=True)
class VersionSummary:
    number: int
    author_name: str
    created_at: dt.datetime
    reason: str


@dataclass(frozen=True)
class AddendumView:
    addendum_id: int
    author_name: str
    created_at: dt.datetime
    text: str


@dataclass(frozen=True)
class AmendmentView:
    request_id: int
    requested_by_name: str
    requested_at: dt.datetime
    text: str
    status: AmendmentStatus
    about_version: int | None
    answered_by_name: str | None
    answered_at: dt.datetime | None
    answer_reason: str | None
    resulting_version: int | None
    resulting_addendum_id: int | None


@dataclass(frozen=True)
class RecordView:
    patient_id: int
    current: VersionView | None
    history: list[VersionSummary] = field(default_factory=list)  # newest first
    final_at: dt.datetime | None = None
    final_hash: str | None = None
    final_conference_id: int | None = None
    addenda: list[AddendumView] = field(default_factory=list)
    amendments: list[AmendmentView] = field(default_factory=list)

    @property
    def number(self) -> int:
        """The version an editor opening the record now is based on (0: nothing saved yet)."""
        return self.current.number if self.current else 0

    @property
    def is_final(self) -> bool:
        return self.final_at is not None


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
    """The family contact this person signs in as for the patient; AccessDenied otherwise."""
    contact = None
    if identity.role is Role.FAMILY:
        contact = session.scalar(
            select(FamilyContact)
            .where(FamilyContact.user_id == identity.user_id, FamilyContact.patient_id == patient_id)
            .limit(1)
        )
    if contact is None:
        raise AccessDenied("Only a family member linked to this patient can do this.")
    return contact


def _row_or_deny(session: Session, model: type[_Row], row_id: int) -> _Row:
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


def _version_view(session: Session, v: GoalsOfCareVersion) -> VersionView:
    return VersionView(
        v.id,
        v.version_number,
        dict(v.content),
        v.content_sha256,
        v.author_id,
        display_names(session, {v.author_id}).get(v.author_id, "someone"),
        v.created_at,
        v.reason,
    )


def _version(session: Session, patient_id: int, number: int) -> GoalsOfCareVersion:
    v = session.scalar(
        select(GoalsOfCareVersion)
        .join(GoalsOfCareDocument, GoalsOfCareDocument.id == GoalsOfCareVersion.document_id)
        .where(GoalsOfCareDocument.patient_id == patient_id, GoalsOfCareVersion.version_number == number)
    )
    if v is None:
        raise GoalsOfCareRefused([f"There is no version {number} of this record"])
    return v


def open_record(
    session: Session, identity: Identity, patient_id: int, now: dt.datetime | None = None
) -> RecordView:
    """The current version, the history (newest first), addenda and amendment requests; audited as a view."""
    require_care_team(session, identity, patient_id)
    doc = document(session, patient_id)
    view = RecordView(patient_id, None)
    if doc is not None:
        versions = session.scalars(
            select(GoalsOfCareVersion)
            .where(GoalsOfCareVersion.document_id == doc.id)
            .order_by(GoalsOfCareVersion.version_number.desc())
        ).all()
        addenda = session.scalars(
            select(Addendum).where(Addendum.document_id == doc.id).order_by(Addendum.id)
        ).all()
        names = display_names(session, {v.author_id for v in versions} | {a.author_id for a in addenda})
        view = RecordView(
            patient_id,
            _version_view(session, versions[0]) if versions else None,
            [
                VersionSummary(v.version_number, names.get(v.author_id, "someone"), v.created_at, v.reason)
                for v in versions
            ],
            doc.final_at,
            doc.final_hash,
            doc.final_conference_id,
            [AddendumView(a.id, names.get(a.author_id, "someone"), a.created_at, a.text) for a in addenda],
            _amendments(session, patient_id),
        )
    else:
        view = RecordView(patient_id, None, amendments=_amendments(session, patient_id))
    _audit_viewed(session, identity, patient_id, doc.id if doc else None, {"version": view.number}, now)
    return view


def _audit_viewed(
    session: Session,
    identity: Identity,
    patient_id: int,
    document_id: int | None,
    details: dict[str, Any],
    now: dt.datetime | None,
) -> None:
    audit.record_view(
        session,
        identity,
        "goals_of_care_viewed",
        patient_id=patient_id,
        target_type="goals_of_care",
        target_id=document_id,
        details=details,
        now=now,
    )


def version(session: Session, identity: Identity, patient_id: int, number: int) -> VersionView:
    """One version of the record, by number."""
    require_care_team(session, identity, patient_id)
    return _version_view(session, _version(session, patient_id, number))


def compare(
    session: Session, identity: Identity, patient_id: int, v1: int, v2: int, now: dt.datetime | None = None
) -> list[gc.FieldChange]:
    """What changed from version v1 to version v2, field by field, in readable words."""
    require_care_team(session, identity, patient_id)
    old, new = _version(session, patient_id, v1), _version(session, patient_id, v2)
    _audit_viewed(session, identity, patient_id, old.document_id, {"compared": [v1, v2]}, now)
    return gc.diff(old.content, new.content)


# ------------------------------------------------------------------------------------------------- saving


def _content_sha256(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(gc.canonical_json(content).encode("utf-8")).hexdigest()


def _final_refusal(doc: GoalsOfCareDocument) -> RecordFinal:
    when = f"{doc.final_at:%Y-%m-%d %H:%M} UTC" if doc.final_at else "earlier"
    return RecordFinal(
        f"Not saved: the team signed off this goals-of-care record and plan ({when}), so it is final and "
        "can no longer be changed. Add an addendum instead."
    )


def refuse_if_final(doc: GoalsOfCareDocument | None) -> None:
    """RecordFinal if the team signed off this record: it then takes addenda only."""
    if doc is not None and doc.final_at is not None:
        raise _final_refusal(doc)


def _reason_problems(reason: str | None, what: str = "this change") -> list[str]:
    return _text_problems(reason, "reason", REASON_MAX_CHARS, empty=f"Please give a reason for {what}")


def save(
    session: Session,
    identity: Identity,
    patient_id: int,
    content: Mapping[str, Any],
    based_on_version: int,
    reason: str,
    now: dt.datetime,
) -> VersionView:
    """Save `content` as the next version. `based_on_version` is the number the editor opened (0 for a
    new record). Raises GoalsOfCareRefused (bad input), StaleVersion (someone saved since), RecordFinal
    (signed off) or AccessDenied; in every case nothing is written."""
    require_care_team(session, identity, patient_id)
    problems = gc.validate(content) + _reason_problems(reason)
    if problems:
        raise GoalsOfCareRefused(problems)
    return _save_version(
        session, identity, patient_id, gc.normalise(content), based_on_version, reason.strip(), now
    )


def _save_version(
    session: Session,
    identity: Identity,
    patient_id: int,
    stored: dict[str, Any],
    based_on_version: int,
    reason: str,
    now: dt.datetime,
) -> VersionView:
    serialise_writes(session)
    doc = document(session, patient_id)
    latest = latest_version(session, doc)
    refuse_if_final(doc)
    current = latest.version_number if latest else 0
    if based_on_version != current:
        if latest is None or based_on_version > current:
            raise GoalsOfCareRefused([f"There is no version {based_on_version} of this record to build on"])
        raise StaleVersion(_version_view(session, latest), based_on_version)
    if latest is not None and latest.content == stored:
        raise GoalsOfCareRefused([f"Nothing differs from version {current}, so there is nothing to save"])

    if doc is None:
        doc = GoalsOfCareDocument(patient_id=patient_id, updated_at=now)
        session.add(doc)
    else:
        doc.updated_at = now
        flag_modified(doc, "updated_at")  # the row's optimistic-lock counter moves on every save
    session.flush()
    saved = GoalsOfCareVersion(
        document_id=doc.id,
        version_number=current + 1,
        content=stored,
        content_sha256=_content_sha256(stored),
        author_id=identity.user_id,
        created_at=now,
        reason=reason,
    )
    session.add(saved)
    session.flush()
    audit.record_by(
        session,
        identity,
        "goals_of_care_saved",
        patient_id=patient_id,
        target_type="goals_of_care_version",
        target_id=saved.id,
        details={
            "version": saved.version_number,
            "reason": reason,
            "content_sha256": saved.content_sha256,
            "changed": [c.key for c in gc.diff(latest.content if latest else {}, stored)],
        },
        now=now,
    )
    void_stale_signatures(session, identity, patient_id, now)
    return _version_view(session, saved)


# ------------------------------------------------------------------------------- content hash and voiding


def _plan_rows(session: Session, patient_id: int, conference_id: int) -> Sequence[PlanItem]:
    return session.scalars(
        select(PlanItem)
        .where(PlanItem.patient_id == patient_id, PlanItem.conference_id == conference_id)
        .order_by(PlanItem.id)
        .execution_options(populate_existing=True)
    ).all()


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
    rows = _plan_rows(session, patient_id, conference_id)
    names = display_names(session, {r.owner_user_id for r in rows})
    return [_plan_view(r, names) for r in rows]


def current_hash(session: Session, patient_id: int, conference_id: int) -> str | None:
    """SHA-256 of what a signature at this conference covers now: the latest goals-of-care content and
    the conference's plan for the patient. None while there is no goals-of-care record to sign."""
    latest = latest_version(session, document(session, patient_id))
    if latest is None:
        return None
    plan = [p.canonical() for p in plan_views(session, patient_id, conference_id)]
    return gc.content_hash(latest.content, plan)


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
            "signoffs_voided",
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


# ------------------------------------------------------------------------------------------ the plan


def _require_case(session: Session, patient_id: int, conference_id: int) -> None:
    case = session.scalar(
        select(ConferenceCase.id).where(
            ConferenceCase.patient_id == patient_id, ConferenceCase.conference_id == conference_id
        )
    )
    if case is None:
        raise PlanItemRefused(["This patient is not on that conference's agenda"])


def _refuse_if_plan_final(session: Session, patient_id: int, conference_id: int) -> None:
    doc = document(session, patient_id)
    if doc is not None and doc.final_at is not None and doc.final_conference_id == conference_id:
        raise _final_refusal(doc)


def plan_items(
    session: Session, identity: Identity, patient_id: int, conference_id: int
) -> list[PlanItemView]:
    """The conference's plan for the patient, oldest item first."""
    require_care_team(session, identity, patient_id)
    return plan_views(session, patient_id, conference_id)


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
    text = (draft.text or "").strip()
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
    require_care_team(session, identity, patient_id)
    _require_case(session, patient_id, conference_id)
    clean = _clean_item(session, patient_id, draft)
    serialise_writes(session)
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
    _audit_item(session, identity, item, "plan_item_added", now)
    void_stale_signatures(session, identity, patient_id, now)
    return _plan_view(item, display_names(session, {item.owner_user_id}))


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
    item = _row_or_deny(session, PlanItem, item_id)
    require_care_team(session, identity, item.patient_id)
    clean = _clean_item(session, item.patient_id, draft)
    serialise_writes(session)
    session.refresh(item)
    _refuse_if_plan_final(session, item.patient_id, item.conference_id or 0)
    if item.version != based_on_version:
        raise StalePlanItem(_plan_view(item, display_names(session, {item.owner_user_id})))
    before = _plan_view(item, {}).canonical()
    item.kind, item.description, item.status = clean.kind, clean.text, clean.status
    item.owner_role, item.owner_user_id, item.due_date = clean.owner_role, clean.owner_user_id, clean.due_date
    item.updated_at = now
    flag_modified(item, "updated_at")
    session.flush()
    _audit_item(session, identity, item, "plan_item_changed", now, before=before)
    void_stale_signatures(session, identity, item.patient_id, now)
    return _plan_view(item, display_names(session, {item.owner_user_id}))


def _audit_item(
    session: Session,
    identity: Identity,
    item: PlanItem,
    action: str,
    now: dt.datetime,
    before: dict[str, Any] | None = None,
) -> None:
    after = _plan_view(item, {}).canonical()
    details: dict[str, Any] = {"conference_id": item.conference_id, "version": item.version}
    if before is None:
        details["item"] = after
    else:
        details["changed"] = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
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


# ------------------------------------------------------------------------------------------------ addenda


def _text_problems(text: str | None, what: str, limit: int, *, empty: str | None = None) -> list[str]:
    clean = (text or "").strip()
    if not clean:
        return [empty or f"The {what} is empty"]
    if len(clean) > limit:
        return [f"The {what} is {len(clean)} characters long; please keep it to {limit} or fewer"]
    return []


def add_addendum(
    session: Session, identity: Identity, patient_id: int, text: str, now: dt.datetime
) -> AddendumView:
    """Add a note to the record. The only change a final record takes; allowed before that too."""
    require_care_team(session, identity, patient_id)
    problems = _text_problems(text, "addendum", ADDENDUM_MAX_CHARS)
    if problems:
        raise GoalsOfCareRefused(problems)
    return _add_addendum(session, identity, patient_id, text.strip(), now)


def _add_addendum(
    session: Session, identity: Identity, patient_id: int, text: str, now: dt.datetime
) -> AddendumView:
    serialise_writes(session)
    doc = document(session, patient_id)
    if doc is None:
        raise GoalsOfCareRefused(["There is no goals-of-care record yet to add an addendum to"])
    addendum = Addendum(
        patient_id=patient_id, document_id=doc.id, author_id=identity.user_id, text=text, created_at=now
    )
    session.add(addendum)
    session.flush()
    audit.record_by(
        session,
        identity,
        "addendum_added",
        patient_id=patient_id,
        target_type="addendum",
        target_id=addendum.id,
        details={"final": doc.final_at is not None, "chars": len(text)},
        now=now,
    )
    return AddendumView(addendum.id, identity.display_name, now, text)


# --------------------------------------------------------------------------------------------- amendments


def _amendments(session: Session, patient_id: int, requested_by: int | None = None) -> list[AmendmentView]:
    query = select(AmendmentRequest).where(AmendmentRequest.patient_id == patient_id)
    if requested_by is not None:
        query = query.where(AmendmentRequest.requested_by_id == requested_by)
    rows = session.scalars(query.order_by(AmendmentRequest.id)).all()
    names = display_names(session, {r.requested_by_id for r in rows} | {r.answered_by_id for r in rows})
    numbers = _version_numbers(
        session, ({r.about_version_id for r in rows} | {r.resulting_version_id for r in rows}) - {None}
    )
    return [_amendment_view(r, names, numbers) for r in rows]


def _version_numbers(session: Session, version_ids: set[int | None]) -> dict[int, int]:
    """Version id -> version number, for these versions."""
    return dict(
        session.execute(
            select(GoalsOfCareVersion.id, GoalsOfCareVersion.version_number).where(
                GoalsOfCareVersion.id.in_(version_ids)
            )
        ).all()
    )


def _amendment_view(
    r: AmendmentRequest, names: Mapping[int, str], numbers: Mapping[int, int]
) -> AmendmentView:
    return AmendmentView(
        r.id,
        names.get(r.requested_by_id, "someone"),
        r.requested_at,
        r.text,
        r.status,
        numbers.get(r.about_version_id) if r.about_version_id else None,
        names.get(r.answered_by_id) if r.answered_by_id else None,
        r.answered_at,
        r.answer_reason,
        numbers.get(r.resulting_version_id) if r.resulting_version_id else None,
        r.resulting_addendum_id,
    )


def _one_amendment(session: Session, request: AmendmentRequest) -> AmendmentView:
    numbers = _version_numbers(session, {request.about_version_id, request.resulting_version_id} - {None})
    return _amendment_view(
        request, display_names(session, {request.requested_by_id, request.answered_by_id}), numbers
    )


def my_amendment_requests(session: Session, identity: Identity, patient_id: int) -> list[AmendmentView]:
    """A family member's own requests for this patient, with their answers."""
    require_family_link(session, identity, patient_id)
    return _amendments(session, patient_id, requested_by=identity.user_id)


def request_amendment(
    session: Session, identity: Identity, patient_id: int, text: str, now: dt.datetime
) -> AmendmentView:
    """A linked family member asks for a correction to the goals-of-care record."""
    contact = require_family_link(session, identity, patient_id)
    problems = _text_problems(text, "request", AMENDMENT_MAX_CHARS)
    if problems:
        raise AmendmentRefused(problems)
    latest = latest_version(session, document(session, patient_id))
    request = AmendmentRequest(
        patient_id=patient_id,
        requested_by_id=identity.user_id,
        family_contact_id=contact.id,
        about_version_id=latest.id if latest else None,
        text=text.strip(),
        status=AmendmentStatus.REQUESTED,
        requested_at=now,
    )
    session.add(request)
    session.flush()
    audit.record_by(
        session,
        identity,
        "amendment_requested",
        patient_id=patient_id,
        target_type="amendment_request",
        target_id=request.id,
        details={"about_version": latest.version_number if latest else None, "chars": len(request.text)},
        now=now,
    )
    return _one_amendment(session, request)


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
    request = _row_or_deny(session, AmendmentRequest, request_id)
    patient_id = request.patient_id
    require_care_team(session, identity, patient_id)
    problems = _reason_problems(reason, "this answer")
    if problems:
        raise AmendmentRefused(problems)
    serialise_writes(session)
    session.refresh(request)
    if request.status is not AmendmentStatus.REQUESTED:
        who = display_names(session, {request.answered_by_id}).get(request.answered_by_id or 0, "someone")
        raise AmendmentRefused([f"This request was already {request.status.value} by {who}"])

    if accept:
        doc = document(session, patient_id)
        if doc is not None and doc.final_at is not None:
            text = (addendum_text or "").strip() or f"Amendment requested by the family: {request.text}"
            if problems := _text_problems(text, "addendum", ADDENDUM_MAX_CHARS):
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
            saved = _save_version(
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
    session.flush()
    audit.record_by(
        session,
        identity,
        "amendment_accepted" if accept else "amendment_refused",
        patient_id=patient_id,
        target_type="amendment_request",
        target_id=request.id,
        details={
            "reason": request.answer_reason,
            "resulting_version_id": request.resulting_version_id,
            "resulting_addendum_id": request.resulting_addendum_id,
        },
        now=now,
    )
    return _one_amendment(session, request)


def pending_amendments(session: Session, identity: Identity, patient_id: int) -> int:
    """How many amendment requests wait for an answer (for a badge)."""
    require_care_team(session, identity, patient_id)
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
