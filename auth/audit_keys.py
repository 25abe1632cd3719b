"""The audit chain's keys: the secret each event's HMAC is taken with, kept outside the database.

With a plain hash, anyone who can write to the database can edit an event and compute every later hash
again, and the chain still checks. With a keyed hash (HMAC-SHA256) they cannot, unless they also hold the
key, which lives only in the portal's environment or its secrets file:

    VESPER_AUDIT_KEY="2026-12:<a secret of at least 32 characters>"     (or [audit] key = "..." in
    VESPER_AUDIT_RETIRED_KEYS="2026-06:<old secret>,2025-12:<older>"      .streamlit/secrets.toml,
                                                                          retired_keys = ["...", ...])

Each event stores the id of the key it was signed with (the part before the colon), never the key. To
rotate: put the new key in VESPER_AUDIT_KEY and move the old one to VESPER_AUDIT_RETIRED_KEYS; new events
are signed with the new key and verify still checks old ones with the retired key (docs/security.md).

With no key configured, the embedded SQLite database (the `make run` default) uses a key generated once
into var/audit.key, readable by the portal's user only; PostgreSQL refuses to record without a key.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCAL_KEY_PATH = PROJECT_ROOT / "var" / "audit.key"
LOCAL_KEY_ID = "local"
KEY_VARIABLE = "VESPER_AUDIT_KEY"
RETIRED_VARIABLE = "VESPER_AUDIT_RETIRED_KEYS"
MIN_SECRET_CHARS = 32
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,40}")


class AuditKeyProblem(ValueError):
    """The audit key is missing or malformed: the portal cannot record events it could later prove."""


@dataclass(frozen=True)
class AuditKey:
    key_id: str
    secret: bytes = field(repr=False)

    def sign(self, message: str) -> str:
        """Lowercase hex HMAC-SHA256 of `message` (UTF-8) under this key."""
        return hmac.new(self.secret, message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class AuditKeys:
    """The key new events are signed with, and every key verify accepts, by id."""

    current: AuditKey
    by_id: Mapping[str, AuditKey]


def parse_key(text: str, *, name: str = KEY_VARIABLE) -> AuditKey:
    """ "<key id>:<secret>" as a key, or AuditKeyProblem in plain words naming where it came from."""
    key_id, colon, secret = text.strip().partition(":")
    if not colon or not _KEY_ID.fullmatch(key_id):
        raise AuditKeyProblem(
            f"{name} must read <key id>:<secret>, the key id being up to 40 letters, digits, dots, dashes "
            "or underscores (for example 2026-12:...)"
        )
    if len(secret) < MIN_SECRET_CHARS:
        raise AuditKeyProblem(f"{name}'s secret must be at least {MIN_SECRET_CHARS} characters long")
    return AuditKey(key_id, secret.encode())


def keys_from(current: str, retired: list[str], *, source: str) -> AuditKeys:
    """The keys as configured: one current, any number retired, every id different."""
    key = parse_key(current, name=f"{source} key")
    by_id: dict[str, AuditKey] = {key.key_id: key}
    for text in retired:
        old = parse_key(text, name=f"{source} retired key")
        if old.key_id in by_id:
            raise AuditKeyProblem(f"{source}: the key id {old.key_id!r} is given twice")
        by_id[old.key_id] = old
    return AuditKeys(key, by_id)


def load() -> AuditKeys:
    """The configured keys: the environment first, then the secrets file, then (embedded SQLite only) the
    local key file. Kept for as long as the variables are unchanged, as settings.load() is."""
    return _load(
        os.environ.get(KEY_VARIABLE),
        os.environ.get(RETIRED_VARIABLE),
        os.environ.get("DATABASE_URL"),
    )


@functools.lru_cache(maxsize=4)
def _load(current: str | None, retired: str | None, database_url: str | None) -> AuditKeys:
    if current and current.strip():
        return keys_from(current, _split(retired), source=KEY_VARIABLE)
    from_secrets = _from_secrets_file()
    if from_secrets is not None:
        return from_secrets
    if database_url and not database_url.startswith("sqlite"):
        raise AuditKeyProblem(
            f"No audit key: set {KEY_VARIABLE} (or [audit] key in .streamlit/secrets.toml) before the portal "
            "records anything in a PostgreSQL database. See docs/security.md, The audit trail."
        )
    key = _local_key()
    return AuditKeys(key, {key.key_id: key})


def _split(retired: str | None) -> list[str]:
    return [part for part in (retired or "").split(",") if part.strip()]


def _from_secrets_file() -> AuditKeys | None:
    """The [audit] table of Streamlit's secrets files, read as Streamlit reads them (the user's
    ~/.streamlit/secrets.toml, then the working directory's, the later winning): the portal and the
    command-line tools see the same key. No file, or no [audit] key: not configured there."""
    section: dict[str, object] = {}
    for candidate in (
        Path.home() / ".streamlit" / "secrets.toml",
        Path.cwd() / ".streamlit" / "secrets.toml",
    ):
        try:
            parsed = tomllib.loads(candidate.read_text(encoding="utf-8"))
        except FileNotFoundError:
            continue
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise AuditKeyProblem(f"{candidate} cannot be read as TOML: {exc}") from exc
        if isinstance(parsed.get("audit"), dict):
            section = parsed["audit"]
    key = section.get("key")
    if not key:
        return None
    retired = section.get("retired_keys", [])
    if not isinstance(retired, list):
        raise AuditKeyProblem("[audit] retired_keys in secrets.toml must be a list of <key id>:<secret>")
    return keys_from(str(key), [str(old) for old in retired], source="[audit]")


def _local_key() -> AuditKey:
    """The embedded database's key, made on first use; readable and writable by this user only."""
    path = LOCAL_KEY_PATH
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then linked into place: a process starting at the same
        # moment reads either no file or the whole key, and the first link wins.
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, secrets.token_urlsafe(48).encode())
        finally:
            os.close(fd)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return AuditKey(LOCAL_KEY_ID, path.read_text().strip().encode())
