"""Local accounts: sign-in with lock-out, and the OIDC identity-to-account mapping."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth import audit
from auth.audit import AuditAction
from auth.identity import Identity
from auth.passwords import hash_again, needs_rehash, verify_password
from clinical import typed_text
from clinical.roles import Role, parse_role
from db.models import User
from settings import Settings

WRONG_CREDENTIALS = "Wrong user name or password."


class SignInOutcome(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignInOutcome
    identity: Identity | None = None

    @property
    def message(self) -> str:
        # Locked and wrong read the same to the person at the keyboard: neither reveals whether the
        # account exists or is locked. The audit trail records the difference.
        return "" if self.outcome is SignInOutcome.OK else WRONG_CREDENTIALS


def identity_of(user: User, method: str) -> Identity:
    assert user.role is not None
    return Identity(
        user.id, user.username, user.display_name, user.role, method, access_epoch=user.access_epoch
    )


UNKNOWN_NAME_KEPT = 2
# The demo seed's accounts (demo/seed.py) have public passwords: they sign in only in demo mode.
DEMO_EMAIL_DOMAIN = "vesper-demo.example"


def is_demo_account(user: User) -> bool:
    return bool(user.email) and user.email.endswith("@" + DEMO_EMAIL_DOMAIN)


def unknown_name_for_audit(typed: str) -> str:
    """What the audit trail keeps of a user name that matches no account: its first two characters. A
    password typed into the user-name box would otherwise stay whole in a table nobody may ever edit."""
    kept = "".join("?" if typed_text.unstorable(c) else c for c in typed[:UNKNOWN_NAME_KEPT])
    return f"{kept}… (unknown)" if len(typed) > UNKNOWN_NAME_KEPT else f"{kept} (unknown)"


def sign_in_with_password(
    session: Session, username: str, password: str, settings: Settings, now: dt.datetime
) -> SignInResult:
    name = username.strip().lower()
    # A name with a character no account can have (NUL among them, which PostgreSQL cannot even compare)
    # matches no account: it is answered as any unknown name is, after the same password work.
    user = (
        None
        if typed_text.unstorable(name)
        else session.scalar(select(User).where(func.lower(User.username) == name).with_for_update())
    )
    if user is None or not user.active or user.role is None:
        verify_password(None, password)
        audit.record(
            session,
            AuditAction.SIGN_IN_FAILED,
            actor_user_id=None if user is None else user.id,
            actor_name=unknown_name_for_audit(name) if user is None else user.username,
            details={"reason": "unknown account" if user is None else "inactive account"},
            now=now,
        )
        return SignInResult(SignInOutcome.WRONG)

    if user.locked_until is not None and user.locked_until > now:
        # The same argon2 work as a wrong password: a locked account must not answer faster (1 ms against
        # 130 ms), which would tell an attacker which accounts exist and which they have locked.
        verify_password(user.password_hash, password)
        _record_for(
            session,
            user,
            AuditAction.SIGN_IN_FAILED,
            {"reason": "account locked", "locked_until": user.locked_until},
            now,
        )
        return SignInResult(SignInOutcome.LOCKED)

    if is_demo_account(user) and not settings.demo:
        # Its password is printed in the README: outside demo mode it is no key at all.
        verify_password(user.password_hash, password)
        _record_for(session, user, AuditAction.SIGN_IN_FAILED, {"reason": "demo account, demo mode off"}, now)
        return SignInResult(SignInOutcome.WRONG)

    if not verify_password(user.password_hash, password):
        user.failed_attempts += 1
        _record_for(
            session,
            user,
            AuditAction.SIGN_IN_FAILED,
            {"reason": "wrong password", "failed_attempts": user.failed_attempts},
            now,
        )
        if user.failed_attempts >= settings.lockout_attempts:
            user.locked_until = now + settings.lockout_duration
            user.failed_attempts = 0
            _record_for(session, user, AuditAction.ACCOUNT_LOCKED, {"locked_until": user.locked_until}, now)
        return SignInResult(SignInOutcome.WRONG)

    user.failed_attempts = 0
    user.locked_until = None
    if user.password_hash is not None and needs_rehash(user.password_hash):
        user.password_hash = hash_again(password)  # today's parameters, while the password is at hand
    _record_for(session, user, AuditAction.SIGN_IN, {"method": "password"}, now)
    return SignInResult(SignInOutcome.OK, identity_of(user, "password"))


def _record_for(
    session: Session, user: User, action: AuditAction, details: dict[str, Any], now: dt.datetime
) -> None:
    """An audit event about a password sign-in to a known account: that account is the actor (there is no
    signed-in identity yet, so audit.record_by cannot serve)."""
    audit.record(session, action, actor_user_id=user.id, actor_name=user.username, details=details, now=now)


def roles_from_claims(claims: Mapping[str, Any], claim_name: str) -> list[Role]:
    """Portal roles named in the claim, which may be a string or a list; unknown names are ignored."""
    raw = claims.get(claim_name)
    values = raw if isinstance(raw, list | tuple) else [raw]
    return [role for role in (parse_role(v) for v in values) if role is not None]


def pick_role(roles: list[Role]) -> Role | None:
    """With several roles, the most clinically specific one wins; admin only when it is the only role."""
    for role in (Role.PHYSICIAN, Role.NURSE, Role.PHARMACIST, Role.SOCIAL_WORKER, Role.CHAPLAIN, Role.ADMIN):
        if role in roles:
            return role
    return None  # "family" is never granted by a hospital IdP: family sign in through invitations.


def identity_from_oidc(
    session: Session, claims: Mapping[str, Any], settings: Settings, now: dt.datetime
) -> Identity | None:
    """The portal identity for an OIDC sign-in, or None when the portal has no role for this person.

    The identity provider is the authority for hospital staff roles: the first sign-in with a valid role
    creates the account, later sign-ins follow role changes. An account an administrator deactivated
    stays refused whatever the claim says.
    """
    issuer = str(claims.get("iss") or "")
    subject = str(claims.get("sub") or "")
    email = claims.get("email")
    display = str(claims.get("name") or claims.get("preferred_username") or email or subject)[:200]
    role = pick_role(roles_from_claims(claims, settings.roles_claim))

    user = session.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))
    if user is None and role is not None:
        user = User(
            username=f"oidc:{subject}@{issuer}"[:120],
            display_name=display,
            email=None,
            role=role,
            oidc_issuer=issuer,
            oidc_subject=subject,
            created_at=now,
        )
        session.add(user)
        session.flush()
        audit.record(
            session,
            AuditAction.USER_CREATED,
            actor_user_id=user.id,
            actor_name=display,
            target_type="user",
            target_id=user.id,
            details={"via": "oidc", "role": role.value},
            now=now,
        )
    if user is None or role is None or not user.active:
        audit.record(
            session,
            AuditAction.SIGN_IN_REFUSED,
            actor_user_id=user.id if user else None,
            actor_name=display,
            details={
                "issuer": issuer,
                "subject": subject,
                "reason": "inactive" if user and role else "no portal role",
            },
            now=now,
        )
        return None
    if user.role is not role:
        # A role changed at the provider ends the person's other sign-ins, as an administrator's change does.
        user.role, user.access_epoch = role, user.access_epoch + 1
    if user.display_name != display:
        user.display_name = display
    _record_for(session, user, AuditAction.SIGN_IN, {"method": "oidc", "issuer": issuer}, now)
    return identity_of(user, "oidc")
