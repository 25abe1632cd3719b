"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendations)."""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id by default

MIN_PASSWORD_LENGTH = 12


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    if not stored_hash:
        # Spend the same effort as a real check, so timing does not reveal which accounts exist.
        _burn()
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def hash_again(password: str) -> str:
    """A password that has just signed in, hashed with today's parameters. No length rule: the password
    was accepted when it was set, and its owner is not asked to change it at sign-in."""
    return _hasher.hash(password)


def needs_rehash(stored_hash: str) -> bool:
    """True when the stored hash was made with other argon2 parameters than today's (argon2-cffi's defaults
    move up with its releases): the password is hashed again at its next successful sign-in."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def _burn() -> None:
    with contextlib.suppress(VerifyMismatchError):
        _hasher.verify(_DUMMY_HASH, "x")


_DUMMY_HASH = _hasher.hash("dummy-password-for-timing")
