"""A patient's goals-of-care record: its versions, saving a new one, and reading it with its history,
addenda and amendment requests. The conference plan is in services.goals_of_care.plan, the addendum and
amendment workflow in services.goals_of_care.amendments, sign-off in services.goals_of_care.signoff; what
they share is in services.goals_of_care.guards.

Rules:
- Clinicians on the patient's care team read and edit the record.
- Every save is a new, immutable version with author, time and reason. A save names the version the editor
  opened; if someone saved since, it is refused with StaleVersion carrying their version, and nothing is
  written: the editor keeps their own text and can compare.
- Bad input is refused whole (GoalsOfCareRefused, with plain messages) and changes nothing.
- A save voids the live signatures on content that no longer exists.
- Once the team has signed off (services.goals_of_care.signoff), the record is final: a save raises
  RecordFinal.

Addenda and amendment requests are read here, as part of the record that shows them, rather than in
services.goals_of_care.amendments, which writes them: that module saves an accepted correction through
write_version, so it depends on this one and cannot also be depended on by open_record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
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
from db.models import (
    Addendum,
    AmendmentRequest,
    AmendmentStatus,
    GoalsOfCareDocument,
    GoalsOfCareVersion,
)
from services.goals_of_care import guards
from services.goals_of_care.plan import void_stale_signatures

REASON_MAX_CHARS = 500


class GoalsOfCareRefused(guards.Refused):
    """The goals-of-care record as entered cannot be saved (missing, contradictory or over-long fields)."""


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


class StaleVersion(Refusal):
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


# ------------------------------------------------------------------------------------------------ reading


def _version_view(session: Session, v: GoalsOfCareVersion) -> VersionView:
    return VersionView(
        v.id,
        v.version_number,
        dict(v.content),
        v.content_sha256,
        v.author_id,
        guards.display_names(session, {v.author_id}).get(v.author_id, "someone"),
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
    guards.require_care_team(session, identity, patient_id)
    doc = guards.document(session, patient_id)
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
        authors = {v.author_id for v in versions} | {a.author_id for a in addenda}
        names = guards.display_names(session, authors)
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
            amendment_views(session, patient_id),
        )
    else:
        view = RecordView(patient_id, None, amendments=amendment_views(session, patient_id))
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
        AuditAction.GOALS_OF_CARE_VIEWED,
        patient_id=patient_id,
        target_type="goals_of_care",
        target_id=document_id,
        details=details,
        now=now,
    )


def version(session: Session, identity: Identity, patient_id: int, number: int) -> VersionView:
    """One version of the record, by number."""
    guards.require_care_team(session, identity, patient_id)
    return _version_view(session, _version(session, patient_id, number))


def compare(
    session: Session, identity: Identity, patient_id: int, v1: int, v2: int, now: dt.datetime | None = None
) -> list[gc.FieldChange]:
    """What changed from version v1 to version v2, field by field, in readable words."""
    guards.require_care_team(session, identity, patient_id)
    old, new = _version(session, patient_id, v1), _version(session, patient_id, v2)
    _audit_viewed(session, identity, patient_id, old.document_id, {"compared": [v1, v2]}, now)
    return gc.diff(old.content, new.content)


# ---------------------------------------------------------------------- amendment requests, as shown


def amendment_views(
    session: Session, patient_id: int, requested_by: int | None = None
) -> list[AmendmentView]:
    """The patient's amendment requests (only those `requested_by` made, if given), oldest first; no
    access check."""
    query = select(AmendmentRequest).where(AmendmentRequest.patient_id == patient_id)
    if requested_by is not None:
        query = query.where(AmendmentRequest.requested_by_id == requested_by)
    rows = session.scalars(query.order_by(AmendmentRequest.id)).all()
    people = {r.requested_by_id for r in rows} | {r.answered_by_id for r in rows}
    names = guards.display_names(session, people)
    numbers = _version_numbers(
        session, ({r.about_version_id for r in rows} | {r.resulting_version_id for r in rows}) - {None}
    )
    return [_amendment_view(r, names, numbers) for r in rows]


def amendment_view(session: Session, request: AmendmentRequest) -> AmendmentView:
    """One amendment request as shown; no access check."""
    numbers = _version_numbers(session, {request.about_version_id, request.resulting_version_id} - {None})
    return _amendment_view(
        request, guards.display_names(session, {request.requested_by_id, request.answered_by_id}), numbers
    )


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


# ------------------------------------------------------------------------------------------------- saving


def _content_sha256(content: Mapping[str, Any]) -> str:
    return canonical_sha256(content)


def reason_problems(reason: str | None, what: str = "this change") -> list[str]:
    """Why `reason` cannot be saved as the reason for `what`; [] when it can."""
    return guards.text_problems(reason, "reason", REASON_MAX_CHARS, empty=f"Please give a reason for {what}")


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
    guards.require_care_team(session, identity, patient_id)
    problems = gc.validate(content) + reason_problems(reason)
    if problems:
        raise GoalsOfCareRefused(problems)
    return write_version(
        session, identity, patient_id, gc.normalise(content), based_on_version, typed_text.clean(reason), now
    )


def write_version(
    session: Session,
    identity: Identity,
    patient_id: int,
    stored: dict[str, Any],
    based_on_version: int,
    reason: str,
    now: dt.datetime,
) -> VersionView:
    """Write `stored` (validated and normalised) as the next version, for a caller that has checked the
    person's access and the reason: save() and an accepted amendment request."""
    guards.serialise_writes(session)
    doc = guards.document(session, patient_id)
    latest = guards.latest_version(session, doc)
    guards.refuse_if_final(doc)
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
    audit.record_created(
        session,
        identity,
        AuditAction.GOALS_OF_CARE_SAVED,
        saved,
        patient_id=patient_id,
        details={
            "version": saved.version_number,
            "reason_chars": len(reason),
            "content_sha256": saved.content_sha256,
            "changed": [c.key for c in gc.diff(latest.content if latest else {}, stored)],
        },
        now=now,
    )
    void_stale_signatures(session, identity, patient_id, now)
    return _version_view(session, saved)
