"""An alert's life: acknowledged, actioned with a note, time to intervention, and the missed check-in
sweep (both databases)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from auth.identity import Identity
from auth.permissions import AccessDenied
from clinical.alerts import AlertRule
from clinical.roles import Role
from db.engine import transaction
from db.models import Alert, AlertStatus, AuditEvent
from services.alerts import (
    SWEEP_EVERY_SECONDS,
    AlertConflict,
    AlertRefused,
    AlertRequest,
    AlertStep,
    acknowledge,
    action,
    apply,
    patient_alerts,
    sweep_missed_checkins,
    sweep_missed_checkins_when_due,
    time_to_intervention,
)
from tests import factories
from tests.factories import NOW

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def team(engine):
    """Ada has an open severe pain alert; a nurse and a physician are on her team, a chaplain is not."""
    with transaction(engine) as s:
        nurse = factories.user(s, "nurse", Role.NURSE)
        physician = factories.user(s, "physician", Role.PHYSICIAN)
        chaplain = factories.user(s, "chaplain", Role.CHAPLAIN)
        ada = factories.patient(s, "Ada", "Quillfeather", checkin_interval_days=3)
        factories.on_team(s, ada, nurse, physician)
        checkin = factories.assessment(s, ada, NOW - 2 * HOUR, pain=8)
        alert = Alert(
            patient_id=ada.id,
            assessment_id=checkin.id,
            rule=AlertRule.SEVERE,
            item="pain",
            message="Pain 8/10 (severe)",
            status=AlertStatus.OPEN,
            raised_at=NOW - 2 * HOUR,
            condition_key="severe:pain",
        )
        s.add(alert)
        s.flush()
        return {
            "nurse": Identity(nurse.id, "nurse", "Test Nurse", Role.NURSE, "password"),
            "physician": Identity(physician.id, "physician", "Test Physician", Role.PHYSICIAN, "password"),
            "chaplain": Identity(chaplain.id, "chaplain", "Test Chaplain", Role.CHAPLAIN, "password"),
            "ada": ada.id,
            "alert": alert.id,
        }


def _alert(engine, alert_id: int) -> Alert:
    with transaction(engine) as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None
        return alert


def _actions(engine) -> list[tuple[str, str]]:
    with transaction(engine) as s:
        return [(e.action, e.actor_name) for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_acknowledge_then_action_records_who_when_and_time_to_intervention(engine, team):
    with transaction(engine) as s:
        acknowledge(s, team["nurse"], team["alert"], NOW - HOUR)
    with transaction(engine) as s:
        action(s, team["physician"], team["alert"], "  Phoned; breakthrough dose increased ", NOW)
    alert = _alert(engine, team["alert"])
    assert alert.status is AlertStatus.ACTIONED
    assert (alert.acknowledged_by_id, alert.acknowledged_at) == (team["nurse"].user_id, NOW - HOUR), (
        "the nurse's acknowledgement must stand when someone else actions the alert"
    )
    assert (alert.actioned_by_id, alert.actioned_at) == (team["physician"].user_id, NOW)
    assert alert.action_note == "Phoned; breakthrough dose increased"
    assert time_to_intervention(alert) == 2 * HOUR
    assert _actions(engine) == [("alert_acknowledged", "nurse"), ("alert_actioned", "physician")]


def test_actioning_an_open_alert_acknowledges_it_too(engine, team):
    with transaction(engine) as s:
        message = apply(s, team["nurse"], AlertRequest(team["alert"], AlertStep.ACTION, "Home visit"), NOW)
    assert "actioned" in message
    alert = _alert(engine, team["alert"])
    assert (alert.acknowledged_by_id, alert.acknowledged_at) == (team["nurse"].user_id, NOW)
    assert _actions(engine) == [("alert_acknowledged", "nurse"), ("alert_actioned", "nurse")]


def test_an_open_alert_has_no_time_to_intervention(engine, team):
    assert time_to_intervention(_alert(engine, team["alert"])) is None


@pytest.mark.parametrize(("note", "words"), [("", "write what was done"), ("   ", "write what was done"),
                                              ("x" * 2001, "2000 or fewer")])  # fmt: skip
def test_action_without_a_usable_note_is_refused(engine, team, note, words):
    with transaction(engine) as s, pytest.raises(AlertRefused) as refused:
        action(s, team["nurse"], team["alert"], note, NOW)
    assert words in str(refused.value)
    assert _alert(engine, team["alert"]).status is AlertStatus.OPEN
    assert _actions(engine) == []


def test_second_person_to_action_gets_a_clear_conflict_not_an_overwrite(engine, team):
    with transaction(engine) as s:
        action(s, team["nurse"], team["alert"], "Phoned; dose increased", NOW)
    with transaction(engine) as s, pytest.raises(AlertConflict) as conflict:
        action(s, team["physician"], team["alert"], "Home visit", NOW + HOUR)
    assert "Test Nurse already marked this alert actioned" in str(conflict.value)
    alert = _alert(engine, team["alert"])
    assert (alert.actioned_by_id, alert.action_note) == (team["nurse"].user_id, "Phoned; dose increased")
    with transaction(engine) as s, pytest.raises(AlertConflict):
        acknowledge(s, team["physician"], team["alert"], NOW + HOUR)


def test_acknowledging_twice_is_harmless_for_the_same_person_and_a_conflict_for_another(engine, team):
    with transaction(engine) as s:
        acknowledge(s, team["nurse"], team["alert"], NOW)
    with transaction(engine) as s:
        acknowledge(s, team["nurse"], team["alert"], NOW + HOUR)
    with transaction(engine) as s, pytest.raises(AlertConflict) as conflict:
        acknowledge(s, team["physician"], team["alert"], NOW + HOUR)
    assert "Test Nurse already acknowledged" in str(conflict.value)
    assert _alert(engine, team["alert"]).acknowledged_at == NOW
    assert _actions(engine) == [("alert_acknowledged", "nurse")]


def test_only_the_care_team_may_work_on_an_alert(engine, team):
    with transaction(engine) as s, pytest.raises(AccessDenied):
        acknowledge(s, team["chaplain"], team["alert"], NOW)
    with transaction(engine) as s, pytest.raises(AccessDenied):
        action(s, team["chaplain"], team["alert"], "Visited", NOW)
    with transaction(engine) as s, pytest.raises(AccessDenied):
        patient_alerts(s, team["chaplain"], team["ada"])
    assert _alert(engine, team["alert"]).status is AlertStatus.OPEN


def test_patient_alerts_lists_open_ones_and_recent_actions_with_names(engine, team):
    with transaction(engine) as s:
        action(s, team["nurse"], team["alert"], "Phoned", NOW)
        s.add(
            Alert(
                patient_id=team["ada"],
                rule=AlertRule.WORSENING,
                message="Total symptom distress 40, up 12",
                status=AlertStatus.OPEN,
                raised_at=NOW,
                condition_key="worsening:total",
            )
        )
    with transaction(engine) as s:
        views = patient_alerts(s, team["physician"], team["ada"])
    assert [v.alert.condition_key for v in views.not_actioned] == ["worsening:total"]
    [done] = views.recently_actioned
    assert (done.actioned_by, done.acknowledged_by, done.time_to_intervention) == (
        "Test Nurse",
        "Test Nurse",
        2 * HOUR,
    )


def test_missed_checkin_sweep_raises_once_and_not_twice(engine, team):
    later = NOW + dt.timedelta(days=4)
    with transaction(engine) as s:
        assert sweep_missed_checkins(s, NOW) == 0, "a check-in two hours ago is not missed"
    with transaction(engine) as s:
        assert sweep_missed_checkins(s, later) == 1
    with transaction(engine) as s:
        assert sweep_missed_checkins(s, later + HOUR) == 0, "one gap must raise one alert"
        missed = s.scalars(select(Alert).where(Alert.rule == AlertRule.MISSED_CHECKIN)).all()
        [alert] = missed
        assert alert.condition_key == f"missed_checkin:{(NOW - 2 * HOUR).date().isoformat()}"
        assert alert.status is AlertStatus.OPEN and alert.raised_at == later
        action(s, team["nurse"], alert.id, "Phoned; well, forgot to check in", later + 2 * HOUR)
    with transaction(engine) as s:
        assert sweep_missed_checkins(s, later + dt.timedelta(days=1)) == 0, (
            "an actioned missed check-in must not come back while the same gap goes on"
        )
        total = s.scalar(
            select(func.count()).select_from(Alert).where(Alert.rule == AlertRule.MISSED_CHECKIN)
        )
    assert total == 1
    assert ("alert_raised", "system") in _actions(engine)


def test_the_pages_sweep_at_most_once_a_minute_and_a_rolled_back_sweep_counts_for_nothing(engine, team):
    later = NOW + dt.timedelta(days=4)

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction(engine) as s:
        assert sweep_missed_checkins_when_due(s, later) == 1
        raise Abandoned
    with transaction(engine) as s:
        assert sweep_missed_checkins_when_due(s, later) == 1, "the rolled-back sweep raised nothing"
    soon = later + dt.timedelta(seconds=SWEEP_EVERY_SECONDS - 1)
    with transaction(engine) as s:
        assert sweep_missed_checkins_when_due(s, soon) is None, "every rerun of Home swept again"
    with transaction(engine) as s:
        due = later + dt.timedelta(seconds=SWEEP_EVERY_SECONDS)
        assert sweep_missed_checkins_when_due(s, due) == 0, "a minute on, the pages must look again"
        missed = select(func.count()).select_from(Alert).where(Alert.rule == AlertRule.MISSED_CHECKIN)
        assert s.scalar(missed) == 1, "one gap, one alert"
