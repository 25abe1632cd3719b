"""Symptom trend queries: check-ins averaged into time buckets by the database, latest scores per patient,
and the alerts and care events a chart marks. Each takes the Session first; callers own the transaction.

The browser should never receive years of raw check-ins. `item_series` returns at most about `max_points`
points across the nine ESAS-r items and the three scores, however long the window: the GROUP BY runs on
the server, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, bindparam, cast, extract, func, select
from sqlalchemy.orm import Session, aliased

from db.models import (
    ESAS_ITEM_COLUMNS,
    Alert,
    CareEvent,
    CompletedBy,
    Patient,
    SymptomAssessment,
)

# The score series drawn beside the nine items. Kept here (not imported from clinical/) because the sums
# are SQL expressions; tests check they match clinical.esas.
PHYSICAL_COLUMNS = ("pain", "tiredness", "drowsiness", "nausea", "lack_of_appetite", "shortness_of_breath")
EMOTIONAL_COLUMNS = ("depression", "anxiety")
SCORE_NAMES = ("total", "physical", "emotional")
SERIES_PER_POINT = len(ESAS_ITEM_COLUMNS) + len(SCORE_NAMES)

DAY = dt.timedelta(days=1)
# Bucket sizes tried in order: the smallest one that keeps the chart within its point budget wins.
BUCKET_SIZES: tuple[dt.timedelta, ...] = (
    DAY,
    2 * DAY,
    7 * DAY,
    14 * DAY,
    28 * DAY,
    91 * DAY,
    364 * DAY,
)

MIXED = "mixed"


@dataclass(frozen=True)
class SeriesPoint:
    """One point of every series: a single check-in (n == 1, unaggregated) or a bucket of them.

    `first_at`/`last_at` are the first and last check-in inside the bucket (equal for a single check-in).
    A mean is None when no check-in in the bucket answered that item (or, for a score, answered every
    item the score needs: a sum over fewer items would look like an improvement that did not happen).
    `completed_by` is "patient", "family" or "clinician" when every check-in in the bucket was completed
    by the same kind of person, else "mixed".
    """

    first_at: dt.datetime
    last_at: dt.datetime
    n: int
    item_mean: dict[str, float | None]
    item_max: dict[str, int | None]
    score_mean: dict[str, float | None]
    completed_by: str

    @property
    def at(self) -> dt.datetime:
        """Where the point sits on the time axis: the middle of its check-ins."""
        return self.first_at + (self.last_at - self.first_at) / 2


@dataclass(frozen=True)
class ItemSeries:
    since: dt.datetime
    until: dt.datetime
    # None: every check-in is its own point. Otherwise the width of each time bucket.
    bucket: dt.timedelta | None
    checkins: int
    points: tuple[SeriesPoint, ...]


def _sum(columns: Sequence[str]) -> ColumnElement[int]:
    # NULL + anything is NULL in SQL, so a check-in with a blank item has no score: as in clinical.esas.
    expr: ColumnElement[int] = getattr(SymptomAssessment, columns[0])
    for name in columns[1:]:
        expr = expr + getattr(SymptomAssessment, name)
    return expr


def _score_exprs() -> dict[str, ColumnElement[int]]:
    return {
        "total": _sum(ESAS_ITEM_COLUMNS),
        "physical": _sum(PHYSICAL_COLUMNS),
        "emotional": _sum(EMOTIONAL_COLUMNS),
    }


def _epoch_seconds(dialect: str, column: ColumnElement[dt.datetime]) -> ColumnElement[int]:
    """Seconds since 1970 UTC, portably. SQLite keeps UTCDateTime as naive UTC text ('YYYY-MM-DD
    HH:MM:SS.ffffff'), which strftime('%s') reads as UTC; PostgreSQL keeps timestamptz."""
    if dialect == "sqlite":
        return cast(func.strftime("%s", column), Integer)
    if dialect == "postgresql":
        return cast(func.floor(extract("epoch", column)), Integer)
    raise NotImplementedError(f"no epoch expression for the {dialect} dialect")


def choose_bucket(window: dt.timedelta, checkins: int, per_series: int) -> dt.timedelta | None:
    """None (no aggregation) when every check-in fits in the budget, else the smallest bucket that does."""
    if checkins <= per_series:
        return None
    for size in BUCKET_SIZES:
        if math.ceil(window / size) <= per_series:
            return size
    return dt.timedelta(seconds=math.ceil(window.total_seconds() / per_series))


def item_series(
    session: Session,
    patient_id: int,
    since: dt.datetime,
    until: dt.datetime,
    max_points: int = 2000,
) -> ItemSeries:
    """The nine item series and three score series of one patient over [since, until], at most about
    `max_points` points in all. Few check-ins come back one by one; many are averaged per time bucket
    (1 day, 2 days, 1 week, ...) in the database."""
    if until <= since:
        raise ValueError("the window must end after it starts")
    per_series = max(1, max_points // SERIES_PER_POINT)
    window = {"patient_id": patient_id, "since": since, "until": until}
    checkins = session.execute(_count_statement(), window).scalar_one()
    bucket = choose_bucket(until - since, checkins, per_series)
    dialect = session.get_bind().dialect.name
    if bucket is None:
        rows = session.execute(_raw_statement(), window).all()
        return ItemSeries(since, until, None, checkins, tuple(_raw_point(row) for row in rows))
    params = window | {"since_epoch": int(since.timestamp()), "bucket_seconds": int(bucket.total_seconds())}
    rows = session.execute(_bucket_statement(dialect), params).all()
    return ItemSeries(since, until, bucket, checkins, tuple(_bucket_point(row) for row in rows))


# The statements are built once and reused with new parameters: building a 40-column SELECT costs more
# than running it on a few hundred rows.
def _in_window() -> tuple[ColumnElement[bool], ...]:
    return (
        SymptomAssessment.patient_id == bindparam("patient_id"),
        SymptomAssessment.assessed_at >= bindparam("since"),
        SymptomAssessment.assessed_at <= bindparam("until"),
    )


@functools.cache
def _count_statement() -> Select[tuple[int]]:
    return select(func.count()).select_from(SymptomAssessment).where(*_in_window())


@functools.cache
def _raw_statement() -> Select[Any]:
    items = [getattr(SymptomAssessment, c) for c in ESAS_ITEM_COLUMNS]
    return (
        select(
            SymptomAssessment.assessed_at, SymptomAssessment.completed_by, *items, *_score_exprs().values()
        )
        .where(*_in_window())
        .order_by(SymptomAssessment.assessed_at, SymptomAssessment.id)
    )


@functools.cache
def _bucket_statement(dialect: str) -> Select[Any]:
    # The bucket number is computed once in a subquery and grouped on outside it, so PostgreSQL sees one
    # expression (two bound copies of the same value would be two different parameters to it).
    offset = _epoch_seconds(dialect, SymptomAssessment.assessed_at) - bindparam("since_epoch", type_=Integer)
    # Floor division of non-negative integers: the same bucket number on both databases.
    number = (offset // bindparam("bucket_seconds", type_=Integer)).label("bucket")
    scores = _score_exprs()
    inner = (
        select(
            number,
            SymptomAssessment.assessed_at,
            SymptomAssessment.completed_by,
            *[getattr(SymptomAssessment, c) for c in ESAS_ITEM_COLUMNS],
            *[expr.label(f"score_{name}") for name, expr in scores.items()],
        )
        .where(*_in_window())
        .subquery()
    )
    aggregates: list[ColumnElement[Any]] = [
        func.min(inner.c.assessed_at),
        func.max(inner.c.assessed_at),
        func.count(),
        func.min(inner.c.completed_by),
        func.max(inner.c.completed_by),
    ]
    for c in ESAS_ITEM_COLUMNS:
        aggregates += [func.avg(inner.c[c]), func.max(inner.c[c])]
    aggregates += [func.avg(inner.c[f"score_{name}"]) for name in scores]
    return select(inner.c.bucket, *aggregates).group_by(inner.c.bucket).order_by(inner.c.bucket)


def _number(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _raw_point(row: Sequence[object]) -> SeriesPoint:
    at, completed_by = row[0], row[1]
    values = row[2 : 2 + len(ESAS_ITEM_COLUMNS)]
    score_values = row[2 + len(ESAS_ITEM_COLUMNS) :]
    assert isinstance(at, dt.datetime) and isinstance(completed_by, CompletedBy)
    return SeriesPoint(
        first_at=at,
        last_at=at,
        n=1,
        item_mean={c: _number(v) for c, v in zip(ESAS_ITEM_COLUMNS, values, strict=True)},
        item_max={c: v for c, v in zip(ESAS_ITEM_COLUMNS, values, strict=True)},  # type: ignore[misc]
        score_mean={s: _number(v) for s, v in zip(SCORE_NAMES, score_values, strict=True)},
        completed_by=completed_by.value,
    )


def _bucket_point(row: Sequence[object]) -> SeriesPoint:
    _, first, last, n, least, most = row[:6]
    rest = row[6:]
    item_mean: dict[str, float | None] = {}
    item_max: dict[str, int | None] = {}
    for i, c in enumerate(ESAS_ITEM_COLUMNS):
        item_mean[c] = _number(rest[2 * i])
        top = rest[2 * i + 1]
        item_max[c] = None if top is None else int(top)  # type: ignore[call-overload]
    score_values = rest[2 * len(ESAS_ITEM_COLUMNS) :]
    assert isinstance(first, dt.datetime) and isinstance(last, dt.datetime)
    who = least.value if least == most and isinstance(least, CompletedBy) else MIXED
    return SeriesPoint(
        first_at=first,
        last_at=last,
        n=int(n),  # type: ignore[call-overload]
        item_mean=item_mean,
        item_max=item_max,
        score_mean={s: _number(v) for s, v in zip(SCORE_NAMES, score_values, strict=True)},
        completed_by=who,
    )


def latest_scores(
    session: Session, patient_ids: Sequence[int]
) -> list[tuple[Patient, SymptomAssessment | None]]:
    """Each patient with their latest check-in (None if they have none), in one query, in the order of
    `patient_ids`.

    The latest row is found per patient by a correlated "ORDER BY assessed_at DESC LIMIT 1", which an index
    on (patient_id, assessed_at) answers with one seek per patient; a window function over every check-in
    of every listed patient measured several times slower on SQLite (bench/bench_symptoms.py).
    """
    if not patient_ids:
        return []
    inner = aliased(SymptomAssessment)
    latest_id = (
        select(inner.id)
        .where(inner.patient_id == Patient.id)
        .order_by(inner.assessed_at.desc(), inner.id.desc())
        .limit(1)
        .correlate(Patient)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Patient, SymptomAssessment)
        .outerjoin(SymptomAssessment, SymptomAssessment.id == latest_id)
        .where(Patient.id.in_(patient_ids))
    ).all()
    order = {pid: i for i, pid in enumerate(dict.fromkeys(patient_ids))}
    return sorted(((p, a) for p, a in rows), key=lambda pa: order[pa[0].id])


def alerts_between(
    session: Session, patient_id: int, since: dt.datetime, until: dt.datetime
) -> Sequence[Alert]:
    return session.scalars(
        select(Alert)
        .where(Alert.patient_id == patient_id, Alert.raised_at >= since, Alert.raised_at <= until)
        .order_by(Alert.raised_at, Alert.id)
    ).all()


def care_events_between(
    session: Session, patient_id: int, since: dt.datetime, until: dt.datetime
) -> Sequence[CareEvent]:
    return session.scalars(
        select(CareEvent)
        .where(
            CareEvent.patient_id == patient_id, CareEvent.occurred_at >= since, CareEvent.occurred_at <= until
        )
        .order_by(CareEvent.occurred_at, CareEvent.id)
    ).all()
