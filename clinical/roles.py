"""The disciplines and other people who use Vesper: one word for each, and which of them are clinicians.

Pure data. Which pages a role may open is auth.permissions' business; who may act on which patient is
decided in auth/ and re-checked in services/.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    PHYSICIAN = enum.auto()
    NURSE = enum.auto()
    SOCIAL_WORKER = enum.auto()
    CHAPLAIN = enum.auto()
    PHARMACIST = enum.auto()
    ADMIN = enum.auto()
    FAMILY = enum.auto()

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


def parse_role(value: object) -> Role | None:
    """A Role from a claim or form value, or None when it is not one of ours (case-insensitive)."""
    if not isinstance(value, str):
        return None
    try:
        return Role(value.strip().lower().replace(" ", "_").replace("-", "_"))
    except ValueError:
        return None
