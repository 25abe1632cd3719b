"""Sending a symptom check-in: who may, what is refused, and which alerts it raises (both databases)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from auth.identity import Identity
from auth.permissions import AccessDenied
from clinical.alerts import AlertRule
from clinical.esas import ITEM_KEYS
from clinical.pcoc import PcocPhase
from clinical.roles import Role
from db.engine import transaction
from db.models import Alert, AlertStatus, AuditEvent, ClinicianRating, CompletedBy, Patient, SymptomAssessment
from services.alerts import action
from services.checkins import (
    CheckinDraft,
    CheckinRefused,
    ClinicianRatings,
    patients_i_can_check_in_for,
    record_clinician_ratings,
    save_checkin,
    submit_checkin,
)
from tests import factories
from tests.factories import NOW

DAY = dt.timedelta(days=1)


@pytest.fixture
def ward(engine):
    """Ada, with a nurse on her team and her daughter linked as family; an outsider relative and an
    outsider clinician with no link to her."""
    with transaction(engine) as s:
        nurse = factories.user(s, "nurse", Role.NURSE)
        chaplain = factories.user(s, "chaplain", Role.CHAPLAIN)
        daughter = factories.user(s, "daughter", Role.FAMILY)
        stranger = factories.user(s, "stranger", Role.FAMILY)
        admin = factories.user(s, "admin", Role.ADMIN)
        ada = factories.patient(s, "Ada", "Quillfeather")
        ben = factories.patient(s, "Ben", "Marrowstone")
        factories.on_team(s, ada, nurse)
        factories.family_contact(s, ada, daughter)
        factories.family_contact(s, ben, stranger, relationship="son")
        return {
            "nurse": _who(nurse.id, "nurse", Role.NURSE),
            "chaplain": _who(chaplain.id, "chaplain", Role.CHAPLAIN),
            "daughter": _who(daughter.id, "daughter", Role.FAMILY),
            "stranger": _who(stranger.id, "stranger", Role.FAMILY),
            "admin": _who(admin.id, "admin", Role.ADMIN),
            "ada": ada.id,
        }


def _who(user_id: int, username: str, role: Role) -> Identity:
    return Identity(user_id, username, f"Test {username}", role, "password")


def _items(score: int | None = 2, **overrides: int | None) -> dict[str, object]:
    values: dict[str, object] = dict.fromkeys(ITEM_KEYS, score)
    values.update(overrides)
    return values


def _send(engine, ward, when, who="daughter", items=None, completed_by=CompletedBy.FAMILY, **kwargs):
    with transaction(engine) as s:
        return submit_checkin(
            s,
            ward[who],
            ward["ada"],
            items if items is not None else _items(),
            kwargs.pop("other_problem", None),
            kwargs.pop("other_score", None),
            completed_by,
            when,
        )


def _counts(engine) -> tuple[int, int]:
    with transaction(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(SymptomAssessment)) or 0,
            s.scalar(select(func.count()).select_from(Alert)) or 0,
        )


def test_family_checkin_with_severe_pain_raises_exactly_one_severe_alert(engine, ward):
    result = _send(engine, ward, NOW, items=_items(pain=8))
    assert [(a.rule, a.item) for a in result.alerts] == [(AlertRule.SEVERE, "pain")]
    with transaction(engine) as s:
        saved = s.get(SymptomAssessment, result.assessment_id)
        alerts = s.scalars(select(Alert)).all()
        created = s.scalars(select(AuditEvent).where(AuditEvent.action == "clinical_create")).all()
        raised = s.scalars(select(AuditEvent).where(AuditEvent.action == "alert_raised")).all()
    assert saved is not None and saved.pain == 8 and saved.completed_by is CompletedBy.FAMILY
    assert saved.entered_by_id == ward["daughter"].user_id
    assert [(a.condition_key, a.status) for a in alerts] == [("severe:pain", AlertStatus.OPEN)]
    assert alerts[0].assessment_id == result.assessment_id and alerts[0].raised_at == NOW
    assert [(e.actor_name, e.target_id) for e in created] == [("daughter", str(result.assessment_id))], (
        "the check-in was not audited as clinical data created"
    )
    assert len(raised) == 1


def test_unchanged_severe_pain_the_next_day_raises_nothing(engine, ward):
    _send(engine, ward, NOW, items=_items(pain=8))
    again = _send(engine, ward, NOW + DAY, items=_items(pain=8))
    assert again.alerts == [], "the same unchanged severe pain must not alert twice"
    assert _counts(engine) == (2, 1)


def test_severe_pain_that_eased_and_returned_after_action_alerts_again(engine, ward):
    first = _send(engine, ward, NOW, items=_items(pain=8))
    assert _send(engine, ward, NOW + DAY, items=_items(pain=8)).alerts == []
    with transaction(engine) as s:
        action(s, ward["nurse"], first.alerts[0].alert_id, "Breakthrough dose increased", NOW + 2 * DAY)
    eased = _send(engine, ward, NOW + 3 * DAY, items=_items(pain=3))
    assert eased.alerts == []
    back = _send(engine, ward, NOW + 4 * DAY, items=_items(pain=8))
    assert [(a.rule, a.item) for a in back.alerts] == [(AlertRule.SEVERE, "pain")], (
        "pain back to severe after it eased and its alert was actioned is a new condition"
    )
    assert "up from 3" in back.alerts[0].message


def test_severe_pain_that_stays_open_is_not_alerted_again_even_after_a_dip(engine, ward):
    _send(engine, ward, NOW, items=_items(pain=8))
    _send(engine, ward, NOW + DAY, items=_items(pain=3))
    back = _send(engine, ward, NOW + 2 * DAY, items=_items(pain=8))
    assert back.alerts == [], "the first severe pain alert is still open: the team already has it in hand"


def test_first_ever_checkin_raises_no_new_moderate_or_worsening(engine, ward):
    result = _send(engine, ward, NOW, items=_items(6))
    assert result.alerts == [], "with nothing before it, a first check-in cannot be new or worse"


def test_a_rise_into_moderate_and_a_worse_total_alert_against_earlier_checkins(engine, ward):
    _send(engine, ward, NOW - 2 * DAY, items=_items(2))
    _send(engine, ward, NOW - DAY, items=_items(2))
    result = _send(engine, ward, NOW, items=_items(2, nausea=5, anxiety=6))
    assert sorted((a.rule, a.item) for a in result.alerts) == [
        (AlertRule.NEW_MODERATE, "anxiety"),
        (AlertRule.NEW_MODERATE, "nausea"),
        (AlertRule.WORSENING, None),
    ]


@pytest.mark.parametrize(
    ("items", "other", "words"),
    [
        (_items(pain=11), {}, "outside the scale"),
        (_items(pain=-1), {}, "outside the scale"),
        (_items(pain=7.5), {}, "not a whole number"),
        (_items(pain="8"), {}, "not a whole number"),
        (_items(pain=True), {}, "not a whole number"),
        (_items(None), {}, "every symptom was skipped"),
        ({}, {}, "every symptom was skipped"),
        (_items(constipation=4), {}, "not an ESAS-r item"),
        (_items(), {"other_problem": "x" * 101, "other_score": 3}, "100 or fewer"),
        (_items(), {"other_score": 4}, "say what the other problem is"),
        (_items(), {"other_problem": "Itch", "other_score": 12}, "not a whole number from 0 to 10"),
    ],
)
def test_bad_input_is_refused_plainly_and_saves_nothing(engine, ward, items, other, words):
    with pytest.raises(CheckinRefused) as refused:
        _send(engine, ward, NOW, items=items, **other)
    assert words in str(refused.value)
    assert _counts(engine) == (0, 0), "a refused check-in must save neither the assessment nor alerts"


def test_blank_items_are_stored_blank_not_zero(engine, ward):
    result = _send(engine, ward, NOW, items={"pain": 4}, other_problem="  Itch ", other_score=3)
    with transaction(engine) as s:
        saved = s.get(SymptomAssessment, result.assessment_id)
    assert saved is not None and saved.pain == 4 and saved.nausea is None
    assert (saved.other_problem, saved.other_score) == ("Itch", 3)


@pytest.mark.parametrize("who", ["stranger", "chaplain", "admin"])
def test_someone_not_linked_to_the_patient_is_refused(engine, ward, who):
    with pytest.raises(AccessDenied):
        _send(engine, ward, NOW, who=who, items=_items(pain=8), completed_by=CompletedBy.PATIENT)
    assert _counts(engine) == (0, 0)


def test_family_cannot_file_a_clinicians_rating_but_a_nurse_can(engine, ward):
    with pytest.raises(CheckinRefused):
        _send(engine, ward, NOW, who="daughter", completed_by=CompletedBy.CLINICIAN)
    result = _send(engine, ward, NOW, who="nurse", completed_by=CompletedBy.CLINICIAN)
    with transaction(engine) as s:
        assert s.get(SymptomAssessment, result.assessment_id).completed_by is CompletedBy.CLINICIAN


def test_who_may_check_in_for_whom(engine, ward):
    with transaction(engine) as s:
        assert [p.label for p in patients_i_can_check_in_for(s, ward["daughter"])] == ["Ada Quillfeather"]
        assert [p.patient_id for p in patients_i_can_check_in_for(s, ward["nurse"])] == [ward["ada"]]
        assert patients_i_can_check_in_for(s, ward["chaplain"]) == []
        assert patients_i_can_check_in_for(s, ward["admin"]) == []


def test_clinician_ratings_are_saved_audited_and_update_the_phase(engine, ward):
    with transaction(engine) as s:
        rating = record_clinician_ratings(
            s, ward["nurse"], ward["ada"], PcocPhase.UNSTABLE, 40, "zbi_12", 22, NOW
        )
        rating_id = rating.id
    with transaction(engine) as s:
        saved = s.get(ClinicianRating, rating_id)
        patient = s.get(Patient, ward["ada"])
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert (saved.pcoc_phase, saved.akps, saved.caregiver_burden_total) == (PcocPhase.UNSTABLE, 40, 22)
    assert patient.pcoc_phase is PcocPhase.UNSTABLE
    assert actions == ["clinical_create", "clinical_update"]


@pytest.mark.parametrize(
    ("phase", "akps", "instrument", "total", "words"),
    [
        (None, 45, None, None, "steps of 10"),
        (None, None, "zbi_4", 30, "runs from 0 to 16"),
        (None, None, None, 12, "needs both"),
        ("calm", None, None, None, "not a PCOC phase"),
        (None, None, None, None, "nothing to record"),
    ],
)
def test_bad_clinician_ratings_are_refused(engine, ward, phase, akps, instrument, total, words):
    with transaction(engine) as s, pytest.raises(CheckinRefused) as refused:
        record_clinician_ratings(s, ward["nurse"], ward["ada"], phase, akps, instrument, total, NOW)
    assert words in str(refused.value)


def test_family_cannot_record_clinician_ratings(engine, ward):
    with transaction(engine) as s, pytest.raises(AccessDenied):
        record_clinician_ratings(s, ward["daughter"], ward["ada"], PcocPhase.STABLE, None, None, None, NOW)


def test_a_refused_rating_takes_the_checkin_with_it(engine, ward):
    draft = CheckinDraft(
        ward["ada"], CompletedBy.CLINICIAN, _items(pain=8), ratings=ClinicianRatings(akps=45)
    )
    with pytest.raises(CheckinRefused), transaction(engine) as s:
        save_checkin(s, ward["nurse"], draft, NOW)
    assert _counts(engine) == (0, 0), "check-in and ratings are saved together or not at all"
    ok = CheckinDraft(ward["ada"], CompletedBy.CLINICIAN, _items(pain=8), ratings=ClinicianRatings(akps=50))
    with transaction(engine) as s:
        result = save_checkin(s, ward["nurse"], ok, NOW)
        rating = s.get(ClinicianRating, result.rating_id)
        assert rating.assessment_id == result.assessment_id
    assert len(result.alerts) == 1
