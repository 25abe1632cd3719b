"""Symptom trends and the team's latest scores: who may see them, and what the charts are given.

The charts receive plain frozen dataclasses, never ORM rows or a Session, so a component (or the shared
conference view) can hold them across reruns without touching the database again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from access import audit
from access.accounts import Identity
from access.records import AccessDenied, may_view_patient
from access.roles import CLINICAL_ROLES
from db import queries, symptom_queries
from db.models import ESAS_ITEM_COLUMNS, CareEventKind, Patient, SymptomAssessment
from db.symptom_queries import SeriesPoint

# Longest window a trend view may ask for: the UI offers up to two years.
MAX_WINDOW_DAYS = 3 * 365


@dataclass(frozen=True)
class Marker:
    """Something that happened, drawn on the charts at `at`.

    kind: "alert", "plan_change" or "medication_change". item: the ESAS-r item an alert is about; None
    for alerts on the total or a missed check-in, and for care events (they concern every item).
    """

    at: dt.datetime
    kind: str
    label: str
    item: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class PatientTrends:
    patient_id: int
    patient_label: str
    window_days: int
    since: dt.datetime
    until: dt.datetime
    # None: every check-in is its own point; otherwise the width of the buckets the points average.
    bucket: dt.timedelta | None
    checkins: int
    points: tuple[SeriesPoint, ...]
    alerts: tuple[Marker, ...]
    care_events: tuple[Marker, ...]


@dataclass(frozen=True)
class LatestScores:
    """One patient's latest check-in. assessed_at is None when they have never checked in."""

    patient_id: int
    patient_label: str
    assessed_at: dt.datetime | None
    completed_by: str | None
    scores: Mapping[str, int | None]


def patient_label(patient: Patient) -> str:
    return f"{patient.full_name} ({patient.mrn})"


def patient_trends(
    session: Session, identity: Identity, patient_id: int, window_days: int, now: dt.datetime
) -> PatientTrends:
    """One patient's symptom trends over the last `window_days`, audited as a view of their record.
    Raises AccessDenied off the care team."""
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise ValueError(f"a trend window runs from 1 to {MAX_WINDOW_DAYS} days, not {window_days}")
    if not may_view_patient(session, identity, patient_id):
        raise AccessDenied("You are not on this patient's care team, so their record is not shown.")
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise AccessDenied("This patient record does not exist.")
    since = now - dt.timedelta(days=window_days)
    series = symptom_queries.item_series(session, patient_id, since, now)
    alerts = tuple(
        Marker(a.raised_at, "alert", a.message, a.item, a.status.value)
        for a in symptom_queries.alerts_between(session, patient_id, since, now)
    )
    events = tuple(
        Marker(e.occurred_at, CareEventKind(e.kind).value, e.description)
        for e in symptom_queries.care_events_between(session, patient_id, since, now)
    )
    audit.record(
        session,
        "patient_viewed",
        actor_user_id=identity.user_id,
        actor_name=identity.username,
        patient_id=patient_id,
        target_type="patient",
        target_id=patient_id,
        details={"view": "symptom_trends", "window_days": window_days},
        now=now,
    )
    return PatientTrends(
        patient_id=patient_id,
        patient_label=patient_label(patient),
        window_days=window_days,
        since=since,
        until=now,
        bucket=series.bucket,
        checkins=series.checkins,
        points=series.points,
        alerts=alerts,
        care_events=events,
    )


def team_latest_scores(
    session: Session, identity: Identity, patient_ids: Sequence[int], now: dt.datetime
) -> list[LatestScores]:
    """The latest check-in of each listed patient this person may see, in the order given. Patients off
    their care team are left out silently (a conference agenda may list them).

    Not audited per patient, like the patient list and the alert list: it shows the latest scores of many
    patients at a glance, not one patient's record. Opening a record or its trends is audited."""
    if identity.role not in CLINICAL_ROLES or not patient_ids:
        return []
    visible = set(
        session.scalars(
            select(Patient.id).where(
                Patient.id.in_(patient_ids), Patient.id.in_(queries.care_team_patient_ids(identity.user_id))
            )
        )
    )
    wanted = [pid for pid in dict.fromkeys(patient_ids) if pid in visible]
    return [_latest(p, a) for p, a in symptom_queries.latest_scores(session, wanted)]


def _latest(patient: Patient, assessment: SymptomAssessment | None) -> LatestScores:
    if assessment is None:
        return LatestScores(patient.id, patient_label(patient), None, None, dict.fromkeys(ESAS_ITEM_COLUMNS))
    return LatestScores(
        patient_id=patient.id,
        patient_label=patient_label(patient),
        assessed_at=assessment.assessed_at,
        completed_by=assessment.completed_by.value,
        scores={c: getattr(assessment, c) for c in ESAS_ITEM_COLUMNS},
    )
