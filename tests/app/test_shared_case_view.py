"""The shared case view component under AppTest: two clinicians' sessions on one real database.

The presenter's choice reaches the follower through the database's version number; a follower's poll that
finds nothing new redraws the chart it already holds, so the record is opened (and audited) once per view,
not once a second.
"""

from __future__ import annotations

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from access.accounts import Identity
from access.roles import Role
from db.engine import transaction
from db.models import AuditEvent, Conference
from tests.app.conftest import page_text


def _case_view(identity, conference_id):  # AppTest runs this source alone: no annotations to resolve
    from components import shared_case_view

    shared_case_view.show(identity, conference_id, key="case")


def _session_for(clinic, role: Role, conference_id: int) -> AppTest:
    identity = Identity(clinic.users[role], role.value, f"Test {role.label}", role, "password")
    at = AppTest.from_function(_case_view, args=(identity, conference_id), default_timeout=30)
    at.run()
    return at


def _views(engine) -> int:
    with transaction(engine) as s:
        return s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "patient_viewed")
        )


def test_the_follower_sees_what_the_presenter_shows_and_opens_it_once(engine, clinic):
    with transaction(engine) as s:
        conference_id = s.scalar(select(Conference.id))
    physician = _session_for(clinic, Role.PHYSICIAN, conference_id)
    nurse = _session_for(clinic, Role.NURSE, conference_id)
    assert "Nobody is presenting yet" in page_text(nurse)

    physician.segmented_control(key="case.window").set_value(90).run()
    physician.toggle(key="case.presenting").set_value(True).run()
    assert "You are presenting" in page_text(physician)

    nurse.run()  # the next poll
    text = page_text(nurse).replace("**", "")  # markdown bold, as rendered
    assert "Following Test Physician" in text, text
    assert "Showing Ada Quillfeather" in text and "over the last 90 days" in text, (
        "the nurse must see the presenter's case and window"
    )
    assert nurse.get("vega_lite_chart"), "the follower must see the chart itself, not only its caption"

    opened = _views(engine)
    nurse.run()
    nurse.run()
    assert _views(engine) == opened, "polls with nothing new must not reload (and re-audit) the record"
    assert nurse.get("vega_lite_chart"), "the chart must stay on screen between changes"


def test_a_family_member_gets_no_case_view(engine, clinic):
    with transaction(engine) as s:
        conference_id = s.scalar(select(Conference.id))
    family = _session_for(clinic, Role.FAMILY, conference_id)
    assert "Case view" not in page_text(family)
    assert not family.get("vega_lite_chart")


def test_taking_over_turns_the_previous_presenter_into_a_follower(engine, clinic):
    with transaction(engine) as s:
        conference_id = s.scalar(select(Conference.id))
    physician = _session_for(clinic, Role.PHYSICIAN, conference_id)
    nurse = _session_for(clinic, Role.NURSE, conference_id)
    physician.toggle(key="case.presenting").set_value(True).run()
    nurse.run()
    nurse.toggle(key="case.presenting").set_value(True).run()
    assert "You are presenting" in page_text(nurse)

    physician.run()  # the physician's next poll
    text = page_text(physician).replace("**", "")
    assert "Test Nurse is presenting now" in text, "the physician must be told someone else took over"
    assert [t.value for t in physician.toggle if t.label == "Present my view to everyone"] == [False], (
        "two presenters would fight over the view"
    )
    assert "Following Test Nurse" in text
