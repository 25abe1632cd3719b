"""The symptom check-in through the real app: a family member answers one question per screen, the care team
sees the alert on Home and works it; bad submissions are refused plainly and save nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from clinical.esas import ITEM_KEYS, ITEMS, OTHER_PROBLEM
from clinical.pcoc import PcocPhase
from clinical.roles import Role
from components.checkin_form import FAMILY_TOLD, THANK_YOU
from db.engine import transaction
from db.models import (
    Alert,
    AlertStatus,
    AuditEvent,
    ClinicianRating,
    CompletedBy,
    Patient,
    SymptomAssessment,
    User,
)
from tests import factories
from tests.app.conftest import by_label, page_text, shown, sign_in


@pytest.fixture
def family_of_ben(clinic, engine):
    """The family account is Benedikt's daughter. Benedikt has no check-ins yet: nothing to compare with."""
    with transaction(engine) as s:
        ben = s.scalar(select(Patient).where(Patient.family_name == "Marrowstone"))
        family = s.get(User, clinic.users[Role.FAMILY])
        factories.family_contact(s, ben, family)
        return ben.id


def _click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click()
    return at.run()


def _checkin_page(app, username: str) -> AppTest:
    at = sign_in(app(), username)
    return at.switch_page("pages/checkin.py").run()


def _start(at: AppTest, completer: CompletedBy) -> AppTest:
    by_label(at.radio, "Who is answering the questions?").set_value(completer).run()
    return _click(at, "checkin.start")


def _counts(engine) -> tuple[int, int]:
    with transaction(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(SymptomAssessment)) or 0,
            s.scalar(select(func.count()).select_from(Alert)) or 0,
        )


def test_family_checkin_step_by_step_reaches_the_physicians_home(app, engine, family_of_ben):
    at = _checkin_page(app, "family")
    assert not at.exception
    assert "Check-in for Benedikt Marrowstone" in page_text(at), "with one patient, no patient picker"
    at = _start(at, CompletedBy.FAMILY)

    # Pain: severe. The answer reads in words as well as colour before moving on.
    assert "Pain" in [s.value for s in at.subheader]
    assert at.button(key="checkin.pain.next").disabled, "Next waits for an answer (or Skip)"
    # One tap answers and moves on; the next screen says, in words as well as colour, what was chosen.
    at = _click(at, "checkin.pain.7")
    assert "Tiredness (lack of energy)" in [s.value for s in at.subheader]
    assert "Your answer for Pain: :red-badge[Severe 7]" in page_text(at)
    # A mis-tap: Back shows the answer chosen, and a new tap replaces it.
    at = _click(at, "checkin.tiredness.back")
    assert "Your answer: :red-badge[Severe 7]" in page_text(at)
    assert at.button(key="checkin.pain.7").proto.type == "primary", "the chosen number stands out"
    at = _click(at, "checkin.pain.8")
    # Tiredness skipped (blank, not 0); the rest mild.
    at = _click(at, "checkin.tiredness.skip")
    for item in ITEM_KEYS[2:]:
        at = _click(at, f"checkin.{item}.2")
    at = _click(at, "checkin.other.skip")

    text = page_text(at)
    assert "Check your answers" in [s.value for s in at.subheader]
    assert "**Pain**: :red-badge[Severe 8]" in text
    assert "**Tiredness (lack of energy)**: :gray-badge[Not answered]" in text
    # Change an answer from the review, and come straight back to it.
    at = _click(at, "checkin.change.nausea")
    at = _click(at, "checkin.nausea.3")
    assert "**Nausea**: :blue-badge[Mild 3]" in page_text(at)
    at = _click(at, "checkin.save")

    assert not at.exception
    assert [s.value for s in at.success] == [THANK_YOU]
    assert FAMILY_TOLD in [i.value for i in at.info], (
        "the family should hear, plainly, that the team was told"
    )
    assert "Pain 8/10" not in page_text(at), "family see plain words, not the clinical alert text"
    with transaction(engine) as s:
        saved = s.scalars(
            select(SymptomAssessment).where(SymptomAssessment.patient_id == family_of_ben)
        ).all()
        alerts = s.scalars(select(Alert).where(Alert.patient_id == family_of_ben)).all()
    assert [(a.pain, a.tiredness, a.nausea, a.completed_by) for a in saved] == [
        (8, None, 3, CompletedBy.FAMILY)
    ]
    assert [(a.condition_key, a.status) for a in alerts] == [("severe:pain", AlertStatus.OPEN)]

    home = sign_in(app(), "physician")
    text = page_text(home)
    assert "Pain 8/10 (severe)" in text and "Benedikt Marrowstone" in text, (
        "the severe pain alert should be on the physician's Home"
    )


def test_each_question_has_its_own_buttons_and_one_tap_moves_on_exactly_once(app, family_of_ben):
    """A tap can only be read as an answer to the question it was drawn for: no key is shared between two
    screens (so a new screen's button is never taken for the old one's), and the answer is applied by the
    button's own callback, so one tap moves on one question, never zero or two."""
    at = _start(_checkin_page(app, "family"), CompletedBy.FAMILY)
    earlier: set[str] = set()
    for item in ITEMS:
        assert [s.value for s in at.subheader] == [item.label]
        keys = {b.key for b in at.button if b.key and b.key.startswith("checkin.")}
        assert {f"checkin.{item.key}.{value}" for value in range(11)} <= keys
        assert not keys & earlier, f"{item.label} reuses a key of an earlier screen"
        earlier |= keys
        at = _click(at, f"checkin.{item.key}.2")
        assert not at.exception
        assert at.session_state["checkin.state"]["answers"][item.key] == 2
    assert [s.value for s in at.subheader] == [OTHER_PROBLEM.label]


def test_all_skipped_is_refused_plainly_and_saves_nothing(app, engine, family_of_ben):
    before = _counts(engine)
    at = _start(_checkin_page(app, "family"), CompletedBy.PATIENT)
    for item in ITEM_KEYS:
        at = _click(at, f"checkin.{item}.skip")
    at = _click(at, "checkin.other.skip")
    at = _click(at, "checkin.save")
    assert not at.exception
    [error] = at.error
    assert "every symptom was skipped" in error.value
    assert not at.success, "a refused check-in must not thank anyone"
    assert _counts(engine) == before


def test_an_out_of_range_answer_is_refused_and_saves_nothing(app, engine, family_of_ben):
    before = _counts(engine)
    at = _start(_checkin_page(app, "family"), CompletedBy.FAMILY)
    at = _click(at, "checkin.pain.5")
    # The buttons only offer 0-10; a tampered or stale value must still be caught by the service.
    at.session_state["checkin.state"]["answers"]["pain"] = 11
    at.session_state["checkin.state"]["step"] = 11
    at.run()
    at = _click(at, "checkin.save")
    [error] = at.error
    assert "outside the scale" in error.value and "Not saved" in error.value
    assert _counts(engine) == before


def test_a_clinician_with_many_patients_chooses_from_a_list_that_says_so(app, engine, clinic):
    with transaction(engine) as s:
        nurse = s.get(User, clinic.users[Role.NURSE])
        for n in range(3):
            factories.on_team(s, factories.patient(s, f"Extra{n}", "Teampatient"), nurse)
    at = _checkin_page(app, "nurse")
    chooser = by_label(at.selectbox, "Who is this check-in for?")
    assert chooser.placeholder == "Choose a patient from your care team", "the list's prompt says nothing"
    assert len(chooser.options) == 5, "the nurse's five patients are not all offered"


def test_clinician_checkin_shows_the_alert_text_and_records_phase_and_akps(app, engine, family_of_ben):
    at = _checkin_page(app, "nurse")
    by_label(at.radio, "Who is this check-in for?").set_value(family_of_ben).run()
    at = _start(at, CompletedBy.CLINICIAN)
    at = _click(at, "checkin.pain.9")
    for item in ITEM_KEYS[1:]:
        at = _click(at, f"checkin.{item}.skip")
    at = _click(at, "checkin.other.skip")
    by_label(at.selectbox, "PCOC phase of care").set_value(PcocPhase.UNSTABLE)
    by_label(at.selectbox, "AKPS (function)").set_value(40)
    at.run()
    at = _click(at, "checkin.save")
    assert not at.exception
    assert [s.value for s in at.success] == [THANK_YOU]
    [warning] = at.warning
    assert "Severe symptom: Pain 9/10 (severe)" in shown(warning.value), "clinicians see the alert itself"
    with transaction(engine) as s:
        ben = s.get(Patient, family_of_ben)
        rating = s.scalar(select(ClinicianRating))
        assessment = s.scalar(select(SymptomAssessment).where(SymptomAssessment.patient_id == family_of_ben))
    assert ben.pcoc_phase is PcocPhase.UNSTABLE
    assert (rating.akps, rating.assessment_id) == (40, assessment.id)
    assert assessment.completed_by is CompletedBy.CLINICIAN


def test_physician_acknowledges_then_actions_an_alert_from_home(app, engine, family_of_ben):
    with transaction(engine) as s:
        s.add(
            Alert(
                patient_id=family_of_ben,
                rule="severe",
                item="pain",
                message="Pain 9/10 (severe)",
                status=AlertStatus.OPEN,
                raised_at=factories.NOW,
                condition_key="severe:pain",
            )
        )
    at = sign_in(app(), "physician")
    [ack] = [b for b in at.button if b.label == "Acknowledge"]
    ack.click()
    at.run()
    assert "Alert acknowledged" in page_text(at)
    assert ":orange-badge[Acknowledged]" in page_text(at)
    assert not [b for b in at.button if b.label == "Acknowledge"]

    by_label(at.button, "Mark actioned").click()
    at.run()
    by_label(at.button, "Save action").click()
    at.run()
    assert "please write what was done" in page_text(at), "an empty note is refused in plain words"
    by_label(at.text_area, "What was done? (required)").input("Phoned; breakthrough dose increased")
    by_label(at.button, "Save action").click()
    at.run()
    assert not at.exception
    assert "Alert marked actioned" in page_text(at)
    assert "Pain 9/10" not in page_text(at), "an actioned alert leaves the Home work list"
    with transaction(engine) as s:
        alert = s.scalar(select(Alert))
        actions = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.action.like("alert_%")))]
    assert alert.status is AlertStatus.ACTIONED and alert.action_note == "Phoned; breakthrough dose increased"
    assert actions == ["alert_acknowledged", "alert_actioned"]


def test_patient_record_lists_alerts_and_time_to_intervention(app, engine, clinic):
    import datetime as dt

    with transaction(engine) as s:
        ada = s.scalar(select(Patient).where(Patient.family_name == "Quillfeather"))
        raised = dt.datetime.now(dt.UTC) - dt.timedelta(hours=5)
        s.add_all(
            [
                Alert(
                    patient_id=ada.id,
                    rule="severe",
                    item="pain",
                    message="Pain 8/10 (severe)",
                    status=AlertStatus.ACTIONED,
                    raised_at=raised,
                    acknowledged_by_id=clinic.users[Role.NURSE],
                    acknowledged_at=raised + dt.timedelta(minutes=20),
                    actioned_by_id=clinic.users[Role.NURSE],
                    actioned_at=raised + dt.timedelta(hours=3, minutes=20),
                    action_note="Phoned; breakthrough dose increased",
                    condition_key="severe:pain",
                ),
                Alert(
                    patient_id=ada.id,
                    rule="worsening",
                    message="Total symptom distress 40, up 12 from the 7-day baseline of 28",
                    status=AlertStatus.OPEN,
                    raised_at=raised,
                    condition_key="worsening:total",
                ),
            ]
        )
    at = sign_in(app(), "physician")
    at.switch_page("pages/patients.py").run()
    box = by_label(at.selectbox, "Open a patient's record")
    box.select_index(0 if "Ada" in box.options[0] else 1).run()
    text = page_text(at)
    assert not at.exception
    assert ":red-badge[Open] **Worsening overall**: Total symptom distress 40" in text
    assert "time to intervention **3 h 20 min**" in text
    assert "What was done: Phoned; breakthrough dose increased" in [t.value for t in at.text]
    assert [b.label for b in at.button if b.label in ("Acknowledge", "Mark actioned")] == [
        "Acknowledge",
        "Mark actioned",
    ], "only the alert not yet actioned has controls"


def test_family_home_leads_to_the_checkin_and_shows_no_clinical_lists(app, family_of_ben):
    at = sign_in(app(), "family")
    assert "My patients with open alerts" not in page_text(at)
    by_label(at.button, "Start a symptom check-in").click()
    at.run()
    assert not at.exception
    assert "Symptom check-in" in [t.value for t in at.title]
