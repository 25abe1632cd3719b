"""One idle clock per hospital sign-in, shared by every tab (issue 14, point 8).

st.login's cookie lasts 30 days, and each new tab is a new Streamlit session whose own idle clock starts
at zero: a tab closed on a shared workstation left the next person at that screen signed in as the last
user for up to the absolute limit. The portal keeps, in the database, when each sign-in (the ID token's
issuer, subject and issue time) was last used. A new tab of a sign-in unused for the idle limit is not let
in: the person goes back through the identity provider, which issues a new token (a new sign-in).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import SignInActivity

# An open tab writes its activity at most this often: the idle limit is minutes, a write per click is not
# needed to keep it.
TOUCH_EVERY = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class SignInKey:
    issuer: str
    subject: str
    issued_at: dt.datetime

    @classmethod
    def from_claims(cls, claims: dict[str, object]) -> SignInKey | None:
        """The key of the ID token behind st.user; None without an issue time (every OIDC ID token has
        one: `iat` is required)."""
        issued = claims.get("iat")
        if not isinstance(issued, int | float):
            return None
        return cls(
            str(claims.get("iss") or ""),
            str(claims.get("sub") or ""),
            dt.datetime.fromtimestamp(issued, dt.UTC),
        )


def last_used(session: Session, key: SignInKey) -> dt.datetime:
    """When this sign-in was last used in any tab; its issue time if never."""
    row = session.get(SignInActivity, (key.issuer, key.subject, key.issued_at))
    return row.last_activity if row is not None else key.issued_at


def may_open(session: Session, key: SignInKey, now: dt.datetime, idle: dt.timedelta) -> bool:
    """Whether a new tab may open a session on this sign-in now (used, or issued, within the idle limit);
    when it may, the opening counts as activity."""
    if now - last_used(session, key) >= idle:
        return False
    touch(session, key, now)
    return True


def touch(session: Session, key: SignInKey, now: dt.datetime) -> None:
    """Record activity on this sign-in: one statement that inserts or moves the time on, so two tabs
    opening at the same moment do not collide on the key."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(SignInActivity).values(
        issuer=key.issuer, subject=key.subject, issued_at=key.issued_at, last_activity=now
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["issuer", "subject", "issued_at"],
            set_={"last_activity": statement.excluded.last_activity},
            where=SignInActivity.last_activity < statement.excluded.last_activity,
        )
    )
