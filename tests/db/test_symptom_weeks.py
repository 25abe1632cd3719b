"""The weekly roll-up of check-ins (symptom_weeks), kept by the database's triggers, on SQLite and PostgreSQL.

Every check here compares the database's work with a plain Python recount of the same check-ins, so a
trigger or a query that drifts from the check-ins shows up as a chart that disagrees with them.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections import defaultdict

import pytest
from sqlalchemy import delete, insert, select, update

from db import symptom_queries
from db.engine import transaction
from db.models import (
    ESAS_ITEM_COLUMNS,
    CompletedBy,
    Patient,
    SymptomAssessment,
    symptom_weeks,
)
from db.symptom_queries import EMOTIONAL_COLUMNS, ORIGIN, PHYSICAL_COLUMNS, WEEK
from tests import factories
from tests.factories import NOW

SCORES = {"total": ESAS_ITEM_COLUMNS, "physical": PHYSICAL_COLUMNS, "emotional": EMOTIONAL_COLUMNS}
MONDAY = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)  # a week starts here: Monday 00:00 UTC


def _recount(checkins: list[dict[str, object]]) -> dict[tuple[int, int], dict[str, object]]:
    """What symptom_weeks should hold, worked out in Python from the check-ins alone."""
    weeks: dict[tuple[int, int], list[dict[str, object]]] = defaultdict(list)
    for c in checkins:
        at = c["assessed_at"]
        assert isinstance(at, dt.datetime)
        weeks[(c["patient_id"], (at - ORIGIN) // WEEK)].append(c)  # type: ignore[index]
    expected = {}
    for key, rows in weeks.items():
        row: dict[str, object] = {
            "checkins": len(rows),
            "first_at": min(r["assessed_at"] for r in rows),  # type: ignore[type-var]
            "last_at": max(r["assessed_at"] for r in rows),  # type: ignore[type-var]
            "by_least": min(CompletedBy(r["completed_by"]).value for r in rows),
            "by_most": max(CompletedBy(r["completed_by"]).value for r in rows),
        }
        for item in ESAS_ITEM_COLUMNS:
            answers = [r[item] for r in rows if r[item] is not None]
            row[f"{item}_sum"] = sum(answers) if answers else None  # type: ignore[arg-type]
            row[f"{item}_answered"] = len(answers)
            row[f"{item}_max"] = max(answers) if answers else None  # type: ignore[type-var]
        for score, items in SCORES.items():
            totals = [sum(r[i] for i in items) for r in rows if all(r[i] is not None for i in items)]  # type: ignore[misc]
            row[f"{score}_sum"] = sum(totals) if totals else None
            row[f"{score}_answered"] = len(totals)
        expected[key] = row
    return expected


def _stored(session) -> dict[tuple[int, int], dict[str, object]]:
    return {
        (r.patient_id, r.week): {k: v for k, v in r._mapping.items() if k not in ("patient_id", "week")}
        for r in session.execute(select(symptom_weeks))
    }


def _checkins(session) -> list[dict[str, object]]:
    columns = ("patient_id", "assessed_at", "completed_by", *ESAS_ITEM_COLUMNS)
    rows = session.execute(select(*(getattr(SymptomAssessment, c) for c in columns))).all()
    return [dict(zip(columns, r, strict=True)) for r in rows]


def _random_checkin(rng: random.Random, patient_id: int, at: dt.datetime) -> dict[str, object]:
    return {
        "patient_id": patient_id,
        "assessed_at": at,
        "completed_by": rng.choice(list(CompletedBy)),
        # About one answer in eight left blank: blanks must not count as zero, nor give a score.
        **{c: None if rng.random() < 0.12 else rng.randint(0, 10) for c in ESAS_ITEM_COLUMNS},
    }


def test_the_roll_up_follows_check_ins_added_changed_and_removed(engine):
    rng = random.Random(6)
    with transaction(engine) as s:
        ada = factories.patient(s, "Ada", "Quillfeather")
        bo = factories.patient(s, "Bo", "Lindqvist")
        # Week edges on purpose: the last microsecond of a Sunday and Monday 00:00:00 fall in different weeks.
        moments = [
            MONDAY,
            MONDAY - dt.timedelta(microseconds=1),
            MONDAY + WEEK - dt.timedelta(seconds=1),
            MONDAY + WEEK,
            *(NOW - dt.timedelta(hours=rng.randint(0, 24 * 60)) for _ in range(40)),
        ]
        s.execute(
            insert(SymptomAssessment),
            [_random_checkin(rng, rng.choice((ada.id, bo.id)), at) for at in moments],
        )
    with transaction(engine) as s:
        assert _stored(s) == _recount(_checkins(s)), "the roll-up disagrees with the check-ins just added"

    with transaction(engine) as s:
        ids = s.scalars(select(SymptomAssessment.id).order_by(SymptomAssessment.id)).all()
        # Corrections: one check-in moved to another week and patient, another with a score changed.
        s.execute(
            update(SymptomAssessment)
            .where(SymptomAssessment.id == ids[0])
            .values(assessed_at=MONDAY - 3 * WEEK, patient_id=bo.id, pain=None)
        )
        s.execute(update(SymptomAssessment).where(SymptomAssessment.id == ids[5]).values(nausea=10))
        s.execute(delete(SymptomAssessment).where(SymptomAssessment.id.in_(ids[10:15])))
    with transaction(engine) as s:
        assert _stored(s) == _recount(_checkins(s)), (
            "after a correction the one- and two-year charts would still show the old scores"
        )

    with transaction(engine) as s:
        s.execute(delete(Patient).where(Patient.id == ada.id))
    with transaction(engine) as s:
        left = {patient for patient, _ in _stored(s)}
        assert ada.id not in left, "a deleted patient's weekly scores were left behind"
        assert _stored(s) == _recount(_checkins(s))


def test_a_two_year_chart_read_from_the_roll_up_matches_one_averaged_from_every_check_in(engine):
    rng = random.Random(730)
    since, until = NOW - dt.timedelta(days=730), NOW
    with transaction(engine) as s:
        ada = factories.patient(s, "Ada", "Quillfeather")
        moments = [since + dt.timedelta(hours=rng.randint(0, 730 * 24)) for _ in range(900)]
        # The window's own edges belong to it; a moment either side of it does not.
        moments += [since, until, since - dt.timedelta(seconds=1), until + dt.timedelta(seconds=1)]
        s.execute(insert(SymptomAssessment), [_random_checkin(rng, ada.id, at) for at in moments])
    with transaction(engine) as s:
        series = symptom_queries.item_series(s, ada.id, since, until)
        inside = [c for c in _checkins(s) if since <= c["assessed_at"] <= until]  # type: ignore[operator]
    assert series.bucket == WEEK
    assert series.checkins == len(inside) == 902, "check-ins at the window's edges were lost or doubled"

    by_week: dict[int, list[dict[str, object]]] = defaultdict(list)
    for c in inside:
        by_week[(c["assessed_at"] - ORIGIN) // WEEK].append(c)  # type: ignore[operator]
    assert len(series.points) == len(by_week), "a week of check-ins is missing from the chart"
    for point, week in zip(series.points, sorted(by_week), strict=True):
        rows = by_week[week]
        assert (point.n, point.first_at, point.last_at) == (
            len(rows),
            min(r["assessed_at"] for r in rows),  # type: ignore[type-var]
            max(r["assessed_at"] for r in rows),  # type: ignore[type-var]
        ), f"week {week}: wrong check-ins counted"
        kinds = {CompletedBy(r["completed_by"]).value for r in rows}
        assert point.completed_by == (kinds.pop() if len(kinds) == 1 else "mixed")
        for item in ESAS_ITEM_COLUMNS:
            answers = [r[item] for r in rows if r[item] is not None]
            expected = sum(answers) / len(answers) if answers else None  # type: ignore[arg-type]
            assert point.item_mean[item] == pytest.approx(expected), f"week {week}: {item} mean is wrong"
            assert point.item_max[item] == (max(answers) if answers else None)  # type: ignore[type-var]
        for score, items in SCORES.items():
            totals = [sum(r[i] for i in items) for r in rows if all(r[i] is not None for i in items)]  # type: ignore[misc]
            expected = sum(totals) / len(totals) if totals else None
            assert point.score_mean[score] == pytest.approx(expected), f"week {week}: {score} mean is wrong"


def test_the_migration_sums_check_ins_that_were_there_before_it(db_url):
    from alembic import command

    from db.engine import engine_for
    from db.schema import alembic_config
    from tests.conftest import owner_url

    # As the owner throughout: it runs the migrations, and below 0011 the portal's role is granted nothing.
    config = alembic_config(owner_url(db_url))
    command.downgrade(config, "0005")
    engine = engine_for(owner_url(db_url))
    rng = random.Random(5)
    with transaction(engine) as s:
        ada = factories.patient(s, "Ada", "Quillfeather")
        s.execute(
            insert(SymptomAssessment),
            [_random_checkin(rng, ada.id, NOW - dt.timedelta(hours=7 * k)) for k in range(60)],
        )
    command.upgrade(config, "head")
    with transaction(engine) as s:
        stored = _stored(s)
        assert stored and stored == _recount(_checkins(s)), (
            "after upgrading, the long charts of existing patients would be empty or wrong"
        )


def test_check_ins_saved_at_the_same_moment_into_one_week_are_both_counted(engine):
    """Two family members saving a check-in for the same patient at once (PostgreSQL: writers really run
    side by side; SQLite lets one writer at a time)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: there is no race to lose")
    with transaction(engine) as s:
        ada = factories.patient(s, "Ada", "Quillfeather")
    rng = random.Random(2)
    first_saved = threading.Event()
    errors: list[BaseException] = []

    def second_writer() -> None:
        try:
            first_saved.wait(10)
            with transaction(engine) as s:
                s.execute(
                    insert(SymptomAssessment), [_random_checkin(rng, ada.id, MONDAY + dt.timedelta(days=2))]
                )
        except BaseException as error:  # reported below, on the test's thread
            errors.append(error)

    other = threading.Thread(target=second_writer)
    other.start()
    with transaction(engine) as s:
        s.execute(insert(SymptomAssessment), [_random_checkin(rng, ada.id, MONDAY + dt.timedelta(days=1))])
        first_saved.set()
        # The second writer's check-in is now waiting on this week; give it time to read it, were it able to.
        other.join(0.5)
    other.join(10)
    assert not errors, errors
    with transaction(engine) as s:
        week = s.execute(
            select(symptom_weeks.c.checkins).where(symptom_weeks.c.patient_id == ada.id)
        ).scalar()
        assert week == 2, "one of two check-ins saved at once vanished from the long charts"
        assert _stored(s) == _recount(_checkins(s))
