"""Permission predicates: which pages a role may open, and who may see which patient.

Least privilege: a role sees only what is listed for it here. Services re-check these before they read or
change anything; pages check them first (portal.gate.require_page).
"""

from __future__ import annotations

import enum

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from auth.identity import Identity
from auth.refusal import Refusal
from clinical.roles import CLINICAL_ROLES, Role
from db import queries
from db.models import Patient, User


class AccessDenied(Refusal):
    """The person may not see this. The message is safe to show: it names nothing they may not see."""


class PageId(enum.StrEnum):
    """Every screen of the portal. app.py builds navigation from this; each page file checks it."""

    HOME = "home"
    PATIENTS = "patients"
    ADMIN_USERS = "admin_users"
    ADMIN_AUDIT = "admin_audit"
    CONFERENCE_ROOM = "conference_room"
    CHECKIN = "checkin"
    GOALS_OF_CARE = "goals_of_care"


_PAGES_BY_ROLE: dict[Role, tuple[PageId, ...]] = {
    # Clinicians send check-ins too: with a patient in clinic, or typing in answers given over the phone.
    # The care team documents goals of care and signs off the conference plan.
    **{
        role: (
            PageId.HOME,
            PageId.PATIENTS,
            PageId.GOALS_OF_CARE,
            PageId.CHECKIN,
            PageId.CONFERENCE_ROOM,
        )
        for role in CLINICAL_ROLES
    },
    # Administrators manage accounts; they take no part in clinical meetings.
    Role.ADMIN: (PageId.HOME, PageId.ADMIN_USERS, PageId.ADMIN_AUDIT),
    # A family member sends symptom check-ins for the patient they are linked to, and sees their meeting
    # invitations on Home; no clinical lists. In the conference room they wait in the lobby until someone
    # from the care team admits them.
    Role.FAMILY: (PageId.HOME, PageId.CHECKIN, PageId.CONFERENCE_ROOM),
}


def pages_for(role: Role) -> tuple[PageId, ...]:
    """The pages this role may open, in navigation order."""
    return _PAGES_BY_ROLE.get(role, ())


def may_open(role: Role | None, page: PageId) -> bool:
    return role is not None and page in pages_for(role)


def access_changed(session: Session, identity: Identity) -> bool:
    """True when this sign-in no longer speaks for its account: the account was deactivated or removed, its
    role is not the one signed in with, or an administrator changed it since (its access_epoch moved on).
    Checked on every page run (portal.gate), so a revocation takes effect at the person's next click."""
    row = session.execute(
        select(User.active, User.role, User.access_epoch).where(User.id == identity.user_id)
    ).one_or_none()
    return (
        row is None
        or not row.active
        or row.role is not identity.role
        or row.access_epoch != identity.access_epoch
    )


def visible_patient_ids(identity: Identity) -> Select[tuple[int]]:
    if identity.role in CLINICAL_ROLES:
        return queries.care_team_patient_ids(identity.user_id)
    return select(Patient.id).where(false())


def may_view_patient(session: Session, identity: Identity, patient_id: int) -> bool:
    return may_view_as_team_member(identity, queries.is_on_care_team(session, identity.user_id, patient_id))


def may_view_as_team_member(identity: Identity, on_care_team: bool) -> bool:
    """may_view_patient's rule, for a caller that has already asked whether this person is on the patient's
    care team (services.symptom_views asks it in the same query as the chart's data stamp)."""
    return identity.role in CLINICAL_ROLES and on_care_team
