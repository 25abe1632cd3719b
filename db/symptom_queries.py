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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    cast,
    extract,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.types import NullType

from db.engine import execute_core
from db.models import (
    ESAS_ITEM_COLUMNS,
    SCORE_NAMES,
    Alert,
    CareEvent,
    CareTeamMember,
    Patient,
    SymptomAssessment,
    symptom_versions,
    symptom_weeks,
)
from db.queries import on_care_team

# The score series drawn beside the nine items. Kept here (not imported from clinical/) because the sums
# are SQL expressions; tests check they match clinical.esas.
PHYSICAL_COLUMNS = ("pain", "tiredness", "drowsiness", "nausea", "lack_of_appetite", "shortness_of_breath")
EMOTIONAL_COLUMNS = ("depression", "anxiety")
SERIES_PER_POINT = len(ESAS_ITEM_COLUMNS) + len(SCORE_NAMES)

DAY = dt.timedelta(days=1)
WEEK = 7 * DAY
# Buckets are fixed stretches of the calendar, not counted back from now: a point is one UTC day, two days,
# a week from Monday 00:00 UTC, and so on, and stays the same point as time goes on. They are numbered from
# Monday 5 January 1970 (weeks in db.models.symptom_weeks count from there too).
ORIGIN = dt.datetime(1970, 1, 5, tzinfo=dt.UTC)
ORIGIN_SECONDS = int(ORIGIN.timestamp())
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
class SeriesColumns:
    """Every point of a window column by column, as a chart sends them: entry i of each column is point i
    (see SeriesPoint for what each means). Built straight from the query's rows, with no object per point;
    `points` gives the same points one by one, for readers that want them so."""

    first_at: tuple[dt.datetime, ...]
    last_at: tuple[dt.datetime, ...]
    n: tuple[int, ...]
    completed_by: tuple[str, ...]
    item_mean: Mapping[str, tuple[float | None, ...]]
    item_max: Mapping[str, tuple[int | None, ...]]
    score_mean: Mapping[str, tuple[float | None, ...]]

    def __len__(self) -> int:
        return len(self.n)

    @functools.cached_property
    def points(self) -> tuple[SeriesPoint, ...]:
        return tuple(
            SeriesPoint(
                first_at=self.first_at[i],
                last_at=self.last_at[i],
                n=self.n[i],
                item_mean={c: self.item_mean[c][i] for c in ESAS_ITEM_COLUMNS},
                item_max={c: self.item_max[c][i] for c in ESAS_ITEM_COLUMNS},
                score_mean={s: self.score_mean[s][i] for s in SCORE_NAMES},
                completed_by=self.completed_by[i],
            )
            for i in range(len(self))
        )

    @classmethod
    def from_points(cls, points: Sequence[SeriesPoint]) -> SeriesColumns:
        return cls(
            first_at=tuple(p.first_at for p in points),
            last_at=tuple(p.last_at for p in points),
            n=tuple(p.n for p in points),
            completed_by=tuple(p.completed_by for p in points),
            item_mean={c: tuple(p.item_mean[c] for p in points) for c in ESAS_ITEM_COLUMNS},
            item_max={c: tuple(p.item_max[c] for p in points) for c in ESAS_ITEM_COLUMNS},
            score_mean={s: tuple(p.score_mean[s] for p in points) for s in SCORE_NAMES},
        )


@dataclass(frozen=True)
class ItemSeries:
    since: dt.datetime
    until: dt.datetime
    # None: every check-in is its own point. Otherwise the width of each time bucket.
    bucket: dt.timedelta | None
    checkins: int
    columns: SeriesColumns

    @property
    def points(self) -> tuple[SeriesPoint, ...]:
        return self.columns.points


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
    # db.engine only ever builds SQLite and PostgreSQL engines; say so plainly for anyone who tries another.
    raise ValueError(f"symptom charts run on SQLite or PostgreSQL, not on {dialect!r}")


def choose_bucket(window: dt.timedelta, checkins: int, per_series: int) -> dt.timedelta | None:
    """None (no aggregation) when every check-in fits in the budget, else the smallest bucket that does.

    A window rarely starts on a bucket's edge, so it touches one bucket more than it spans."""
    if checkins <= per_series:
        return None
    for size in BUCKET_SIZES:
        if math.ceil(window / size) + 1 <= per_series:
            return size
    return dt.timedelta(seconds=math.ceil(window.total_seconds() / max(1, per_series - 1)))


def bucket_number(at: dt.datetime, size: dt.timedelta) -> int:
    """Which bucket of this size a moment falls in (see ORIGIN)."""
    return (at - ORIGIN) // size


def item_series(
    session: Session,
    patient_id: int,
    since: dt.datetime,
    until: dt.datetime,
    max_points: int = 2000,
) -> ItemSeries:
    """The nine item series and three score series of one patient over [since, until], at most about
    `max_points` points in all. Few check-ins come back one by one; many are averaged per time bucket
    (1 day, 2 days, 1 week, ...) in the database.

    Usually one query: a window of at most `per_series` days asks for its check-ins one by one (one more
    than fit, to tell whether they do); a longer one for its buckets, whose counts add up to the number of
    check-ins. Only when that first guess is wrong is the other query run."""
    if until <= since:
        raise ValueError("the window must end after it starts")
    per_series = max(1, max_points // SERIES_PER_POINT)
    window = {"patient_id": patient_id, "since": since, "until": until, "limit": per_series + 1}
    if until - since <= per_series * DAY:
        rows = execute_core(session, _raw_statement(), window).all()
        if len(rows) <= per_series:
            return ItemSeries(since, until, None, len(rows), _raw_columns(rows))
    # More check-ins than fit (or a window too long to expect otherwise): the bucket depends on the window.
    bucket = choose_bucket(until - since, per_series + 1, per_series)
    assert bucket is not None
    columns = _bucket_columns(_bucket_rows(session, window, bucket))
    checkins = sum(columns.n)
    if checkins <= per_series:
        rows = execute_core(session, _raw_statement(), window).all()
        return ItemSeries(since, until, None, len(rows), _raw_columns(rows))
    return ItemSeries(since, until, bucket, checkins, columns)


# The statements are built once and reused with new parameters: building a 40-column SELECT costs more
# than running it on a few hundred rows.
def _in_window() -> tuple[ColumnElement[bool], ...]:
    return (
        SymptomAssessment.patient_id == bindparam("patient_id"),
        SymptomAssessment.assessed_at >= bindparam("since"),
        SymptomAssessment.assessed_at <= bindparam("until"),
    )


@functools.cache
def _raw_statement() -> Select[Any]:
    items = [getattr(SymptomAssessment, c) for c in ESAS_ITEM_COLUMNS]
    return (
        select(
            # As the database hands them over, like _grouped's (see there); _raw_columns reads them.
            type_coerce(SymptomAssessment.assessed_at, _AS_STORED),
            type_coerce(SymptomAssessment.completed_by, _AS_STORED),
            *items,
            *_score_exprs().values(),
        )
        .where(*_in_window())
        .order_by(SymptomAssessment.assessed_at, SymptomAssessment.id)
        .limit(bindparam("limit", type_=Integer))
    )


def _bucket_rows(session: Session, window: dict[str, Any], bucket: dt.timedelta) -> Sequence[Row[Any]]:
    """The buckets of a window, one row each, in time order (as _bucket_columns reads them).

    Week buckets come from the weekly roll-up (db.models.symptom_weeks) for every week the window holds
    whole, and from the check-ins themselves for the part weeks at its two ends: one query either way."""
    dialect = session.get_bind().dialect.name
    if bucket != WEEK:
        params = window | {"origin": ORIGIN_SECONDS, "bucket_seconds": int(bucket.total_seconds())}
        return execute_core(session, _bucket_statement(dialect), params).all()
    since, until = window["since"], window["until"]
    # The first week starting at or after `since`, and the week `until` falls in (its check-in at `until`
    # belongs to the window, the rest of that week does not).
    first_whole = -((ORIGIN - since) // WEEK)
    after_whole = bucket_number(until, WEEK)
    params = window | {
        "origin": ORIGIN_SECONDS,
        "bucket_seconds": int(WEEK.total_seconds()),
        "first_whole": first_whole,
        "after_whole": after_whole,
        "whole_from": ORIGIN + first_whole * WEEK,
        "whole_until": ORIGIN + after_whole * WEEK,
    }
    return execute_core(session, _week_statement(dialect), params).all()


@functools.cache
def _week_statement(dialect: str) -> Select[Any]:
    # The check-ins come first in the UNION: its first SELECT's column types decode every row, so the
    # roll-up's completed_by text and timestamps come back as CompletedBy and aware datetimes alike.
    edges = _grouped(dialect, edges_only=True)
    weeks = symptom_weeks.c

    def mean(part: str) -> ColumnElement[Any]:
        return cast(weeks[f"{part}_sum"], Float) / func.nullif(weeks[f"{part}_answered"], literal_column("0"))

    columns: list[ColumnElement[Any]] = [
        weeks.week.label("bucket"),
        weeks.first_at,
        weeks.last_at,
        weeks.checkins,
        weeks.by_least,
        weeks.by_most,
    ]
    for c in ESAS_ITEM_COLUMNS:
        columns += [mean(c), weeks[f"{c}_max"]]
    columns += [mean(name) for name in SCORE_NAMES]
    whole = select(*columns).where(
        weeks.patient_id == bindparam("patient_id"),
        weeks.week >= bindparam("first_whole", type_=Integer),
        weeks.week < bindparam("after_whole", type_=Integer),
    )
    return union_all(edges, whole).order_by(literal_column("bucket"))  # type: ignore[return-value]


@functools.cache
def _bucket_statement(dialect: str) -> Select[Any]:
    grouped = _grouped(dialect, edges_only=False)
    return grouped.order_by(grouped.selected_columns.bucket)


def _grouped(dialect: str, *, edges_only: bool) -> Select[Any]:
    """Check-ins in the window averaged per bucket, unordered; with edges_only, only those outside the
    whole weeks [whole_from, whole_until).

    The bucket number is computed once in a subquery and grouped on outside it, so PostgreSQL sees one
    expression (two bound copies of the same value would be two different parameters to it)."""
    offset = _epoch_seconds(dialect, SymptomAssessment.assessed_at) - bindparam("origin", type_=Integer)
    # Floor division of non-negative integers: the same bucket number on both databases.
    number = (offset // bindparam("bucket_seconds", type_=Integer)).label("bucket")
    scores = _score_exprs()
    rows = select(
        number,
        SymptomAssessment.assessed_at,
        SymptomAssessment.completed_by,
        *[getattr(SymptomAssessment, c) for c in ESAS_ITEM_COLUMNS],
        *[expr.label(f"score_{name}") for name, expr in scores.items()],
    )
    if edges_only:
        at = SymptomAssessment.assessed_at
        # Two ranges spelled out, each a range of the (patient_id, assessed_at) index: SQLite would otherwise
        # walk the whole window. (Written with the patient outside the OR, which SQLite's planner needs.)
        rows = rows.where(
            SymptomAssessment.patient_id == bindparam("patient_id"),
            or_(
                and_(at >= bindparam("since"), at < bindparam("whole_from")),
                and_(at >= bindparam("whole_until"), at <= bindparam("until")),
            ),
        )
    else:
        rows = rows.where(*_in_window())
    inner = rows.subquery()
    # The first and last check-in and who completed them, as the database hands them over: decoding a
    # hundred weeks' timestamps and enum values through their column types cost more than the query
    # (_bucket_columns reads them).
    aggregates: list[ColumnElement[Any]] = [
        type_coerce(func.min(inner.c.assessed_at), _AS_STORED),
        type_coerce(func.max(inner.c.assessed_at), _AS_STORED),
        func.count(),
        type_coerce(func.min(inner.c.completed_by), _AS_STORED),
        type_coerce(func.max(inner.c.completed_by), _AS_STORED),
    ]
    for c in ESAS_ITEM_COLUMNS:
        aggregates += [_mean(dialect, inner.c[c]), func.max(inner.c[c])]
    aggregates += [_mean(dialect, inner.c[f"score_{name}"]) for name in scores]
    return select(inner.c.bucket, *aggregates).group_by(inner.c.bucket)


# A type with no result processing: values come back as the driver reads them.
_AS_STORED = NullType()


def _aware(value: object) -> dt.datetime:
    """A timestamp as _grouped hands it over, as an aware UTC datetime: SQLite's stored text (UTC, as
    db.types.UTCDateTime writes it) or PostgreSQL's timestamptz."""
    if value.__class__ is str:
        return dt.datetime.fromisoformat(value + "+00:00")  # type: ignore[operator]
    return value.astimezone(dt.UTC)  # type: ignore[attr-defined]


def _mean(dialect: str, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """avg(), as a float on both databases: PostgreSQL's avg of integers is numeric, which reaches Python
    as Decimal text to parse, twelve times per bucket."""
    if dialect == "postgresql":
        return func.avg(cast(column, Float))
    return func.avg(column)


def _floats(values: Sequence[object]) -> tuple[float | None, ...]:
    return tuple(None if v is None else float(v) for v in values)  # type: ignore[arg-type]


def _ints(values: Sequence[object]) -> tuple[int | None, ...]:
    return tuple(None if v is None else int(v) for v in values)  # type: ignore[call-overload]


def _raw_columns(rows: Sequence[Sequence[object]]) -> SeriesColumns:
    """Check-ins one by one (_raw_statement's rows): each is its own mean and maximum."""
    columns = list(zip(*rows, strict=True)) or [()] * (2 + SERIES_PER_POINT)
    at, who = columns[0], columns[1]
    items = columns[2 : 2 + len(ESAS_ITEM_COLUMNS)]
    scores = columns[2 + len(ESAS_ITEM_COLUMNS) :]
    moments = tuple(map(_aware, at))
    return SeriesColumns(
        first_at=moments,
        last_at=moments,
        n=(1,) * len(at),
        completed_by=tuple(who),  # type: ignore[arg-type]
        item_mean={c: _floats(v) for c, v in zip(ESAS_ITEM_COLUMNS, items, strict=True)},
        item_max={c: _ints(v) for c, v in zip(ESAS_ITEM_COLUMNS, items, strict=True)},
        score_mean={s: _floats(v) for s, v in zip(SCORE_NAMES, scores, strict=True)},
    )


def _bucket_columns(rows: Sequence[Sequence[object]]) -> SeriesColumns:
    """Buckets (_bucket_statement's rows): bucket, first, last, count, least and most completed_by, then
    each item's mean and maximum, then the scores' means."""
    width = 6 + 2 * len(ESAS_ITEM_COLUMNS) + len(SCORE_NAMES)
    columns = list(zip(*rows, strict=True)) or [()] * width
    first, last, n, least, most = columns[1:6]
    items = columns[6 : 6 + 2 * len(ESAS_ITEM_COLUMNS)]
    scores = columns[6 + 2 * len(ESAS_ITEM_COLUMNS) :]
    return SeriesColumns(
        first_at=tuple(map(_aware, first)),
        last_at=tuple(map(_aware, last)),
        n=tuple(int(k) for k in n),  # type: ignore[call-overload]
        # CompletedBy values ("patient", ...): one kind of person for the whole bucket, or mixed.
        completed_by=tuple(a if a == b else MIXED for a, b in zip(least, most, strict=True)),  # type: ignore[misc]
        # Already floats and ints: every mean is computed as a float on both databases (see _mean).
        item_mean={c: items[2 * i] for i, c in enumerate(ESAS_ITEM_COLUMNS)},  # type: ignore[misc]
        item_max={c: items[2 * i + 1] for i, c in enumerate(ESAS_ITEM_COLUMNS)},  # type: ignore[misc]
        score_mean=dict(zip(SCORE_NAMES, scores, strict=True)),  # type: ignore[arg-type]
    )


def latest_scores(
    session: Session, patient_ids: Sequence[int], *, care_team_of: int | None = None
) -> list[Row[Any]]:
    """Each listed patient with their latest check-in, in one query, in the order of `patient_ids`: rows of
    patient_id, given_name, family_name, mrn, then the check-in's assessed_at, completed_by and the nine
    items (all None when the patient never checked in). With `care_team_of`, only the patients on that
    user's care team.

    The latest row is found per patient by a correlated "ORDER BY assessed_at DESC LIMIT 1", which the
    (patient_id, assessed_at) index answers with one seek per patient; a window function over every
    check-in of every listed patient measured several times slower on SQLite (bench/symptoms.py).
    Plain rows rather than ORM objects: the heat map needs a dozen columns, not two mapped entities.
    """
    if not patient_ids:
        return []
    params: dict[str, Any] = {"patient_ids": list(patient_ids)}
    if care_team_of is not None:
        params["care_team_of"] = care_team_of
    rows = execute_core(session, _latest_for(care_team_of is not None), params).all()
    order = {pid: i for i, pid in enumerate(dict.fromkeys(patient_ids))}
    return sorted(rows, key=lambda row: order[row.patient_id])


@functools.cache
def _latest_for(on_care_team_only: bool) -> Select[Any]:
    # Built once, the patients bound per call: a statement built anew on each call has its cache key worked
    # out anew by walking all of it, which cost more than running it.
    statement = _latest_statement().where(Patient.id.in_(bindparam("patient_ids", expanding=True)))
    if on_care_team_only:
        statement = statement.where(
            Patient.id.in_(
                select(CareTeamMember.patient_id).where(CareTeamMember.user_id == bindparam("care_team_of"))
            )
        )
    return statement


@functools.cache
def _latest_statement() -> Select[Any]:
    inner = aliased(SymptomAssessment)
    latest_id = (
        select(inner.id)
        .where(inner.patient_id == Patient.id)
        .order_by(inner.assessed_at.desc(), inner.id.desc())
        .limit(1)
        .correlate(Patient)
        .scalar_subquery()
    )
    return select(
        Patient.id.label("patient_id"),
        Patient.given_name,
        Patient.family_name,
        Patient.mrn,
        SymptomAssessment.assessed_at,
        SymptomAssessment.completed_by,
        *[getattr(SymptomAssessment, c) for c in ESAS_ITEM_COLUMNS],
    ).outerjoin(SymptomAssessment, SymptomAssessment.id == latest_id)


def latest_stamp(session: Session, patient_ids: Sequence[int], *, care_team_of: int) -> tuple[Any, ...]:
    """What latest_scores(patient_ids, care_team_of=...) would show, as a fingerprint: for each listed patient
    on that user's care team, their id, name, MRN and check-in version (symptom_versions, which the database
    moves on whenever a check-in is added, corrected or removed). One row per patient, read by primary key:
    cheaper than finding each latest check-in, which is what the heat map may then skip."""
    if not patient_ids:
        return ()
    rows = execute_core(
        session, _latest_stamp_statement(), {"patient_ids": list(patient_ids), "care_team_of": care_team_of}
    ).all()
    return tuple(sorted(tuple(row) for row in rows))


@functools.cache
def _latest_stamp_statement() -> Select[Any]:
    return (
        select(
            Patient.id,
            Patient.given_name,
            Patient.family_name,
            Patient.mrn,
            func.coalesce(symptom_versions.c.version, 0),
        )
        .outerjoin(symptom_versions, symptom_versions.c.patient_id == Patient.id)
        .where(Patient.id.in_(bindparam("patient_ids", expanding=True)))
        .where(
            Patient.id.in_(
                select(CareTeamMember.patient_id).where(CareTeamMember.user_id == bindparam("care_team_of"))
            )
        )
    )


def chart_markers(
    session: Session, patient_id: int, since: dt.datetime, until: dt.datetime
) -> Sequence[Row[Any]]:
    """What a trend chart marks in [since, until], oldest first, in one query: rows of marked_at,
    kind ("alert", or a CareEventKind value), item, label and status. Alerts carry their item (None for
    the total or a missed check-in), message and AlertStatus; care events their description, with no item
    or status."""
    return execute_core(
        session, _markers_statement(), {"patient_id": patient_id, "since": since, "until": until}
    ).all()


@functools.cache
def _markers_statement() -> Select[Any]:
    # Alerts come first in the UNION: its first SELECT's types decode every row, so an alert's status
    # comes back as an AlertStatus, and a care event's kind as its stored text.
    alerts = select(
        Alert.raised_at.label("marked_at"),
        literal("alert", String(32)).label("kind"),
        Alert.item,
        Alert.message.label("label"),
        Alert.status,
        Alert.id,
    ).where(
        Alert.patient_id == bindparam("patient_id"),
        Alert.raised_at >= bindparam("since"),
        Alert.raised_at <= bindparam("until"),
    )
    events = select(
        CareEvent.occurred_at,
        cast(CareEvent.kind, String(32)),
        null(),
        CareEvent.description,
        null(),
        CareEvent.id,
    ).where(
        CareEvent.patient_id == bindparam("patient_id"),
        CareEvent.occurred_at >= bindparam("since"),
        CareEvent.occurred_at <= bindparam("until"),
    )
    return union_all(alerts, events).order_by(  # type: ignore[return-value]
        literal_column("marked_at"), literal_column("id")
    )


@dataclass(frozen=True)
class TrendStamp:
    """A patient's name and MRN, whether the asking user is on their care team, and `data`: a cheap
    fingerprint of everything their trend chart is drawn from (see trend_stamp)."""

    given_name: str
    family_name: str
    mrn: str
    on_care_team: bool
    data: tuple[object, ...]


def trend_stamp(session: Session, patient_id: int, viewer_id: int) -> TrendStamp | None:
    """The patient's TrendStamp as `viewer_id` asks for it, or None when there is no such patient. The
    fingerprint: the version of their check-ins (db.models.symptom_versions, which the database moves on
    whenever one is added, corrected or removed); count and highest id of their alerts and how many are
    acknowledged and actioned; count and highest id of their care events; their name and MRN.

    Care events are only ever added, and an alert only moves from open to acknowledged to actioned, so any
    change the chart would show changes the stamp. One query, which also answers the care-team check every
    view starts with, and reads one row for the check-ins however long the patient's history."""
    row = execute_core(
        session, _stamp_statement(), {"patient_id": patient_id, "viewer_id": viewer_id}
    ).first()
    if row is None:
        return None
    given, family, mrn, on_team, *data = row
    return TrendStamp(given, family, mrn, bool(on_team), (given, family, mrn, *data))


@functools.cache
def _stamp_statement() -> Select[Any]:
    patient = bindparam("patient_id", type_=Integer)
    checkins = select(func.coalesce(func.max(symptom_versions.c.version), 0).label("version")).where(
        symptom_versions.c.patient_id == patient
    )
    alerts = select(
        func.count().label("n"),
        func.max(Alert.id).label("top"),
        func.count(Alert.acknowledged_at).label("acknowledged"),
        func.count(Alert.actioned_at).label("actioned"),
    ).where(Alert.patient_id == patient)
    events = select(func.count().label("n"), func.max(CareEvent.id).label("top")).where(
        CareEvent.patient_id == patient
    )
    c, a, e = checkins.subquery("c"), alerts.subquery("a"), events.subquery("e")
    return (
        select(
            Patient.given_name,
            Patient.family_name,
            Patient.mrn,
            on_care_team(bindparam("viewer_id", type_=Integer), patient),
            *c.c,
            *a.c,
            *e.c,
        )
        .select_from(Patient)
        .join(c, true())
        .join(a, true())
        .join(e, true())
        .where(Patient.id == patient)
    )
