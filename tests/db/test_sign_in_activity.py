"""One idle clock per hospital sign-in, shared by every tab (auth/sign_in_activity.py), on both
databases: a new tab of a sign-in unused for the idle limit is not let in."""

from __future__ import annotations

import datetime as dt

from auth import sign_in_activity
from auth.sign_in_activity import SignInKey
from db.engine import transaction
from tests.factories import NOW

IDLE = dt.timedelta(minutes=15)
KEY = SignInKey("https://idp.example", "physician-7", NOW - dt.timedelta(minutes=10))


def _opens(engine, at: dt.datetime) -> bool:
    with transaction(engine) as s:
        return sign_in_activity.may_open(s, KEY, at, IDLE)


def test_a_tab_opened_within_the_idle_limit_of_any_activity_gets_in(engine):
    assert _opens(engine, NOW), "signed in 10 minutes ago: a new tab should open"
    assert _opens(engine, NOW + dt.timedelta(minutes=14)), "used 14 minutes ago in another tab"
    with transaction(engine) as s:
        sign_in_activity.touch(s, KEY, NOW + dt.timedelta(minutes=20))
    assert _opens(engine, NOW + dt.timedelta(minutes=30)), "a tab in use 10 minutes ago keeps it alive"


def test_a_tab_opened_after_the_sign_in_lay_idle_in_every_tab_is_refused(engine):
    assert _opens(engine, NOW)
    assert not _opens(engine, NOW + dt.timedelta(minutes=15)), "idle 15 minutes everywhere: refused"
    assert not _opens(engine, NOW + dt.timedelta(hours=3)), "a cookie left on a shared workstation"


def test_a_token_never_used_here_counts_from_when_it_was_issued(engine):
    old = SignInKey("https://idp.example", "nurse-3", NOW - dt.timedelta(hours=2))
    with transaction(engine) as s:
        assert not sign_in_activity.may_open(s, old, NOW, IDLE)
