"""Portal session time-outs, independent of how the person signed in.

st.login's identity cookie lasts 30 days whatever the identity provider says, so the portal keeps its own
clock: an idle limit since the last interaction and an absolute limit since sign-in.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass


class Expiry(enum.StrEnum):
    IDLE = "idle"
    ABSOLUTE = "absolute"


EXPIRY_MESSAGES = {
    Expiry.IDLE: "You were signed out because the portal was not used for a while. Please sign in again.",
    Expiry.ABSOLUTE: (
        "You were signed out because your session reached its maximum length. Please sign in again."
    ),
}


@dataclass(frozen=True)
class SessionClock:
    signed_in_at: dt.datetime
    last_activity: dt.datetime

    def expiry(self, now: dt.datetime, idle: dt.timedelta, absolute: dt.timedelta) -> Expiry | None:
        if now - self.signed_in_at >= absolute:
            return Expiry.ABSOLUTE
        if now - self.last_activity >= idle:
            return Expiry.IDLE
        return None

    def touched(self, now: dt.datetime) -> SessionClock:
        return SessionClock(self.signed_in_at, now)
