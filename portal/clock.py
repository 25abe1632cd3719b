"""The one place the UI asks for the current time, so tests can see the same instant everywhere."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
