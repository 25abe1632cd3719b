"""When the hospital's identity provider sends someone back without signing them in, say so.

st.login() sends the browser to the provider, which sends it back to /oauth2callback. When the provider
refuses, Streamlit's callback only logs the error and returns to the portal's root: to the person, the
button seemed to do nothing. So pressing "Sign in with your hospital account" notes the press against this
browser (note_press), the refusals Streamlit logs are kept (media/patches/streamlit_auth.py, installed at
start-up), and the sign-in page that greets the same browser afterwards takes the refusal that followed its
press (refusal_after_press): the person reads MESSAGE once, and the caller records the provider's own words
on the audit trail for the administrator.
"""

from __future__ import annotations

import threading
import time

from media import patches
from media.patches import streamlit_auth
from media.patches.streamlit_auth import Refusal

# A press older than this is not what a page now loading comes back from.
PRESS_VALID_SECONDS = 600.0
_KEEP = 200

MESSAGE = (
    "Your hospital's sign-in service did not sign you in, so you are still signed out. Please try again. "
    "If it happens again, tell your administrator: they can see the reason in the audit report."
)

_lock = threading.Lock()
_presses: dict[str, float] = {}


def start_listening() -> None:
    """Keep the refusals Streamlit's callback logs, from now on: app.py calls this at start-up, before
    anyone can press the button (installing the hook again is harmless)."""
    patches.install_sign_in_hooks()


def browser_key(cookies: dict[str, str]) -> str | None:
    """This browser, across page loads (a hash of its XSRF token), or None."""
    return streamlit_auth.browser_token_hash(cookies)


def note_press(key: str | None) -> None:
    """This browser is leaving for the provider."""
    if key is None:
        return
    with _lock:
        _presses[key] = time.monotonic()
        while len(_presses) > _KEEP:
            _presses.pop(next(iter(_presses)))


def forget_press(key: str | None) -> None:
    """This browser came back signed in: nothing to explain."""
    if key is None:
        return
    with _lock:
        _presses.pop(key, None)


def refusal_after_press(key: str | None) -> Refusal | None:
    """The refusal logged after this browser's recent press, if any; both are used up, so the person is
    told once."""
    if key is None:
        return None
    with _lock:
        pressed = _presses.get(key)
        if pressed is None or time.monotonic() - pressed > PRESS_VALID_SECONDS:
            return None
        refusal = streamlit_auth.take_refusal_since(pressed)
        if refusal is not None:
            del _presses[key]
        return refusal
