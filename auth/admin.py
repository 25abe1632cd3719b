"""Account administration: create local accounts, change role or status. Administrators only."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth import audit
from auth.audit import AuditAction
from auth.identity import Identity
from auth.passwords import MIN_PASSWORD_LENGTH, hash_password
from auth.refusal import Refusal
from clinical import typed_text
from clinical.roles import Role
from db.models import User

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")


class AdminError(Refusal):
    """A request an administrator made that cannot be carried out; the message says why in plain words."""


def _require_admin(identity: Identity) -> None:
    if identity.role is not Role.ADMIN:
        raise AdminError("Only administrators can change accounts.")


def create_local_user(
    session: Session,
    admin: Identity,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    now: dt.datetime,
) -> User:
    _require_admin(admin)
    username = username.strip().lower()
    display_name = typed_text.clean(display_name)
    if not USERNAME_PATTERN.fullmatch(username):
        raise AdminError(
            "A user name needs 2 to 60 characters: lower-case letters, digits, dots, dashes or underscores."
        )
    if not display_name:
        raise AdminError("Enter the person's name as colleagues should see it.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminError(f"The first password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if session.scalar(select(User.id).where(func.lower(User.username) == username)) is not None:
        raise AdminError(f"The user name {username!r} is already taken.")
    user = User(
        username=username,
        display_name=display_name[:200],
        role=role,
        password_hash=hash_password(password),
        created_at=now,
    )
    audit.record_created(
        session,
        admin,
        AuditAction.USER_CREATED,
        user,
        details={"username": username, "role": role.value},
        now=now,
    )
    return user


def update_user(
    session: Session, admin: Identity, user_id: int, *, role: Role, active: bool, now: dt.datetime
) -> User:
    _require_admin(admin)
    user = session.get(User, user_id)
    if user is None:
        raise AdminError("That account no longer exists.")
    if user.id == admin.user_id and (role is not Role.ADMIN or not active):
        raise AdminError("You cannot remove your own administrator access; ask another administrator.")
    changes = {}
    if user.role is not role:
        changes["role"] = [user.role.value if user.role else None, role.value]
        user.role = role
    if user.active != active:
        changes["active"] = [user.active, active]
        user.active = active
    if changes:
        user.access_epoch += 1  # every sign-in of this account ends at its next page run
        audit.record_by(
            session,
            admin,
            AuditAction.USER_UPDATED,
            target_type="user",
            target_id=user.id,
            details=changes,
            now=now,
        )
    return user
