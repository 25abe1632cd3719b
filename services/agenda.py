"""The meeting's agenda: which case the meeting is on, who moves it on, and what the team concluded.

A case conference works through its agenda one case at a time, against each case's time box, and the
decision about a case is what the next meeting, and the people who must act, need to find afterwards. So
the meeting's current case lives in the database (SharedView.case_id), not in anyone's browser, and each
case's outcome is recorded there, with who was in the room, as the meeting goes.

Rules:
- Clinicians who may open the meeting see its agenda; family members do not (they are in the room only
  while their relative's case is on, family_may_be_in_room). A case whose patient the viewer may not open
  shows as "Another team's patient", without its question or the text of its outcome.
- The chair moves the meeting from case to case, or hands that over to a presenter and takes it back.
  Moving on needs an outcome for the case the meeting is on, and names the case the mover's screen showed
  as current: two people pressing Next at once must not skip a case between them.
- An outcome is versioned like the goals-of-care record: a save names the version the screen showed and is
  refused with StaleOutcome, writing nothing, if someone saved first. Its present list comes from
  attendance, so it says who was there rather than who was invited.
- Every move, hand-over and outcome bumps the shared view's version, the one integer each follower polls
  (services.shared_view.current_version), so every screen redraws the agenda within a poll.

Writers serialise on the audit chain's lock, taken before reading what they check (the current case, the
lead, the latest outcome): every write is audited anyway, as in services.goals_of_care.guards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Exists, and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from auth import audit
from auth.audit import AuditAction
from auth.identity import Identity
from auth.permissions import AccessDenied, may_view_as_team_member
from auth.refusal import Refusal
from clinical.case_outcome import OutcomeDraft, OutcomeKind, cleaned, problems
from clinical.consent import ConsentScope
from clinical.roles import CLINICAL_ROLES, Role, parse_role
from db import queries
from db.models import (
    AgendaStatus,
    Attendance,
    AttendanceOutcome,
    CaseOutcome,
    Conference,
    ConferenceCase,
    Patient,
    PlanItem,
    PlanItemKind,
    PlanItemStatus,
    SharedView,
    User,
)
from services.meetings import meeting_access
from services.symptom_views import patient_label

# What a viewer sees of a case whose patient they may not open: that there is one, and nothing about whom.
ANOTHER_TEAMS_PATIENT = "Another team's patient"

_FOR_THE_CARE_TEAM = "The agenda is for the care team."
_STEERS_ONLY = "Only the chair, or the presenter the chair handed over to, moves the meeting to another case."
_MOVED_ON = "The meeting has already moved to another case: look at the agenda again."
_NOT_ON_AGENDA = "That case is not on this meeting's agenda."

# An outcome recorded ends the case's discussion: the agenda shows the case as its outcome says.
_STATUS_OF: dict[OutcomeKind, AgendaStatus] = {
    OutcomeKind.DISCUSSED: AgendaStatus.DISCUSSED,
    OutcomeKind.DEFERRED: AgendaStatus.DEFERRED,
    OutcomeKind.NOT_REACHED: AgendaStatus.NOT_REACHED,
}

# Plan items still to be done: proposed or agreed, not done and not withdrawn.
_OPEN_PLAN_STATUSES = (PlanItemStatus.PROPOSED, PlanItemStatus.AGREED)


# ------------------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class OutcomeView:
    version: int
    kind: OutcomeKind
    summary: str  # "" for a viewer who may not open the patient
    deferred_until: dt.date | None
    deferred_to_next_conference: bool
    present: tuple[str, ...]  # "Dr A (physician)"-style labels
    recorded_by: str
    recorded_at: dt.datetime


class AgendaRefused(Refusal):
    """What was asked of the agenda cannot be done now; the message says why in plain words. Nothing was
    written."""


class StaleOutcome(Refusal):
    """Someone saved this case's outcome after the screen showed it; `current` is their version. Nothing
    was written."""

    current: OutcomeView

    def __init__(self, current: OutcomeView) -> None:
        self.current = current
        super().__init__(
            "Not saved: someone recorded this case's outcome after you opened it. Your text is kept: compare "
            "it with theirs, then save again."
        )


@dataclass(frozen=True)
class AgendaItem:
    case_id: int
    order: int
    patient_id: int
    patient_label: str  # patient_label(patient) for a patient the viewer may open, else ANOTHER_TEAMS_PATIENT
    may_open: bool  # may_view_patient for the viewer
    presenter_id: int
    presenter_name: str
    time_box_minutes: int
    question: str  # "" when not may_open
    status: AgendaStatus
    started_at: dt.datetime | None
    outcome: OutcomeView | None


@dataclass(frozen=True)
class Agenda:
    conference_id: int
    title: str
    chair_id: int
    chair_name: str
    lead_id: int | None
    lead_name: str | None
    current_case_id: int | None
    version: int  # SharedView.version (0 when none)
    items: tuple[AgendaItem, ...]

    @property
    def current(self) -> AgendaItem | None:
        """The case the meeting is on; None before the first is opened."""
        return next((item for item in self.items if item.case_id == self.current_case_id), None)

    def may_steer(self, user_id: int) -> bool:
        """The chair, or the lead the chair handed over to."""
        return user_id == self.chair_id or (self.lead_id is not None and user_id == self.lead_id)

    def minutes_spent(self, now: dt.datetime) -> int:
        """Whole minutes on the current case since its started_at (0 if none): what its time box counts."""
        current = self.current
        if current is None or current.started_at is None:
            return 0
        return max(0, int((now - current.started_at).total_seconds() // 60))


@dataclass(frozen=True)
class LastConference:
    conference_id: int
    title: str
    held_on: dt.date
    outcome: OutcomeView
    # Plan items (kind ACTION) of that conference for this patient: "description: owner, due 12 Dec" style.
    actions: tuple[str, ...]


@dataclass(frozen=True)
class MyAction:
    plan_item_id: int
    patient_id: int
    patient_label: str
    description: str
    due_date: dt.date | None
    conference_title: str
    decided_on: dt.date


# ------------------------------------------------------------------------------------------------ reading


def agenda(session: Session, identity: Identity, conference_id: int, now: dt.datetime) -> Agenda:
    """The meeting's agenda as this clinician may see it. AccessDenied outside the meeting, and for family
    members (the agenda is for the care team)."""
    conference = _require_agenda(session, identity, conference_id, now)
    return _agenda(session, identity, conference)


def check_access(session: Session, identity: Identity, conference_id: int, now: dt.datetime) -> None:
    """What agenda() checks before reading anything: AccessDenied outside the meeting and for family. For a
    screen that reuses an agenda it read before (while services.shared_view.workspace_stamp is unchanged)
    and must still check, on every run, that this person may see it."""
    _require_agenda(session, identity, conference_id, now)


def outcome_history(
    session: Session, identity: Identity, conference_id: int, case_id: int
) -> list[OutcomeView]:
    """Every version of the case's outcome, newest first, for a clinician involved in the conference (its
    chair, a presenter, or on the care team of a patient on its agenda), with the summaries blank for a
    patient they may not open, as on the agenda. AccessDenied for anyone else."""
    if identity.role not in CLINICAL_ROLES:
        raise AccessDenied(_FOR_THE_CARE_TEAM)
    case = session.get(ConferenceCase, case_id)
    if case is None or case.conference_id != conference_id or not _involved(session, identity, case):
        raise AccessDenied("This meeting is not one you can join.")
    may_open = _may_view(session, identity, case.patient_id)
    rows = session.execute(
        select(CaseOutcome, User.display_name)
        .join(User, User.id == CaseOutcome.recorded_by_id)
        .where(CaseOutcome.conference_case_id == case_id)
        .order_by(CaseOutcome.version_number.desc())
    ).all()
    return [_outcome_view(row, name, may_open=may_open) for row, name in rows]


def last_conference(session: Session, identity: Identity, patient_id: int) -> LastConference | None:
    """What the latest conference (by its start) that recorded an outcome for this patient concluded, and
    the actions it set. None if there is none, or the viewer may not view the patient (family see nothing
    here: they read the plan they are shown, not the team's discussion)."""
    if not _may_view(session, identity, patient_id):
        return None
    found = session.execute(
        select(ConferenceCase, Conference)
        .join(Conference, Conference.id == ConferenceCase.conference_id)
        .where(ConferenceCase.patient_id == patient_id, _has_outcome(ConferenceCase.id))
        .order_by(Conference.starts_at.desc(), ConferenceCase.id.desc())
        .limit(1)
    ).first()
    if found is None:
        return None
    case, conference = found
    latest = _latest_outcomes(session, [case.id])[case.id]
    items = session.scalars(
        select(PlanItem)
        .where(
            PlanItem.conference_id == conference.id,
            PlanItem.patient_id == patient_id,
            PlanItem.kind == PlanItemKind.ACTION,
            PlanItem.status != PlanItemStatus.WITHDRAWN,  # withdrawn is how an item is deleted
        )
        .order_by(PlanItem.id)
    ).all()
    names = _names(session, {item.owner_user_id for item in items})
    held_on = conference.starts_at.date()
    return LastConference(
        conference.id,
        conference.title,
        held_on,
        _outcome_view(*latest, may_open=True),
        tuple(_action_line(item, names, held_on.year) for item in items),
    )


def my_actions(session: Session, identity: Identity) -> list[MyAction]:
    """The open action items this clinician owns (by name or by role) from conference cases that have an
    outcome, for patients they may view; soonest due first, undated last."""
    if identity.role not in CLINICAL_ROLES:
        return []
    decided = (
        select(ConferenceCase.id)
        .where(
            ConferenceCase.conference_id == PlanItem.conference_id,
            ConferenceCase.patient_id == PlanItem.patient_id,
            _has_outcome(ConferenceCase.id),
        )
        .exists()
    )
    rows = session.execute(
        select(PlanItem, Patient, Conference)
        .join(Patient, Patient.id == PlanItem.patient_id)
        .join(Conference, Conference.id == PlanItem.conference_id)
        .where(
            PlanItem.kind == PlanItemKind.ACTION,
            PlanItem.status.in_(_OPEN_PLAN_STATUSES),
            or_(PlanItem.owner_user_id == identity.user_id, PlanItem.owner_role == identity.role),
            PlanItem.patient_id.in_(queries.care_team_patient_ids(identity.user_id)),
            decided,
        )
    ).all()
    actions = [
        MyAction(
            item.id,
            patient.id,
            patient_label(patient),
            item.description,
            item.due_date,
            conference.title,
            conference.starts_at.date(),
        )
        for item, patient, conference in rows
    ]
    # Undated items after every dated one, then the oldest decision first.
    return sorted(
        actions, key=lambda a: (a.due_date is None, a.due_date or dt.date.min, a.decided_on, a.plan_item_id)
    )


def family_may_be_in_room(session: Session, user_id: int, conference_id: int) -> bool:
    """Whether a family member may be in the room now: only while the agenda's current case is their
    relative's. False when no case is current."""
    on_now = (
        select(ConferenceCase.id)
        .join(SharedView, SharedView.case_id == ConferenceCase.id)
        .where(
            SharedView.conference_id == conference_id,
            ConferenceCase.patient_id.in_(queries.family_patient_ids(user_id, ConsentScope.VIDEO_MEETING)),
        )
        .exists()
    )
    return bool(session.scalar(select(on_now)))


def family_topic_message() -> str:
    """What a family member is told when the meeting moves on from their relative's case."""
    return "The team is now discussing another person; someone will bring you back in."


# ------------------------------------------------------------------------------------------------ steering


def open_case(
    session: Session,
    identity: Identity,
    conference_id: int,
    case_id: int,
    now: dt.datetime,
    *,
    expected_current: int | None,
) -> Agenda:
    """Move the meeting to this case of its agenda: it is under discussion from now (a case reopened keeps
    its first start), and every follower's screen moves with it. Chair or lead only; `expected_current` is
    the case the caller's screen showed as current. AgendaRefused says why a move cannot be made."""
    conference, view, cases = _steering(session, identity, conference_id, now, expected_current)
    case = next((c for c in cases if c.id == case_id), None)
    if case is None:
        raise AgendaRefused(_NOT_ON_AGENDA)
    return _move_to(session, identity, conference, view, cases, case, now)


def next_case(
    session: Session,
    identity: Identity,
    conference_id: int,
    now: dt.datetime,
    *,
    expected_current: int | None,
) -> Agenda:
    """open_case on the first case after the current one, in agenda order, still to be discussed (the
    first such case when there is no current one). AgendaRefused when none is left."""
    conference, view, cases = _steering(session, identity, conference_id, now, expected_current)
    current = view.case_id if view is not None else None
    after = cases
    if current is not None:
        position = next((i for i, c in enumerate(cases) if c.id == current), -1)
        after = cases[position + 1 :]
    case = next((c for c in after if c.status is AgendaStatus.TO_DISCUSS), None)
    if case is None:
        raise AgendaRefused("That was the last case on the agenda.")
    return _move_to(session, identity, conference, view, cases, case, now)


def hand_over(
    session: Session, identity: Identity, conference_id: int, to_user_id: int | None, now: dt.datetime
) -> Agenda:
    """The chair hands the meeting's lead to a clinician who may join it (usually a presenter), who then
    moves it on and records outcomes as the chair does; None takes the lead back. Chair only."""
    audit.lock_chain(session)
    conference = _require_agenda(session, identity, conference_id, now)
    if identity.user_id != conference.chair_id:
        raise AgendaRefused("Only the chair hands the meeting over to someone else, or takes it back.")
    lead = None if to_user_id == conference.chair_id else to_user_id
    lead_user = session.get(User, lead) if lead is not None else None
    if lead is not None and not _may_lead(session, lead_user, conference_id, now):
        raise AgendaRefused("Hand the meeting over to a clinician who can join it.")
    _bump_view(session, identity, conference_id, now, lead_id=lead)
    audit.record_by(
        session,
        identity,
        AuditAction.AGENDA_HANDED_OVER,
        target_type="conference",
        target_id=conference_id,
        details={"to_user_id": lead, "to": lead_user.display_name if lead_user else None},
        now=now,
    )
    return _agenda(session, identity, conference)


def record_outcome(
    session: Session,
    identity: Identity,
    conference_id: int,
    case_id: int,
    draft: OutcomeDraft,
    now: dt.datetime,
    *,
    expected_version: int,
) -> OutcomeView:
    """Record what the team concluded about a case, as a new version of its outcome. Chair or lead only.

    `expected_version` is the outcome version the screen showed (0 for none): StaleOutcome, with the
    current version, if someone saved since. AgendaRefused for a draft that cannot be saved, or a case not
    on this agenda. Either way nothing is written.
    """
    audit.lock_chain(session)
    conference = _require_agenda(session, identity, conference_id, now)
    view = _shared_view(session, conference_id)
    _require_steer(identity, conference, view)
    case = next((c for c in _cases(session, conference_id) if c.id == case_id), None)
    if case is None:
        raise AgendaRefused(_NOT_ON_AGENDA)
    said = problems(draft, now.date())
    if said:
        raise AgendaRefused(" ".join(said))
    may_open = _may_view(session, identity, case.patient_id)
    latest = _latest_outcomes(session, [case.id]).get(case.id)
    latest_version = latest[0].version_number if latest else 0
    if latest_version != expected_version:
        if latest is None:
            raise AgendaRefused("That outcome is no longer on record: look at the agenda again.")
        raise StaleOutcome(_outcome_view(*latest, may_open=may_open))

    clean = cleaned(draft)
    row = CaseOutcome(
        conference_case_id=case.id,
        version_number=latest_version + 1,
        kind=clean.kind,
        summary=clean.summary,
        deferred_until=clean.deferred_until,
        deferred_to_next_conference=clean.deferred_to_next_conference,
        present=_present(session, conference_id, case, now),
        recorded_by_id=identity.user_id,
        recorded_at=now,
    )
    case.status = _STATUS_OF[clean.kind]
    _bump_view(session, identity, conference_id, now)
    audit.record_created(
        session,
        identity,
        AuditAction.CASE_OUTCOME_RECORDED,
        row,
        patient_id=case.patient_id,
        # What was decided, not the words: the summary is clinical text and stays in case_outcomes.
        details={
            "conference_id": conference_id,
            "case_id": case.id,
            "kind": clean.kind.value,
            "version": row.version_number,
            "deferred_until": clean.deferred_until.isoformat() if clean.deferred_until else None,
            "deferred_to_next_conference": clean.deferred_to_next_conference,
        },
        now=now,
    )
    # The writer sees what they wrote, whoever's patient it is: they just typed it. Their name as every
    # other view of the outcome gives it (the account's, not the sign-in's).
    recorded_by = _names(session, {identity.user_id}).get(identity.user_id, identity.display_name)
    return _outcome_view(row, recorded_by, may_open=True)


# ------------------------------------------------------------------------------------------------ helpers


def _require_agenda(session: Session, identity: Identity, conference_id: int, now: dt.datetime) -> Conference:
    """The conference, for a clinician who may open the meeting; AccessDenied otherwise."""
    meeting_access(session, identity, conference_id, now)
    if identity.role not in CLINICAL_ROLES:
        raise AccessDenied(_FOR_THE_CARE_TEAM)
    conference = session.get(Conference, conference_id, populate_existing=True)
    assert conference is not None  # meeting_access found it
    return conference


def _require_steer(identity: Identity, conference: Conference, view: SharedView | None) -> None:
    lead = view.lead_id if view is not None else None
    if identity.user_id != conference.chair_id and (lead is None or identity.user_id != lead):
        raise AgendaRefused(_STEERS_ONLY)


def _steering(
    session: Session,
    identity: Identity,
    conference_id: int,
    now: dt.datetime,
    expected_current: int | None,
) -> tuple[Conference, SharedView | None, list[ConferenceCase]]:
    """What a move starts from, once the caller is known to steer and to have seen the current case."""
    audit.lock_chain(session)
    conference = _require_agenda(session, identity, conference_id, now)
    view = _shared_view(session, conference_id)
    _require_steer(identity, conference, view)
    if (view.case_id if view is not None else None) != expected_current:
        raise AgendaRefused(_MOVED_ON)
    return conference, view, _cases(session, conference_id)


def _move_to(
    session: Session,
    identity: Identity,
    conference: Conference,
    view: SharedView | None,
    cases: Sequence[ConferenceCase],
    case: ConferenceCase,
    now: dt.datetime,
) -> Agenda:
    current = next((c for c in cases if view is not None and c.id == view.case_id), None)
    if current is not None and current.id != case.id:
        latest = _latest_outcomes(session, [current.id]).get(current.id)
        if latest is None:
            label = _label(session, identity, current) or "the current case"
            raise AgendaRefused(f"Record the outcome of {label} before moving on.")
        if current.status is AgendaStatus.UNDER_DISCUSSION:
            # A case reopened and left again: its last outcome stands, and the agenda says so.
            current.status = _STATUS_OF[latest[0].kind]
    case.status = AgendaStatus.UNDER_DISCUSSION
    case.started_at = case.started_at or now
    # The charts follow the agenda: everyone sees the new case's patient, presented by whoever moved on.
    moved = {"case_id": case.id, "patient_id": case.patient_id, "presenter_id": identity.user_id}
    _bump_view(session, identity, conference.id, now, **moved)
    audit.record_about(
        session,
        identity,
        AuditAction.AGENDA_CASE_OPENED,
        case,
        details={"conference_id": conference.id, "case_id": case.id, "order": case.agenda_order},
        now=now,
    )
    return _agenda(session, identity, conference)


def _bump_view(
    session: Session, identity: Identity, conference_id: int, now: dt.datetime, **values: Any
) -> None:
    """Move the shared view's version on, with these columns changed, creating the view if the meeting has
    none yet (its presenter then the caller)."""
    # Increment in SQL, as services.shared_view.present does: a chart presented at the same moment must
    # move the version too, so no follower misses either change.
    bumped = session.execute(
        update(SharedView)
        .where(SharedView.conference_id == conference_id)
        .values(version=SharedView.version + 1, updated_at=now, **values)
    )
    if bumped.rowcount == 0:
        values = {"presenter_id": identity.user_id, **values}
        session.add(SharedView(conference_id=conference_id, version=1, updated_at=now, **values))
    try:
        session.flush()
    except IntegrityError as clash:
        # A first chart presented at the same instant created the view: theirs stands; trying again updates.
        raise AgendaRefused("Someone else changed the meeting at the same moment: try again.") from clash


def _shared_view(session: Session, conference_id: int) -> SharedView | None:
    # Reloaded: the session may hold the view as it was before another session's move.
    return session.scalar(
        select(SharedView)
        .where(SharedView.conference_id == conference_id)
        .execution_options(populate_existing=True)
    )


def _cases(session: Session, conference_id: int) -> list[ConferenceCase]:
    """The agenda's cases in order, reloaded as _shared_view is."""
    return list(
        session.scalars(
            select(ConferenceCase)
            .where(ConferenceCase.conference_id == conference_id)
            .order_by(ConferenceCase.agenda_order)
            .execution_options(populate_existing=True)
        )
    )


def _agenda(session: Session, identity: Identity, conference: Conference) -> Agenda:
    view = _shared_view(session, conference.id)
    rows = queries.conference_cases(session, conference.id)
    team = set(session.scalars(queries.care_team_patient_ids(identity.user_id)))
    outcomes = _latest_outcomes(session, [case.id for case, _, _ in rows])
    lead_id = view.lead_id if view is not None else None
    names = _names(session, {conference.chair_id, lead_id})
    items = []
    for case, patient, presenter in rows:
        may_open = may_view_as_team_member(identity, patient.id in team)
        latest = outcomes.get(case.id)
        items.append(
            AgendaItem(
                case_id=case.id,
                order=case.agenda_order,
                patient_id=patient.id,
                patient_label=patient_label(patient) if may_open else ANOTHER_TEAMS_PATIENT,
                may_open=may_open,
                presenter_id=presenter.id,
                presenter_name=presenter.display_name,
                time_box_minutes=case.time_box_minutes,
                question=case.question if may_open else "",
                status=case.status,
                started_at=case.started_at,
                outcome=_outcome_view(*latest, may_open=may_open) if latest else None,
            )
        )
    return Agenda(
        conference_id=conference.id,
        title=conference.title,
        chair_id=conference.chair_id,
        chair_name=names.get(conference.chair_id, ""),
        lead_id=lead_id,
        lead_name=names.get(lead_id) if lead_id is not None else None,
        current_case_id=view.case_id if view is not None else None,
        version=view.version if view is not None else 0,
        items=tuple(items),
    )


def _has_outcome(case_id: ColumnElement[int]) -> Exists:
    """SQL: the case has at least one recorded outcome."""
    return exists().where(CaseOutcome.conference_case_id == case_id)


def _latest_outcomes(session: Session, case_ids: Iterable[int]) -> dict[int, tuple[CaseOutcome, str]]:
    """Case id -> (its current outcome, the name of who recorded it), for the cases that have one."""
    wanted = list(case_ids)
    if not wanted:
        return {}
    newest = (
        select(CaseOutcome.conference_case_id, func.max(CaseOutcome.version_number).label("version"))
        .where(CaseOutcome.conference_case_id.in_(wanted))
        .group_by(CaseOutcome.conference_case_id)
        .subquery()
    )
    rows = session.execute(
        select(CaseOutcome, User.display_name)
        .join(
            newest,
            and_(
                newest.c.conference_case_id == CaseOutcome.conference_case_id,
                newest.c.version == CaseOutcome.version_number,
            ),
        )
        .join(User, User.id == CaseOutcome.recorded_by_id)
    ).all()
    return {row.conference_case_id: (row, name) for row, name in rows}


def _outcome_view(row: CaseOutcome, recorded_by: str, *, may_open: bool) -> OutcomeView:
    return OutcomeView(
        version=row.version_number,
        kind=row.kind,
        summary=row.summary if may_open else "",
        deferred_until=row.deferred_until,
        deferred_to_next_conference=row.deferred_to_next_conference,
        present=tuple(_present_label(person) for person in row.present),
        recorded_by=recorded_by,
        recorded_at=row.recorded_at,
    )


def _present_label(person: Mapping[str, Any]) -> str:
    role = parse_role(person.get("role"))
    return f"{person.get('name', '')} ({role.label.lower() if role else person.get('role', '')})"


def _present(
    session: Session, conference_id: int, case: ConferenceCase, now: dt.datetime
) -> list[dict[str, Any]]:
    """Who was in the room for the case: each person whose stay overlaps its discussion (from its first
    start to now); for a case never started, those in the room now. One entry a person, first come first."""
    stays = (
        select(Attendance.user_id, User.display_name, Attendance.role_at_meeting)
        .join(User, User.id == Attendance.user_id)
        .where(
            Attendance.conference_id == conference_id,
            Attendance.joined_at.is_not(None),
            Attendance.joined_at <= now,
        )
        .order_by(Attendance.joined_at, Attendance.id)
    )
    if case.started_at is None:
        stays = stays.where(Attendance.outcome == AttendanceOutcome.IN_ROOM, Attendance.left_at.is_(None))
    else:
        stays = stays.where(or_(Attendance.left_at.is_(None), Attendance.left_at >= case.started_at))
    present: dict[int, dict[str, Any]] = {}
    for user_id, name, role in session.execute(stays):
        present.setdefault(user_id, {"user_id": user_id, "name": name, "role": role})
    return list(present.values())


def _involved(session: Session, identity: Identity, case: ConferenceCase) -> bool:
    """Whether this clinician takes part in the case's conference, as services.meetings counts it (at any
    time: a history is read after the meeting too)."""
    me = identity.user_id
    part = or_(
        ConferenceCase.presenter_id == me, ConferenceCase.patient_id.in_(queries.care_team_patient_ids(me))
    )
    chair = (
        select(Conference.id).where(Conference.id == case.conference_id, Conference.chair_id == me).exists()
    )
    on_agenda = (
        select(ConferenceCase.id).where(ConferenceCase.conference_id == case.conference_id, part).exists()
    )
    return bool(session.scalar(select(or_(chair, on_agenda))))


def _may_view(session: Session, identity: Identity, patient_id: int) -> bool:
    return may_view_as_team_member(identity, queries.is_on_care_team(session, identity.user_id, patient_id))


def _label(session: Session, identity: Identity, case: ConferenceCase) -> str | None:
    """The case's patient as this person may name them; None when they may not open the patient."""
    if not _may_view(session, identity, case.patient_id):
        return None
    patient = session.get(Patient, case.patient_id)
    return patient_label(patient) if patient is not None else None


def _may_lead(session: Session, user: User | None, conference_id: int, now: dt.datetime) -> bool:
    """Whether this person could lead the meeting: an active clinician who may join it."""
    if user is None or not user.active or user.role not in CLINICAL_ROLES:
        return False
    them = Identity(user.id, user.username, user.display_name, Role(user.role), "password")
    try:
        meeting_access(session, them, conference_id, now)
    except AccessDenied:
        return False
    return True


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(wanted))).all())


def _action_line(item: PlanItem, names: Mapping[int, str], year: int) -> str:
    """ "Review the opioid dose: Nurse, due 12 Dec": what was agreed, by whom, by when, as plain text."""
    owner = item.owner_role.label if item.owner_role else names.get(item.owner_user_id or 0)
    line = item.description + (f": {owner}" if owner else "")
    if item.due_date is not None:
        due = f"{item.due_date.day} {item.due_date:%b}"
        line += f", due {due}" if item.due_date.year == year else f", due {due} {item.due_date.year}"
    if item.status is PlanItemStatus.DONE:
        line += " (done)"
    return line
