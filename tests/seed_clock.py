"""The fixed clock the browser tests' demo data is seeded at (tests/e2e/conftest.py), in its own module so
the database tests that check it (tests/db/test_seed.py) need not import Playwright."""

from __future__ import annotations

from datetime import UTC, datetime


def seed_instant(real_now: datetime) -> datetime:
    """The instant the browser tests' demo data is seeded at: 00:00 UTC on the day of `real_now`.

    Seeded at the real time, the data depended on the hour the suite ran at: a check-in drawn for 15:00
    today exists only after 15:00, and with it which alerts each patient has (a browser test failed from
    about noon on). Seeded at a fixed time of day, every run gets the same data, shifted by whole days.

    Why midnight, and why today's: the app server still runs on the real clock, so the data must stay
    recent to it (meetings still ahead, the latest check-ins from the day before, alerts of the right
    age), and it must never lie in the server's future, so the instant may not come after the real one.
    Today's midnight is the latest such time of day; the server then sees the data between 0 and 24 hours
    after it was seeded, and tests/db/test_seed.py checks that nothing the server works out for itself
    (who is overdue for a check-in) changes within those 24 hours.
    """
    return datetime.combine(real_now.astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)
