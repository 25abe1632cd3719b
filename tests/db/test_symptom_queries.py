"""Symptom trend queries and who may see them, on SQLite and on PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import delete, insert, select, update

from auth.identity import Identity
from auth.permissions import AccessDenied
from clinical import esas
from clinical.alerts import AlertRule
from clinical.roles import Role
from db import symptom_queries
from db.engine import reading, transaction
from db.models import (
    ESAS_ITEM_COLUMNS,
    Alert,
    AlertStatus,
    AuditEvent,
    CareEvent,
    CareEventKind,
    CareTeamMember,
    CompletedBy,
    Patient,
    SymptomAssessment,
    User,
)
from services import symptom_views
from services.symptom_views import patient_trends, team_latest_scores
from tests import factories
from tests.factories import NOW


def _me(user) -> Identity:
    return Identity(user.id, user.username, user.display_name, user.role, "password")


def _series_points(series: symptom_queries.ItemSeries) -> int:
    """Points the browser would draw: one per answered item and per computable score, per bucket."""
    return sum(
        sum(v is not None for v in p.item_mean.values()) + sum(v is not None for v in p.score_mean.values())
        for p in series.points
    )


def _daily_rows(patient_id: int, days: int) -> list[dict[str, object]]:
    rows = []
    for d in range(days):
        at = NOW - dt.timedelta(days=days - d, hours=-(d % 5))
        rows.append(
            {
                "patient_id": patient_id,
                "assessed_at": at,
                "completed_by": CompletedBy.FAMILY if d % 3 == 0 else CompletedBy.PATIENT,
                **{c: (d + i) % 11 for i, c in enumerate(ESAS_ITEM_COLUMNS)},
            }
        )
    return rows


def test_two_years_of_daily_check_ins_reach_the_browser_as_at_most_2000_points(engine):
    with transaction(engine) as s:
        ada = factories.patient(s, "Ada", "Quillfeather")
        s.execute(insert(SymptomAssessment), _daily_rows(ada.id, 730))
    with transaction(engine) as s:
        series = symptom_queries.item_series(s, ada.id, NOW - dt.timedelta(days=730), NOW)
    assert series.checkins == 730
    assert series.bucket == dt.timedelta(days=7), "two years of daily data should be drawn week by week"
    assert 100 <= len(series.points) <= 110
    assert _series_points(series) <= 2000, "the browser would be sent years of raw check-ins"
    assert sum(p.n for p in series.points) == 730, "some check-ins fell outside every bucket"
    assert all(p.first_at <= p.last_at for p in series.points)
    assert [p.first_at for p in series.points] == sorted(p.first_at for p in series.points)
    assert {p.completed_by for p in series.points} == {"mixed"}, (
        "a week with patient and family check-ins must say it was mixed, not pick one"
    )


def test_bucket_means_and_maxima_match_a_hand_computed_case(engine):
    start = NOW - dt.timedelta(days=4)
    with transaction(engine) as s:
        ada = factories.patient(s, "Ada", "Quillfeather")

        def add(day: int, hour: int, by: CompletedBy, **items: int | None) -> None:
            values: dict[str, int | None] = dict.fromkeys(ESAS_ITEM_COLUMNS, 1)
            values.update(items)
            s.add(
                SymptomAssessment(
                    patient_id=ada.id,
                    assessed_at=start + dt.timedelta(days=day, hours=hour),
                    completed_by=by,
                    **values,
                )
            )

        add(0, 1, CompletedBy.PATIENT, pain=2)
        add(1, 2, CompletedBy.FAMILY, pain=5, nausea=None)
        add(2, 3, CompletedBy.PATIENT, pain=7, anxiety=4)
        add(3, 4, CompletedBy.PATIENT, pain=8)
    with transaction(engine) as s:
        # 36 points for 12 series: 3 a series. Four days touch five calendar days but only three two-day
        # buckets (counted from Monday 5 January 1970): 25-26, 27-28 and 29-30 November.
        series = symptom_queries.item_series(s, ada.id, start, NOW, max_points=36)
    assert series.bucket == dt.timedelta(days=2)
    first, second, third = series.points
    assert (first.n, second.n, third.n) == (1, 2, 1), "check-ins were put in the wrong two-day bucket"
    assert first.item_mean["pain"] == pytest.approx(2.0) and first.item_max["pain"] == 2
    assert second.item_mean["pain"] == pytest.approx(6.0) and second.item_max["pain"] == 7
    assert third.item_mean["pain"] == pytest.approx(8.0) and third.item_max["pain"] == 8
    assert second.item_mean["nausea"] == pytest.approx(1.0), "a blank item must not count as 0 in the mean"
    assert second.item_mean["anxiety"] == pytest.approx(2.5) and second.item_max["anxiety"] == 4
    # Totals: day 0 = 2 + 8 ones = 10; day 1 has a blank item, so no total; day 2 = 7+4+7 = 18;
    # day 3 = 8+8 = 16. Emotional (depression + anxiety): day 1 = 2, day 2 = 5.
    assert first.score_mean["total"] == pytest.approx(10.0)
    assert second.score_mean["total"] == pytest.approx(18.0), "a check-in with a blank item has no total"
    assert second.score_mean["physical"] == pytest.approx(12.0)
    assert second.score_mean["emotional"] == pytest.approx(3.5)
    assert third.score_mean["total"] == pytest.approx(16.0)
    assert (first.completed_by, second.completed_by, third.completed_by) == ("patient", "mixed", "patient")
    assert first.first_at == first.last_at == start + dt.timedelta(hours=1)
    assert (second.first_at, second.last_at) == (
        start + dt.timedelta(days=1, hours=2),
        start + dt.timedelta(days=2, hours=3),
    )


def test_a_week_of_daily_check_ins_comes_back_one_by_one(engine):
    with transaction(engine) as s:
        ada = factories.patient(s, "Ada", "Quillfeather")
        rows = _daily_rows(ada.id, 7)
        s.execute(insert(SymptomAssessment), rows)
    with transaction(engine) as s:
        series = symptom_queries.item_series(s, ada.id, NOW - dt.timedelta(days=7, hours=1), NOW)
    assert series.bucket is None, "a short window must not be averaged"
    assert [p.n for p in series.points] == [1] * 7
    assert [p.first_at for p in series.points] == [r["assessed_at"] for r in rows]
    assert [p.completed_by for p in series.points] == [r["completed_by"].value for r in rows]
    for point, row in zip(series.points, rows, strict=True):
        assert point.item_max == {c: row[c] for c in ESAS_ITEM_COLUMNS}
        assert point.score_mean["total"] == esas.scores({c: row[c] for c in ESAS_ITEM_COLUMNS}).total


def test_latest_scores_are_each_patients_newest_check_in_in_one_query(engine):
    with transaction(engine) as s:
        ada = factories.patient(s, "Ada", "Quillfeather")
        ben = factories.patient(s, "Ben", "Marrowstone")
        cleo = factories.patient(s, "Cleo", "Nevercheckedin")
        factories.assessment(s, ada, NOW - dt.timedelta(days=3), pain=1)
        factories.assessment(s, ada, NOW - dt.timedelta(hours=2), pain=9)
        factories.assessment(s, ada, NOW - dt.timedelta(days=1), pain=4)
        factories.assessment(s, ben, NOW - dt.timedelta(days=5), pain=6)
        ids = [ben.id, cleo.id, ada.id]
    with transaction(engine) as s:
        rows = symptom_queries.latest_scores(s, ids)
        got = [(r.patient_id, r.pain, r.assessed_at) for r in rows]
    assert got == [
        (ids[0], 6, NOW - dt.timedelta(days=5)),
        (ids[1], None, None),
        (ids[2], 9, NOW - dt.timedelta(hours=2)),
    ], "each patient should show their newest check-in, once, in the order asked"


def test_trends_are_for_the_care_team_only_and_each_view_is_audited(engine):
    with transaction(engine) as s:
        nurse = factories.user(s, "nurse", Role.NURSE)
        outsider = factories.user(s, "other_nurse", Role.NURSE)
        ada = factories.patient(s, "Ada", "Quillfeather")
        factories.on_team(s, ada, nurse)
        factories.assessment(s, ada, NOW - dt.timedelta(days=2), pain=8)
        s.add(
            Alert(
                patient_id=ada.id,
                rule=AlertRule.SEVERE,
                item="pain",
                message="Pain 8/10 (severe)",
                status=AlertStatus.OPEN,
                raised_at=NOW - dt.timedelta(days=2),
            )
        )
        s.add_all(
            [
                CareEvent(
                    patient_id=ada.id,
                    occurred_at=NOW - dt.timedelta(days=1),
                    kind=CareEventKind.MEDICATION_CHANGE,
                    description="Oxycodone increased",
                    recorded_by_id=nurse.id,
                ),
                CareEvent(
                    patient_id=ada.id,
                    occurred_at=NOW - dt.timedelta(days=60),
                    kind=CareEventKind.PLAN_CHANGE,
                    description="Outside the window",
                    recorded_by_id=nurse.id,
                ),
            ]
        )
        ada_id, me, them = ada.id, _me(nurse), _me(outsider)

    with transaction(engine) as s, pytest.raises(AccessDenied):
        patient_trends(s, them, ada_id, 30, NOW)
    with transaction(engine) as s:
        trends = patient_trends(s, me, ada_id, 30, NOW)
    assert trends.patient_label.startswith("Ada Quillfeather")
    assert [p.item_max["pain"] for p in trends.points] == [8]
    assert [(m.kind, m.item) for m in trends.alerts] == [("alert", "pain")]
    assert [(m.kind, m.label) for m in trends.care_events] == [
        ("medication_change", "Oxycodone increased")
    ], "the chart would mark care changes from outside its window"
    with transaction(engine) as s:
        views = s.scalars(select(AuditEvent).where(AuditEvent.action == "patient_viewed")).all()
    assert [(v.actor_name, v.patient_id, v.details) for v in views] == [
        ("nurse", ada_id, {"view": "symptom_trends", "window_days": 30})
    ], "the refused attempt must leave no view, and the allowed one exactly one"


def test_team_heat_map_rows_leave_out_patients_of_other_teams(engine):
    with transaction(engine) as s:
        doctor = factories.user(s, "physician", Role.PHYSICIAN)
        ada = factories.patient(s, "Ada", "Quillfeather")
        other = factories.patient(s, "Cleo", "Outsideteam")
        factories.on_team(s, ada, doctor)
        factories.assessment(s, ada, NOW - dt.timedelta(days=1), pain=7)
        factories.assessment(s, other, NOW - dt.timedelta(days=1), pain=3)
        ids, me = [other.id, ada.id], _me(doctor)
    with transaction(engine) as s:
        rows = team_latest_scores(s, me, ids, NOW)
    assert [(r.patient_id, r.scores["pain"]) for r in rows] == [(ids[1], 7)], (
        "the heat map would show a patient of another team"
    )
    assert rows[0].completed_by == "patient" and rows[0].assessed_at == NOW - dt.timedelta(days=1)


def test_a_long_window_with_few_check_ins_still_comes_back_one_by_one(engine):
    with transaction(engine) as s:
        ada = factories.patient(s, "Ada", "Quillfeather")
        s.execute(insert(SymptomAssessment), _daily_rows(ada.id, 5))
    with transaction(engine) as s:
        series = symptom_queries.item_series(s, ada.id, NOW - dt.timedelta(days=730), NOW)
    assert series.bucket is None and series.checkins == 5
    assert [p.n for p in series.points] == [1] * 5


def test_a_short_window_with_more_check_ins_than_fit_is_averaged_and_counted(engine):
    with transaction(engine) as s:
        ada = factories.patient(s, "Ada", "Quillfeather")
        rows = _daily_rows(ada.id, 7)
        twice = [r | {"assessed_at": r["assessed_at"] + dt.timedelta(hours=6)} for r in rows]
        s.execute(insert(SymptomAssessment), rows + twice)
    with transaction(engine) as s:
        # 120 points for 12 series: 10 a series, and 14 check-ins in 7 days do not fit one by one.
        series = symptom_queries.item_series(s, ada.id, NOW - dt.timedelta(days=8), NOW, max_points=120)
    assert series.bucket == dt.timedelta(days=1)
    assert series.checkins == 14 and sum(p.n for p in series.points) == 14
    assert all(p.n == 2 for p in series.points)


def _trend_fixture(engine):
    with transaction(engine) as s:
        nurse = factories.user(s, "nurse", Role.NURSE)
        ada = factories.patient(s, "Ada", "Quillfeather")
        factories.on_team(s, ada, nurse)
        factories.assessment(s, ada, NOW - dt.timedelta(days=2), pain=3)
        return ada.id, _me(nurse)


def _views(engine) -> int:
    with transaction(engine) as s:
        return len(s.scalars(select(AuditEvent).where(AuditEvent.action == "patient_viewed")).all())


def test_a_rerun_with_nothing_changed_reuses_the_trends_and_is_audited_once_per_opening(engine):
    ada_id, me = _trend_fixture(engine)
    with transaction(engine) as s:
        first = patient_trends(s, me, ada_id, 30, NOW)
    later = NOW + dt.timedelta(seconds=symptom_views.REUSE_SECONDS)
    with transaction(engine) as s:
        again = patient_trends(s, me, ada_id, 30, later)
    assert again is first, "nothing changed, so nothing should have been loaded again"
    assert _views(engine) == 1, "a rerun of the same screen is not a second view"
    signed_in_again = dataclasses.replace(me, sign_in_id="another sign-in")
    with transaction(engine) as s:
        assert patient_trends(s, signed_in_again, ada_id, 30, later) is first
    assert _views(engine) == 2, "a view in another sign-in is audited, reused or not"
    with transaction(engine) as s:
        too_late = patient_trends(s, me, ada_id, 30, later + dt.timedelta(seconds=1))
        earlier = patient_trends(s, me, ada_id, 30, NOW - dt.timedelta(seconds=1))
    assert too_late is not first and too_late.until == later + dt.timedelta(seconds=1)
    assert earlier is not too_late and earlier.until == NOW - dt.timedelta(seconds=1)
    with transaction(engine) as s:
        other_window = patient_trends(s, me, ada_id, 7, NOW)
    assert other_window.window_days == 7


def _ack_first_alert(s) -> None:
    alert = s.scalars(select(Alert)).first()
    alert.status, alert.acknowledged_at = AlertStatus.ACKNOWLEDGED, NOW


def _action_first_alert(s) -> None:
    alert = s.scalars(select(Alert)).first()
    alert.status, alert.actioned_at = AlertStatus.ACTIONED, NOW


@pytest.mark.parametrize(
    "change",
    [
        lambda s, p: factories.assessment(s, s.get(Patient, p), NOW - dt.timedelta(days=10), pain=9),
        lambda s, p: factories.assessment(s, s.get(Patient, p), NOW - dt.timedelta(minutes=1), pain=9),
        lambda s, p: s.add(
            Alert(
                patient_id=p,
                rule=AlertRule.SEVERE,
                item="pain",
                message="Pain 9/10 (severe)",
                status=AlertStatus.OPEN,
                raised_at=NOW - dt.timedelta(minutes=1),
            )
        ),
        lambda s, p: _ack_first_alert(s),
        lambda s, p: _action_first_alert(s),
        lambda s, p: s.add(
            CareEvent(
                patient_id=p,
                occurred_at=NOW - dt.timedelta(minutes=1),
                kind=CareEventKind.PLAN_CHANGE,
                description="Goals of care discussed",
                recorded_by_id=s.scalars(select(User.id)).first(),
            )
        ),
        lambda s, p: setattr(s.get(Patient, p), "family_name", "Quillfeather-Byrne"),
        lambda s, p: s.execute(
            update(SymptomAssessment).where(SymptomAssessment.patient_id == p).values(pain=9)
        ),
    ],
    ids=[
        "backdated check-in",
        "new check-in",
        "new alert",
        "alert acknowledged",
        "alert actioned",
        "care change",
        "name",
        "corrected check-in",
    ],
)
def test_any_change_the_chart_shows_is_shown_on_the_next_view(engine, change):
    ada_id, me = _trend_fixture(engine)
    with transaction(engine) as s:
        s.add(
            Alert(
                patient_id=ada_id,
                rule=AlertRule.SEVERE,
                item="pain",
                message="Pain 8/10 (severe)",
                status=AlertStatus.OPEN,
                raised_at=NOW - dt.timedelta(days=1),
            )
        )
    with transaction(engine) as s:
        before = patient_trends(s, me, ada_id, 30, NOW)
        stamp = symptom_queries.trend_stamp(s, ada_id, me.user_id)
    with transaction(engine) as s:
        change(s, ada_id)
    with transaction(engine) as s:
        assert symptom_queries.trend_stamp(s, ada_id, me.user_id) != stamp
        after = patient_trends(s, me, ada_id, 30, NOW)
    assert after is not before and after != before, "the view showed data from before the change"


def test_a_view_in_a_rolled_back_transaction_is_not_reused(engine):
    ada_id, me = _trend_fixture(engine)
    with pytest.raises(RuntimeError), transaction(engine) as s:
        # A check-in added and viewed in a transaction that then fails: nobody else ever sees it.
        factories.assessment(s, s.get(Patient, ada_id), NOW - dt.timedelta(hours=1), pain=10)
        assert [p.item_max["pain"] for p in patient_trends(s, me, ada_id, 30, NOW).points] == [3, 10]
        raise RuntimeError("rolled back")
    with transaction(engine) as s:
        # On SQLite this one may even get the rolled-back row's id: same count, same highest id.
        factories.assessment(s, s.get(Patient, ada_id), NOW - dt.timedelta(hours=2), pain=1)
    with transaction(engine) as s:
        assert [p.item_max["pain"] for p in patient_trends(s, me, ada_id, 30, NOW).points] == [3, 1]


def test_a_reading_session_holds_no_transaction_open(engine):
    """The heat map reads through db.engine.reading: between its statements nothing is held open on the
    server (on PostgreSQL an open transaction would also cost a BEGIN and a COMMIT round trip)."""
    from db.engine import reading

    with transaction(engine) as s:
        nurse = factories.user(s, "nurse", Role.NURSE)
        ada = factories.patient(s, "Ada", "Quillfeather")
        factories.on_team(s, ada, nurse)
        factories.assessment(s, ada, NOW - dt.timedelta(days=1), pain=6)
        me = _me(nurse)
    with reading(engine) as s:
        rows = team_latest_scores(s, me, [ada.id], NOW)
        driver = s.connection().connection.driver_connection
        if engine.dialect.name == "postgresql":
            held = driver.info.transaction_status != driver.info.transaction_status.IDLE
        else:
            held = driver.in_transaction
    assert [r.scores["pain"] for r in rows] == [6], "the heat map would show no or the wrong latest score"
    assert not held, "a read-only screen left a transaction open on the database"


@pytest.mark.parametrize(
    "change",
    [
        lambda s, p: factories.assessment(s, s.get(Patient, p), NOW - dt.timedelta(minutes=1), pain=9),
        lambda s, p: s.execute(
            update(SymptomAssessment).where(SymptomAssessment.patient_id == p).values(pain=9)
        ),
        lambda s, p: s.execute(delete(SymptomAssessment).where(SymptomAssessment.patient_id == p)),
        lambda s, p: setattr(s.get(Patient, p), "family_name", "Quillfeather-Byrne"),
        lambda s, p: s.execute(delete(CareTeamMember).where(CareTeamMember.patient_id == p)),
    ],
    ids=[
        "new check-in",
        "corrected check-in",
        "removed check-in",
        "name",
        "off the team",
    ],
)
def test_the_heat_map_shows_any_change_on_the_next_rerun_and_reuses_what_did_not(engine, change):
    """team_latest_scores keeps what it read, with a stamp of it, across reruns of the agenda: a rerun with
    nothing changed hands back what it held, and any change the heat map shows is shown at once."""
    ada_id, me = _trend_fixture(engine)
    with reading(engine) as s:
        before = team_latest_scores(s, me, [ada_id], NOW)
    with reading(engine) as s:
        again = team_latest_scores(s, me, [ada_id], NOW)
    assert again == before and again[0] is before[0], (
        "nothing changed, so nothing should have been read again"
    )
    with transaction(engine) as s:
        change(s, ada_id)
    with reading(engine) as s:
        after = team_latest_scores(s, me, [ada_id], NOW)
    with reading(engine) as s:
        fresh = symptom_queries.latest_scores(s, [ada_id], care_team_of=me.user_id)
    assert after != before, "the heat map showed the latest scores from before the change"
    assert [(r.patient_label, r.assessed_at, r.scores) for r in after] == [
        (
            f"{row.given_name} {row.family_name} ({row.mrn})",
            row.assessed_at,
            {c: getattr(row, c) for c in ESAS_ITEM_COLUMNS},
        )
        for row in fresh
    ], "what the heat map shows differs from what the database holds"
