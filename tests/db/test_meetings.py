"""Who may join which meeting, and how waiting, admission and leaving are recorded (both databases)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from auth.identity import Identity
from auth.permissions import AccessDenied
from clinical.consent import ConsentScope
from clinical.roles import Role
from db.engine import transaction
from db.models import Attendance, AttendanceOutcome, AuditEvent, Conference, ConferenceStatus, FamilyContact
from services.meetings import joinable_conferences, meeting_access, record_room_event
from tests import factories
from tests.factories import NOW


@pytest.fixture
def meeting(engine):
    """A conference about Ada (physician and nurse on her team); Ben's daughter is linked to Ben only."""
    with transaction(engine) as s:
        users = {
            r: factories.user(s, r.value, r) for r in (Role.PHYSICIAN, Role.NURSE, Role.CHAPLAIN, Role.FAMILY)
        }
        relative = factories.user(s, "other_family", Role.FAMILY)
        ada = factories.patient(s, "Ada", "Quillfeather")
        ben = factories.patient(s, "Ben", "Marrowstone")
        factories.on_team(s, ada, users[Role.PHYSICIAN], users[Role.NURSE])
        for contact in (
            FamilyContact(
                patient_id=ada.id,
                name="Ida Quillfeather",
                relationship_to_patient="daughter",
                is_surrogate=True,
                user_id=users[Role.FAMILY].id,
            ),
            FamilyContact(
                patient_id=ben.id, name="Rob Marrowstone", relationship_to_patient="son", user_id=relative.id
            ),
        ):
            s.add(contact)
            s.flush()
            factories.consent(s, contact, *ConsentScope)
        conference = factories.conference(
            s,
            users[Role.PHYSICIAN],
            "Family meeting",
            NOW + dt.timedelta(hours=1),
            (ada, users[Role.NURSE], "Goals of care"),
        )
        ids = {r: u.id for r, u in users.items()} | {"relative": relative.id, "conference": conference.id}
    return ids


def _me(ids, role: Role) -> Identity:
    return Identity(ids[role], role.value, f"Test {role.value}", role, "password")


def test_care_team_clinicians_join_directly_and_family_through_the_lobby(engine, meeting):
    with transaction(engine) as s:
        nurse = joinable_conferences(s, _me(meeting, Role.NURSE), NOW)
        family = joinable_conferences(s, _me(meeting, Role.FAMILY), NOW)
    assert [(c.title, c.on_care_team) for c in nurse] == [("Family meeting", True)]
    assert [(c.title, c.on_care_team) for c in family] == [("Family meeting", False)], (
        "the linked family member should see the meeting and wait in the lobby"
    )
    assert family[0].patient_labels == ["Ada Quillfeather"]


def test_people_with_no_link_to_the_meeting_cannot_join(engine, meeting):
    outsider = Identity(meeting["relative"], "other_family", "Rob", Role.FAMILY, "password")
    with transaction(engine) as s:
        assert joinable_conferences(s, outsider, NOW) == [], (
            "another patient's relative must not see this meeting"
        )
        with pytest.raises(AccessDenied):
            meeting_access(s, outsider, meeting["conference"], NOW)
        with pytest.raises(AccessDenied):
            meeting_access(s, _me(meeting, Role.CHAPLAIN), meeting["conference"], NOW)


def test_lobby_admission_and_leaving_are_recorded(engine, meeting):
    physician, family = _me(meeting, Role.PHYSICIAN), _me(meeting, Role.FAMILY)
    conf = meeting["conference"]
    steps = [
        ("joined", physician, physician, 0),
        ("waiting", family, family, 1),
        ("admitted", physician, family, 2),
        ("left", family, family, 30),
    ]
    for event, actor, subject, minute in steps:
        with transaction(engine) as s:
            record_room_event(
                s,
                conf,
                event,
                actor=actor,
                subject_user_id=subject.user_id,
                subject_name=subject.display_name,
                subject_role=subject.role.value,
                now=NOW + dt.timedelta(minutes=minute),
            )
    with transaction(engine) as s:
        stay = s.scalars(select(Attendance).where(Attendance.user_id == family.user_id)).one()
        actions = s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert stay.waiting_since == NOW + dt.timedelta(minutes=1)
    assert stay.joined_at == NOW + dt.timedelta(minutes=2) and stay.admitted_by_id == physician.user_id
    assert (stay.outcome, stay.left_at) == (AttendanceOutcome.LEFT, NOW + dt.timedelta(minutes=30))
    assert actions == ["meeting_joined", "meeting_lobby_entered", "meeting_admitted", "meeting_left"]


def test_declined_guest_never_joined(engine, meeting):
    physician, family = _me(meeting, Role.PHYSICIAN), _me(meeting, Role.FAMILY)
    for event, actor in (("waiting", family), ("declined", physician)):
        with transaction(engine) as s:
            record_room_event(
                s,
                meeting["conference"],
                event,
                actor=actor,
                subject_user_id=family.user_id,
                subject_name="Ida",
                subject_role="family",
                now=NOW,
            )
    with transaction(engine) as s:
        stay = s.scalars(select(Attendance)).one()
    assert stay.outcome is AttendanceOutcome.DECLINED and stay.joined_at is None
    assert stay.outcome_by_id == physician.user_id


def test_ending_the_meeting_closes_every_stay_and_completes_the_conference(engine, meeting):
    physician, nurse = _me(meeting, Role.PHYSICIAN), _me(meeting, Role.NURSE)
    for who in (physician, nurse):
        with transaction(engine) as s:
            record_room_event(
                s,
                meeting["conference"],
                "joined",
                actor=who,
                subject_user_id=who.user_id,
                subject_name=who.display_name,
                subject_role=who.role.value,
                now=NOW,
            )
    with transaction(engine) as s:
        record_room_event(
            s,
            meeting["conference"],
            "ended",
            actor=physician,
            subject_user_id=physician.user_id,
            subject_name=physician.display_name,
            subject_role="physician",
            now=NOW,
        )
    with transaction(engine) as s:
        outcomes = {a.user_id: a.outcome for a in s.scalars(select(Attendance))}
        status = s.get(Conference, meeting["conference"]).status
        assert joinable_conferences(s, nurse, NOW) == [], "an ended meeting must not be offered again"
    assert set(outcomes.values()) == {AttendanceOutcome.ENDED}
    assert status is ConferenceStatus.COMPLETED
