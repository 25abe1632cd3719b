"""The audit key: read from the environment, refused in plain words when malformed, never left to chance
on PostgreSQL, and made once (readable by the portal's user only) for the embedded database."""

from __future__ import annotations

import stat

import pytest

from auth import audit_keys
from auth.audit_keys import AuditKeyProblem


def test_a_key_names_its_id_and_keeps_its_secret_out_of_its_repr():
    key = audit_keys.parse_key("2026-12:" + "s" * 32)
    assert key.key_id == "2026-12"
    assert "s" * 32 not in repr(key), "the audit key would show in a log line or a traceback"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("no-colon-here" + "s" * 32, "must read <key id>:<secret>"),
        ("bad id!:" + "s" * 32, "must read <key id>:<secret>"),
        ("2026-12:short", "at least 32 characters"),
    ],
)
def test_a_malformed_key_is_refused_in_plain_words(text, words):
    with pytest.raises(AuditKeyProblem, match=words):
        audit_keys.parse_key(text)


def test_the_same_key_id_twice_is_refused():
    with pytest.raises(AuditKeyProblem, match="given twice"):
        audit_keys.keys_from("a:" + "1" * 32, ["a:" + "2" * 32], source="VESPER_AUDIT_KEY")


def test_retired_keys_are_accepted_for_verifying_only(monkeypatch):
    monkeypatch.setenv("VESPER_AUDIT_KEY", "new:" + "n" * 32)
    monkeypatch.setenv("VESPER_AUDIT_RETIRED_KEYS", "old:" + "o" * 32 + ", older:" + "p" * 32)
    keys = audit_keys.load()
    assert keys.current.key_id == "new", "new events must be signed with the current key, not a retired one"
    assert set(keys.by_id) == {"new", "old", "older"}, "verify could not check events under retired keys"


def test_postgresql_without_a_key_is_refused(monkeypatch, tmp_path):
    monkeypatch.delenv("VESPER_AUDIT_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://vesper@127.0.0.1/vesper")
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
    monkeypatch.setattr(audit_keys, "LOCAL_KEY_PATH", tmp_path / "audit.key")
    with pytest.raises(AuditKeyProblem, match="set VESPER_AUDIT_KEY"):
        audit_keys.load()
    assert not (tmp_path / "audit.key").exists(), "a production database must never fall back to a local key"


def test_the_embedded_database_gets_a_key_of_its_own_once(monkeypatch, tmp_path):
    monkeypatch.delenv("VESPER_AUDIT_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(audit_keys, "LOCAL_KEY_PATH", tmp_path / "var" / "audit.key")
    audit_keys._load.cache_clear()
    first = audit_keys.load().current
    audit_keys._load.cache_clear()
    again = audit_keys.load().current
    assert first == again, "a new key on each start would make every earlier event fail verification"
    mode = stat.S_IMODE((tmp_path / "var" / "audit.key").stat().st_mode)
    assert mode == 0o600, f"the local audit key is readable by other users of the machine ({oct(mode)})"
    assert list((tmp_path / "var").iterdir()) == [tmp_path / "var" / "audit.key"], (
        "a draft key was left behind"
    )
    audit_keys._load.cache_clear()
