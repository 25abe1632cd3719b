"""The shared case view component under AppTest: two clinicians' sessions on one real database.

The presenter's choice reaches the follower through the database's version number; a follower's poll that
finds nothing new redraws the chart it already holds, so the record is opened (and audited) once per view,
not once a second.
"""

from __future__ import annotations

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from auth.identity import Identity
from clinical.roles import Role
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


def _physician_and_nurse(engine, clinic) -> tuple[AppTest, AppTest]:
    """Two clinicians in the demo meeting, each in their own session, both on its agenda's care team."""
    with transaction(engine) as s:
        conference_id = s.scalar(select(Conference.id))
    physician = _session_for(clinic, Role.PHYSICIAN, conference_id)
    return physician, _session_for(clinic, Role.NURSE, conference_id)


def _views(engine) -> int:
    with transaction(engine) as s:
        return s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "patient_viewed")
        )


def test_the_follower_sees_what_the_presenter_shows_and_opens_it_once(engine, clinic):
    physician, nurse = _physician_and_nurse(engine, clinic)
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
    physician, nurse = _physician_and_nurse(engine, clinic)
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


def _place_of(at: AppTest, text: str) -> int | None:
    """The index, in the page's main block, of the top-level block showing `text`."""
    for index, node in at.main.children.items():
        if isinstance(node, Block) and any(text in markdown.value for markdown in node.get("markdown")):
            return index
    return None


def test_each_switch_is_sent_with_the_value_it_holds_as_its_default(engine, clinic):
    # A browser that draws a switch without a value of its own (its first draw late, after a later run's
    # copy) takes the element's default: a constant False turned a follower's Follow off by itself.
    physician, nurse = _physician_and_nurse(engine, clinic)
    physician.toggle(key="case.presenting").set_value(True).run()
    nurse.run()

    assert physician.toggle(key="case.presenting").proto.default is True
    assert nurse.toggle(key="case.following").proto.default is True
    nurse.toggle(key="case.following").set_value(False).run()
    assert nurse.toggle(key="case.following").proto.default is False


def test_the_followed_chart_keeps_its_place_when_the_pickers_come_and_go(engine, clinic):
    # Streamlit names a fragment after its place in the page: had the pickers pushed the polling fragment
    # down, its old self would go on polling and drawing where the pickers now are.
    physician, nurse = _physician_and_nurse(engine, clinic)
    physician.toggle(key="case.presenting").set_value(True).run()
    nurse.run()
    following = _place_of(nurse, "Following Test Physician")

    nurse.toggle(key="case.following").set_value(False).run()
    assert nurse.selectbox(key="case.case"), "looking on her own, the nurse has the pickers"
    assert following is not None and _place_of(nurse, "Looking on your own") == following


def test_a_follower_polls_often_enough_for_the_two_second_promise():
    """The issue promises followers the presenter's change within 2 s: one poll every POLL_SECONDS, then
    one rerun of the fragment. The browser test checks that the follower's page catches up by itself and
    prints how long it took; a stopwatch assertion there failed on loaded machines, so the promise's
    arithmetic is checked here instead."""
    from components import shared_case_view

    assert shared_case_view.POLL_SECONDS <= 1.0, "a follower would wait longer than promised for a change"
