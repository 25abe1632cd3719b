"""The audit trail is append-only in the database itself, and any edit behind the portal's back is found:
edited, inserted, removed, re-chained or truncated, named by event id, with the key kept outside the
database and checkpoints of the head kept outside it too."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from auth import audit, audit_checkpoints, audit_keys
from auth.audit_verify import Finding, verify
from auth.identity import Identity
from clinical.roles import Role
from db.engine import PROJECT_ROOT, transaction
from db.models import AuditEvent
from tests.conftest import TEST_AUDIT_KEY
from tests.factories import NOW


def _three_events(engine) -> None:
    with transaction(engine) as s:
        for n in range(3):
            audit.record(
                s,
                "patient_viewed",
                actor_user_id=1,
                actor_name="nurse",
                patient_id=n + 1,
                target_type="patient",
                target_id=n + 1,
                details={"screen": "record summary"},
                now=NOW,
            )


def test_update_of_an_audit_row_is_refused_by_the_database(engine, owner_engine):
    # As the owner: the portal's own role lacks the privilege (tests/db/test_portal_role.py); the
    # trigger refuses even those who have it.
    _three_events(engine)
    with pytest.raises(DBAPIError, match="append-only"), owner_engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor_name = 'someone else' WHERE id = 2"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT actor_name FROM audit_events WHERE id = 2")).scalar() == "nurse"


def test_delete_of_an_audit_row_is_refused_by_the_database(engine, owner_engine):
    _three_events(engine)
    with pytest.raises(DBAPIError, match="append-only"), owner_engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = 1"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 3, "an audit row vanished"


def test_unregistered_action_is_refused(engine):
    with pytest.raises(audit.UnknownAuditAction), transaction(engine) as s:
        audit.record(s, "made_up_action", actor_user_id=None, actor_name="x")


def _tamper(owner_engine, *statements: str, **params: object) -> None:
    """What someone with the database owner's access could do: lift the guard, edit, put the guard back."""
    with owner_engine.begin() as conn:
        if owner_engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))
            for statement in statements:
                conn.execute(text(statement), params)
            conn.execute(text(_SQLITE_GUARDS[0]))
            conn.execute(text(_SQLITE_GUARDS[1]))
        else:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            for statement in statements:
                conn.execute(text(statement), params)
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))


_SQLITE_GUARDS = (
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END""",
)


def _verify(engine):
    with transaction(engine) as s:
        return verify(s)


def _verify_cli(db_url: str) -> subprocess.CompletedProcess[str]:
    # The key and the checkpoint file, as the portal's server has them; nothing else of the test's.
    kept = ("VESPER_AUDIT_KEY", "VESPER_AUDIT_RETIRED_KEYS", "VESPER_AUDIT_CHECKPOINTS")
    return subprocess.run(
        [sys.executable, "-m", "auth.audit_verify", "verify"],
        cwd=PROJECT_ROOT,
        env={"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}
        | {k: os.environ[k] for k in kept if k in os.environ},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_verify_command_says_intact_for_an_untouched_chain(engine, db_url):
    _three_events(engine)
    result = _verify_cli(db_url)
    assert result.returncode == 0, result.stderr
    assert "intact: 3 events checked" in result.stdout


def test_verify_command_names_the_edited_row(engine, owner_engine, db_url):
    _three_events(engine)
    _tamper(owner_engine, "UPDATE audit_events SET actor_name = 'quietly changed' WHERE id = 2")
    result = _verify_cli(db_url)
    assert result.returncode == 1, "an edited audit row must make verify fail"
    assert "BROKEN at event id 2" in result.stdout, (
        f"verify should name the first broken link: {result.stdout}"
    )
    assert "(edited)" in result.stdout


def test_verify_finds_a_removed_row(engine, owner_engine):
    _three_events(engine)
    _tamper(owner_engine, "DELETE FROM audit_events WHERE id = 2")
    result = _verify(engine)
    assert (result.intact, result.broken_id, result.finding) == (False, 3, Finding.REMOVED), (
        f"an auditor would not learn that an event before event 3 was removed: {result.message()}"
    )


def test_chain_links_each_row_to_the_previous(engine):
    _three_events(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT prev_hash, hash FROM audit_events ORDER BY id")).all()
    assert rows[0].prev_hash == audit.GENESIS_HASH
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash


def test_stored_hashes_match_the_documented_keyed_rule(engine):
    """Each stored hash is HMAC-SHA256(key, previous hash + canonical JSON of the event read back), so an
    auditor holding the key can check the trail independently, including text outside ASCII, absent
    targets and values normalised on the way into JSON."""
    elsewhere = dt.timezone(dt.timedelta(hours=-5))
    events = [
        dict(action="sign_in", actor_user_id=1, actor_name="nurse", details={}, now=NOW),
        dict(
            action="clinical_update",
            actor_user_id=2,
            actor_name="Zoë Ångström",
            patient_id=3,
            target_type="note",
            target_id=None,
            details={"note": "Zoë — café, naïve 日本語 ✓", "quote": 'said "no"\n'},
            now=NOW + dt.timedelta(seconds=1, microseconds=987654),
        ),
        dict(
            action="patient_viewed",
            actor_user_id=None,
            actor_name="system",
            patient_id=3,
            target_type="patient",
            target_id=3,
            details={"due": dt.date(2026, 12, 1), "window_days": 30, "ratio": 0.5, "ok": True},
            now=(NOW + dt.timedelta(minutes=2)).astimezone(elsewhere),
        ),
        dict(action="sign_out", actor_user_id=1, actor_name="nurse", now=NOW + dt.timedelta(minutes=3)),
    ]
    returned = []
    with transaction(engine) as s:
        for e in events:
            returned.append(audit.record(s, e.pop("action"), **e))
    with transaction(engine) as s:
        result = verify(s)
        rows = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        key = audit_keys.parse_key(TEST_AUDIT_KEY)
        stored = [
            (r.id, r.prev_hash, r.hash, audit.keyed_hash(key, r.prev_hash, audit.event_payload(r)))
            for r in rows
        ]
        details = [r.details for r in rows]
    assert result.intact and result.rows_checked == len(events), (
        f"the audit report would call an untouched trail broken: {result.message()}"
    )
    for row_id, prev_hash, stored_hash, recomputed in stored:
        assert stored_hash == recomputed, (
            f"event {row_id}'s stored hash differs from what an independent verifier computes, so an "
            "auditor checking the trail with the documented HMAC rule would reject it"
        )
    assert [r[1] for r in stored] == [audit.GENESIS_HASH] + [r[2] for r in stored[:-1]], (
        "events are not linked to the one before them: the trail could lose a row without anyone noticing"
    )
    assert [(e.id, e.prev_hash, e.hash) for e in returned] == [r[:3] for r in stored], (
        "record() hands back an id or hash the database did not store: a screen citing it would name "
        "the wrong audit event"
    )
    assert details[1]["note"] == "Zoë — café, naïve 日本語 ✓", (
        "non-ASCII text in an audit event was mangled: the report would show garbled names and notes"
    )
    assert details[2]["due"] == "2026-12-01" and details[3] == {}, (
        "audit details are stored differently from what was hashed: verify would call the row edited"
    )


def _views_recorded(engine) -> list[tuple[str, dict]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT actor_name, details FROM audit_events ORDER BY id")).all()
    return [(name, details if isinstance(details, dict) else json.loads(details)) for name, details in rows]


def _view(engine, identity, window: int, now) -> bool:
    with transaction(engine) as s:
        return audit.record_view(
            s,
            identity,
            "patient_viewed",
            patient_id=None,
            target_type="patient",
            target_id=7,
            details={"view": "symptom_trends", "window_days": window},
            now=now,
        )


def test_a_view_is_recorded_once_per_opening_not_once_per_rerun(engine):
    nurse = Identity(1, "nurse", "Test Nurse", Role.NURSE, "password")
    assert _view(engine, nurse, 30, NOW) is True
    rerun = NOW + dt.timedelta(seconds=audit.VIEW_REPEAT_SECONDS - 1)
    assert _view(engine, nurse, 30, rerun) is False, "a rerun of the same screen wrote another row"
    assert len(_views_recorded(engine)) == 1
    assert _view(engine, nurse, 90, rerun) is True, "another window is another view"
    assert _view(engine, dataclasses.replace(nurse, sign_in_id="new"), 30, rerun) is True, (
        "a new sign-in (or another browser) is another view"
    )
    physician = Identity(2, "physician", "Test Physician", Role.PHYSICIAN, "password")
    assert _view(engine, physician, 30, rerun) is True, "another person is another view"
    later = NOW + dt.timedelta(seconds=audit.VIEW_REPEAT_SECONDS)
    assert _view(engine, nurse, 30, later) is True, "a screen left open must show in the trail again"
    assert [name for name, _ in _views_recorded(engine)] == ["nurse", "nurse", "nurse", "physician", "nurse"]


def test_a_view_whose_transaction_rolled_back_is_recorded_next_time(engine):
    nurse = Identity(1, "nurse", "Test Nurse", Role.NURSE, "password")

    class Refused(Exception):
        pass

    with pytest.raises(Refused), transaction(engine) as s:
        audit.record_view(s, nurse, "patient_viewed", target_type="patient", target_id=7, now=NOW)
        raise Refused
    assert _views_recorded(engine) == []
    with transaction(engine) as s:
        assert audit.record_view(s, nurse, "patient_viewed", target_type="patient", target_id=7, now=NOW)
    assert len(_views_recorded(engine)) == 1


# Someone with the owner's access to the database, but not the key, against the chain.


def test_an_insert_that_would_replace_an_old_event_is_refused(engine, owner_engine):
    """SQLite's INSERT OR REPLACE deletes the row it collides with without firing the DELETE trigger;
    PostgreSQL's ON CONFLICT DO UPDATE is an update. Either would rewrite event 2 in place."""
    _three_events(engine)
    columns = "id, occurred_at, actor_user_id, actor_name, action, details, prev_hash, hash"
    values = "2, '2026-01-01 00:00:00', 1, 'quietly changed', 'sign_in', '{}', 'x', 'y'"
    statement = (
        f"INSERT OR REPLACE INTO audit_events ({columns}) VALUES ({values})"
        if engine.dialect.name == "sqlite"
        else f"INSERT INTO audit_events ({columns}) VALUES ({values}) "
        "ON CONFLICT (id) DO UPDATE SET actor_name = excluded.actor_name"
    )
    with pytest.raises(DBAPIError, match="append-only"), owner_engine.begin() as conn:
        conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT actor_name FROM audit_events WHERE id = 2")).scalar() == "nurse", (
            "an old audit event was rewritten in place by an insert"
        )


def test_an_edit_with_the_chain_made_again_without_the_key_is_found(engine, owner_engine):
    """The attack a plain hash chain let through: edit event 2, then recompute every later hash."""
    _three_events(engine)
    guessed = audit_keys.parse_key("tests:" + "g" * 40)  # anything but the real key
    with owner_engine.connect() as conn:
        rows = conn.execute(text("SELECT id FROM audit_events ORDER BY id")).scalars().all()
    _tamper(owner_engine, "UPDATE audit_events SET actor_name = 'quietly changed' WHERE id = 2")
    with transaction(engine) as s:
        events = {e.id: e for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))}
    later = [(row_id, audit.event_payload(events[row_id])) for row_id in rows[1:]]
    _rechain(
        owner_engine, events[1].hash, later, lambda prev, payload: audit.keyed_hash(guessed, prev, payload)
    )
    result = _verify(engine)
    assert (result.intact, result.broken_id, result.finding) == (False, 2, Finding.EDITED), (
        f"a re-chained edit of event 2 would pass as an intact trail: {result.message()}"
    )


def test_removing_the_newest_events_is_found_against_the_last_verify(engine, owner_engine):
    _three_events(engine)
    assert _verify(engine).intact  # and anchors event 3 outside the database
    _tamper(owner_engine, "DELETE FROM audit_events WHERE id = 3")
    result = _verify(engine)
    assert (result.intact, result.broken_id, result.finding) == (False, 3, Finding.TRUNCATED), (
        f"the newest event was deleted and verify still called the trail intact: {result.message()}"
    )
    assert "ends at event 2" in result.message()


def test_removing_the_newest_events_is_found_against_a_scheduled_checkpoint(
    engine, owner_engine, monkeypatch
):
    """No verify ran: the checkpoints written as events were recorded are enough."""
    monkeypatch.setenv(audit_checkpoints.EVERY_VARIABLE, "0")
    for n in range(3):
        with transaction(engine) as s:
            audit.record(s, audit.AuditAction.SIGN_IN, actor_user_id=n, actor_name="nurse", now=NOW)
    _tamper(owner_engine, "DELETE FROM audit_events WHERE id >= 2")
    result = _verify(engine)
    assert (result.intact, result.broken_id, result.finding) == (False, 2, Finding.TRUNCATED), (
        f"two events deleted between verifies went unnoticed: {result.message()}"
    )
    assert "ends at event 1" in result.message(), "the report must say where the trail now ends"


def test_a_chain_of_unkeyed_events_made_again_is_found_against_a_checkpoint(engine, owner_engine):
    """Events from before the chain was keyed carry a plain SHA-256 that anyone can recompute: only the
    checkpoint, kept outside the database, shows they were edited and chained again."""
    payloads = [
        {
            "occurred_at": NOW.isoformat(),
            "actor_user_id": 1,
            "actor_name": "nurse",
            "action": "sign_in",
            "patient_id": None,
            "target_type": None,
            "target_id": None,
            "details": {},
        }
        for _ in range(3)
    ]
    prev = audit.GENESIS_HASH
    for n, payload in enumerate(payloads, start=1):
        new_hash = audit.chain_hash(prev, payload)
        _insert_raw(owner_engine, n, payload, prev, new_hash)
        prev = new_hash
    assert _verify(engine).intact, "events from before the key was introduced must still verify"
    _tamper(owner_engine, "UPDATE audit_events SET actor_name = 'quietly changed' WHERE id = 2")
    edited = [(2, payloads[1] | {"actor_name": "quietly changed"}), (3, payloads[2])]
    _rechain(owner_engine, _hash_of(owner_engine, 1), edited, audit.chain_hash)
    result = _verify(engine)
    assert (result.intact, result.broken_id, result.finding) == (False, 3, Finding.RECHAINED), (
        f"an unkeyed stretch re-chained after a checkpoint passed as intact: {result.message()}"
    )


def test_an_unkeyed_event_after_keyed_ones_is_found_as_inserted(engine, owner_engine):
    _three_events(engine)
    payload = {
        "occurred_at": NOW.isoformat(),
        "actor_user_id": 9,
        "actor_name": "nobody",
        "action": "sign_in",
        "patient_id": None,
        "target_type": None,
        "target_id": None,
        "details": {},
    }
    head = _hash_of(owner_engine, 3)
    _insert_raw(owner_engine, 4, payload, head, audit.chain_hash(head, payload))
    result = _verify(engine)
    assert (result.intact, result.broken_id, result.finding) == (False, 4, Finding.INSERTED), (
        f"an event forged with the old plain hash passed as genuine: {result.message()}"
    )


def test_an_edited_checkpoint_line_is_reported(engine):
    _three_events(engine)
    assert _verify(engine).intact
    path = audit_checkpoints.path()
    lines = path.read_text().splitlines()
    entry = json.loads(lines[-1])
    entry["event_id"] = 2  # moving the anchor back would hide a removal of event 3
    path.write_text("\n".join([*lines[:-1], json.dumps(entry)]) + "\n")
    result = _verify(engine)
    assert (result.intact, result.finding) == (False, Finding.CHECKPOINT_ALTERED), (
        f"an edited checkpoint was trusted: {result.message()}"
    )
    assert f"line {len(lines)}" in result.message()
    path.write_text("\n".join(lines) + "\n")  # the other tests of this run share the file


def test_a_rotated_key_keeps_old_events_verifiable(engine, monkeypatch, tmp_path):
    monkeypatch.setenv(audit_checkpoints.PATH_VARIABLE, str(tmp_path / "checkpoints.jsonl"))
    _three_events(engine)
    monkeypatch.setenv("VESPER_AUDIT_KEY", "2027-01:" + "n" * 40)
    monkeypatch.setenv("VESPER_AUDIT_RETIRED_KEYS", TEST_AUDIT_KEY)
    with transaction(engine) as s:
        event = audit.record(s, audit.AuditAction.SIGN_OUT, actor_user_id=1, actor_name="nurse", now=NOW)
    assert event.key_id == "2027-01", "after rotation new events must be signed with the new key"
    result = _verify(engine)
    assert result.intact and result.rows_checked == 4, f"rotation broke the chain: {result.message()}"
    monkeypatch.delenv("VESPER_AUDIT_RETIRED_KEYS")
    result = _verify(engine)
    assert (result.intact, result.broken_id, result.finding) == (False, 1, Finding.UNKNOWN_KEY), (
        f"a verifier without the old key must say so, not call old events edited: {result.message()}"
    )
    assert "VESPER_AUDIT_RETIRED_KEYS" in result.message()
    monkeypatch.setenv(audit_checkpoints.PATH_VARIABLE, str(tmp_path / "elsewhere.jsonl"))


def test_the_key_never_reaches_the_database(engine, db_url):
    _three_events(engine)
    secret = TEST_AUDIT_KEY.partition(":")[2]
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_events")).all()
    assert all(secret not in str(tuple(row)) for row in rows), "the audit key was stored with the events"
    assert {row.key_id for row in rows} == {"tests"}, "each event must name the key it was signed with"
    if engine.dialect.name == "sqlite":
        engine.dispose()
        database = Path(db_url.split("///", 1)[1])
        for file in database.parent.glob(database.name + "*"):
            assert secret.encode() not in file.read_bytes(), f"the audit key is in {file.name}"


def _rechain(owner_engine, prev: str, events: list[tuple[int, dict]], hasher) -> None:
    """Give each event a new link and hash, as someone re-chaining after an edit would."""
    for event_id, payload in events:
        new_hash = hasher(prev, payload)
        statement = "UPDATE audit_events SET prev_hash = :p, hash = :h WHERE id = :i"
        _tamper(owner_engine, statement, p=prev, h=new_hash, i=event_id)
        prev = new_hash


def _insert_raw(owner_engine, event_id: int, payload: dict, prev_hash: str, event_hash: str) -> None:
    with owner_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_events (id, occurred_at, actor_user_id, actor_name, action, details, "
                "prev_hash, hash) VALUES (:i, :t, :u, :n, :a, :d, :p, :h)"
            ),
            dict(
                i=event_id,
                t=NOW,
                u=payload["actor_user_id"],
                n=payload["actor_name"],
                a=payload["action"],
                d="{}",
                p=prev_hash,
                h=event_hash,
            ),
        )


def _hash_of(owner_engine, event_id: int) -> str:
    with owner_engine.connect() as conn:
        return conn.execute(text("SELECT hash FROM audit_events WHERE id = :i"), {"i": event_id}).scalar_one()


def test_two_writers_at_once_never_fork_the_chain(engine):
    """The second writer waits for the first's lock, then must chain onto the event the first committed,
    not onto the head it would have seen before it waited."""
    first_recorded = threading.Event()

    def first() -> None:
        with transaction(engine) as s:
            audit.record(s, audit.AuditAction.SIGN_IN, actor_user_id=1, actor_name="nurse", now=NOW)
            first_recorded.set()
            time.sleep(0.5)  # holds the chain's lock while the second writer arrives

    def second() -> None:
        first_recorded.wait(10)
        with transaction(engine) as s:
            audit.record(s, audit.AuditAction.SIGN_IN, actor_user_id=2, actor_name="physician", now=NOW)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT actor_name, prev_hash, hash FROM audit_events ORDER BY id")).all()
    assert [r.actor_name for r in rows] == ["nurse", "physician"]
    assert rows[1].prev_hash == rows[0].hash, "two events chained onto the same head: the trail forked"
    assert _verify(engine).intact
