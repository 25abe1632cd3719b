"""Portal roles and the pages each role may open.

Pure data: no database, no Streamlit. Least privilege: a role sees only what is listed for it here.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    PHYSICIAN = "physician"
    NURSE = "nurse"
    SOCIAL_WORKER = "social_worker"
    CHAPLAIN = "chaplain"
    PHARMACIST = "pharmacist"
    ADMIN = "admin"
    FAMILY = "family"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.PHYSICIAN: "Physician",
    Role.NURSE: "Nurse",
    Role.SOCIAL_WORKER: "Social worker",
    Role.CHAPLAIN: "Chaplain",
    Role.PHARMACIST: "Pharmacist",
    Role.ADMIN: "Administrator",
    Role.FAMILY: "Family member",
}

CLINICAL_ROLES: frozenset[Role] = frozenset(
    {Role.PHYSICIAN, Role.NURSE, Role.SOCIAL_WORKER, Role.CHAPLAIN, Role.PHARMACIST}
)


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


def parse_role(value: object) -> Role | None:
    """A Role from a claim or form value, or None when it is not one of ours (case-insensitive)."""
    if not isinstance(value, str):
        return None
    try:
        return Role(value.strip().lower().replace(" ", "_").replace("-", "_"))
    except ValueError:
        return None
