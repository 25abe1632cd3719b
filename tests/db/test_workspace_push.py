"""The server tells a follower's workspace to redraw as soon as the meeting moves (portal/workspace_push.py),
on both databases. The Streamlit session at the other end is stood in for: what a browser then shows is the
browser tests' and the bench's to see (tests/e2e/test_meeting_workspace.py, bench/meeting_workspace.py)."""

from __future__ import annotations

import pytest

from auth.identity import Identity
from clinical.roles import Role
from db.engine import reading, transaction
from portal import workspace_push
from portal.workspace_push import _Watch
from services import agenda as agenda_service
from services import shared_view
from tests import factories
from tests.factories import NOW


@pytest.fixture
def meeting(engine, monkeypatch):
    monkeypatch.setattr(workspace_push, "_watches", {})
    with transaction(engine) as s:
        chair = factories.user(s, "physician", Role.PHYSICIAN)
        nurse = factories.user(s, "nurse", Role.NURSE)
        ada = factories.patient(s, "Ada", "Quillfeather")
        ben = factories.patient(s, "Ben", "Marrowstone")
        factories.on_team(s, ada, chair, nurse)
        factories.on_team(s, ben, chair, nurse)
        conference = factories.conference(
            s, chair, "Weekly case conference", NOW, (ada, nurse, "Pain?"), (ben, chair, "Home?")
        )
        return Identity(chair.id, "physician", "Test Physician", Role.PHYSICIAN, "password"), conference.id


def _reading(engine):
    return lambda: reading(engine)


def _stamp(engine, conference_id: int) -> tuple[int, ...]:
    with transaction(engine) as s:
        return shared_view.workspace_stamp(s, conference_id, None)


def _watch(session_id: str, conference_id: int, drawn: tuple[int, ...], page: str = "room") -> _Watch:
    item = _Watch(conference_id, None, drawn, page)
    workspace_push._watches[session_id] = item
    return item


def test_only_the_workspaces_behind_the_meeting_are_asked_to_redraw(engine, meeting):
    chair, conference_id = meeting
    asked: list[tuple[str, str]] = []

    def rerun(session_id: str, page: str) -> bool:
        asked.append((session_id, page))
        return True

    drawn = _stamp(engine, conference_id)
    _watch("nurse", conference_id, drawn)
    _watch("social worker", conference_id, drawn, page="room too")
    assert workspace_push.check_once(rerun, lambda _: True, _reading(engine)) == 0
    assert asked == [], "an unchanged workspace would be redrawn every second for nothing"

    with transaction(engine) as s:
        agenda_service.next_case(s, chair, conference_id, NOW, expected_current=None)
    assert workspace_push.check_once(rerun, lambda _: True, _reading(engine)) == 2
    assert sorted(asked) == [("nurse", "room"), ("social worker", "room too")], (
        "a follower's workspace would not show the case the chair opened"
    )
    assert workspace_push._watches == {}, "a redrawn workspace must register again with what it then drew"

    asked.clear()
    _watch("nurse", conference_id, _stamp(engine, conference_id))
    assert workspace_push.check_once(rerun, lambda _: True, _reading(engine)) == 0 and asked == [], (
        "a follower already showing the new case was asked to redraw again"
    )


def test_a_closed_browser_is_forgotten(engine, meeting):
    _, conference_id = meeting
    _watch("gone", conference_id, (0,))
    workspace_push.check_once(
        lambda *_: pytest.fail("a closed session was asked to rerun"), lambda _: False, engine
    )
    assert workspace_push._watches == {}, "the watch list would grow with every browser ever opened"


def test_under_apptest_the_workspace_polls_instead(monkeypatch):
    """AppTest's runtime is a stand-in with no sessions to rerun: pushing there raised inside the page
    (an error where the workspace should be), so the workspace must fall back to its poll."""
    from streamlit.testing.v1 import AppTest

    from media.patches import streamlit_rerun

    streamlit_rerun.install()

    def script() -> None:
        import streamlit as st

        from portal import workspace_push

        st.text(f"push {workspace_push.active()}")

    at = AppTest.from_function(script).run()
    assert not at.exception, at.exception
    assert [t.value for t in at.text] == ["push False"], "AppTest's stand-in runtime was taken for a server"
