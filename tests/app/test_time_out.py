"""The portal's own idle and absolute time-outs sign people out, whatever cookie they hold."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from auth.sessions import SessionClock
from db.engine import transaction
from db.models import AuditEvent
from portal import clock
from portal.gate import CLOCK_KEY, IDENTITY_KEY
from tests.app.conftest import by_label, page_text, sign_in


def test_idle_time_out_signs_the_user_out(app, engine):
    at = sign_in(app(), "physician")
    assert "Ada Quillfeather" in page_text(at)
    now = clock.now()
    at.session_state[CLOCK_KEY] = SessionClock(now - dt.timedelta(minutes=20), now - dt.timedelta(minutes=16))
    at.run()
    assert IDENTITY_KEY not in at.session_state, "the idle session is still signed in"
    assert by_label(at.text_input, "User name"), "after the idle time-out the sign-in form should show"
    text = page_text(at)
    assert "not used for a while" in text, "the person should be told why they were signed out"
    assert "Ada Quillfeather" not in text, "patient data stayed on screen after the idle time-out"
    with transaction(engine) as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (last.action, last.details) == ("timeout", {"reason": "idle"})


def test_activity_just_inside_the_idle_limit_keeps_the_session(app):
    at = sign_in(app(), "physician")
    now = clock.now()
    at.session_state[CLOCK_KEY] = SessionClock(now - dt.timedelta(minutes=20), now - dt.timedelta(minutes=14))
    at.run()
    assert "Home" in [t.value for t in at.title], "14 minutes idle must not sign anyone out"


def test_absolute_time_out_signs_out_an_active_user(app):
    at = sign_in(app(), "nurse")
    now = clock.now()
    at.session_state[CLOCK_KEY] = SessionClock(now - dt.timedelta(hours=12, minutes=1), now)
    at.run()
    assert IDENTITY_KEY not in at.session_state
    assert "maximum length" in page_text(at)


def test_idle_limit_is_configurable(app, monkeypatch):
    monkeypatch.setenv("VESPER_IDLE_TIMEOUT_MINUTES", "1")
    at = sign_in(app(), "nurse")
    now = clock.now()
    at.session_state[CLOCK_KEY] = SessionClock(now - dt.timedelta(minutes=2), now - dt.timedelta(seconds=61))
    at.run()
    assert IDENTITY_KEY not in at.session_state, "VESPER_IDLE_TIMEOUT_MINUTES=1 was not honoured"
