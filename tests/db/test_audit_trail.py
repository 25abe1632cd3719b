"""The audit trail is append-only in the database itself, and any edit behind the portal's back is found."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from auth import audit
from auth.identity import Identity
from clinical.roles import Role
from db.engine import PROJECT_ROOT, transaction
from db.models import AuditEvent
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


def test_update_of_an_audit_row_is_refused_by_the_database(engine):
    _three_events(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor_name = 'someone else' WHERE id = 2"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT actor_name FROM audit_events WHERE id = 2")).scalar() == "nurse"


def test_delete_of_an_audit_row_is_refused_by_the_database(engine):
    _three_events(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = 1"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 3, "an audit row vanished"


def test_unregistered_action_is_refused(engine):
    with pytest.raises(audit.UnknownAuditAction), transaction(engine) as s:
        audit.record(s, "made_up_action", actor_user_id=None, actor_name="x")


def _tamper(engine, statement: str) -> None:
    """What someone with direct database access could do: lift the guard, edit, put the guard back."""
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))
            conn.execute(text(statement))
        else:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            conn.execute(text(statement))
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))


def _verify_cli(db_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auth.audit", "verify"],
        cwd=PROJECT_ROOT,
        env={"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"},
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


def test_verify_command_names_the_edited_row(engine, db_url):
    _three_events(engine)
    _tamper(engine, "UPDATE audit_events SET actor_name = 'quietly changed' WHERE id = 2")
    result = _verify_cli(db_url)
    assert result.returncode == 1, "an edited audit row must make verify fail"
    assert "BROKEN at event id 2" in result.stdout, (
        f"verify should name the first broken link: {result.stdout}"
    )
    assert "edited" in result.stdout


def test_verify_finds_a_removed_row(engine):
    _three_events(engine)
    _tamper(engine, "DELETE FROM audit_events WHERE id = 2")
    with transaction(engine) as s:
        result = audit.verify(s)
    assert not result.intact and result.broken_id == 3, "removing a row must break the link of the next one"


def test_chain_links_each_row_to_the_previous(engine):
    _three_events(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT prev_hash, hash FROM audit_events ORDER BY id")).all()
    assert rows[0].prev_hash == audit.GENESIS_HASH
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash


def test_hashes_computed_by_the_database_match_the_verifiers_definition(engine):
    """record() hashes inside the INSERT; verify() recomputes in Python. They must agree byte for byte,
    including for text outside ASCII, absent targets and values normalised on the way into JSON."""
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
        result = audit.verify(s)
        rows = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        stored = [
            (r.id, r.prev_hash, r.hash, audit.chain_hash(r.prev_hash, audit.event_payload(r))) for r in rows
        ]
        details = [r.details for r in rows]
    assert result.intact and result.rows_checked == len(events), (
        f"the audit report would call an untouched trail broken: {result.message()}"
    )
    for row_id, prev_hash, stored_hash, recomputed in stored:
        assert stored_hash == recomputed, (
            f"event {row_id}'s stored hash differs from what an independent verifier computes, so an "
            "auditor checking the trail with the documented SHA-256 rule would reject it"
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
