"""settings.load(): defaults, values from the environment, and plain words for a mistyped value."""

from __future__ import annotations

import datetime as dt
import re

import pytest

import settings
from settings import ENVIRONMENT_VARIABLES


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVIRONMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_defaults_when_nothing_is_set():
    s = settings.load()
    assert s.demo is False
    assert s.idle_timeout == dt.timedelta(minutes=15)
    assert s.absolute_timeout == dt.timedelta(hours=12)
    assert s.lockout_attempts == 5 and isinstance(s.lockout_attempts, int)
    assert s.lockout_duration == dt.timedelta(minutes=15)
    assert s.roles_claim == "roles"
    assert s.ice_servers == ()
    assert s.room_cap == 8 and isinstance(s.room_cap, int)


def test_blank_values_give_the_defaults(monkeypatch: pytest.MonkeyPatch):
    for name in ENVIRONMENT_VARIABLES:
        monkeypatch.setenv(name, "  ")
    s = settings.load()
    assert (s.idle_timeout, s.room_cap, s.roles_claim, s.ice_servers, s.demo) == (
        dt.timedelta(minutes=15),
        8,
        "roles",
        (),
        False,
    ), "an empty setting would stop the portal from starting"


def test_values_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("VESPER_DEMO", "1")
    monkeypatch.setenv("VESPER_IDLE_TIMEOUT_MINUTES", " 0.5 ")
    monkeypatch.setenv("VESPER_ABSOLUTE_TIMEOUT_HOURS", "2")
    monkeypatch.setenv("VESPER_LOCKOUT_ATTEMPTS", "3.9")
    monkeypatch.setenv("VESPER_LOCKOUT_MINUTES", "30")
    monkeypatch.setenv("VESPER_OIDC_ROLES_CLAIM", " groups ")
    monkeypatch.setenv("VESPER_ROOM_CAP", "2.5")
    monkeypatch.setenv(
        "VESPER_ICE_SERVERS",
        '[{"urls": "turn:turn.example.org:3478", "username": "u", "credential": "c"},'
        ' {"urls": ["stun:a.example.org", "stun:b.example.org"]}]',
    )
    s = settings.load()
    assert s.demo is True
    assert s.idle_timeout == dt.timedelta(seconds=30)
    assert s.absolute_timeout == dt.timedelta(hours=2)
    assert s.lockout_attempts == 3 and s.room_cap == 2, "a fractional count is cut to a whole number"
    assert s.lockout_duration == dt.timedelta(minutes=30)
    assert s.roles_claim == "groups"
    assert s.ice_servers == (
        {"urls": "turn:turn.example.org:3478", "username": "u", "credential": "c"},
        {"urls": ["stun:a.example.org", "stun:b.example.org"]},
    )


@pytest.mark.parametrize("raw", ["true", "yes", " 1", "0", "2"])
def test_only_exactly_1_turns_demo_mode_on(monkeypatch: pytest.MonkeyPatch, raw: str):
    monkeypatch.setenv("VESPER_DEMO", raw)
    assert settings.load().demo is False


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("VESPER_ROOM_CAP", "abc", "VESPER_ROOM_CAP must be a number, got 'abc'"),
        ("VESPER_IDLE_TIMEOUT_MINUTES", " ten ", "VESPER_IDLE_TIMEOUT_MINUTES must be a number, got 'ten'"),
        (
            "VESPER_ABSOLUTE_TIMEOUT_HOURS",
            "0",
            "VESPER_ABSOLUTE_TIMEOUT_HOURS must be greater than zero, got '0'",
        ),
        ("VESPER_LOCKOUT_ATTEMPTS", "-1", "VESPER_LOCKOUT_ATTEMPTS must be greater than zero, got '-1'"),
        ("VESPER_LOCKOUT_MINUTES", "-0.5", "VESPER_LOCKOUT_MINUTES must be greater than zero, got '-0.5'"),
        ("VESPER_ROOM_CAP", "0", "VESPER_ROOM_CAP must be greater than zero, got '0'"),
        (
            "VESPER_ICE_SERVERS",
            "stun:x",
            "VESPER_ICE_SERVERS must be a JSON list of ICE servers, got 'stun:x'",
        ),
        ("VESPER_ICE_SERVERS", '{"urls": "stun:x"}', "VESPER_ICE_SERVERS must be a JSON list of ICE servers"),
        (
            "VESPER_ICE_SERVERS",
            '[{"url": "stun:x"}]',
            'VESPER_ICE_SERVERS: every entry needs "urls" (a string or a list of strings)',
        ),
        (
            "VESPER_ICE_SERVERS",
            '[{"urls": "stun:x", "password": "p"}]',
            "VESPER_ICE_SERVERS: unknown keys ['password']",
        ),
    ],
)
def test_a_mistyped_value_is_refused_in_plain_words(
    monkeypatch: pytest.MonkeyPatch, name: str, raw: str, message: str
):
    monkeypatch.setenv(name, raw)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        settings.load()


def test_every_variable_has_a_description():
    assert all(description.strip() for description in ENVIRONMENT_VARIABLES.values())
    assert {"DATABASE_URL", "VESPER_DEMO", "VESPER_ROOM_CAP", "VESPER_ALERT_SEVERE_ITEM"} <= set(
        ENVIRONMENT_VARIABLES
    )
