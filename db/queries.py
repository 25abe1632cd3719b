"""Read queries the screens need. Each takes the Session first; callers own the transaction.

These return plain rows; who may see them is decided in access/ before these are called.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Exists, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from clinical.consent import ConsentScope
from clinical.roles import CLINICAL_ROLES, Role
from db.models import (
    Alert,
    AlertStatus,
    CareTeamMember,
    Conference,
    ConferenceCase,
    ConferenceStatus,
    Consent,
    FamilyContact,
    Patient,
    SymptomAssessment,
    User,
)


def _account_may_act(user_id: ColumnElement[int] | int, roles: frozenset[Role]) -> Exists:
    # A membership counts only while its account is active with one of these roles: an administrator's
    # deactivation or change of role takes effect in every service at once, not at the next sign-in.
    return exists().where(User.id == user_id, User.active.is_(True), User.role.in_(roles))


def care_team_patient_ids(user_id: int) -> Select[tuple[int]]:
    return select(CareTeamMember.patient_id).where(
        CareTeamMember.user_id == user_id, _account_may_act(user_id, CLINICAL_ROLES)
    )


def on_care_team(user_id: ColumnElement[int] | int, patient_id: ColumnElement[int] | int) -> Exists:
    """True when the user is on the patient's care team, with an active clinical account: an expression, so
    a query can ask it alongside what it reads (services.records.may_view_patient decides with it)."""
    return exists().where(
        CareTeamMember.user_id == user_id,
        CareTeamMember.patient_id == patient_id,
        _account_may_act(user_id, CLINICAL_ROLES),
    )


def is_on_care_team(session: Session, user_id: int, patient_id: int) -> bool:
    return bool(session.scalar(select(on_care_team(user_id, patient_id))))


def family_patient_ids(user_id: int, scope: ConsentScope) -> Select[tuple[int]]:
    """The patients this family account is linked to with a live consent for `scope`: granted and not
    withdrawn, read at the moment of asking, so a withdrawal takes effect at once."""
    live = exists().where(
        Consent.family_contact_id == FamilyContact.id,
        Consent.patient_id == FamilyContact.patient_id,
        Consent.scope == scope.value,
        Consent.granted.is_(True),
        Consent.withdrawn_at.is_(None),
    )
    return select(FamilyContact.patient_id).where(
        FamilyContact.user_id == user_id, live, _account_may_act(user_id, frozenset({Role.FAMILY}))
    )


def patients_with_status(session: Session, patient_ids: Select[tuple[int]]) -> list[dict[str, object]]:
    """One row per patient: identity, phase, last check-in time and the number of open alerts."""
    last_checkin = (
        select(SymptomAssessment.patient_id, func.max(SymptomAssessment.assessed_at).label("last"))
        .group_by(SymptomAssessment.patient_id)
        .subquery()
    )
    open_alerts = (
        select(Alert.patient_id, func.count(Alert.id).label("n"))
        .where(Alert.status != AlertStatus.ACTIONED)
        .group_by(Alert.patient_id)
        .subquery()
    )
    rows = session.execute(
        select(Patient, last_checkin.c.last, func.coalesce(open_alerts.c.n, 0))
        .outerjoin(last_checkin, last_checkin.c.patient_id == Patient.id)
        .outerjoin(open_alerts, open_alerts.c.patient_id == Patient.id)
        .where(Patient.id.in_(patient_ids))
        .order_by(Patient.family_name, Patient.given_name)
    ).all()
    return [{"patient": patient, "last_checkin": last, "open_alerts": int(n)} for patient, last, n in rows]


def open_alerts_for(session: Session, patient_ids: Select[tuple[int]]) -> Sequence[tuple[Alert, Patient]]:
    return session.execute(
        select(Alert, Patient)
        .join(Patient, Patient.id == Alert.patient_id)
        .where(Alert.patient_id.in_(patient_ids), Alert.status != AlertStatus.ACTIONED)
        .order_by(Alert.raised_at.desc())
    ).all()


def upcoming_conferences_for(
    session: Session, user_id: int, now: dt.datetime, limit: int = 10
) -> Sequence[Conference]:
    """Conferences that have not ended, which this clinician chairs, presents at, or whose cases are
    patients on their care team."""
    involved = select(ConferenceCase.conference_id).where(
        or_(
            ConferenceCase.presenter_id == user_id,
            ConferenceCase.patient_id.in_(care_team_patient_ids(user_id)),
        )
    )
    return session.scalars(
        select(Conference)
        .where(
            Conference.ends_at > now,
            Conference.status.in_([ConferenceStatus.SCHEDULED, ConferenceStatus.IN_PROGRESS]),
            or_(Conference.chair_id == user_id, Conference.id.in_(involved)),
        )
        .order_by(Conference.starts_at)
        .limit(limit)
    ).all()


def conference_cases(session: Session, conference_id: int) -> Sequence[tuple[ConferenceCase, Patient, User]]:
    return session.execute(
        select(ConferenceCase, Patient, User)
        .join(Patient, Patient.id == ConferenceCase.patient_id)
        .join(User, User.id == ConferenceCase.presenter_id)
        .where(ConferenceCase.conference_id == conference_id)
        .order_by(ConferenceCase.agenda_order)
    ).all()


def upcoming_cases_for_patient(
    session: Session, patient_id: int, now: dt.datetime
) -> Sequence[tuple[ConferenceCase, Conference]]:
    return session.execute(
        select(ConferenceCase, Conference)
        .join(Conference, Conference.id == ConferenceCase.conference_id)
        .where(and_(ConferenceCase.patient_id == patient_id, Conference.ends_at > now))
        .order_by(Conference.starts_at)
    ).all()


def assessments_since(session: Session, patient_id: int, since: dt.datetime) -> Sequence[SymptomAssessment]:
    return session.scalars(
        select(SymptomAssessment)
        .where(SymptomAssessment.patient_id == patient_id, SymptomAssessment.assessed_at >= since)
        .order_by(SymptomAssessment.assessed_at)
    ).all()


def care_team(session: Session, patient_id: int) -> Sequence[User]:
    return session.scalars(
        select(User)
        .join(CareTeamMember, CareTeamMember.user_id == User.id)
        .where(CareTeamMember.patient_id == patient_id)
        .order_by(User.role, User.display_name)
    ).all()


def family_contacts(session: Session, patient_id: int) -> Sequence[FamilyContact]:
    return session.scalars(
        select(FamilyContact).where(FamilyContact.patient_id == patient_id).order_by(FamilyContact.name)
    ).all()


def all_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.role, User.display_name)).all()
