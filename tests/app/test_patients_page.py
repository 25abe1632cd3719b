"""The Patients page: only the care team's patients, and each record view lands in the audit trail."""

from __future__ import annotations

from sqlalchemy import select

from db.engine import transaction
from db.models import AuditEvent, Patient
from tests.app.conftest import by_label, page_text, sign_in


def _patients_page(app, username: str):
    at = sign_in(app(), username)
    at.switch_page("pages/patients.py").run()
    return at


def test_list_shows_only_my_patients(app, clinic):
    at = _patients_page(app, "physician")
    text = page_text(at)
    for name in clinic.own_patient_names:
        assert name in text, f"{name} is on the physician's care team but not listed"
    assert clinic.other_patient_name not in text, "a patient of another team was listed"


def test_open_alerts_come_before_the_long_columns(app, clinic):
    at = _patients_page(app, "physician")
    (table,) = at.dataframe
    columns = list(table.value.columns)
    # Past the third column a laptop may have to scroll sideways: the alert count must not be out there.
    assert columns[:4] == ["Name", "Record number", "Open alerts", "Last check-in"], columns
    assert columns[-1] == "Diagnosis", "the long diagnosis pushes the columns after it out of view"


def test_opening_a_record_shows_it_and_is_audited(app, engine, clinic):
    at = _patients_page(app, "nurse")
    box = by_label(at.selectbox, "Open a patient's record")
    box.select_index(0 if "Ada" in box.options[0] else 1).run()
    text = page_text(at)
    assert "Ada Quillfeather" in " ".join(h.value for h in at.header), "the chosen record did not open"
    assert "Severe 7" in text, "the latest pain score should read as severe, in words as well as colour"
    assert "Weekly palliative MDT" in text, "the upcoming conference case should be on the record"
    with transaction(engine) as s:
        ada_id = s.scalar(select(Patient.id).where(Patient.family_name == "Quillfeather"))
        views = s.scalars(select(AuditEvent).where(AuditEvent.action == "patient_viewed")).all()
    # One event for the summary, one for the symptom trends with the window shown.
    assert {(v.patient_id, v.actor_name) for v in views} == {(ada_id, "nurse")}, (
        "the record view was not audited"
    )
    assert [(v.details or {}).get("view") for v in views].count("symptom_trends") == 1, (
        "opening the chart must be audited once, with its window"
    )


def test_clinician_with_no_patients_sees_a_plain_empty_state(app, engine, clinic):
    from clinical.roles import Role
    from tests import factories

    with transaction(engine) as s:
        factories.user(s, "new_nurse", Role.NURSE)
    at = _patients_page(app, "new_nurse")
    assert "You are not on the care team of any patient yet." in page_text(at)
