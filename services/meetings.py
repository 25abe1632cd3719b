"""Who may join which case-conference meeting, and the record of who came, waited, and went.

Clinicians see the meetings they chair, present at, or whose agenda holds a patient on their care team;
those on a patient's care team (or the chair) join directly, other clinicians wait in the lobby. A family
member sees the meetings whose agenda holds the patient they are linked to, and always waits in the lobby
until a clinician admits them. (Invitation links come later; until then the link is the family contact.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from auth import audit
from auth.audit import AuditAction
from auth.identity import Identity
from auth.permissions import AccessDenied
from clinical.consent import ConsentScope
from clinical.roles import CLINICAL_ROLES, Role
from db import queries
from db.models import (
    Attendance,
    AttendanceOutcome,
    Conference,
    ConferenceCase,
    ConferenceStatus,
)

OPEN_STATUSES = (ConferenceStatus.SCHEDULED, ConferenceStatus.IN_PROGRESS)

# Room events the page reports, and the audit action each becomes.
ROOM_EVENT_ACTIONS: dict[str, AuditAction] = {
    "waiting": AuditAction.MEETING_LOBBY_ENTERED,
    "joined": AuditAction.MEETING_JOINED,
    "admitted": AuditAction.MEETING_ADMITTED,
    "declined": AuditAction.MEETING_DECLINED,
    "left": AuditAction.MEETING_LEFT,
    "dropped": AuditAction.MEETING_DROPPED,
    "removed": AuditAction.MEETING_REMOVED,
    "muted": AuditAction.MEETING_MUTED,
    "ended": AuditAction.MEETING_ENDED,
}


@dataclass(frozen=True)
class MeetingChoice:
    conference_id: int
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    on_care_team: bool  # joins directly rather than through the lobby
    patient_labels: list[str]


def joinable_conferences(session: Session, identity: Identity, now: dt.datetime) -> list[MeetingChoice]:
    """Meetings this person may open now or later, soonest first."""
    if identity.role in CLINICAL_ROLES:
        conferences = queries.upcoming_conferences_for(session, identity.user_id, now, limit=20)
        relatives_or_team = set(session.scalars(queries.care_team_patient_ids(identity.user_id)))
    elif identity.role is Role.FAMILY:
        family_patients = queries.family_patient_ids(identity.user_id, ConsentScope.VIDEO_MEETING)
        conferences = session.scalars(
            select(Conference)
            .where(
                Conference.ends_at > now,
                Conference.status.in_(OPEN_STATUSES),
                Conference.id.in_(
                    select(ConferenceCase.conference_id).where(ConferenceCase.patient_id.in_(family_patients))
                ),
            )
            .order_by(Conference.starts_at)
        ).all()
        relatives_or_team = set(session.scalars(family_patients))
    else:
        return []
    return [_choice(session, identity, conference, relatives_or_team) for conference in conferences]


def _choice(
    session: Session, identity: Identity, conference: Conference, relatives_or_team: set[int]
) -> MeetingChoice:
    """The meeting as `identity` sees it in a list: `relatives_or_team` is a family member's relatives, or
    a clinician's care-team patients."""
    cases = queries.conference_cases(session, conference.id)
    mine = [p for _, p, _ in cases if p.id in relatives_or_team]
    if identity.role is Role.FAMILY:
        labels, on_team = [p.full_name for p in mine], False
    else:
        labels = [f"{p.full_name} ({p.mrn})" for p in mine]
        on_team = conference.chair_id == identity.user_id or bool(mine)
    return MeetingChoice(
        conference.id, conference.title, conference.starts_at, conference.ends_at, on_team, labels
    )


def meeting_access(
    session: Session, identity: Identity, conference_id: int, now: dt.datetime
) -> MeetingChoice:
    """The meeting as this person may join it (directly or through the lobby); AccessDenied otherwise.

    The rule of joinable_conferences, checked for this one meeting: every page run in a meeting asks it,
    so it reads one conference and its agenda rather than every meeting this person could join."""
    denied = AccessDenied("This meeting is not one you can join.")
    conference = session.get(Conference, conference_id)
    if conference is None or conference.ends_at <= now or conference.status not in OPEN_STATUSES:
        raise denied
    cases = session.scalars(select(ConferenceCase).where(ConferenceCase.conference_id == conference_id)).all()
    if identity.role in CLINICAL_ROLES:
        team = set(session.scalars(queries.care_team_patient_ids(identity.user_id)))
        involved = conference.chair_id == identity.user_id or any(
            case.presenter_id == identity.user_id or case.patient_id in team for case in cases
        )
        if involved:
            return _choice(session, identity, conference, team)
    elif identity.role is Role.FAMILY:
        own = set(session.scalars(queries.family_patient_ids(identity.user_id, ConsentScope.VIDEO_MEETING)))
        if any(case.patient_id in own for case in cases):
            return _choice(session, identity, conference, own)
    raise denied


def _open_stay(session: Session, conference_id: int, user_id: int) -> Attendance | None:
    return session.scalar(
        select(Attendance)
        .where(
            Attendance.conference_id == conference_id,
            Attendance.user_id == user_id,
            or_(
                Attendance.outcome == AttendanceOutcome.WAITING,
                Attendance.outcome == AttendanceOutcome.IN_ROOM,
            ),
        )
        .order_by(Attendance.id.desc())
        .limit(1)
    )


def record_room_event(
    session: Session,
    conference_id: int,
    event: str,
    *,
    actor: Identity | None,
    subject_user_id: int,
    subject_name: str,
    subject_role: str,
    now: dt.datetime,
) -> None:
    """Write one room event to attendance and the audit trail.

    `actor` is who did it (None for the system, e.g. a dropped connection noticed by the hub);
    `subject_*` is whom it concerns. A person's own join or leave has actor == subject.
    """
    if event not in ROOM_EVENT_ACTIONS:
        raise ValueError(f"unknown room event {event!r}")
    stay = _open_stay(session, conference_id, subject_user_id)
    actor_id = actor.user_id if actor else None

    if event in ("waiting", "joined", "admitted"):
        if stay is None:
            stay = Attendance(
                conference_id=conference_id,
                user_id=subject_user_id,
                role_at_meeting=subject_role,
                outcome=AttendanceOutcome.WAITING,
            )
            session.add(stay)
        if event == "waiting":
            stay.waiting_since = stay.waiting_since or now
        else:
            stay.outcome = AttendanceOutcome.IN_ROOM
            stay.joined_at = stay.joined_at or now
            if event == "admitted":
                stay.admitted_by_id = actor_id
    elif event in ("declined", "left", "dropped", "removed", "ended"):
        if event == "ended":
            _end_meeting(session, conference_id, actor_id, now)
        elif stay is not None:
            stay.outcome = AttendanceOutcome(event)
            stay.left_at = now
            stay.outcome_by_id = actor_id if event in ("declined", "removed") else None
    session.flush()

    conference_patients = [
        pid
        for (pid,) in session.execute(
            select(ConferenceCase.patient_id).where(ConferenceCase.conference_id == conference_id)
        )
    ]
    audit.record(
        session,
        ROOM_EVENT_ACTIONS[event],
        actor_user_id=actor_id,
        actor_name=actor.username if actor else "system",
        target_type="conference",
        target_id=conference_id,
        details={
            "subject_user_id": subject_user_id,
            "subject": subject_name,
            "patients": conference_patients,
        },
        now=now,
    )


def _end_meeting(session: Session, conference_id: int, actor_id: int | None, now: dt.datetime) -> None:
    for stay in session.scalars(
        select(Attendance).where(
            Attendance.conference_id == conference_id,
            Attendance.outcome.in_([AttendanceOutcome.WAITING, AttendanceOutcome.IN_ROOM]),
        )
    ):
        stay.outcome = AttendanceOutcome.ENDED
        stay.left_at = now
        stay.outcome_by_id = actor_id
    conference = session.get(Conference, conference_id)
    if conference is not None and conference.status in OPEN_STATUSES:
        conference.status = ConferenceStatus.COMPLETED
