"""Hook into Streamlit's sign-in callback: keep each refusal it logs, and know a browser across page loads.

When a hospital's identity provider sends the browser back to /oauth2callback with an error (the person
pressed Deny; the provider refused Streamlit's prompt=select_account), Streamlit's callback logs the error
and redirects to the app's root, and tells the app nothing. Streamlit offers no hook, so this keeps what
that callback logs (a logging.Handler on its module's logger) for portal/provider_refusals.py, which tells
the person and the audit trail. It also reads the token out of Streamlit's XSRF cookie with Streamlit's
own decoder, the one thing in a browser's requests that outlives the trip to the provider and back.

Guard: the Streamlit version, the log messages' text in the callback's source, the logger's name, and the
decoder's signature. Retired when st.login reports a provider's refusal to the app.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass

from media.patches.pins import params, require_pinned

PINNED_STREAMLIT = "1.67.0"
HOOK = "streamlit-auth-refusals"
AUTH_ROUTES_MODULE = "streamlit.web.server.starlette.starlette_auth_routes"
XSRF_COOKIE = "_streamlit_xsrf"
# What the callback logs for each way it can send a browser back unsigned.
_PROVIDER_ERROR = "Error during authentication: %s. Error description: %s"
_TOKEN_EXCHANGE = "OAuth token exchange failed for provider"
_STALE_CALLBACK = "Missing provider for OAuth callback"
_KEEP = 200


@dataclass(frozen=True)
class Refusal:
    """One callback that came back without a signed-in person, as Streamlit logged it."""

    at: float  # time.monotonic()
    error: str
    description: str


_lock = threading.Lock()
_refusals: deque[Refusal] = deque(maxlen=_KEEP)
_handler: logging.Handler | None = None


def check_versions() -> None:
    """Raise RuntimeError unless Streamlit is the pinned version and its callback logs as expected."""
    recheck = (
        f"Re-check {AUTH_ROUTES_MODULE}._auth_callback's log messages and logger, and "
        "starlette_app_utils.decode_xsrf_token_string, then update PINNED_STREAMLIT."
    )
    require_pinned("streamlit", PINNED_STREAMLIT, HOOK, recheck)
    from streamlit.web.server.starlette import starlette_app_utils, starlette_auth_routes

    source = inspect.getsource(starlette_auth_routes)
    wanted = [
        f'"{_PROVIDER_ERROR}"',
        _TOKEN_EXCHANGE,
        _STALE_CALLBACK,
        "_LOGGER: Final = get_logger(__name__)",
    ]
    missing = [fragment for fragment in wanted if fragment not in source]
    if missing or params(starlette_app_utils.decode_xsrf_token_string) != ["cookie_value"]:
        raise RuntimeError(f"{HOOK}: Streamlit's sign-in callback changed ({missing}). {recheck}")


class _KeepRefusals(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        refusal = _refusal_from(record)
        if refusal is not None:
            with _lock:
                _refusals.append(refusal)


def _refusal_from(record: logging.LogRecord) -> Refusal | None:
    text = str(record.msg)
    args = record.args if isinstance(record.args, tuple) else ()
    if text == _PROVIDER_ERROR and len(args) == 2:
        return Refusal(time.monotonic(), _one_line(args[0], 80), _one_line(args[1] or "", 300))
    if text.startswith(_TOKEN_EXCHANGE):
        return Refusal(
            time.monotonic(), "token_exchange_failed", "the provider's token could not be redeemed"
        )
    if text.startswith(_STALE_CALLBACK):
        return Refusal(time.monotonic(), "stale_callback", "a callback that matched no sign-in in progress")
    return None


def _one_line(value: object, limit: int) -> str:
    return " ".join(str(value).split())[:limit]


def install() -> None:
    """Keep the refusals the callback logs, from now on. Idempotent."""
    global _handler
    with _lock:
        if _handler is not None:
            return
        check_versions()
        _handler = _KeepRefusals(level=logging.WARNING)
        logging.getLogger(AUTH_ROUTES_MODULE).addHandler(_handler)


def installed() -> bool:
    return _handler is not None and _handler in logging.getLogger(AUTH_ROUTES_MODULE).handlers


def take_refusal_since(moment: float) -> Refusal | None:
    """The first refusal logged at or after `moment` (time.monotonic()), taken so it is told once."""
    with _lock:
        for refusal in _refusals:
            if refusal.at >= moment:
                _refusals.remove(refusal)
                return refusal
    return None


def browser_token_hash(cookies: dict[str, str]) -> str | None:
    """A hash of the token in this browser's XSRF cookie (its mask changes with each page load, the token
    does not), or None without one."""
    from streamlit.web.server.starlette.starlette_app_utils import decode_xsrf_token_string

    token, _ = decode_xsrf_token_string(cookies.get(XSRF_COOKIE, ""))
    return None if token is None else hashlib.sha256(token).hexdigest()


__all__ = ["Refusal", "browser_token_hash", "check_versions", "install", "installed", "take_refusal_since"]
