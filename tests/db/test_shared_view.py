"""The meeting's shared case view: who may present what, and the version followers poll (both databases)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from auth.identity import Identity
from auth.permissions import AccessDenied
from clinical.roles import Role
from db.engine import transaction
from db.models import SharedView
from services import shared_view
from tests import factories
from tests.factories import NOW


@pytest.fixture
def meeting(engine):
    """Tomorrow's meeting about Ada and Ben. Physician and nurse care for both; the chaplain only for Ben;
    Cy is on the physician's list but not on this agenda."""
    with transaction(engine) as s:
        users = {
            r: factories.user(s, r.value, r) for r in (Role.PHYSICIAN, Role.NURSE, Role.CHAPLAIN, Role.FAMILY)
        }
        ada = factories.patient(s, "Ada", "Quillfeather")
        ben = factories.patient(s, "Ben", "Marrowstone")
        cy = factories.patient(s, "Cy", "Ashdown")
        factories.on_team(s, ada, users[Role.PHYSICIAN], users[Role.NURSE])
        factories.on_team(s, ben, users[Role.PHYSICIAN], users[Role.NURSE], users[Role.CHAPLAIN])
        factories.on_team(s, cy, users[Role.PHYSICIAN])
        conference = factories.conference(
            s,
            users[Role.PHYSICIAN],
            "Case conference",
            NOW + dt.timedelta(hours=1),
            (ada, users[Role.NURSE], "Pain plan"),
            (ben, users[Role.PHYSICIAN], "Goals of care"),
        )
        ids = {r: u.id for r, u in users.items()}
        ids |= {"ada": ada.id, "ben": ben.id, "cy": cy.id, "conference": conference.id}
    return ids


def _me(ids, role: Role) -> Identity:
    return Identity(ids[role], role.value, f"Test {role.value}", role, "password")


def test_followers_see_each_new_view_as_a_new_version(engine, meeting):
    conference = meeting["conference"]
    with transaction(engine) as s:
        assert shared_view.current_version(s, conference) == 0, (
            "before anyone presents there is nothing to follow"
        )
        assert shared_view.current(s, conference) is None
        first = shared_view.present(s, _me(meeting, Role.PHYSICIAN), conference, meeting["ada"], 30, NOW)
    with transaction(engine) as s:
        seen = shared_view.current(s, conference)
        assert seen == first
        assert (seen.patient_id, seen.window_days, seen.presenter_name) == (
            meeting["ada"],
            30,
            "Test Physician",
        )
        # The nurse takes over for Ben's case: the version moves, so every follower redraws.
        second = shared_view.present(s, _me(meeting, Role.NURSE), conference, meeting["ben"], 90, NOW)
    assert second.version > first.version, "a follower polling the version would miss the nurse's view"
    with transaction(engine) as s:
        assert shared_view.current_version(s, conference) == second.version
        assert shared_view.current(s, conference).presenter_name == "Test Nurse"
        assert s.scalar(select(func.count()).select_from(SharedView)) == 1, "one view per meeting"


def test_case_choices_are_the_agenda_patients_on_my_care_team(engine, meeting):
    with transaction(engine) as s:
        physician = shared_view.case_choices(s, _me(meeting, Role.PHYSICIAN), meeting["conference"], NOW)
        chaplain = shared_view.case_choices(s, _me(meeting, Role.CHAPLAIN), meeting["conference"], NOW)
    assert [c.patient_id for c in physician] == [meeting["ada"], meeting["ben"]], "agenda order, Cy left out"
    assert physician[0].label.startswith("Ada Quillfeather (SYN-")
    assert [c.patient_id for c in chaplain] == [meeting["ben"]], (
        "the chaplain must not be offered a chart of a patient they do not care for"
    )


@pytest.mark.parametrize(
    ("role", "patient", "window", "refusal"),
    [
        (Role.PHYSICIAN, "cy", 30, shared_view.PresentRefused),  # on my list, not on this agenda
        (Role.CHAPLAIN, "ada", 30, shared_view.PresentRefused),  # on the agenda, not my patient
        (Role.PHYSICIAN, "ada", 0, shared_view.PresentRefused),
        (Role.PHYSICIAN, "ada", 731, shared_view.PresentRefused),
        (Role.FAMILY, "ada", 30, AccessDenied),
    ],
)
def test_a_view_that_cannot_be_shown_is_refused_and_changes_nothing(
    engine, meeting, role, patient, window, refusal
):
    conference = meeting["conference"]
    with transaction(engine) as s:
        before = shared_view.present(s, _me(meeting, Role.PHYSICIAN), conference, meeting["ben"], 30, NOW)
    with transaction(engine) as s, pytest.raises(refusal) as refused:
        shared_view.present(s, _me(meeting, role), conference, meeting[patient], window, NOW)
    assert str(refused.value), "the refusal must say why in words"
    with transaction(engine) as s:
        assert shared_view.current(s, conference) == before, "a refused view must not reach the followers"
