"""Settings read from the environment (or Streamlit secrets, for OIDC). Every one is documented in README."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero, got {raw!r}")
    return value


@dataclass(frozen=True)
class Settings:
    demo: bool
    idle_timeout: dt.timedelta
    absolute_timeout: dt.timedelta
    lockout_attempts: int
    lockout_duration: dt.timedelta
    roles_claim: str


# name -> what it does; README lists each of these and a test checks that it does.
ENVIRONMENT_VARIABLES: dict[str, str] = {
    "DATABASE_URL": "SQLAlchemy URL of the database; default is SQLite at var/vesper.db.",
    "VESPER_DEMO": "1 turns on demo mode: demo accounts are seeded and listed on the sign-in page.",
    "VESPER_IDLE_TIMEOUT_MINUTES": "Sign out after this many minutes without activity (default 15).",
    "VESPER_ABSOLUTE_TIMEOUT_HOURS": "Sign out this many hours after sign-in, active or not (default 12).",
    "VESPER_LOCKOUT_ATTEMPTS": "Failed password attempts before an account locks (default 5).",
    "VESPER_LOCKOUT_MINUTES": "How long a locked account stays locked (default 15).",
    "VESPER_OIDC_ROLES_CLAIM": "ID-token claim that carries the portal role(s) (default roles).",
}


def load() -> Settings:
    return Settings(
        demo=os.environ.get("VESPER_DEMO", "") == "1",
        idle_timeout=dt.timedelta(minutes=_float("VESPER_IDLE_TIMEOUT_MINUTES", 15)),
        absolute_timeout=dt.timedelta(hours=_float("VESPER_ABSOLUTE_TIMEOUT_HOURS", 12)),
        lockout_attempts=int(_float("VESPER_LOCKOUT_ATTEMPTS", 5)),
        lockout_duration=dt.timedelta(minutes=_float("VESPER_LOCKOUT_MINUTES", 15)),
        roles_claim=os.environ.get("VESPER_OIDC_ROLES_CLAIM", "").strip() or "roles",
    )
