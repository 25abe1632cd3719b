"""The demo seed: what a person trying the portal in demo mode will find, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import demo.seed
from auth import audit, audit_verify
from auth.passwords import verify_password
from clinical.alerts import AlertRule, missed_checkin
from clinical.roles import Role
from db.engine import PROJECT_ROOT, engine_for, transaction
from db.models import (
    ESAS_ITEM_COLUMNS,
    Alert,
    AlertStatus,
    Attendance,
    AuditEvent,
    CareTeamMember,
    CompletedBy,
    Conference,
    ConferenceStatus,
    Consent,
    FamilyContact,
    Patient,
    SymptomAssessment,
    User,
)
from demo.seed import DEMO_ACCOUNTS, SeedSummary, is_empty, reseed, seed_demo
from tests.seed_clock import seed_instant

NOW = dt.datetime(2026, 11, 30, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def seeded(engine: Engine) -> SeedSummary:
    with transaction(engine) as session:
        return seed_demo(session, NOW)


def _count(engine: Engine, model: type) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _latest_by_patient(engine: Engine) -> dict[int, tuple[Patient, dt.datetime]]:
    with transaction(engine) as session:
        latest = dict(
            session.execute(
                select(SymptomAssessment.patient_id, func.max(SymptomAssessment.assessed_at)).group_by(
                    SymptomAssessment.patient_id
                )
            ).all()
        )
        return {p.id: (p, latest[p.id]) for p in session.scalars(select(Patient))}


def test_seed_fills_an_empty_database_with_patients_and_90_days_of_history(engine: Engine) -> None:
    with transaction(engine) as session:
        assert is_empty(session), (
            "a freshly migrated database should count as empty, or demo mode never seeds"
        )
        summary = seed_demo(session, NOW)
        assert not is_empty(session), "after seeding, starting the demo again would try to seed a second time"

    # How long seeding takes is a speed figure: bench/demo_seed.py measures it.
    assert summary.patients >= 12, "the demo patient list would look thin: fewer than 12 patients"
    assert summary == SeedSummary(
        users=_count(engine, User),
        patients=_count(engine, Patient),
        assessments=_count(engine, SymptomAssessment),
        conferences=_count(engine, Conference),
        alerts=_count(engine, Alert),
    ), "the counts printed by `python -m demo.seed` and written to the audit trail would not match the data"

    with transaction(engine) as session:
        spans = session.execute(
            select(
                SymptomAssessment.patient_id,
                func.min(SymptomAssessment.assessed_at),
                func.max(SymptomAssessment.assessed_at),
            ).group_by(SymptomAssessment.patient_id)
        ).all()
        patients = session.scalars(select(Patient)).all()
    by_patient = {pid: (first, last) for pid, first, last in spans}
    for patient in patients:
        assert patient.mrn.startswith("SYN-"), f"{patient.mrn} could be mistaken for a real record number"
        age = (
            NOW.year
            - patient.birth_date.year
            - ((NOW.month, NOW.day) < (patient.birth_date.month, patient.birth_date.day))
        )
        assert 45 <= age <= 92, f"{patient.full_name} would show an implausible age of {age}"
        assert patient.id in by_patient, f"{patient.full_name}'s symptom chart would be empty"
        first, last = by_patient[patient.id]
        assert first <= NOW - dt.timedelta(days=90) and last - first >= dt.timedelta(days=90), (
            f"{patient.full_name}'s 90-day symptom trend would have a blank start "
            f"({first:%Y-%m-%d} to {last:%Y-%m-%d})"
        )
        assert first.tzinfo is not None and last <= NOW, (
            f"{patient.full_name} would have check-ins in the future"
        )


def test_some_patients_have_missed_check_ins_and_most_are_up_to_date(
    engine: Engine, seeded: SeedSummary
) -> None:
    latest = _latest_by_patient(engine)
    overdue = [
        patient.full_name
        for patient, last in latest.values()
        if NOW - last > dt.timedelta(days=patient.checkin_interval_days)
    ]
    assert len(overdue) >= 2, f"the missed check-in view would have too little to show: only {overdue}"
    assert len(overdue) <= len(latest) // 3, f"most demo patients would look lost to follow-up: {overdue}"


def test_family_completes_check_ins_for_some_patients(engine: Engine, seeded: SeedSummary) -> None:
    with transaction(engine) as session:
        family_user = session.scalar(select(User).where(User.username == "family"))
        assert family_user is not None
        proxy_counts = dict(
            session.execute(
                select(SymptomAssessment.patient_id, func.count())
                .where(SymptomAssessment.completed_by == CompletedBy.FAMILY)
                .group_by(SymptomAssessment.patient_id)
            ).all()
        )
        linked = session.scalar(select(FamilyContact).where(FamilyContact.user_id == family_user.id))
        assessments = session.scalars(select(SymptomAssessment)).all()

    runs = [pid for pid, n in proxy_counts.items() if n >= 3]
    assert len(runs) >= 2, "no chart would show a run of family-completed (proxy) check-ins"
    assert linked is not None and linked.is_surrogate, "the family account would not be linked to any patient"
    for a in assessments:
        if a.completed_by is CompletedBy.PATIENT:
            assert a.entered_by_id is None, "a patient's own check-in would show someone else as its author"
        elif a.completed_by is CompletedBy.CLINICIAN:
            assert a.entered_by_id is not None, "a clinician-completed check-in would not say who entered it"
        elif a.patient_id == linked.patient_id:
            assert a.entered_by_id == family_user.id, "a proxy check-in would not name the family member"
    values = [getattr(a, item) for a in assessments for item in ESAS_ITEM_COLUMNS]
    assert all(v is None or 0 <= v <= 10 for v in values), "a symptom score outside 0-10 would be charted"
    assert any(v is not None and v >= 7 for v in values), "no severe (>= 7) symptom would ever show"


def _alerts_with_patients(engine: Engine) -> list[tuple[Alert, Patient]]:
    with transaction(engine) as session:
        return [
            (a, p)
            for a, p in session.execute(
                select(Alert, Patient).join(Patient, Patient.id == Alert.patient_id).order_by(Alert.id)
            ).all()
        ]


def test_demo_physician_has_open_alerts_to_work_through(engine: Engine, seeded: SeedSummary) -> None:
    with transaction(engine) as session:
        physician_id = session.scalar(select(User.id).where(User.username == "physician"))
        on_team = set(
            session.scalars(select(CareTeamMember.patient_id).where(CareTeamMember.user_id == physician_id))
        )
    alerts = _alerts_with_patients(engine)
    not_actioned = [(a, p) for a, p in alerts if a.status is not AlertStatus.ACTIONED]
    with_open = {p.full_name for a, p in not_actioned if p.id in on_team}
    assert len(with_open) >= 3, (
        f"the demo physician's home page would show open alerts for only {sorted(with_open)}"
    )
    assert {a.status for a, _ in alerts} == set(AlertStatus), (
        "the alert list would not show the open -> acknowledged -> actioned life of an alert"
    )
    missed = [p.full_name for a, p in not_actioned if a.rule is AlertRule.MISSED_CHECKIN]
    assert missed, "no patient would show an open missed check-in alert, though some are overdue"


def test_seeded_alerts_match_what_the_rules_say(engine: Engine, seeded: SeedSummary) -> None:
    latest = _latest_by_patient(engine)
    alerts = _alerts_with_patients(engine)
    with transaction(engine) as session:
        checkins = session.execute(
            select(SymptomAssessment.id, SymptomAssessment.patient_id, SymptomAssessment.assessed_at)
        ).all()
    assessment_patient = {aid: pid for aid, pid, _ in checkins}
    assessment_time = {aid: at for aid, _, at in checkins}
    for alert, patient in alerts:
        assert alert.message.strip(), f"{patient.full_name} would have an alert that says nothing"
        assert alert.raised_at <= NOW, f"{patient.full_name} would have an alert raised in the future"
        if alert.rule is AlertRule.MISSED_CHECKIN:
            assert alert.assessment_id is None and alert.item is None
            _, last = latest[patient.id]
            assert NOW - last > dt.timedelta(days=patient.checkin_interval_days), (
                f"{patient.full_name} checks in on time but would be flagged as overdue"
            )
        else:
            assert alert.assessment_id is not None, (
                f"{patient.full_name}'s {alert.rule} alert could not be traced to the check-in that raised it"
            )
            assert assessment_patient[alert.assessment_id] == patient.id, (
                f"{patient.full_name}'s alert would point at another patient's check-in"
            )
            assert assessment_time[alert.assessment_id] == alert.raised_at, (
                f"{patient.full_name}'s alert would claim to be raised at a time no check-in arrived"
            )
        if alert.rule in (AlertRule.SEVERE, AlertRule.NEW_MODERATE):
            assert alert.item in ESAS_ITEM_COLUMNS, f"a {alert.rule} alert would not say which symptom"
    overdue = {
        pid for pid, (p, last) in latest.items() if NOW - last > dt.timedelta(days=p.checkin_interval_days)
    }
    flagged = {p.id for a, p in alerts if a.rule is AlertRule.MISSED_CHECKIN}
    assert flagged == overdue, "an overdue patient would have no missed check-in alert, or vice versa"


def test_no_condition_is_alerted_twice_while_open(engine: Engine, seeded: SeedSummary) -> None:
    seen: dict[tuple[int, AlertRule, str | None], str] = {}
    for alert, patient in _alerts_with_patients(engine):
        if alert.status is AlertStatus.ACTIONED:
            continue
        key = (patient.id, alert.rule, alert.item)
        assert key not in seen, (
            f"{patient.full_name} would show the same alert twice while the first is still open: "
            f"{seen[key]!r} and {alert.message!r}"
        )
        seen[key] = alert.message


def test_alert_life_cycle_is_recorded_by_the_care_team(engine: Engine, seeded: SeedSummary) -> None:
    with transaction(engine) as session:
        team = {(m.patient_id, m.user_id) for m in session.scalars(select(CareTeamMember))}
    alerts = _alerts_with_patients(engine)
    for alert, patient in alerts:
        age = NOW - alert.raised_at
        if alert.status is AlertStatus.ACTIONED:
            assert alert.actioned_by_id is not None and alert.actioned_at is not None, (
                f"an actioned alert for {patient.full_name} would not say who acted, or when"
            )
            assert alert.action_note, f"an actioned alert for {patient.full_name} would not say what was done"
            assert (patient.id, alert.actioned_by_id) in team, (
                f"an alert for {patient.full_name} would be actioned by someone outside the care team"
            )
            assert alert.raised_at < alert.actioned_at <= NOW, (
                f"an alert for {patient.full_name} would be actioned before it was raised, or in the future"
            )
            assert alert.actioned_at - alert.raised_at <= dt.timedelta(days=1), (
                f"time to intervention for {patient.full_name} would look implausibly slow"
            )
        else:
            assert alert.actioned_by_id is None and alert.actioned_at is None and alert.action_note is None, (
                f"an alert for {patient.full_name} would show an action but still be listed as open"
            )
            assert age <= dt.timedelta(days=5), (
                f"an alert for {patient.full_name} raised {age.days} days ago would still await action"
            )
        if alert.status is AlertStatus.OPEN:
            assert alert.acknowledged_by_id is None and alert.acknowledged_at is None
        else:
            assert alert.acknowledged_by_id is not None and alert.acknowledged_at is not None, (
                f"an alert for {patient.full_name} would be past 'open' without saying who acknowledged it"
            )
            assert (patient.id, alert.acknowledged_by_id) in team
            assert alert.raised_at < alert.acknowledged_at <= (alert.actioned_at or NOW)
    notes = {a.action_note for a, _ in alerts if a.action_note}
    assert len(notes) >= 10, "every actioned alert would carry the same few canned notes"


def test_one_demo_account_per_role_signs_in_with_its_listed_password(
    engine: Engine, seeded: SeedSummary
) -> None:
    assert {a.username for a in DEMO_ACCOUNTS} == {
        "physician",
        "nurse",
        "social_worker",
        "chaplain",
        "pharmacist",
        "admin",
        "family",
    }, "the sign-in page would list demo user names other than the documented ones"
    assert sorted(a.role for a in DEMO_ACCOUNTS) == sorted(Role), "some role could not be tried in demo mode"
    with transaction(engine) as session:
        users = {u.username: u for u in session.scalars(select(User))}
        consents = session.scalars(select(Consent)).all()
    for account in DEMO_ACCOUNTS:
        user = users.get(account.username)
        assert user is not None, f"signing in as {account.username!r} would fail: no such account"
        assert len(account.password) >= 12, f"{account.username}'s listed password breaks the password rule"
        assert user.role is account.role and user.active, (
            f"{account.username} would sign in with the wrong role"
        )
        assert verify_password(user.password_hash, account.password), (
            f"the password shown on the sign-in page for {account.username!r} would be refused"
        )
    assert any(c.scope == "share_record_with_family" and c.granted for c in consents), (
        "the family account would have no recorded consent to see the patient's record"
    )


def test_demo_physician_sees_most_patients_but_not_all(engine: Engine, seeded: SeedSummary) -> None:
    with transaction(engine) as session:
        physician_id = session.scalar(select(User.id).where(User.username == "physician"))
        on_team = set(
            session.scalars(select(CareTeamMember.patient_id).where(CareTeamMember.user_id == physician_id))
        )
        all_patients = set(session.scalars(select(Patient.id)))
    assert len(on_team) >= 10, "the demo physician's patient list would be nearly empty"
    assert on_team < all_patients, (
        "every patient would be on the demo physician's team, so care-team access limits could not be shown"
    )


def test_three_upcoming_conferences_with_agendas_and_one_past(engine: Engine, seeded: SeedSummary) -> None:
    with transaction(engine) as session:
        conferences = session.scalars(select(Conference).order_by(Conference.starts_at)).all()
        agendas = {c.id: list(c.cases) for c in conferences}
        attendance = session.scalars(select(Attendance)).all()
        physician_id = session.scalar(select(User.id).where(User.username == "physician"))

    upcoming = [c for c in conferences if c.starts_at > NOW and c.status is ConferenceStatus.SCHEDULED]
    past = [c for c in conferences if c.starts_at < NOW and c.status is ConferenceStatus.COMPLETED]
    assert len(upcoming) == 3, "the upcoming conferences list would not show the three demo meetings"
    assert len(past) == 1, "there would be no past conference to review"
    assert [(c.starts_at.date() - NOW.date()).days for c in upcoming] == [1, 3, 8], (
        "upcoming conferences would not fall tomorrow, in 3 days and in 8 days"
    )
    for conference in conferences:
        cases = agendas[conference.id]
        assert conference.chair_id == physician_id, f"{conference.title} would have no demo chair"
        assert 3 <= len(cases) <= 4, f"the agenda of {conference.title} would have {len(cases)} cases"
        assert [c.agenda_order for c in cases] == list(range(1, len(cases) + 1)), "agenda order would skip"
        assert all(10 <= c.time_box_minutes <= 20 for c in cases), "a case would get an odd time box"
        assert all(c.question.strip().endswith(("?", ".")) for c in cases), "a case would have no question"
        assert sum(c.time_box_minutes for c in cases) <= 60, f"{conference.title} would overrun its hour"
    assert attendance and {a.conference_id for a in attendance} == {past[0].id}, (
        "the past conference would have no attendance record, or a future one would have one"
    )


def test_seeding_twice_refuses_and_changes_nothing(engine: Engine, seeded: SeedSummary) -> None:
    before = [_count(engine, m) for m in (User, Patient, SymptomAssessment, Conference, AuditEvent)]
    with pytest.raises(ValueError, match="already has data"), transaction(engine) as session:
        seed_demo(session, NOW)
    after = [_count(engine, m) for m in (User, Patient, SymptomAssessment, Conference, AuditEvent)]
    assert after == before, "restarting the demo would duplicate patients and accounts"


def test_cli_refuses_a_now_without_a_time_zone(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        demo.seed.main(["--now", "2026-11-30T09:30:00"])
    assert exit_info.value.code == 2, "a seed at an instant read in an unknown time zone would go ahead"
    assert "has no time zone" in capsys.readouterr().err


def test_naive_now_is_refused_before_anything_is_written(engine: Engine) -> None:
    with pytest.raises(ValueError, match="timezone-aware"), transaction(engine) as session:
        seed_demo(session, NOW.replace(tzinfo=None))
    assert _count(engine, User) == 0, "a half-seeded demo would be left behind with shifted check-in times"


def test_reseed_replaces_the_data_and_keeps_the_audit_trail(engine: Engine, seeded: SeedSummary) -> None:
    with transaction(engine) as session:
        audit.record(session, "sign_in", actor_user_id=1, actor_name="physician", now=NOW)
        hashes_before = list(session.scalars(select(AuditEvent.hash).order_by(AuditEvent.id)))
        scores_before = _score_rows(session)
        alerts_before = _alert_rows(session)
    with transaction(engine) as session:
        summary = reseed(session, NOW)
    with transaction(engine) as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        verdict = audit_verify.verify(session)
        scores_after = _score_rows(session)
        alerts_after = _alert_rows(session)

    assert summary == seeded, "re-seeding would not give the same demo as the first seed"
    assert [e.hash for e in events[: len(hashes_before)]] == hashes_before, (
        "re-seeding would erase audit history"
    )
    assert len(events) == len(hashes_before) + 1, (
        "re-seeding would not be recorded exactly once in the audit trail"
    )
    assert events[-1].action == "demo_seeded" and events[-1].details["patients"] == summary.patients, (
        "the audit trail would not say that demo data was reloaded, or with how many patients"
    )
    assert verdict.intact, f"the audit report would flag tampering after a re-seed: {verdict.message()}"
    assert scores_after == scores_before, "the same `now` would give different symptom histories"
    assert alerts_after == alerts_before, "the same `now` would give a different alert history"
    assert _count(engine, User) == seeded.users, "re-seeding would leave duplicate accounts behind"


def _score_rows(session: Session) -> list[tuple[object, ...]]:
    columns = [getattr(SymptomAssessment, c) for c in ESAS_ITEM_COLUMNS]
    rows = session.execute(
        select(Patient.mrn, SymptomAssessment.assessed_at, SymptomAssessment.completed_by, *columns)
        .join(Patient, Patient.id == SymptomAssessment.patient_id)
        .order_by(Patient.mrn, SymptomAssessment.assessed_at)
    ).all()
    return [tuple(r) for r in rows]


def _alert_rows(session: Session) -> list[tuple[object, ...]]:
    rows = session.execute(
        select(
            Patient.mrn,
            Alert.raised_at,
            Alert.rule,
            Alert.item,
            Alert.message,
            Alert.status,
            Alert.actioned_at,
            Alert.action_note,
        )
        .join(Patient, Patient.id == Alert.patient_id)
        .order_by(Patient.mrn, Alert.raised_at, Alert.rule, Alert.item)
    ).all()
    return [tuple(r) for r in rows]


def _run_cli(db_url: str, *args: str, demo: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VESPER_DEMO"}
    env["DATABASE_URL"] = db_url
    if demo is not None:
        env["VESPER_DEMO"] = demo
    return subprocess.run(
        [sys.executable, "-m", "demo.seed", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_without_demo_mode_seeds_nothing(db_url: str, engine: Engine) -> None:
    for args in ((), ("--reseed",)):
        result = _run_cli(db_url, *args, demo=None)
        assert result.returncode == 0, f"`python -m demo.seed` would crash at start-up: {result.stderr}"
        assert "demo mode is off" in result.stdout, "the operator would not be told why nothing was seeded"
    assert _count(engine, User) == 0, "a production database would get demo accounts with public passwords"
    assert _count(engine, AuditEvent) == 0, "the audit trail would claim demo data was loaded"


def test_cli_in_demo_mode_seeds_once(db_url: str, engine: Engine) -> None:
    first = _run_cli(db_url, "--now", "2026-11-30T09:30:00Z", demo="1")
    assert first.returncode == 0 and "seeded demo data" in first.stdout, (
        f"starting in demo mode would leave an empty portal: {first.stdout} {first.stderr}"
    )
    with transaction(engine) as session:
        seeded_at = session.scalar(select(AuditEvent.occurred_at).where(AuditEvent.action == "demo_seeded"))
        starts = sorted(session.scalars(select(Conference.starts_at)))
    assert seeded_at == NOW and starts[0].date() == NOW.date() - dt.timedelta(days=7), (
        "`--now` would not seed as of the instant given"
    )
    patients = _count(engine, Patient)
    second = _run_cli(db_url, demo="1")
    assert second.returncode == 0 and "nothing seeded" in second.stdout, (
        f"restarting the demo would fail or re-seed: {second.stdout} {second.stderr}"
    )
    assert _count(engine, Patient) == patients, "restarting the demo would duplicate patients"


# region The fixed clock of the browser tests (tests/seed_clock.py)


def _seed_copy(template: Path, tmp_path: Path, name: str, now: dt.datetime) -> Engine:
    """A fresh SQLite database of its own, seeded at `now`."""
    path = tmp_path / f"{name}.db"
    shutil.copy(template, path)
    engine = engine_for(f"sqlite:///{path}")
    with transaction(engine) as session:
        seed_demo(session, now)
    return engine


def _demo_rows(engine: Engine, origin: dt.datetime) -> dict[str, list[tuple[object, ...]]]:
    """What a person sees of the demo, every time given as an offset from `origin`."""
    with transaction(engine) as session:
        patients = session.execute(
            select(Patient.mrn, Patient.given_name, Patient.family_name, Patient.checkin_interval_days)
        ).all()
        checkins = [
            (mrn, at - origin, *scores)
            for mrn, at, *scores in session.execute(
                select(
                    Patient.mrn,
                    SymptomAssessment.assessed_at,
                    *(getattr(SymptomAssessment, c) for c in ESAS_ITEM_COLUMNS),
                ).join(Patient, Patient.id == SymptomAssessment.patient_id)
            )
        ]
        alerts = [
            (mrn, rule, item, status, raised - origin)
            for mrn, rule, item, status, raised in session.execute(
                select(Patient.mrn, Alert.rule, Alert.item, Alert.status, Alert.raised_at).join(
                    Patient, Patient.id == Alert.patient_id
                )
            )
        ]
        conferences = [
            (title, status, starts - origin)
            for title, status, starts in session.execute(
                select(Conference.title, Conference.status, Conference.starts_at)
            )
        ]
    return {
        "patients": sorted(tuple(r) for r in patients),
        "check-ins": sorted(checkins),
        "alerts": sorted(alerts, key=repr),
        "conferences": sorted(conferences, key=repr),
    }


def _real_clock_at(hour: int) -> types.SimpleNamespace:
    """demo.seed's `dt` module, but with a real clock that reads `hour`:00 UTC today."""

    class ClockAt(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
            return dt.datetime.combine(dt.date.today(), dt.time(hour), tzinfo=dt.UTC).astimezone(tz)

    return types.SimpleNamespace(**{**vars(dt), "datetime": ClockAt})


def test_the_same_instant_gives_the_same_demo_at_any_real_hour(
    _sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instant = seed_instant(dt.datetime(2026, 12, 7, 16, 45, tzinfo=dt.UTC))
    seen = {}
    for hour in (3, 15):
        monkeypatch.setattr(demo.seed, "dt", _real_clock_at(hour))
        seen[hour] = _demo_rows(_seed_copy(_sqlite_template, tmp_path, f"at{hour}", instant), instant)
    for what, rows in seen[3].items():
        assert rows, f"the demo would have no {what}"
        assert seen[15][what] == rows, f"the browser tests would see other {what} in the afternoon"


def test_seeded_at_midnight_every_day_gives_the_same_demo(_sqlite_template: Path, tmp_path: Path) -> None:
    # The browser tests seed at today's midnight, so on different days they get the same data, shifted by
    # whole days (a birth date aside: ages stay right).
    monday = seed_instant(dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC))
    later = seed_instant(dt.datetime(2027, 3, 18, 22, tzinfo=dt.UTC))
    first = _demo_rows(_seed_copy(_sqlite_template, tmp_path, "monday", monday), monday)
    second = _demo_rows(_seed_copy(_sqlite_template, tmp_path, "later", later), later)
    assert first == second, "the browser tests would find other patients, check-ins or alerts on another day"


def test_seeded_at_midnight_no_one_falls_overdue_during_the_day(
    _sqlite_template: Path, tmp_path: Path
) -> None:
    # The app server runs on the real clock, between 0 and 24 hours after the midnight the browser tests
    # seed at, and raises missed check-in alerts itself (Home and Patients sweep for them). Whoever is
    # overdue at midnight must be the same all day, or that sweep would make alerts depend on the hour.
    instant = seed_instant(dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC))
    engine = _seed_copy(_sqlite_template, tmp_path, "midnight", instant)
    latest = _latest_by_patient(engine)

    def overdue_at(now: dt.datetime) -> set[str]:
        return {
            p.mrn
            for p, last in latest.values()
            if missed_checkin(last, p.checkin_interval_days, now) is not None
        }

    at_midnight = overdue_at(instant)
    assert at_midnight, "the demo would show no one overdue, so the missed check-in alert is never seen"
    for minutes in range(0, 24 * 60, 15):
        now = instant + dt.timedelta(minutes=minutes)
        assert overdue_at(now) == at_midnight, f"who is overdue would change by {now:%H:%M} UTC"
    assert overdue_at(instant + dt.timedelta(days=1, microseconds=-1)) == at_midnight


# endregion
