"""Settings read from the environment (or Streamlit secrets, for OIDC). Every one is documented in README.

pydantic-settings reads the variables. Each field's alias is its variable and its description is what
README says of it: ENVIRONMENT_VARIABLES is built from them, so the list has one source. Every value is
parsed by the validators here rather than by pydantic's own coercion, so a mistyped value stops the portal
with one plain sentence naming the variable (load and alert_thresholds turn pydantic's report into it),
and a blank value counts as unset, as it always has.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
from typing import Annotated, Any

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticUseDefault
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from clinical.alerts import AlertThresholds


class _FromEnvironment(BaseSettings):
    # Variables are read by their exact names (as os.environ.get did), nothing but the fields is read, the
    # settings cannot be changed once loaded, and code may still build one by attribute name.
    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", frozen=True, populate_by_name=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment only: no .env file or secrets folder was ever read (OIDC secrets come from
        # Streamlit's secrets.toml), and a load, done on every rerun, need not look for them.
        return (init_settings, env_settings)


def _variable(name: str, default: Any, description: str) -> Any:
    return Field(default, validation_alias=name, description=description)


def _name(model: type[BaseSettings], info: ValidationInfo) -> str:
    """The variable that the field being validated is read from."""
    return str(model.model_fields[str(info.field_name)].validation_alias)


def _stripped(value: str) -> str:
    """The value without surrounding space; a blank one means "use the default"."""
    raw = value.strip()
    if not raw:
        raise PydanticUseDefault()
    return raw


def _positive_number(name: str, value: str, *, zero_allowed: bool = False) -> float:
    raw = _stripped(value)
    try:
        number = float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc
    if not number >= 0 if zero_allowed else number <= 0:
        least = "0 or more" if zero_allowed else "greater than zero"
        raise ValueError(f"{name} must be {least}, got {raw!r}")
    return number


def _ice_servers(name: str, value: str) -> tuple[dict[str, Any], ...]:
    raw = value.strip()
    if not raw:
        return ()
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a JSON list of ICE servers, got {raw!r}") from exc
    if not isinstance(parsed, list):
        raise ValueError(f"{name} must be a JSON list of ICE servers")
    servers: list[dict[str, Any]] = []
    for entry in parsed:
        urls = entry.get("urls") if isinstance(entry, dict) else None
        if not (isinstance(urls, str) or (isinstance(urls, list) and all(isinstance(u, str) for u in urls))):
            raise ValueError(f'{name}: every entry needs "urls" (a string or a list of strings)')
        unknown = set(entry) - {"urls", "username", "credential"}
        if unknown:
            raise ValueError(f"{name}: unknown keys {sorted(unknown)}")
        servers.append(dict(entry))
    return tuple(servers)


class Settings(_FromEnvironment):
    # db.engine reads this one itself (db lies below settings); it is a field so that it is listed with
    # the rest.
    database_url: str | None = _variable(
        "DATABASE_URL", None, "SQLAlchemy URL of the database; default is SQLite at var/vesper.db."
    )
    # Read by db/migrations/env.py, like DATABASE_URL by db.engine; listed here with the rest.
    migration_database_url: str | None = _variable(
        "MIGRATION_DATABASE_URL",
        None,
        "SQLAlchemy URL the migrations connect with, as the tables' owner; default is DATABASE_URL.",
    )
    demo: bool = _variable(
        "VESPER_DEMO", False, "1 turns on demo mode: demo accounts are seeded and listed on the sign-in page."
    )
    idle_timeout: dt.timedelta = _variable(
        "VESPER_IDLE_TIMEOUT_MINUTES",
        dt.timedelta(minutes=15),
        "Sign out after this many minutes without activity (default 15).",
    )
    absolute_timeout: dt.timedelta = _variable(
        "VESPER_ABSOLUTE_TIMEOUT_HOURS",
        dt.timedelta(hours=12),
        "Sign out this many hours after sign-in, active or not (default 12).",
    )
    lockout_attempts: int = _variable(
        "VESPER_LOCKOUT_ATTEMPTS", 5, "Failed password attempts before an account locks (default 5)."
    )
    lockout_duration: dt.timedelta = _variable(
        "VESPER_LOCKOUT_MINUTES",
        dt.timedelta(minutes=15),
        "How long a locked account stays locked (default 15).",
    )
    roles_claim: str = _variable(
        "VESPER_OIDC_ROLES_CLAIM", "roles", "ID-token claim that carries the portal role(s) (default roles)."
    )
    # ICE servers for the video room, as RTCConfiguration.iceServers entries ({urls, username, credential}).
    # Empty by default: browsers and server then use host candidates only, and nothing ever asks an outside
    # STUN server. Real deployments configure their own TURN server here (see README, "ICE: STUN and TURN").
    # NoDecode: the validator parses the JSON itself, to say in plain words what is wrong with it.
    ice_servers: Annotated[tuple[dict[str, Any], ...], NoDecode] = _variable(
        "VESPER_ICE_SERVERS",
        (),
        "JSON list of ICE servers ({urls, username, credential}) for the video room "
        "(default none: host candidates only, no outside STUN server).",
    )
    room_cap: int = _variable(
        "VESPER_ROOM_CAP", 8, "Most people in one video room, lobby included (default 8)."
    )
    # The audit chain's key and checkpoints: read by auth/audit_keys.py and auth/audit_checkpoints.py
    # themselves (auth lies above settings); fields so that they are listed, and a mistyped interval stops
    # the portal in plain words.
    audit_key: str | None = _variable(
        "VESPER_AUDIT_KEY",
        None,
        "Key of the audit chain's HMAC, as <key id>:<secret of 32 or more characters> (or [audit] key in "
        "secrets.toml). Required on PostgreSQL; the embedded SQLite database makes one in var/audit.key.",
    )
    audit_retired_keys: str | None = _variable(
        "VESPER_AUDIT_RETIRED_KEYS",
        None,
        "Earlier audit keys, comma-separated <key id>:<secret>, so that events signed before a rotation "
        "still verify (default none).",
    )
    audit_checkpoints: str | None = _variable(
        "VESPER_AUDIT_CHECKPOINTS",
        None,
        "File the audit chain's signed checkpoints are appended to; keep it off the database's machine "
        "(default var/audit-checkpoints.jsonl).",
    )
    audit_checkpoint_seconds: float = _variable(
        "VESPER_AUDIT_CHECKPOINT_SECONDS",
        60.0,
        "Most seconds between checkpoints of the audit chain while events are recorded; 0 for one after "
        "every event (default 60).",
    )

    # Values given as Python objects (Settings(idle_timeout=...)) pass through to pydantic's own checks.

    @field_validator("demo", mode="before")
    @classmethod
    def _demo(cls, value: object) -> object:
        # Exactly "1", not stripped and not "true": demo mode publishes passwords (demo.seed checks the same).
        return value == "1" if isinstance(value, str) else value

    @field_validator("idle_timeout", "lockout_duration", mode="before")
    @classmethod
    def _minutes(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        return dt.timedelta(minutes=_positive_number(_name(cls, info), value))

    @field_validator("absolute_timeout", mode="before")
    @classmethod
    def _hours(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        return dt.timedelta(hours=_positive_number(_name(cls, info), value))

    @field_validator("lockout_attempts", "room_cap", mode="before")
    @classmethod
    def _count(cls, value: object, info: ValidationInfo) -> object:
        # A number above zero, cut to a whole one ("2.5" people is 2), as it always was.
        return int(_positive_number(_name(cls, info), value)) if isinstance(value, str) else value

    @field_validator("audit_checkpoint_seconds", mode="before")
    @classmethod
    def _seconds(cls, value: object, info: ValidationInfo) -> object:
        # 0 is allowed: a checkpoint after every event.
        if not isinstance(value, str):
            return value
        return _positive_number(_name(cls, info), value, zero_allowed=True)

    @field_validator("roles_claim", mode="before")
    @classmethod
    def _roles_claim(cls, value: object) -> object:
        return _stripped(value) if isinstance(value, str) else value

    @field_validator("ice_servers", mode="before")
    @classmethod
    def _ice_servers(cls, value: object, info: ValidationInfo) -> object:
        return _ice_servers(_name(cls, info), value) if isinstance(value, str) else value


_DEFAULT_THRESHOLDS = AlertThresholds()


def _threshold(name: str, field_name: str, description: str) -> Any:
    return _variable(name, getattr(_DEFAULT_THRESHOLDS, field_name), description)


class _AlertVariables(_FromEnvironment):
    """The alert thresholds as set in the environment, each field named as AlertThresholds' (whose defaults
    are CLINICAL.md's). AlertThresholds checks the ranges and how they relate."""

    severe_item: int = _threshold(
        "VESPER_ALERT_SEVERE_ITEM",
        "severe_item",
        "An ESAS-r item at or above this raises a severe alert (default 7).",
    )
    moderate_item: int = _threshold(
        "VESPER_ALERT_MODERATE_ITEM",
        "moderate_item",
        "An item rising from below this to this or above raises a new-moderate alert (default 4).",
    )
    worsening_total_rise: int = _threshold(
        "VESPER_ALERT_WORSENING_RISE",
        "worsening_total_rise",
        "A total rise this large over the baseline median raises a worsening alert (default 4).",
    )
    baseline_days: int = _threshold(
        "VESPER_ALERT_BASELINE_DAYS",
        "baseline_days",
        "Days before a check-in whose median total is the baseline (default 7).",
    )
    default_checkin_interval_days: int = _threshold(
        "VESPER_DEFAULT_CHECKIN_INTERVAL_DAYS",
        "default_checkin_interval_days",
        "Check-in interval in days when none was agreed with the patient (default 3).",
    )

    @field_validator("*", mode="before")
    @classmethod
    def _whole_number(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        raw = _stripped(value)
        try:
            return int(raw)
        except ValueError as exc:
            raise ValueError(f"{_name(cls, info)} must be a whole number, got {raw!r}") from exc


# name -> what it does; README lists each of these and a test checks that it does.
ENVIRONMENT_VARIABLES: dict[str, str] = {
    str(f.validation_alias): str(f.description)
    for model in (Settings, _AlertVariables)
    for f in model.model_fields.values()
}


def _plain_words(exc: ValidationError) -> str:
    """The validators' own sentences (each names its variable), instead of pydantic's report."""
    messages = []
    for error in exc.errors():
        cause = error.get("ctx", {}).get("error")
        messages.append(
            str(cause) if error["type"] == "value_error" and cause else f"{error['loc']}: {error['msg']}"
        )
    return "; ".join(messages)


def load() -> Settings:
    """The settings as the environment says now. Every page run asks (the sign-in gate reads the time-outs),
    and validating takes about half a millisecond, so the result is kept for as long as the variables it
    reads are unchanged. Settings is frozen, so callers cannot change what another caller is given."""
    return _load_for(tuple(os.environ.get(name) for name in ENVIRONMENT_VARIABLES))


@functools.lru_cache(maxsize=4)
def _load_for(environment: tuple[str | None, ...]) -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise ValueError(_plain_words(exc)) from exc


def alert_thresholds() -> AlertThresholds:
    """The symptom-alert thresholds, from the environment where set, else CLINICAL.md's defaults.

    Meant to be read at start-up, so a mistyped value stops the portal with the variable's name instead of
    silently changing who gets alerted.
    """
    try:
        values = _AlertVariables()
    except ValidationError as exc:
        raise ValueError(_plain_words(exc)) from exc
    try:
        return AlertThresholds(**values.model_dump())
    except ValueError as exc:
        # AlertThresholds speaks in field names; an operator only knows the variables they set.
        message = str(exc)
        for field_name, info in _AlertVariables.model_fields.items():
            message = message.replace(field_name, str(info.validation_alias))
        raise ValueError(message) from exc
