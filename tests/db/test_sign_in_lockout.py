"""Password sign-in: argon2id, lock-out after five failures, and what the audit trail records."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

import settings as settings_module
from auth.accounts import SignInOutcome, sign_in_with_password
from clinical.roles import Role
from db.engine import transaction
from db.models import AuditEvent, User
from tests import factories
from tests.factories import NOW, PASSWORD


def _attempt(engine, password: str, now: dt.datetime):
    with transaction(engine) as s:
        return sign_in_with_password(s, "nurse", password, settings_module.load(), now)


def test_password_is_stored_as_argon2id(engine):
    with transaction(engine) as s:
        factories.user(s, "nurse", Role.NURSE)
    with transaction(engine) as s:
        stored = s.scalar(select(User.password_hash))
    assert stored.startswith("$argon2id$"), "passwords must be hashed with argon2id"
    assert PASSWORD not in stored


def test_sixth_attempt_with_the_right_password_is_refused_until_the_lock_ends(engine):
    with transaction(engine) as s:
        factories.user(s, "nurse", Role.NURSE)
    for n in range(5):
        assert _attempt(engine, f"wrong-{n}", NOW + dt.timedelta(seconds=n)).outcome is SignInOutcome.WRONG

    locked = _attempt(engine, PASSWORD, NOW + dt.timedelta(minutes=1))
    assert locked.outcome is SignInOutcome.LOCKED and locked.identity is None, "locked account let someone in"
    assert locked.message == "Wrong user name or password.", "a locked account must not announce itself"

    still = _attempt(engine, PASSWORD, NOW + dt.timedelta(minutes=14, seconds=59))
    assert still.identity is None, "the lock must hold for the whole 15 minutes"

    after = _attempt(engine, PASSWORD, NOW + dt.timedelta(minutes=15, seconds=5))
    assert after.outcome is SignInOutcome.OK and after.identity is not None, (
        "the right password works after the lock"
    )

    with transaction(engine) as s:
        actions = s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("sign_in_failed") == 7 and actions.count("account_locked") == 1
    assert actions[-1] == "sign_in"


def test_a_success_resets_the_failure_count(engine):
    with transaction(engine) as s:
        factories.user(s, "nurse", Role.NURSE)
    for n in range(4):
        _attempt(engine, f"wrong-{n}", NOW)
    assert _attempt(engine, PASSWORD, NOW).identity is not None
    for n in range(4):
        _attempt(engine, f"wrong-again-{n}", NOW)
    assert _attempt(engine, PASSWORD, NOW).identity is not None, "four failures after a success must not lock"


def test_inactive_account_cannot_sign_in(engine):
    with transaction(engine) as s:
        factories.user(s, "nurse", Role.NURSE).active = False
    assert _attempt(engine, PASSWORD, NOW).identity is None


def test_a_locked_account_does_the_same_password_work_as_a_wrong_password(engine, monkeypatch):
    """Timing must not tell an attacker which accounts exist or are locked: a locked account answered in
    1 ms against 130 ms for a wrong password. Counted in argon2 verifications, not in milliseconds."""
    import auth.accounts as accounts

    with transaction(engine) as s:
        factories.user(s, "nurse", Role.NURSE)
    for n in range(5):
        _attempt(engine, f"wrong-{n}", NOW)
    calls: list[str] = []
    real = accounts.verify_password
    monkeypatch.setattr(accounts, "verify_password", lambda h, p: calls.append("verify") or real(h, p))
    locked = _attempt(engine, PASSWORD, NOW + dt.timedelta(minutes=1))
    assert locked.outcome is SignInOutcome.LOCKED
    assert calls == ["verify"], "a locked account answered without the argon2 work a wrong password costs"


def test_an_old_hash_is_made_again_with_todays_parameters_at_sign_in(engine):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with transaction(engine) as s:
        factories.user(s, "nurse", Role.NURSE).password_hash = weak
    assert _attempt(engine, PASSWORD, NOW).outcome is SignInOutcome.OK
    with transaction(engine) as s:
        stored = s.scalar(select(User.password_hash))
    assert stored != weak and "m=8," not in stored, "the password still has the old, weaker hash"
    assert _attempt(engine, PASSWORD, NOW + dt.timedelta(seconds=1)).outcome is SignInOutcome.OK


def test_a_demo_account_signs_in_only_in_demo_mode(engine, monkeypatch):
    """Demo passwords are public (the README prints them): outside demo mode they open nothing."""
    from auth.accounts import DEMO_EMAIL_DOMAIN

    with transaction(engine) as s:
        factories.user(s, "nurse", Role.NURSE).email = f"nurse@{DEMO_EMAIL_DOMAIN}"
    monkeypatch.delenv("VESPER_DEMO", raising=False)
    refused = _attempt(engine, PASSWORD, NOW)
    assert refused.outcome is SignInOutcome.WRONG and refused.identity is None
    with transaction(engine) as s:
        reasons = [e.details.get("reason") for e in s.scalars(select(AuditEvent))]
    assert "demo account, demo mode off" in reasons, "the audit trail should say why"
    monkeypatch.setenv("VESPER_DEMO", "1")
    assert _attempt(engine, PASSWORD, NOW + dt.timedelta(seconds=1)).outcome is SignInOutcome.OK
