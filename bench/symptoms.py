"""Symptom charts at scale: 500 patients x 2 years of daily ESAS-r check-ins (365,000 rows).

Measures, on SQLite and (when a PostgreSQL URL is available) on PostgreSQL:
- the server time of one patient's chart page (access check, data stamp, bucketed query, audit, chart spec)
  and of the team heat map (latest scores of 20 patients, chart spec), each run as a Streamlit script
  through streamlit.testing AppTest, as a ratio to an empty Streamlit page rerun measured in the same run.
  The chart page twice: cold, the first view of a patient's chart (a different patient each run, nothing
  loaded for them yet, and the view written to the audit trail), and warm, a rerun of the same page with
  nothing changed, which reuses what the previous run loaded and built (services.symptom_views.REUSE_SECONDS)
  and still checks access, but writes no second audit event for the same opening (auth.audit.record_view).
  Also, as a floor, a first opening stripped to its reads (no transaction, no audit event): not a page
  Vesper serves, but what tells how much of a first opening the audit costs;
- the queries alone, on the schema the migrations build (with the (patient_id, assessed_at) index of
  migration 0004, and the weekly roll-up of migration 0006 that the one- and two-year charts read, kept by
  triggers as the check-ins are loaded), and the two-year query the roll-up replaced, as its baseline;
- one warm trends call back to back and after a 3 ms pause: this machine's cores run the same work several
  times slower just after being idle, and AppTest waits for every run in 1 ms sleeps.

PostgreSQL: VESPER_TEST_PG_URL (set by scripts/with_postgres.sh, as `make bench` does) or DATABASE_URL_PG, a
server where this may create and drop a database named vesper_bench. Prints one JSON object on its last line.

    PYTHONPATH=. .venv/bin/python -m bench.symptoms
    scripts/with_postgres.sh env PYTHONPATH=. .venv/bin/python -m bench.symptoms
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, func, insert, inspect, select, text
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from auth.identity import Identity
from clinical.alerts import AlertRule
from clinical.pcoc import PcocPhase
from clinical.roles import Role
from components import symptom_charts
from db import symptom_queries
from db.engine import engine_for, execute_core, transaction
from db.models import (
    ESAS_ITEM_COLUMNS,
    Alert,
    AlertStatus,
    CareEvent,
    CareEventKind,
    CareTeamMember,
    CompletedBy,
    Patient,
    SymptomAssessment,
    User,
    symptom_weeks,
)
from db.schema import upgrade as migrate
from services import symptom_views
from services.symptom_views import patient_trends

PATIENTS = int(os.environ.get("VESPER_BENCH_PATIENTS", "500"))
DAYS = 730
HEATMAP_PATIENTS = 20
ROUNDS = int(os.environ.get("VESPER_BENCH_ROUNDS", "31"))
CHUNK = 20_000
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
# The owner's targets (December 2026): what a Streamlit page pays on every click and poll, a rerun of the
# chart and the heat map, stays within 3x an empty rerun; a chart's first opening, which reads its data and
# writes its audit event, within 5x.
TARGETS: dict[str, float] = {
    "chart_2y_warm": 3.0,
    "chart_30d_warm": 3.0,
    "heatmap": 3.0,
    "chart_2y_cold": 5.0,
    "chart_30d_cold": 5.0,
}
# Made by migration 0004: the bench database is built by the migrations, like every other one.
PATIENT_TIME_INDEX = "ix_symptom_assessments_patient_assessed"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _build(url: str) -> tuple[int, list[int]]:
    """Migrate and fill one database. Returns the clinician's user id and the patient ids."""
    migrate(url)
    engine = engine_for(url)
    rng = random.Random(20261130)
    with transaction(engine) as s:
        user = User(
            username="bench_physician",
            display_name="Dr Bench",
            role=Role.PHYSICIAN,
            password_hash=None,
            created_at=NOW,
        )
        s.add(user)
        s.flush()
        user_id = user.id
        s.execute(
            insert(Patient),
            [
                {
                    "mrn": f"SYN-B{i:05d}",
                    "given_name": f"Bench{i}",
                    "family_name": "Patient",
                    "birth_date": dt.date(1950, 1, 1),
                    "sex": "female",
                    "preferred_language": "English",
                    "diagnosis": "Synthetic",
                    "pcoc_phase": PcocPhase.STABLE,
                    "created_at": NOW - dt.timedelta(days=DAYS + 1),
                }
                for i in range(PATIENTS)
            ],
        )
        patient_ids = sorted(s.scalars(text("SELECT id FROM patients")))
        s.execute(
            insert(CareTeamMember),
            [{"patient_id": p, "user_id": user_id, "added_at": NOW} for p in patient_ids],
        )
    started = time.perf_counter()
    # A pool of plausible scores, cycled with a per-patient offset: drawing 3 million Gaussian numbers would
    # take longer than inserting the rows.
    pool = [min(10, max(0, round(rng.gauss(3, 2)))) for _ in range(9973)]
    total = len(patient_ids) * DAYS
    columns = ("patient_id", "assessed_at", "completed_by", *ESAS_ITEM_COLUMNS)

    def rows():
        k = 0
        for pid in patient_ids:
            for day in range(DAYS):
                at = NOW - dt.timedelta(days=DAYS - day, minutes=-((pid * 37 + day * 11) % 600))
                who = CompletedBy.FAMILY if day % 9 == 0 else CompletedBy.PATIENT
                scores = [pool[(k + i * 131) % len(pool)] for i in range(len(ESAS_ITEM_COLUMNS))]
                k += 1
                yield (pid, at, who, *scores)

    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # COPY: the way to load a third of a million rows into PostgreSQL in seconds.
            cursor = conn.connection.driver_connection.cursor()
            with cursor.copy(f"COPY symptom_assessments ({', '.join(columns)}) FROM STDIN") as copy:
                for n, row in enumerate(rows(), start=1):
                    copy.write_row((*row[:2], row[2].value, *row[3:]))
                    if n % 50_000 == 0:
                        _log(f"  {n:,}/{total:,} check-ins ({time.perf_counter() - started:.0f} s)")
        else:
            batch: list[dict[str, object]] = []
            table = SymptomAssessment.__table__
            for n, row in enumerate(rows(), start=1):
                batch.append(dict(zip(columns, row, strict=True)))
                if len(batch) >= CHUNK:
                    conn.execute(table.insert(), batch)
                    batch = []
                if n % 50_000 == 0:
                    _log(f"  {n:,}/{total:,} check-ins ({time.perf_counter() - started:.0f} s)")
            if batch:
                conn.execute(table.insert(), batch)
        conn.execute(
            Alert.__table__.insert(),
            [
                {
                    "patient_id": pid,
                    "rule": AlertRule.SEVERE,
                    "item": "pain",
                    "message": "Pain 8/10 (severe)",
                    "status": AlertStatus.ACTIONED,
                    "raised_at": NOW - dt.timedelta(days=k * 37 + 1),
                }
                for pid in patient_ids
                for k in range(19)
            ],
        )
        conn.execute(
            CareEvent.__table__.insert(),
            [
                {
                    "patient_id": pid,
                    "occurred_at": NOW - dt.timedelta(days=k * 70 + 2),
                    "kind": CareEventKind.MEDICATION_CHANGE if k % 2 else CareEventKind.PLAN_CHANGE,
                    "description": "Opioid dose changed",
                    "recorded_by_id": user_id,
                }
                for pid in patient_ids
                for k in range(10)
            ],
        )
    _log(f"  built in {time.perf_counter() - started:.0f} s")
    # The state a live database is in, not one still busy with its bulk load: on PostgreSQL, statistics
    # gathered and the dead row versions left by loading (each check-in rewrites its week in
    # symptom_weeks) cleared, as autovacuum would, then written out; on SQLite, the write-ahead log folded in.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("VACUUM (ANALYZE)"))
            conn.execute(text("CHECKPOINT"))
        else:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    return user_id, patient_ids


# The scripts AppTest runs. Each must import what it needs: AppTest runs the function's source.
def _empty_page() -> None:
    pass


def _chart_page(url: str, identity, patient_ids: list[int], window_days: int, now) -> None:
    """One patient's chart, as the Patients page and the meeting's case view draw it: patient_ids[-1]'s.
    Given several patients, each run then drops the one it drew, so every run is the first view of a
    patient's chart (cold: nothing loaded for them yet); given one, every run reopens it with nothing
    changed (warm: a rerun of the page)."""
    from components import symptom_charts
    from db.engine import engine_for, transaction
    from services.symptom_views import patient_trends

    with transaction(engine_for(url)) as session:
        trends = patient_trends(session, identity, patient_ids[-1], window_days, now)
    symptom_charts.show_patient_trends(trends, key="bench")
    if len(patient_ids) > 1:
        patient_ids.pop()


def _chart_page_unaudited(url: str, identity, patient_ids: list[int], window_days: int, now) -> None:
    """The first opening stripped to its reads: the care-team check and stamp, the series and the markers,
    outside a transaction and with no audit event. Not a page Vesper serves (every view it shows is
    audited): a floor, to tell how much of a first opening the audit and the transaction cost."""
    from components import symptom_charts
    from db.engine import engine_for, reading
    from db.symptom_queries import trend_stamp
    from services.symptom_views import _load_trends

    with reading(engine_for(url)) as session:
        stamp = trend_stamp(session, patient_ids[-1], identity.user_id)
        assert stamp is not None and stamp.on_care_team, "the bench clinician is on every care team"
        trends = _load_trends(session, patient_ids[-1], "Bench patient", window_days, now)
    symptom_charts.show_patient_trends(trends, key="bench")
    if len(patient_ids) > 1:
        patient_ids.pop()


def _heatmap_page(url: str, identity, patient_ids: list[int], now) -> None:
    from components import symptom_charts
    from db.engine import engine_for, reading
    from services.symptom_views import team_latest_scores

    with reading(engine_for(url)) as session:
        rows = team_latest_scores(session, identity, patient_ids, now)
    symptom_charts.show_team_heatmap(rows, key="bench")


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _median_ms(fn: Callable[[], object], rounds: int = ROUNDS) -> float:
    fn()
    return statistics.median(_timed(fn) for _ in range(rounds))


def _median_after_idle_ms(fn: Callable[[], object], pause: float, rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        time.sleep(pause)
        times.append(_timed(fn))
    return statistics.median(times)


def _measure(url: str, user_id: int, patient_ids: list[int]) -> dict[str, object]:
    identity = Identity(user_id, "bench_physician", "Dr Bench", Role.PHYSICIAN, "password")
    patient = patient_ids[len(patient_ids) // 2]
    team = patient_ids[:HEATMAP_PATIENTS]
    # Cold pages open a patient whose chart nobody has opened in this process: one patient per run, none
    # shared with the warm pages or with each other.
    others = [p for p in patient_ids if p != patient]
    cold_2y, cold_30d, floor_2y, floor_30d = (
        others[k * (ROUNDS + 1) : (k + 1) * (ROUNDS + 1)] for k in range(4)
    )
    assert len(floor_30d) == ROUNDS + 1, "not enough patients for a cold run per round"

    def app(script: Callable[..., None], *args: object) -> AppTest:
        return AppTest.from_function(script, args=args, default_timeout=120)

    apps = {
        "empty": app(_empty_page),
        "chart_2y_cold": app(_chart_page, url, identity, cold_2y, 730, NOW),
        "chart_2y_warm": app(_chart_page, url, identity, [patient], 730, NOW),
        "chart_30d_cold": app(_chart_page, url, identity, cold_30d, 30, NOW),
        "chart_30d_warm": app(_chart_page, url, identity, [patient], 30, NOW),
        "floor_2y": app(_chart_page_unaudited, url, identity, floor_2y, 730, NOW),
        "floor_30d": app(_chart_page_unaudited, url, identity, floor_30d, 30, NOW),
        "heatmap": app(_heatmap_page, url, identity, team, NOW),
    }
    times: dict[str, list[float]] = {name: [] for name in apps}
    for at in apps.values():  # warm-up: imports, template specs, connection pool
        at.run()
        assert not at.exception, at.exception
    # Interleaved, so a noisy neighbour slows every kind of page alike rather than one of them.
    for _ in range(ROUNDS):
        for name, at in apps.items():
            times[name].append(_timed(at.run))
    for name, at in apps.items():
        assert not at.exception, f"{name}: {at.exception}"
    assert len(cold_2y) == len(cold_30d) == len(floor_2y) == len(floor_30d) == 1, (
        "a cold run reopened a patient"
    )
    medians = {name: statistics.median(t) for name, t in times.items()}

    engine = engine_for(url)
    with engine.connect() as conn:
        indexes = {ix["name"] for ix in inspect(conn).get_indexes("symptom_assessments")}
    assert PATIENT_TIME_INDEX in indexes, f"the migrations did not create {PATIENT_TIME_INDEX}"
    with transaction(engine) as s:
        weeks, summed = s.execute(select(func.count(), func.sum(symptom_weeks.c.checkins))).one()
    # Kept by the database's triggers through the bulk load: every check-in counted once.
    assert summed == PATIENTS * DAYS, f"the weekly roll-up holds {summed} check-ins, not {PATIENTS * DAYS}"

    two_years = {
        "patient_id": patient,
        "since": NOW - dt.timedelta(days=730),
        "until": NOW,
        "origin": symptom_queries.ORIGIN_SECONDS,
        "bucket_seconds": int(symptom_queries.WEEK.total_seconds()),
    }

    def queries() -> dict[str, float]:
        with transaction(engine) as s:
            return {
                "item_series_2y_ms": _median_ms(
                    lambda: symptom_queries.item_series(s, patient, NOW - dt.timedelta(days=730), NOW)
                ),
                "item_series_30d_ms": _median_ms(
                    lambda: symptom_queries.item_series(s, patient, NOW - dt.timedelta(days=30), NOW)
                ),
                "latest_scores_20_ms": _median_ms(
                    lambda: symptom_queries.latest_scores(s, team, care_team_of=user_id)
                ),
                "trend_stamp_ms": _median_ms(lambda: symptom_queries.trend_stamp(s, patient, user_id)),
                # The baseline the weekly roll-up replaced: the same two years averaged week by week from
                # every check-in (730 rows read and grouped).
                "item_series_2y_from_every_checkin_ms": _median_ms(
                    lambda: execute_core(
                        s, symptom_queries._bucket_statement(engine.dialect.name), two_years
                    ).all()
                ),
            }

    with transaction(engine) as s:
        series = symptom_queries.item_series(s, patient, NOW - dt.timedelta(days=730), NOW)

    def load_trends(fresh: bool):
        # Cold: nothing loaded, and a new sign-in, so the view is audited as a first opening is.
        viewer = dataclasses.replace(identity, sign_in_id=secrets.token_hex(8)) if fresh else identity
        if fresh:
            symptom_views.clear_trends_cache()
        with transaction(engine) as s:
            return patient_trends(s, viewer, patient, 730, NOW)

    trends = load_trends(True)
    breakdown = {
        "patient_trends_cold_with_audit_and_commit_ms": _median_ms(lambda: load_trends(True)),
        "patient_trends_warm_rerun_ms": _median_ms(lambda: load_trends(False)),
        "chart_spec_with_arrow_tables_ms": _median_ms(
            lambda: symptom_charts.patient_trends_arrow_spec(trends)
        ),
    }
    plain = queries()
    # This machine's cores slow down when idle: the same call takes several times longer just after a pause
    # than back to back. AppTest waits for each run in 1 ms sleeps, so a page's work runs in the slow state.
    idle = {
        "back_to_back_ms": _median_ms(lambda: load_trends(False)),
        "after_3ms_idle_ms": _median_after_idle_ms(lambda: load_trends(False), 0.003),
    }

    def ratio(name: str) -> float:
        return round(medians[name] / medians["empty"], 2)

    return {
        "empty_rerun_median_ms": round(medians["empty"], 2),
        "chart_page_2y_cold_median_ms": round(medians["chart_2y_cold"], 2),
        "chart_page_2y_warm_median_ms": round(medians["chart_2y_warm"], 2),
        "chart_page_30d_cold_median_ms": round(medians["chart_30d_cold"], 2),
        "chart_page_30d_warm_median_ms": round(medians["chart_30d_warm"], 2),
        "heatmap_page_20_median_ms": round(medians["heatmap"], 2),
        "chart_page_2y_cold_ratio": ratio("chart_2y_cold"),
        "chart_page_2y_warm_ratio": ratio("chart_2y_warm"),
        "chart_page_30d_cold_ratio": ratio("chart_30d_cold"),
        "chart_page_30d_warm_ratio": ratio("chart_30d_warm"),
        "heatmap_page_ratio": ratio("heatmap"),
        "chart_page_2y_cold_unaudited_ratio": ratio("floor_2y"),
        "chart_page_30d_cold_unaudited_ratio": ratio("floor_30d"),
        "within_target": {name: ratio(name) <= target for name, target in TARGETS.items()},
        "points_2y": sum(
            sum(v is not None for v in p.item_mean.values())
            + sum(v is not None for v in p.score_mean.values())
            for p in series.points
        ),
        "bucket_2y_days": series.bucket.days if series.bucket else 0,
        "roll_up_weeks": weeks,
        "chart_page_2y_breakdown_ms": {k: round(v, 2) for k, v in breakdown.items()},
        "queries_ms": {k: round(v, 2) for k, v in plain.items()},
        "warm_trends_call_ms": {k: round(v, 3) for k, v in idle.items()},
    }


def _pg_admin_url() -> str | None:
    return os.environ.get("VESPER_TEST_PG_URL") or os.environ.get("DATABASE_URL_PG")


def main() -> None:
    started = time.perf_counter()
    results: dict[str, object] = {
        "benchmark": "symptoms",
        "patients": PATIENTS,
        "checkins": PATIENTS * DAYS,
        "rounds": ROUNDS,
        "target_ratios": TARGETS,
    }
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        _log(f"SQLite: {PATIENTS} patients x {DAYS} days")
        user_id, patient_ids = _build(url)
        results["sqlite"] = _measure(url, user_id, patient_ids)
        engine_for(url).dispose()

    admin_url = _pg_admin_url()
    if admin_url:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS vesper_bench WITH (FORCE)"))
            conn.execute(text("CREATE DATABASE vesper_bench"))
        url = make_url(admin_url).set(database="vesper_bench").render_as_string(hide_password=False)
        try:
            _log(f"PostgreSQL: {PATIENTS} patients x {DAYS} days")
            user_id, patient_ids = _build(url)
            results["postgresql"] = _measure(url, user_id, patient_ids)
        finally:
            engine_for(url).dispose()
            with admin.connect() as conn:
                conn.execute(text("DROP DATABASE IF EXISTS vesper_bench WITH (FORCE)"))
            admin.dispose()
    else:
        results["postgresql"] = (
            "skipped: set VESPER_TEST_PG_URL or DATABASE_URL_PG (scripts/with_postgres.sh)"
        )
    results["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
