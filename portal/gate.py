"""The one shared access check. Every page file calls `require_page(...)` before it shows anything.

Streamlit can serve a file in pages/ on a fresh server's first request before app.py has run, so the
check cannot live in app.py alone. It resolves who is signed in (local password in this browser session,
or the st.login cookie), enforces the portal's own idle and absolute time-outs, and refuses any page the
role may not open.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NoReturn

import streamlit as st

import settings as settings_module
from auth import sign_in_activity
from auth.accounts import identity_from_oidc
from auth.audit import AuditAction, record, record_by
from auth.identity import Identity
from auth.permissions import PageId, access_changed, may_open
from auth.sessions import EXPIRY_MESSAGES, Expiry, SessionClock
from auth.sign_in_activity import SignInKey
from db.engine import reading, transaction
from portal import call, clock, provider_refusals

IDENTITY_KEY = "vesper.identity"
CLOCK_KEY = "vesper.clock"
NOTICE_KEY = "vesper.notice"
OIDC_REFUSED_KEY = "vesper.oidc_refused"
LOGOUT_QUEUED_KEY = "vesper.logout_queued"
SIGN_IN_KEY = "vesper.sign_in_key"  # the hospital sign-in behind this session, and when it was last shared
ACCESS_CHANGED_MESSAGE = (
    "You were signed out because an administrator changed your account. Please sign in again; if you "
    "cannot, ask your administrator."
)


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all means no OIDC
        return False


def _oidc_logged_in() -> bool:
    return oidc_configured() and bool(st.user.get("is_logged_in"))


def start_session(identity: Identity, signed_in_at: dt.datetime | None = None) -> None:
    current = clock.now()
    st.session_state[IDENTITY_KEY] = identity
    st.session_state[CLOCK_KEY] = SessionClock(signed_in_at or current, current)
    st.session_state.pop(NOTICE_KEY, None)


def end_session(action: AuditAction, details: dict[str, Any] | None = None) -> None:
    """Sign out: leave the meeting, audit, forget everything this session held, and drop the st.login
    cookie when there is one. After that, call finish_sign_out(), never st.rerun() alone: see there."""
    identity: Identity | None = st.session_state.get(IDENTITY_KEY)
    call.hang_up(identity)
    if identity is not None:
        with transaction() as session:
            record_by(session, identity, action, details=details or {}, now=clock.now())
    # Everything: the next person at this screen inherits no seat, draft, picker or cached record.
    st.session_state.clear()
    if _oidc_logged_in():
        st.logout()
        st.session_state[LOGOUT_QUEUED_KEY] = True


def finish_sign_out() -> NoReturn:
    """End this run after end_session(). With hospital sign-in, st.logout() has queued the browser's
    redirect to Streamlit's logout route, which drops the 30-day sign-in cookie; an st.rerun() now would
    start a new run that discards the queued redirect (4 times in 6 in a minimal app), and a reload would
    sign the person straight back in. So the run simply stops and the browser follows the redirect. With a
    Vesper password there is no redirect, and the page is drawn again, signed out."""
    if st.session_state.get(LOGOUT_QUEUED_KEY):
        st.stop()
    st.rerun(scope="app")


def logout_queued() -> bool:
    """Whether this run queued the hospital sign-out redirect (a fragment must then not rerun the app)."""
    return bool(st.session_state.get(LOGOUT_QUEUED_KEY))


def _oidc_signed_in_at(claims: dict[str, Any]) -> dt.datetime | None:
    # The absolute limit counts from when the person authenticated at the IdP, not from when this browser
    # tab opened: st.login's cookie would otherwise let a session live for 30 days.
    for claim in ("auth_time", "iat"):
        value = claims.get(claim)
        if isinstance(value, int | float):
            return dt.datetime.fromtimestamp(value, dt.UTC)
    return None


def _resolve_oidc() -> None:
    if st.session_state.get(IDENTITY_KEY) is not None or st.session_state.get(OIDC_REFUSED_KEY):
        return
    if not _oidc_logged_in():
        return
    # Back from the provider signed in: the press that sent this browser there needs no explaining.
    provider_refusals.forget_press(provider_refusals.browser_key(dict(st.context.cookies)))
    claims = st.user.to_dict()
    settings = settings_module.load()
    key = SignInKey.from_claims(claims)
    now = clock.now()
    with transaction() as session:
        # A new tab of a sign-in nobody has used, in any tab, for the idle limit (a tab closed on a shared
        # workstation, a cookie left behind): back through the identity provider, for a new sign-in.
        if key is None or not sign_in_activity.may_open(session, key, now, settings.idle_timeout):
            record(
                session,
                AuditAction.TIMEOUT,
                actor_user_id=None,
                actor_name=f"oidc:{claims.get('sub')}"[:200],
                details={"reason": "idle in every tab"},
                now=now,
            )
            stale = True
        else:
            stale = False
            identity = identity_from_oidc(session, claims, settings, now)
    if stale:
        st.logout()
        st.session_state[LOGOUT_QUEUED_KEY] = True
        st.session_state[NOTICE_KEY] = EXPIRY_MESSAGES[Expiry.IDLE]
        return
    if identity is None:
        st.session_state[OIDC_REFUSED_KEY] = True
        return
    start_session(identity, signed_in_at=_oidc_signed_in_at(claims))
    st.session_state[SIGN_IN_KEY] = (key, now)


def current_identity(*, touch: bool = True) -> Identity | None:
    """Who is signed in, after time-outs. `touch=False` checks without counting as activity."""
    _resolve_oidc()
    identity: Identity | None = st.session_state.get(IDENTITY_KEY)
    session_clock: SessionClock | None = st.session_state.get(CLOCK_KEY)
    if identity is None or session_clock is None:
        return None
    settings = settings_module.load()
    current = clock.now()
    expired = session_clock.expiry(current, settings.idle_timeout, settings.absolute_timeout)
    if expired is not None:
        end_session(AuditAction.TIMEOUT, {"reason": expired.value})
        st.session_state[NOTICE_KEY] = EXPIRY_MESSAGES[expired]
        return None
    with reading() as session:
        changed = access_changed(session, identity)
    if changed:
        # Deactivated, or given another role, since this sign-in began: the person is signed out at once,
        # leaves any meeting, and keeps nothing this session held.
        end_session(AuditAction.ACCESS_REVOKED, {"reason": "account changed"})
        st.session_state[NOTICE_KEY] = ACCESS_CHANGED_MESSAGE
        return None
    if touch:
        st.session_state[CLOCK_KEY] = session_clock.touched(current)
        _share_activity(current)
    return identity


def _share_activity(now: dt.datetime) -> None:
    """Tell the other tabs of this hospital sign-in that it is in use (at most every TOUCH_EVERY)."""
    held: tuple[SignInKey, dt.datetime] | None = st.session_state.get(SIGN_IN_KEY)
    if held is None or now - held[1] < sign_in_activity.TOUCH_EVERY:
        return
    with transaction() as session:
        sign_in_activity.touch(session, held[0], now)
    st.session_state[SIGN_IN_KEY] = (held[0], now)


def oidc_refused() -> bool:
    return bool(st.session_state.get(OIDC_REFUSED_KEY)) and _oidc_logged_in()


def require_page(page: PageId) -> Identity:
    """Return the signed-in identity allowed on this page, or show a refusal and stop the script."""
    identity = current_identity()
    if identity is None:
        st.title("Vesper")
        if oidc_refused():
            st.warning("Ask your administrator for access.")
        else:
            notice: str = st.session_state.get(NOTICE_KEY) or "Please sign in to see this page."
            st.info(notice)
        st.stop()
    if not may_open(identity.role, page):
        st.title("Not available")
        st.error("Your role does not give access to this page.")
        st.stop()
    return identity
