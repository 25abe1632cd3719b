"""An alert's life after it is raised: open -> acknowledged (who, when) -> actioned (what was done, when).

Only clinicians on the patient's care team may acknowledge or action an alert. Two people working the same
list is normal, so every change is a conditional update ("only if it is still open"): whoever comes second
gets a plain message naming who got there first, and nothing they did is overwritten.

The missed check-in rule has no check-in to hang on, so sweep_missed_checkins looks for it whenever the
care team opens Home or Patients: one grouped query, and a write only when there is a new gap to report.
"""

from __future__ import annotations

import datetime as dt
import enum
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, literal, select, text, update
from sqlalchemy.orm import Session

import settings
from auth import audit
from auth.audit import AuditAction
from auth.identity import Identity
from auth.permissions import AccessDenied
from auth.refusal import Refusal
from clinical import typed_text
from clinical.alerts import AlertRule, AlertThresholds, missed_checkin
from clinical.roles import CLINICAL_ROLES
from db import queries
from db.engine import after_commit, database_key
from db.models import Alert, AlertStatus, Patient, SymptomAssessment, User
from services.checkins import raise_alert

ACTION_NOTE_MAX_CHARS = 2000
RECENTLY_ACTIONED_SHOWN = 5

RULE_LABELS: dict[AlertRule, str] = {
    AlertRule.SEVERE: "Severe symptom",
    AlertRule.NEW_MODERATE: "New moderate symptom",
    AlertRule.WORSENING: "Worsening overall",
    AlertRule.MISSED_CHECKIN: "Missed check-in",
}


class AlertRefused(Refusal):
    """The change cannot be saved as given (e.g. no note). The message says why; nothing was saved."""


class AlertConflict(Refusal):
    """Someone else changed the alert first. The message names who and when; nothing was overwritten."""


@dataclass(frozen=True)
class AlertRequest:
    """What someone asked to do with an alert on screen: the component returns it, apply() carries it out."""

    alert_id: int
    step: AlertStep
    note: str = ""  # what was done: required to mark an alert actioned


@dataclass(frozen=True)
class AlertView:
    """An alert as a screen shows it: the row, its patient, and the names behind the ids."""

    alert: Alert
    patient: Patient
    acknowledged_by: str | None
    actioned_by: str | None

    @property
    def rule_label(self) -> str:
        return RULE_LABELS[self.alert.rule]

    @property
    def time_to_intervention(self) -> dt.timedelta | None:
        return time_to_intervention(self.alert)


@dataclass(frozen=True)
class PatientAlerts:
    not_actioned: list[AlertView]
    recently_actioned: list[AlertView]


class AlertStep(enum.StrEnum):
    """The two steps of an alert's life after it is raised: acknowledged (someone has it in hand), then
    actioned (what was done)."""

    ACKNOWLEDGE = enum.auto()
    ACTION = enum.auto()


def time_to_intervention(alert: Alert) -> dt.timedelta | None:
    """From raised to actioned (CLINICAL.md); None while the alert is not actioned yet."""
    if alert.actioned_at is None:
        return None
    return alert.actioned_at - alert.raised_at


def _alert_for(session: Session, identity: Identity, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if (
        alert is None
        or identity.role not in CLINICAL_ROLES
        or not queries.is_on_care_team(session, identity.user_id, alert.patient_id)
    ):
        # The same words whether the alert exists or not.
        raise AccessDenied("Only clinicians on this patient's care team can work on this alert.")
    return alert


def _name(session: Session, user_id: int | None) -> str:
    if user_id is None:
        return "someone"
    return session.scalar(select(User.display_name).where(User.id == user_id)) or "someone"


def acknowledge(session: Session, identity: Identity, alert_id: int, now: dt.datetime) -> Alert:
    """Mark an open alert acknowledged by this person. Acknowledging one's own acknowledged alert again is a
    no-op; one already acknowledged or actioned by someone else raises AlertConflict."""
    alert = _alert_for(session, identity, alert_id)
    changed = session.execute(
        update(Alert)
        .where(Alert.id == alert.id, Alert.status == AlertStatus.OPEN)
        .values(status=AlertStatus.ACKNOWLEDGED, acknowledged_by_id=identity.user_id, acknowledged_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(alert)
    if not changed:
        if alert.status is AlertStatus.ACKNOWLEDGED and alert.acknowledged_by_id == identity.user_id:
            return alert
        raise AlertConflict(_already(session, alert))
    _audit(session, identity, AuditAction.ALERT_ACKNOWLEDGED, alert, now)
    return alert


def action(session: Session, identity: Identity, alert_id: int, note: str, now: dt.datetime) -> Alert:
    """Mark an alert actioned with a note of what was done. An alert still open is acknowledged by the same
    person at the same moment; one already actioned raises AlertConflict and keeps its note."""
    cleaned = typed_text.clean(note)
    if not cleaned:
        raise AlertRefused("Not saved: please write what was done about this alert.")
    if len(cleaned) > ACTION_NOTE_MAX_CHARS:
        raise AlertRefused(
            f"Not saved: the note is {len(cleaned)} characters long; please keep it to "
            f"{ACTION_NOTE_MAX_CHARS} or fewer."
        )
    alert = _alert_for(session, identity, alert_id)
    values: dict[str, object] = {
        "status": AlertStatus.ACTIONED,
        "actioned_by_id": identity.user_id,
        "actioned_at": now,
        "action_note": cleaned,
    }
    # Acknowledged on the way, unless someone already acknowledged it (their acknowledgement stands).
    acknowledged_by = func.coalesce(Alert.acknowledged_by_id, identity.user_id)
    acknowledged_at = func.coalesce(Alert.acknowledged_at, literal(now, Alert.acknowledged_at.type))
    changed = session.execute(
        update(Alert)
        .where(Alert.id == alert.id, Alert.status != AlertStatus.ACTIONED)
        .values(**values, acknowledged_by_id=acknowledged_by, acknowledged_at=acknowledged_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(alert)
    if not changed:
        raise AlertConflict(_already(session, alert))
    if alert.acknowledged_by_id == identity.user_id and alert.acknowledged_at == alert.actioned_at:
        _audit(session, identity, AuditAction.ALERT_ACKNOWLEDGED, alert, now, with_action=True)
    tti = time_to_intervention(alert)
    minutes = None if tti is None else round(tti.total_seconds() / 60)
    _audit(
        session,
        identity,
        AuditAction.ALERT_ACTIONED,
        alert,
        now,
        # The note's length, not its words: the audit report is read by administrators, and the note is
        # clinical text (it stays in alerts.action_note, behind care-team access).
        note_chars=len(cleaned),
        minutes_to_intervention=minutes,
    )
    return alert


def _audit(
    session: Session,
    identity: Identity,
    action: AuditAction,
    alert: Alert,
    now: dt.datetime,
    **details: object,
) -> None:
    audit.record_by(
        session,
        identity,
        action,
        patient_id=alert.patient_id,
        target_type="alert",
        target_id=alert.id,
        details={"rule": alert.rule.value, "condition_key": alert.condition_key, **details},
        now=now,
    )


def apply(session: Session, identity: Identity, request: AlertRequest, now: dt.datetime) -> str:
    """Carry out what the person asked on screen; returns a short confirmation to show them."""
    if request.step is AlertStep.ACKNOWLEDGE:
        acknowledge(session, identity, request.alert_id, now)
        return "Alert acknowledged: the team can see you have it in hand."
    action(session, identity, request.alert_id, request.note, now)
    return "Alert marked actioned, with your note."


def _already(session: Session, alert: Alert) -> str:
    if alert.status is AlertStatus.ACTIONED:
        when = f"{alert.actioned_at:%d %b %H:%M} UTC" if alert.actioned_at else "earlier"
        return (
            f"Nothing changed: {_name(session, alert.actioned_by_id)} already marked this alert actioned "
            f"({when}): “{alert.action_note}”."
        )
    when = f"{alert.acknowledged_at:%d %b %H:%M} UTC" if alert.acknowledged_at else "earlier"
    return (
        f"Nothing changed: {_name(session, alert.acknowledged_by_id)} already acknowledged this alert "
        f"({when}). You can still mark it actioned."
    )


def alert_views(session: Session, alerts: Sequence[tuple[Alert, Patient]]) -> list[AlertView]:
    """The alerts with the names of who acknowledged and actioned them (one query for all the names)."""
    ids = {uid for a, _ in alerts for uid in (a.acknowledged_by_id, a.actioned_by_id) if uid is not None}
    names = {
        uid: name for uid, name in session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    }
    return [
        AlertView(
            alert,
            patient,
            names.get(alert.acknowledged_by_id) if alert.acknowledged_by_id is not None else None,
            names.get(alert.actioned_by_id) if alert.actioned_by_id is not None else None,
        )
        for alert, patient in alerts
    ]


def patient_alerts(
    session: Session, identity: Identity, patient_id: int, limit: int = RECENTLY_ACTIONED_SHOWN
) -> PatientAlerts:
    """One patient's alerts not yet actioned (newest first) and the last few actioned ones, for the care
    team only."""
    if identity.role not in CLINICAL_ROLES or not queries.is_on_care_team(
        session, identity.user_id, patient_id
    ):
        raise AccessDenied("You are not on this patient's care team, so their alerts are not shown.")
    rows = session.execute(
        select(Alert, Patient)
        .join(Patient, Patient.id == Alert.patient_id)
        .where(Alert.patient_id == patient_id, Alert.status != AlertStatus.ACTIONED)
        .order_by(Alert.raised_at.desc(), Alert.id.desc())
    ).all()
    done = session.execute(
        select(Alert, Patient)
        .join(Patient, Patient.id == Alert.patient_id)
        .where(Alert.patient_id == patient_id, Alert.status == AlertStatus.ACTIONED)
        .order_by(Alert.actioned_at.desc(), Alert.id.desc())
        .limit(limit)
    ).all()
    views = alert_views(session, [*rows, *done])
    return PatientAlerts(views[: len(rows)], views[len(rows) :])


def _lock_sweep(session: Session) -> None:
    # Two people opening Home at once must not both raise the same missed check-in alert: the second waits
    # here, then finds the first one's alert. PostgreSQL: a transaction advisory lock; SQLite: the database
    # write lock, taken by this no-op write.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(727275)"))
    else:
        session.execute(text("UPDATE alerts SET id = id WHERE 1 = 0"))


# The sweep reads every patient's last check-in (about 60 ms at 365,000 check-ins on SQLite). Check-ins are
# missed by the day, so looking at most once a minute per database finds the same gaps as looking on every
# rerun of Home and Patients, which is what the pages did.
SWEEP_EVERY_SECONDS = 60
_last_sweeps: dict[str, dt.datetime] = {}
_sweeps_lock = threading.Lock()


def sweep_missed_checkins_when_due(session: Session, now: dt.datetime) -> int | None:
    """sweep_missed_checkins, unless this database was swept less than SWEEP_EVERY_SECONDS ago (then
    None). A sweep counts once its transaction commits: one rolled back is run again next time."""
    key = database_key(session)
    with _sweeps_lock:
        last = _last_sweeps.get(key)
    if last is not None and dt.timedelta(0) <= now - last < dt.timedelta(seconds=SWEEP_EVERY_SECONDS):
        return None
    raised = sweep_missed_checkins(session, now)

    def mark() -> None:
        with _sweeps_lock:
            _last_sweeps[key] = now

    after_commit(session, mark)
    return raised


def sweep_missed_checkins(
    session: Session, now: dt.datetime, thresholds: AlertThresholds | None = None
) -> int:
    """Raise a missed check-in alert (rule 4) for every patient overdue, at most once per gap; returns how
    many were raised.

    Cheap enough to run on every page load: one grouped query for every patient's last check-in, a second
    only when someone is overdue, and a write only for a gap not alerted yet. The condition key names the
    date of the last check-in, so a gap alerts once however long it lasts, even after that alert is
    actioned; the next gap (after a new check-in) is a new condition.
    """
    thresholds = thresholds or settings.alert_thresholds()
    last = (
        select(SymptomAssessment.patient_id, func.max(SymptomAssessment.assessed_at).label("last"))
        .group_by(SymptomAssessment.patient_id)
        .subquery()
    )
    rows = session.execute(
        select(Patient.id, Patient.checkin_interval_days, last.c.last).join(
            last, last.c.patient_id == Patient.id
        )
    ).all()
    overdue = {}
    for patient_id, interval, last_at in rows:
        finding = missed_checkin(last_at, interval, now, thresholds)
        if finding is not None:
            overdue[(patient_id, finding.condition_key)] = finding
    if not overdue:
        return 0

    def not_yet_alerted() -> list[tuple[int, str]]:
        existing = {
            (patient_id, key)
            for patient_id, key in session.execute(
                select(Alert.patient_id, Alert.condition_key).where(
                    Alert.rule == AlertRule.MISSED_CHECKIN,
                    Alert.condition_key.in_({key for _, key in overdue}),
                )
            )
        }
        return [pair for pair in overdue if pair not in existing]

    if not not_yet_alerted():
        return 0
    _lock_sweep(session)
    fresh = not_yet_alerted()  # again, under the lock: another session may have raised them meanwhile
    for patient_id, key in sorted(fresh):
        raise_alert(session, patient_id, overdue[(patient_id, key)], now)
    return len(fresh)
