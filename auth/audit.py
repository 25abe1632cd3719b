"""The audit trail: append-only, chained by a keyed hash, verifiable.

Each row stores HMAC-SHA256(key, previous row's hash + canonical JSON of this event), the key living
outside the database (auth/audit_keys.py). Changing, inserting or removing any row behind the portal's back
breaks the chain at that row; removing the newest rows is found against checkpoints of the chain's head
kept outside the database (auth/audit_checkpoints.py). auth/audit_verify.py checks both:

    python -m auth.audit_verify verify       # exit 0 "intact", or exit 1 naming the event and what happened
    python -m auth.audit_verify checkpoint   # append a checkpoint of the head now (for a scheduler)
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from sqlalchemy import Select, insert, select, text
from sqlalchemy.orm import Session

from auth import audit_checkpoints, audit_keys
from auth.audit_keys import AuditKey
from clinical.canonical import canonical_json, sha256_hex
from db.engine import after_commit, database_identity, database_key, execute_core
from db.models import AuditEvent
from shared_cache import SharedCache

if TYPE_CHECKING:  # auth.accounts imports this module
    from auth.identity import Identity

GENESIS_HASH = "0" * 64


class AuditAction(enum.StrEnum):
    """Every action the audit trail records. Each member's value is its name in lower case, the name stored
    in audit_event.action and hashed into the chain, so a value never changes; what it means is in
    DESCRIPTIONS, and CLINICAL_ACTIONS says which concern a patient's clinical data.

    Call sites name a member (audit.record(session, AuditAction.SIGN_IN, ...)): a misspelt action is then
    an AttributeError where it is written, not a refusal when it is first recorded.
    """

    SIGN_IN = enum.auto()
    SIGN_IN_FAILED = enum.auto()
    ACCOUNT_LOCKED = enum.auto()
    SIGN_IN_REFUSED = enum.auto()
    HOSPITAL_SIGN_IN_FAILED = enum.auto()
    SIGN_OUT = enum.auto()
    TIMEOUT = enum.auto()
    PATIENT_VIEWED = enum.auto()
    CLINICAL_CREATE = enum.auto()
    CLINICAL_UPDATE = enum.auto()
    CLINICAL_DELETE = enum.auto()
    USER_CREATED = enum.auto()
    USER_UPDATED = enum.auto()
    AUDIT_REPORT_VIEWED = enum.auto()
    DEMO_SEEDED = enum.auto()
    MEETING_LOBBY_ENTERED = enum.auto()
    MEETING_JOINED = enum.auto()
    MEETING_ADMITTED = enum.auto()
    MEETING_DECLINED = enum.auto()
    MEETING_LEFT = enum.auto()
    MEETING_DROPPED = enum.auto()
    MEETING_REMOVED = enum.auto()
    MEETING_MUTED = enum.auto()
    MEETING_ENDED = enum.auto()
    ALERT_RAISED = enum.auto()
    ALERT_ACKNOWLEDGED = enum.auto()
    ALERT_ACTIONED = enum.auto()
    GOALS_OF_CARE_SAVED = enum.auto()
    GOALS_OF_CARE_VIEWED = enum.auto()
    AMENDMENT_REQUESTED = enum.auto()
    AMENDMENT_ACCEPTED = enum.auto()
    AMENDMENT_REFUSED = enum.auto()
    PLAN_ITEM_ADDED = enum.auto()
    PLAN_ITEM_CHANGED = enum.auto()
    ADDENDUM_ADDED = enum.auto()
    SIGNOFF_ROLES_SET = enum.auto()
    SIGNOFF_SIGNED = enum.auto()
    SIGNOFF_DISSENTED = enum.auto()
    SIGNOFF_WITHDRAWN = enum.auto()
    SIGNOFF_DISSENT_OVERRIDDEN = enum.auto()
    SIGNOFFS_VOIDED = enum.auto()
    RECORD_FINALISED = enum.auto()
    FAMILY_ACKNOWLEDGED = enum.auto()
    FHIR_EXPORTED = enum.auto()
    AGENDA_CASE_OPENED = enum.auto()
    AGENDA_HANDED_OVER = enum.auto()
    CASE_OUTCOME_RECORDED = enum.auto()
    FAMILY_SUMMARY_DOWNLOADED = enum.auto()
    ACCESS_REVOKED = enum.auto()

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self]

    @property
    def clinical(self) -> bool:
        return self in CLINICAL_ACTIONS


# What each action means, as the audit report and docs/security.md say it.
DESCRIPTIONS: dict[AuditAction, str] = {
    AuditAction.SIGN_IN: "A person signed in (local password or hospital sign-in).",
    AuditAction.SIGN_IN_FAILED: "A sign-in attempt with a wrong user name or password.",
    AuditAction.ACCOUNT_LOCKED: "Too many failed attempts: the account is locked for a while.",
    AuditAction.SIGN_IN_REFUSED: "Signed in at the identity provider, but the portal has no role for them.",
    AuditAction.HOSPITAL_SIGN_IN_FAILED: (
        "The hospital's identity provider sent someone back without signing them in; the details keep its "
        "error code and description."
    ),
    AuditAction.SIGN_OUT: "A person signed out.",
    AuditAction.TIMEOUT: "The portal signed a person out after idle or absolute time-out.",
    AuditAction.PATIENT_VIEWED: "A patient's record summary was opened.",
    AuditAction.CLINICAL_CREATE: "Clinical data was created.",
    AuditAction.CLINICAL_UPDATE: "Clinical data was changed.",
    AuditAction.CLINICAL_DELETE: "Clinical data was deleted.",
    AuditAction.USER_CREATED: "An administrator created an account.",
    AuditAction.USER_UPDATED: "An administrator changed an account's role or status.",
    AuditAction.AUDIT_REPORT_VIEWED: "An administrator ran or downloaded the audit report.",
    AuditAction.DEMO_SEEDED: "Demo data was loaded into the database.",
    AuditAction.MEETING_LOBBY_ENTERED: "Someone started waiting in a meeting's lobby.",
    AuditAction.MEETING_JOINED: "Someone joined a meeting's video room directly.",
    AuditAction.MEETING_ADMITTED: "A clinician admitted someone from the lobby.",
    AuditAction.MEETING_DECLINED: "A clinician declined someone waiting in the lobby.",
    AuditAction.MEETING_LEFT: "Someone left a meeting.",
    AuditAction.MEETING_DROPPED: "Someone's connection was lost and they dropped out of a meeting.",
    AuditAction.MEETING_REMOVED: "A clinician removed someone from a meeting.",
    AuditAction.MEETING_MUTED: "A clinician muted someone's microphone.",
    AuditAction.MEETING_ENDED: "A clinician ended a meeting for everyone.",
    AuditAction.ALERT_RAISED: "A symptom alert was raised (by a check-in, or by the missed check-in sweep).",
    AuditAction.ALERT_ACKNOWLEDGED: "A clinician acknowledged a symptom alert.",
    AuditAction.ALERT_ACTIONED: "A clinician marked a symptom alert actioned, with a note of what was done.",
    AuditAction.GOALS_OF_CARE_SAVED: (
        "A clinician saved a new version of a patient's goals-of-care record, with a reason."
    ),
    AuditAction.GOALS_OF_CARE_VIEWED: (
        "A clinician opened or compared versions of a patient's goals-of-care record."
    ),
    AuditAction.AMENDMENT_REQUESTED: "A family member asked for a correction to the goals-of-care record.",
    AuditAction.AMENDMENT_ACCEPTED: (
        "A clinician accepted an amendment request; the new version or addendum is linked to it."
    ),
    AuditAction.AMENDMENT_REFUSED: "A clinician refused an amendment request, with a reason.",
    AuditAction.PLAN_ITEM_ADDED: "A clinician added a recommendation or action item to a conference plan.",
    AuditAction.PLAN_ITEM_CHANGED: (
        "A clinician changed a conference plan item (text, owner, due date or status)."
    ),
    AuditAction.ADDENDUM_ADDED: "A clinician added an addendum to the goals-of-care record.",
    AuditAction.SIGNOFF_ROLES_SET: "A conference chair set which roles must sign its plans.",
    AuditAction.SIGNOFF_SIGNED: (
        "A clinician signed the goals of care and plan, naming the hash of the content signed."
    ),
    AuditAction.SIGNOFF_DISSENTED: (
        "A clinician recorded a dissent from the goals of care and plan, with a reason."
    ),
    AuditAction.SIGNOFF_WITHDRAWN: "A clinician withdrew their own signature or dissent.",
    AuditAction.SIGNOFF_DISSENT_OVERRIDDEN: "The conference chair overrode a dissent, with a reason.",
    AuditAction.SIGNOFFS_VOIDED: (
        "The content changed after signing, so the signatures on the old content became void."
    ),
    AuditAction.RECORD_FINALISED: (
        "Every required role signed the same content: the record became final (addenda only)."
    ),
    AuditAction.FAMILY_ACKNOWLEDGED: "A family member acknowledged the plan (not a clinical signature).",
    AuditAction.FHIR_EXPORTED: (
        "The goals-of-care record and plan were exported as a FHIR Bundle (python -m interop.fhir)."
    ),
    AuditAction.AGENDA_CASE_OPENED: "The chair or their lead moved a meeting on to a case on its agenda.",
    AuditAction.AGENDA_HANDED_OVER: "A meeting's chair handed the lead to a presenter, or took it back.",
    AuditAction.CASE_OUTCOME_RECORDED: (
        "The chair or their lead saved a new version of a case's outcome: discussed, deferred or not reached."
    ),
    AuditAction.FAMILY_SUMMARY_DOWNLOADED: (
        "A clinician downloaded the printable family summary of a final goals-of-care record."
    ),
    AuditAction.ACCESS_REVOKED: (
        "The portal ended a sign-in because its account was deactivated or its role or status changed."
    ),
}

CLINICAL_ACTIONS: frozenset[AuditAction] = frozenset(
    {
        AuditAction.PATIENT_VIEWED,
        AuditAction.FAMILY_SUMMARY_DOWNLOADED,
        AuditAction.CLINICAL_CREATE,
        AuditAction.CLINICAL_UPDATE,
        AuditAction.CLINICAL_DELETE,
        AuditAction.ALERT_RAISED,
        AuditAction.ALERT_ACKNOWLEDGED,
        AuditAction.ALERT_ACTIONED,
        AuditAction.GOALS_OF_CARE_SAVED,
        AuditAction.GOALS_OF_CARE_VIEWED,
        AuditAction.AMENDMENT_REQUESTED,
        AuditAction.AMENDMENT_ACCEPTED,
        AuditAction.AMENDMENT_REFUSED,
        AuditAction.PLAN_ITEM_ADDED,
        AuditAction.PLAN_ITEM_CHANGED,
        AuditAction.ADDENDUM_ADDED,
        AuditAction.SIGNOFF_SIGNED,
        AuditAction.SIGNOFF_DISSENTED,
        AuditAction.SIGNOFF_WITHDRAWN,
        AuditAction.SIGNOFF_DISSENT_OVERRIDDEN,
        AuditAction.SIGNOFFS_VOIDED,
        AuditAction.RECORD_FINALISED,
        AuditAction.FAMILY_ACKNOWLEDGED,
        AuditAction.FHIR_EXPORTED,
        AuditAction.AGENDA_CASE_OPENED,
        AuditAction.CASE_OUTCOME_RECORDED,
    }
)


# Stored name -> its action, for the audit report's filter and the check that each is documented (README).
ACTIONS: Mapping[str, AuditAction] = MappingProxyType({action.value: action for action in AuditAction})


class UnknownAuditAction(ValueError):
    pass


def event_payload(event: AuditEvent) -> dict[str, Any]:
    """The fields covered by the hash: everything but the id and the hashes themselves. The key's id is
    covered too, for events signed with a key (events from before the chain was keyed have none)."""
    payload = {
        "occurred_at": event.occurred_at.astimezone(dt.UTC).isoformat(),
        "actor_user_id": event.actor_user_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "patient_id": event.patient_id,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "details": event.details,
    }
    if event.key_id is not None:
        payload["key_id"] = event.key_id
    return payload


def chain_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    """SHA-256 of the previous hash followed by the event's canonical JSON: the unkeyed hash of the events
    recorded before the chain was keyed (migration 0012). Anyone could compute it again after an edit."""
    return sha256_hex(prev_hash + canonical_json(payload))


def keyed_hash(key: AuditKey, prev_hash: str, payload: dict[str, Any]) -> str:
    """HMAC-SHA256, under the audit key, of the previous hash followed by the event's canonical JSON: what
    each event has stored since the chain was keyed. Without the key nobody can make an edited event, or
    the events after it, check again."""
    return key.sign(prev_hash + canonical_json(payload))


def lock_chain(session: Session) -> None:
    """Take the audit chain's writers' lock for the rest of the caller's transaction.

    Two writers must not both read the same "last hash" and fork the chain. PostgreSQL: a transaction
    advisory lock; SQLite: writers are serialised by the database lock, taken by this no-op write.
    record() takes it itself; a writer may take it earlier to serialise a read-then-write.
    """
    execute_core(session, _CHAIN_LOCK[session.get_bind().dialect.name])


_CHAIN_LOCK = {
    "postgresql": text("SELECT pg_advisory_xact_lock(727274)"),
    "sqlite": text("UPDATE alembic_version SET version_num = version_num WHERE 1 = 0"),
}

_EVENTS = AuditEvent.__table__
# The chain's last hash, read once the writers' lock is held. PostgreSQL: one call that takes the lock and
# then reads with a fresh snapshot (migration 0013); SQLite: the no-op write that takes the database lock,
# then the read.
_HEAD = {
    "postgresql": (text("SELECT audit_chain_head()"),),
    "sqlite": (_CHAIN_LOCK["sqlite"], select(_EVENTS.c.hash).order_by(_EVENTS.c.id.desc()).limit(1)),
}
_APPEND = insert(_EVENTS).returning(_EVENTS.c.id)


class About(TypedDict, total=False):
    """What an event is about, as record() and the helpers that fill in its actor take it."""

    patient_id: int | None
    target_type: str | None
    target_id: object
    details: dict[str, Any] | None
    now: dt.datetime | None


def record(
    session: Session,
    action: AuditAction,
    *,
    actor_user_id: int | None,
    actor_name: str,
    **about: Unpack[About],
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction.

    Returns the stored event as a transient AuditEvent (not added to the session: the row is already
    written), with its id and hashes as the database computed them.
    """
    if action not in ACTIONS:  # a plain string still reaches here from a caller that is not type-checked
        raise UnknownAuditAction(f"audit action {action!r} is not registered in auth.audit.AuditAction")
    values: dict[str, Any] = {
        "occurred_at": (about.get("now") or dt.datetime.now(dt.UTC)).replace(microsecond=0),
        "actor_user_id": actor_user_id,
        "actor_name": actor_name,
        "action": ACTIONS[action].value,  # the plain string, as stored, read back and hashed
        "patient_id": about.get("patient_id"),
        "target_type": about.get("target_type"),
        "target_id": None if about.get("target_id") is None else str(about.get("target_id")),
        # Stored as it reads back (e.g. dates as strings), so verify() hashes exactly what was hashed here.
        "details": json.loads(canonical_json(about.get("details") or {})),
    }
    keys = audit_keys.load()
    values["key_id"] = keys.current.key_id
    event = AuditEvent(**values)
    # Read under the chain lock: no other writer appends between this read and the insert. The hash is
    # taken here, not by the database, so the key never reaches the database (or its logs).
    *lock, read_head = _HEAD[session.get_bind().dialect.name]
    for statement in lock:
        execute_core(session, statement)
    prev_hash = execute_core(session, read_head).scalar() or GENESIS_HASH
    event.prev_hash = prev_hash
    event.hash = keyed_hash(keys.current, prev_hash, event_payload(event))
    row_values = {**values, "prev_hash": event.prev_hash, "hash": event.hash}
    event.id = execute_core(session, _APPEND, row_values).scalar_one()
    head = (database_identity(session), event.id, event.hash)
    after_commit(session, lambda: audit_checkpoints.when_due(*head, keys.current))
    return event


def record_by(
    session: Session, actor: Identity | None, action: AuditAction, **about: Unpack[About]
) -> AuditEvent:
    """Append one event for an action taken by this signed-in person (as record(), with the actor's id
    and user name taken from `actor`), or by the portal itself when `actor` is None (actor "system")."""
    name = actor.username if actor else "system"
    return record(session, action, actor_user_id=actor.user_id if actor else None, actor_name=name, **about)


def target_type_of(row: object) -> str:
    """The audit trail's name for a kind of row: its model's name in snake case (SignOff -> "sign_off")."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(row).__name__).lower()


class AboutRow(TypedDict, total=False):
    """What an event about a row adds to it: the patient, for a row that reaches its patient through
    another (its own patient_id otherwise), the details, and when."""

    patient_id: int | None
    details: dict[str, Any] | None
    now: dt.datetime | None


def record_about(
    session: Session, actor: Identity | None, action: AuditAction, row: Any, **about: Unpack[AboutRow]
) -> AuditEvent:
    """Write the row's pending changes and append the event about it: the row is the event's target and
    its patient the event's patient. `actor` None means the portal acted by itself (actor "system")."""
    session.flush()
    patient_id = about.pop("patient_id", None) or getattr(row, "patient_id", None)
    target = {"target_type": target_type_of(row), "target_id": row.id}
    return record_by(session, actor, action, patient_id=patient_id, **target, **about)


def record_created(
    session: Session, actor: Identity | None, action: AuditAction, row: Any, **about: Unpack[AboutRow]
) -> AuditEvent:
    """Store a new row and append the event that says who created it (as record_about)."""
    session.add(row)
    return record_about(session, actor, action, row, **about)


# A view of the same thing, by the same sign-in, is recorded again after this long: a record left open on a
# screen all afternoon shows in the trail more than once.
VIEW_REPEAT_SECONDS = 15 * 60


# When each (sign-in, view) was last recorded, for the most recent ones; shared by every session of the
# process. A look-up is not a use: the entry recorded longest ago goes first.
_recent_views: SharedCache[tuple[object, ...], dt.datetime] = SharedCache(10_000, evict="least_recently_put")


def _recorded_since(key: tuple[object, ...], now: dt.datetime) -> bool:
    last = _recent_views.get(key)
    return last is not None and dt.timedelta(0) <= now - last < dt.timedelta(seconds=VIEW_REPEAT_SECONDS)


def record_view(
    session: Session, identity: Identity, action: AuditAction, *, now: dt.datetime | None = None, **what: Any
) -> bool:
    """Record that this person looked at something, as record_by(session, identity, action, **what) does,
    once per opening rather than once per rerun: the same view (action, patient, target and details
    alike) by the same sign-in within VIEW_REPEAT_SECONDS is not recorded again. A Streamlit screen reruns
    on every click and every poll; a trail with a row per rerun would bury who looked at what under rows
    nobody can read. Another window, a new sign-in or another person is a new view. True when an event
    was written.

    Marked as recorded only once the caller's transaction commits, so a rolled-back view is recorded
    again next time."""
    when = now or dt.datetime.now(dt.UTC)
    key = (database_key(session), identity.sign_in_id, identity.user_id, action, canonical_json(what))
    if _recorded_since(key, when):
        return False
    record_by(session, identity, action, now=when, **what)
    after_commit(session, lambda: _recent_views.put(key, when))
    return True


def record_patient_view(
    session: Session, identity: Identity, patient_id: int, details: dict[str, Any], now: dt.datetime
) -> bool:
    """Record that this person opened something of this patient's (as record_view: once per opening)."""
    about = {"patient_id": patient_id, "target_type": "patient", "target_id": patient_id}
    return record_view(session, identity, AuditAction.PATIENT_VIEWED, details=details, now=now, **about)


def report_query(
    *,
    actor_user_id: int | None = None,
    patient_id: int | None = None,
    actions: Iterable[str] = (),
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 5000,
) -> Select[tuple[AuditEvent]]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if actor_user_id is not None:
        query = query.where(AuditEvent.actor_user_id == actor_user_id)
    if patient_id is not None:
        query = query.where(AuditEvent.patient_id == patient_id)
    actions = list(actions)
    if actions:
        query = query.where(AuditEvent.action.in_(actions))
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    return query


def report(session: Session, **filters: Any) -> list[AuditEvent]:
    """The audit report's rows, newest first; filters as for report_query."""
    return list(session.scalars(report_query(**filters)).all())
