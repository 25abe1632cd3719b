"""Settings read from the environment (or Streamlit secrets, for OIDC). Every one is documented in README."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from typing import Any

from clinical.alerts import AlertThresholds


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
    # ICE servers for the video room, as RTCConfiguration.iceServers entries ({urls, username, credential}).
    # Empty by default: browsers and server then use host candidates only, and nothing ever asks an outside
    # STUN server. Real deployments configure their own TURN server here (see README, "ICE: STUN and TURN").
    ice_servers: tuple[dict[str, Any], ...] = field(default=())
    room_cap: int = 8


# name -> what it does; README lists each of these and a test checks that it does.
ENVIRONMENT_VARIABLES: dict[str, str] = {
    "DATABASE_URL": "SQLAlchemy URL of the database; default is SQLite at var/vesper.db.",
    "VESPER_DEMO": "1 turns on demo mode: demo accounts are seeded and listed on the sign-in page.",
    "VESPER_IDLE_TIMEOUT_MINUTES": "Sign out after this many minutes without activity (default 15).",
    "VESPER_ABSOLUTE_TIMEOUT_HOURS": "Sign out this many hours after sign-in, active or not (default 12).",
    "VESPER_LOCKOUT_ATTEMPTS": "Failed password attempts before an account locks (default 5).",
    "VESPER_LOCKOUT_MINUTES": "How long a locked account stays locked (default 15).",
    "VESPER_OIDC_ROLES_CLAIM": "ID-token claim that carries the portal role(s) (default roles).",
    "VESPER_ICE_SERVERS": "JSON list of ICE servers ({urls, username, credential}) for the video room "
    "(default none: host candidates only, no outside STUN server).",
    "VESPER_ROOM_CAP": "Most people in one video room, lobby included (default 8).",
    "VESPER_ALERT_SEVERE_ITEM": "An ESAS-r item at or above this raises a severe alert (default 7).",
    "VESPER_ALERT_MODERATE_ITEM": "An item rising from below this to this or above raises a new-moderate "
    "alert (default 4).",
    "VESPER_ALERT_WORSENING_RISE": "A total rise this large over the baseline median raises a worsening "
    "alert (default 4).",
    "VESPER_ALERT_BASELINE_DAYS": "Days before a check-in whose median total is the baseline (default 7).",
    "VESPER_DEFAULT_CHECKIN_INTERVAL_DAYS": "Check-in interval in days when none was agreed with the patient "
    "(default 3).",
}


def _whole_number(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc


# AlertThresholds field -> the variable that sets it.
_ALERT_VARIABLES: dict[str, str] = {
    "severe_item": "VESPER_ALERT_SEVERE_ITEM",
    "moderate_item": "VESPER_ALERT_MODERATE_ITEM",
    "worsening_total_rise": "VESPER_ALERT_WORSENING_RISE",
    "baseline_days": "VESPER_ALERT_BASELINE_DAYS",
    "default_checkin_interval_days": "VESPER_DEFAULT_CHECKIN_INTERVAL_DAYS",
}


def alert_thresholds() -> AlertThresholds:
    """The symptom-alert thresholds, from the environment where set, else CLINICAL.md's defaults.

    Meant to be read at start-up, so a mistyped value stops the portal with the variable's name instead of
    silently changing who gets alerted.
    """
    defaults = AlertThresholds()
    values = {
        field_name: _whole_number(variable, getattr(defaults, field_name))
        for field_name, variable in _ALERT_VARIABLES.items()
    }
    try:
        return AlertThresholds(**values)
    except ValueError as exc:
        # AlertThresholds speaks in field names; an operator only knows the variables they set.
        message = str(exc)
        for field_name, variable in _ALERT_VARIABLES.items():
            message = message.replace(field_name, variable)
        raise ValueError(message) from exc


def _ice_servers(name: str) -> tuple[dict[str, Any], ...]:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ()
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a JSON list of ICE servers, got {raw!r}") from exc
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a JSON list of ICE servers")
    servers: list[dict[str, Any]] = []
    for entry in value:
        urls = entry.get("urls") if isinstance(entry, dict) else None
        if not (isinstance(urls, str) or (isinstance(urls, list) and all(isinstance(u, str) for u in urls))):
            raise ValueError(f'{name}: every entry needs "urls" (a string or a list of strings)')
        unknown = set(entry) - {"urls", "username", "credential"}
        if unknown:
            raise ValueError(f"{name}: unknown keys {sorted(unknown)}")
        servers.append(dict(entry))
    return tuple(servers)


def load() -> Settings:
    return Settings(
        demo=os.environ.get("VESPER_DEMO", "") == "1",
        idle_timeout=dt.timedelta(minutes=_float("VESPER_IDLE_TIMEOUT_MINUTES", 15)),
        absolute_timeout=dt.timedelta(hours=_float("VESPER_ABSOLUTE_TIMEOUT_HOURS", 12)),
        lockout_attempts=int(_float("VESPER_LOCKOUT_ATTEMPTS", 5)),
        lockout_duration=dt.timedelta(minutes=_float("VESPER_LOCKOUT_MINUTES", 15)),
        roles_claim=os.environ.get("VESPER_OIDC_ROLES_CLAIM", "").strip() or "roles",
        ice_servers=_ice_servers("VESPER_ICE_SERVERS"),
        room_cap=int(_float("VESPER_ROOM_CAP", 8)),
    )
