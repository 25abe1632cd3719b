"""The conference's shared case view: which patient's chart, over which window, the presenter is showing.

Streamlit cannot push from one session to another, so everyone else's page polls `current_version`, a single
integer read by primary key, and loads the view (and its chart) only when that number moved. Any clinician
who may open the meeting may take over presenting, as the speaker changes from case to case; the patient
must be on the meeting's agenda and on the presenter's care team, so presenting never shows a record the
presenter could not open. Followers still need their own access to the record: see services.symptom_views.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Integer, Select, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from auth.identity import Identity
from auth.permissions import AccessDenied, may_view_patient
from auth.refusal import Refusal
from clinical.roles import CLINICAL_ROLES
from db import queries
from db.engine import execute_core
from db.models import (
    CaseOutcome,
    ConferenceCase,
    GoalsOfCareDocument,
    Patient,
    PlanItem,
    SharedView,
    SignOff,
    User,
)
from services.meetings import meeting_access
from services.symptom_views import patient_label

# A longer window than two years is no longer a case-conference question, and the charts aggregate to
# about 2,000 points whatever the window, so the bound is about meaning, not cost.
MAX_WINDOW_DAYS = 730


class PresentRefused(Refusal):
    """The view asked for cannot be shown; the message says why in plain words."""


@dataclass(frozen=True)
class CaseChoice:
    patient_id: int
    label: str  # "Margaret Thornbury (SYN-0001)"
    agenda_order: int


@dataclass(frozen=True)
class SharedViewState:
    conference_id: int
    version: int
    presenter_id: int
    presenter_name: str
    patient_id: int | None
    window_days: int
    updated_at: dt.datetime
    case_id: int | None = None  # the agenda's case under discussion (services.agenda)
    lead_id: int | None = None  # who moves the meeting on, when the chair handed over


def case_choices(
    session: Session, identity: Identity, conference_id: int, now: dt.datetime
) -> list[CaseChoice]:
    """The agenda's patients this clinician may open, in agenda order; AccessDenied outside the meeting."""
    if identity.role not in CLINICAL_ROLES:
        raise AccessDenied("Only the care team can look at charts in a meeting.")
    meeting_access(session, identity, conference_id, now)
    team = set(session.scalars(queries.care_team_patient_ids(identity.user_id)))
    return [
        CaseChoice(patient.id, patient_label(patient), case.agenda_order)
        for case, patient, _presenter in queries.conference_cases(session, conference_id)
        if patient.id in team
    ]


def current_version(session: Session, conference_id: int) -> int:
    """The view's version number, 0 before anyone presents. The only query a follower runs per poll."""
    return session.scalar(select(SharedView.version).where(SharedView.conference_id == conference_id)) or 0


def current(session: Session, conference_id: int) -> SharedViewState | None:
    row = session.execute(
        select(SharedView, User.display_name)
        .join(User, User.id == SharedView.presenter_id)
        .where(SharedView.conference_id == conference_id)
    ).first()
    if row is None:
        return None
    view, presenter_name = row
    # Every field but the presenter's name is the stored view's column of the same name.
    columns = {f.name: getattr(view, f.name) for f in fields(SharedViewState) if f.name != "presenter_name"}
    return SharedViewState(presenter_name=presenter_name, **columns)


def presented_case(session: Session, identity: Identity, conference_id: int) -> tuple[str, str] | None:
    """(patient, presenter) of the case on screen, for the call bar: None when nobody presents, or the
    patient is not on this clinician's care team (the bar names no one it may not)."""
    view = current(session, conference_id)
    if view is None or view.patient_id is None or not may_view_patient(session, identity, view.patient_id):
        return None
    patient = session.get(Patient, view.patient_id)
    if patient is None:
        return None
    return patient_label(patient), view.presenter_name


def present(
    session: Session,
    identity: Identity,
    conference_id: int,
    patient_id: int,
    window_days: int,
    now: dt.datetime,
) -> SharedViewState:
    """Show this case over this window to everyone following; the caller becomes the presenter.

    Raises AccessDenied outside the meeting, PresentRefused for a case or window that cannot be shown.
    """
    choices = case_choices(session, identity, conference_id, now)
    if patient_id not in {c.patient_id for c in choices}:
        raise PresentRefused("That patient is not on this meeting's agenda for your care team.")
    if not may_view_patient(session, identity, patient_id):  # belt and braces: the agenda could change
        raise PresentRefused("You cannot open that patient's record.")
    if not isinstance(window_days, int) or not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise PresentRefused(f"Choose a window between 1 day and {MAX_WINDOW_DAYS} days.")

    values = {
        "presenter_id": identity.user_id,
        "patient_id": patient_id,
        "window_days": window_days,
        "updated_at": now,
    }
    # Increment in SQL, not in Python: two clinicians pressing at once must both move the version, so
    # every follower sees the later view rather than missing a change.
    bumped = session.execute(
        update(SharedView)
        .where(SharedView.conference_id == conference_id)
        .values(version=SharedView.version + 1, **values)
    )
    if bumped.rowcount == 0:
        session.add(SharedView(conference_id=conference_id, version=1, **values))
    try:
        session.flush()
    except IntegrityError as clash:
        # Two first presses at the same instant: the later insert hits the primary key. Theirs stands;
        # pressing again takes the update path.
        raise PresentRefused(
            "Someone else started presenting at the same moment. Press Present again."
        ) from clash
    state = current(session, conference_id)
    assert state is not None  # written just above, in this transaction
    return state


def workspace_stamp(session: Session, conference_id: int, patient_id: int | None) -> tuple[int, ...]:
    """A stamp of what a room's workspace shows: the shared view's version (what the presenter shows), the
    agenda's case, who leads, each case's outcome, and the case's goals of care, plan and sign-off (any
    save, plan change, signature, void or withdrawal). It changes whenever any of them does, so a room's
    poll redraws the workspace when a colleague changed it; one query."""
    statement = _stamp_statement(with_case=patient_id is not None)
    params = {"conference_id": conference_id, "patient_id": patient_id}
    return tuple(int(value) for value in execute_core(session, statement, params).one())


@functools.cache
def _stamp_statement(*, with_case: bool) -> Select[Any]:
    """The stamp's query, built once: building its twelve subqueries cost more than running them (about
    4 ms against 0.3 ms on SQLite, twice in every run of the room), and it is asked for every second."""
    conference_id = bindparam("conference_id", type_=Integer)
    patient_id = bindparam("patient_id", type_=Integer)
    outcomes = select(func.count(CaseOutcome.id)).join(
        ConferenceCase, ConferenceCase.id == CaseOutcome.conference_case_id
    )
    columns = [
        select(func.coalesce(func.max(SharedView.version), 0))
        .where(SharedView.conference_id == conference_id)
        .scalar_subquery(),
        select(func.coalesce(func.max(SharedView.case_id), 0))
        .where(SharedView.conference_id == conference_id)
        .scalar_subquery(),
        select(func.coalesce(func.max(SharedView.lead_id), 0))
        .where(SharedView.conference_id == conference_id)
        .scalar_subquery(),
        outcomes.where(ConferenceCase.conference_id == conference_id).scalar_subquery(),
    ]
    if with_case:
        signoffs = (SignOff.patient_id == patient_id) & (SignOff.conference_id == conference_id)
        plan = (PlanItem.patient_id == patient_id) & (PlanItem.conference_id == conference_id)
        columns += [
            select(func.coalesce(func.max(GoalsOfCareDocument.version), 0))
            .where(GoalsOfCareDocument.patient_id == patient_id)
            .scalar_subquery(),
            select(func.count(SignOff.id)).where(signoffs).scalar_subquery(),
            select(func.count(SignOff.voided_at)).where(signoffs).scalar_subquery(),
            select(func.count(SignOff.withdrawn_at)).where(signoffs).scalar_subquery(),
            select(func.count(SignOff.overridden_at)).where(signoffs).scalar_subquery(),
            select(func.count(PlanItem.id)).where(plan).scalar_subquery(),
            select(func.coalesce(func.sum(PlanItem.version), 0)).where(plan).scalar_subquery(),
        ]
    return select(*columns)
