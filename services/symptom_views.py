"""Symptom trends and the team's latest scores: who may see them, and what the charts are given.

The charts receive plain frozen dataclasses, never ORM rows or a Session, so a component (or the shared
conference view) can hold them across reruns without touching the database again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from auth import audit
from auth.identity import Identity
from auth.permissions import AccessDenied, may_view_as_team_member
from clinical.roles import CLINICAL_ROLES
from db import symptom_queries
from db.engine import after_commit, database_key, reads_committed_only
from db.models import ESAS_ITEM_COLUMNS, CareEventKind, Patient
from db.symptom_queries import SeriesColumns, SeriesPoint
from shared_cache import SharedCache

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
    series: SeriesColumns
    alerts: tuple[Marker, ...]
    care_events: tuple[Marker, ...]

    @property
    def points(self) -> tuple[SeriesPoint, ...]:
        """The points one by one (the chart reads `series`, column by column)."""
        return self.series.points


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


# A trend view reruns (any widget on the page, a meeting's poll) far more often than the data under it
# changes. What patient_trends loaded is kept per (database, patient, window) with the patient's
# trend_stamp, and reused while the stamp is unchanged and it is at most REUSE_SECONDS old on the caller's
# clock: the window then ends up to that much before `now`, but nothing newer is left out, because a new
# check-in, alert, alert status or care change changes the stamp. The access check happens on every call
# all the same, and the view is audited once per opening (audit.record_view), reused or not.
REUSE_SECONDS = 60
_CACHE_ENTRIES = 64


@dataclass(frozen=True)
class _Loaded:
    stamp: tuple[object, ...]
    trends: PatientTrends


# Shared by every session of the process. Entries are immutable, so a hit hands out the same object to
# everyone.
_trends_cache: SharedCache[tuple[object, ...], _Loaded] = SharedCache(_CACHE_ENTRIES)


# The heat map's latest scores, by (database, viewer, patients), with the stamp they were read at.
_latest_cache: SharedCache[tuple[object, ...], tuple[tuple[Any, ...], tuple[LatestScores, ...]]] = (
    SharedCache(_CACHE_ENTRIES)
)


def clear_trends_cache() -> None:
    """Forget every loaded trend view and heat map (the next call loads afresh)."""
    _trends_cache.clear()
    _latest_cache.clear()


def patient_trends(
    session: Session, identity: Identity, patient_id: int, window_days: int, now: dt.datetime
) -> PatientTrends:
    """One patient's symptom trends over the last `window_days`, audited as a view of their record (once
    per opening: see audit.record_view). Raises AccessDenied off the care team.

    A call with the same data as one at most REUSE_SECONDS earlier returns what that call loaded (see
    REUSE_SECONDS); it is checked like any other."""
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise ValueError(f"a trend window runs from 1 to {MAX_WINDOW_DAYS} days, not {window_days}")
    # The care team is asked by the same query as the stamp: a view costs one round trip fewer. A patient
    # who does not exist gets the same answer as one off the team, as from may_view_patient.
    stamp = symptom_queries.trend_stamp(session, patient_id, identity.user_id)
    if stamp is None or not may_view_as_team_member(identity, stamp.on_care_team):
        raise AccessDenied("You are not on this patient's care team, so their record is not shown.")
    key = (database_key(session), patient_id, window_days)
    loaded = _trends_cache.get(key)
    if (
        loaded is None
        or loaded.stamp != stamp.data
        or not dt.timedelta(0) <= now - loaded.trends.until <= dt.timedelta(seconds=REUSE_SECONDS)
    ):
        label = _label(stamp.given_name, stamp.family_name, stamp.mrn)
        loaded = _Loaded(stamp.data, _load_trends(session, patient_id, label, window_days, now))
        # Kept only once this transaction (and its audit event) commits: a rolled-back one may have read
        # its own writes, which nobody else will ever see.
        after_commit(session, lambda: _trends_cache.put(key, loaded))
    details = {"view": "symptom_trends", "window_days": window_days}
    audit.record_patient_view(session, identity, patient_id, details, now)
    return loaded.trends


def _load_trends(
    session: Session, patient_id: int, label: str, window_days: int, now: dt.datetime
) -> PatientTrends:
    since = now - dt.timedelta(days=window_days)
    series = symptom_queries.item_series(session, patient_id, since, now)
    markers = symptom_queries.chart_markers(session, patient_id, since, now)
    alerts = tuple(
        Marker(m.marked_at, "alert", m.label, m.item, m.status.value) for m in markers if m.kind == "alert"
    )
    events = tuple(
        Marker(m.marked_at, CareEventKind(m.kind).value, m.label) for m in markers if m.kind != "alert"
    )
    return PatientTrends(
        patient_id=patient_id,
        patient_label=label,
        window_days=window_days,
        since=since,
        until=now,
        bucket=series.bucket,
        checkins=series.checkins,
        series=series.columns,
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
    # A rerun of the agenda (every click in the meeting) asks again: the stamp, one row per patient by
    # primary key, says whether anything it would show changed (bench/symptoms.py's heat map page).
    stamp = symptom_queries.latest_stamp(session, patient_ids, care_team_of=identity.user_id)
    key = (database_key(session), identity.user_id, tuple(patient_ids))
    held = _latest_cache.get(key)
    if held is not None and held[0] == stamp:
        return list(held[1])
    rows = symptom_queries.latest_scores(session, patient_ids, care_team_of=identity.user_id)
    latest = (stamp, tuple(_latest(row) for row in rows))
    if reads_committed_only(session):
        _latest_cache.put(key, latest)
    else:  # kept only if what this transaction read is committed (see patient_trends)
        after_commit(session, lambda: _latest_cache.put(key, latest))
    return list(latest[1])


def _label(given_name: str, family_name: str, mrn: str) -> str:
    """As patient_label, from the three columns rather than a loaded Patient."""
    return f"{given_name} {family_name} ({mrn})"


def _latest(row: Row[Any]) -> LatestScores:
    label = _label(row.given_name, row.family_name, row.mrn)
    if row.assessed_at is None:
        return LatestScores(row.patient_id, label, None, None, dict.fromkeys(ESAS_ITEM_COLUMNS))
    return LatestScores(
        patient_id=row.patient_id,
        patient_label=label,
        assessed_at=row.assessed_at,
        completed_by=row.completed_by.value,
        scores={c: getattr(row, c) for c in ESAS_ITEM_COLUMNS},
    )
