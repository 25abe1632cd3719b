"""The patient lists and records a clinician reads: my patients, Home's overview, one patient's record.

Policy: clinicians see the patients whose care team they are on. Administrators manage accounts and
read the audit trail but see no clinical records. Family members see nothing clinical here; their
access arrives with invitations and consent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth import audit
from auth.identity import Identity
from auth.permissions import AccessDenied, may_view_patient, visible_patient_ids
from clinical.roles import CLINICAL_ROLES
from db import queries
from db.models import (
    Alert,
    Conference,
    ConferenceCase,
    FamilyContact,
    Patient,
    SymptomAssessment,
    User,
)

RECORD_WINDOW = dt.timedelta(days=90)


@dataclass(frozen=True)
class PatientRow:
    patient: Patient
    last_checkin: dt.datetime | None
    open_alerts: int


def my_patients(session: Session, identity: Identity) -> list[PatientRow]:
    return [
        PatientRow(r["patient"], r["last_checkin"], r["open_alerts"])  # type: ignore[arg-type]
        for r in queries.patients_with_status(session, visible_patient_ids(identity))
    ]


@dataclass(frozen=True)
class AgendaLine:
    order: int
    # None when the patient is not on this clinician's care team: the line shows, the identity doesn't.
    patient_id: int | None
    patient_label: str
    presenter: str
    time_box_minutes: int
    question: str


@dataclass(frozen=True)
class ConferenceSummary:
    conference: Conference
    agenda: list[AgendaLine]


@dataclass(frozen=True)
class HomeOverview:
    conferences: list[ConferenceSummary]
    open_alerts: Sequence[tuple[Alert, Patient]]


def home_overview(session: Session, identity: Identity, now: dt.datetime) -> HomeOverview:
    if identity.role not in CLINICAL_ROLES:
        return HomeOverview([], [])
    visible = visible_patient_ids(identity)
    visible_ids = set(session.scalars(visible))
    conferences = []
    for conference in queries.upcoming_conferences_for(session, identity.user_id, now):
        agenda = []
        for case, patient, presenter in queries.conference_cases(session, conference.id):
            shown = patient.id in visible_ids
            agenda.append(
                AgendaLine(
                    order=case.agenda_order,
                    patient_id=patient.id if shown else None,
                    patient_label=f"{patient.full_name} ({patient.mrn})"
                    if shown
                    else "A patient of another team",
                    presenter=presenter.display_name,
                    time_box_minutes=case.time_box_minutes,
                    question=case.question if shown else "",
                )
            )
        conferences.append(ConferenceSummary(conference, agenda))
    return HomeOverview(conferences, queries.open_alerts_for(session, visible))


@dataclass(frozen=True)
class PatientRecord:
    patient: Patient
    care_team: Sequence[User]
    family: Sequence[FamilyContact]
    assessments: Sequence[SymptomAssessment]
    open_alerts: Sequence[Alert]
    upcoming_cases: Sequence[tuple[ConferenceCase, Conference]]


def patient_record(session: Session, identity: Identity, patient_id: int, now: dt.datetime) -> PatientRecord:
    """One patient's record summary, audited as a view. Raises AccessDenied off the care team."""
    if not may_view_patient(session, identity, patient_id):
        raise AccessDenied("You are not on this patient's care team, so their record is not shown.")
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise AccessDenied("This patient record does not exist.")
    record = PatientRecord(
        patient=patient,
        care_team=queries.care_team(session, patient_id),
        family=queries.family_contacts(session, patient_id),
        assessments=queries.assessments_since(session, patient_id, now - RECORD_WINDOW),
        open_alerts=[
            a for a, _ in queries.open_alerts_for(session, select(Patient.id).where(Patient.id == patient_id))
        ],
        upcoming_cases=queries.upcoming_cases_for_patient(session, patient_id, now),
    )
    details = {"screen": "record summary"}
    audit.record_patient_view(session, identity, patient_id, details, now)
    return record
