import datetime as dt

from auth.sessions import Expiry, SessionClock

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
IDLE = dt.timedelta(minutes=15)
ABSOLUTE = dt.timedelta(hours=12)


def test_active_session_stays_open():
    clock = SessionClock(T0, T0 + dt.timedelta(hours=3))
    assert clock.expiry(T0 + dt.timedelta(hours=3, minutes=14), IDLE, ABSOLUTE) is None


def test_idle_for_fifteen_minutes_expires():
    clock = SessionClock(T0, T0)
    assert clock.expiry(T0 + dt.timedelta(minutes=15), IDLE, ABSOLUTE) is Expiry.IDLE


def test_absolute_limit_applies_even_when_active():
    clock = SessionClock(T0, T0 + dt.timedelta(hours=11, minutes=59))
    assert clock.expiry(T0 + dt.timedelta(hours=12), IDLE, ABSOLUTE) is Expiry.ABSOLUTE


def test_touch_moves_only_last_activity():
    later = T0 + dt.timedelta(minutes=5)
    assert SessionClock(T0, T0).touched(later) == SessionClock(T0, later)
