"""A refusal from the hospital's identity provider reaches the person who pressed the button, once, and
nobody else; and what it relies on in Streamlit's sign-in callback is still there."""

from __future__ import annotations

import logging
from collections import deque

import pytest
from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

from media.patches import streamlit_auth
from portal import provider_refusals


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    monkeypatch.setattr(streamlit_auth, "_refusals", deque(maxlen=200))
    monkeypatch.setattr(provider_refusals, "_presses", {})
    streamlit_auth.install()


def _browser(token: bytes) -> str | None:
    return provider_refusals.browser_key({"_streamlit_xsrf": generate_xsrf_token_string(token, 1)})


def _callback_refused(error: str, description: str | None) -> None:
    # What Streamlit's /oauth2callback logs for a provider's error, word for word.
    logging.getLogger(streamlit_auth.AUTH_ROUTES_MODULE).error(
        "Error during authentication: %s. Error description: %s", error, description
    )


def test_streamlit_still_logs_what_the_message_relies_on():
    streamlit_auth.check_versions()  # raises, naming what changed, after a Streamlit upgrade
    assert streamlit_auth.installed(), "a refused hospital sign-in would again look like a dead button"


def test_the_browser_that_pressed_is_told_once():
    browser = _browser(b"a" * 16)
    provider_refusals.note_press(browser)
    _callback_refused("invalid_request", "prompt\nselect_account is not supported")
    refusal = provider_refusals.refusal_after_press(browser)
    assert refusal is not None, "the person who was refused would see nothing"
    assert (refusal.error, refusal.description) == (
        "invalid_request",
        "prompt select_account is not supported",
    )
    assert provider_refusals.refusal_after_press(browser) is None, "the message would repeat on every rerun"


def test_the_same_browser_is_known_across_page_loads():
    """The XSRF cookie's mask changes each time the page loads; its token does not."""
    first = generate_xsrf_token_string(b"b" * 16, 1)
    again = generate_xsrf_token_string(b"b" * 16, 1)
    assert first != again
    assert provider_refusals.browser_key({"_streamlit_xsrf": first}) == provider_refusals.browser_key(
        {"_streamlit_xsrf": again}
    ), "coming back from the provider, the browser would not be recognised"
    assert provider_refusals.browser_key({}) is None


def test_another_browser_and_an_older_refusal_say_nothing():
    pressed, other = _browser(b"c" * 16), _browser(b"d" * 16)
    _callback_refused("access_denied", None)  # before anyone pressed
    provider_refusals.note_press(pressed)
    assert provider_refusals.refusal_after_press(pressed) is None, "someone else's earlier refusal was shown"
    _callback_refused("access_denied", None)
    assert provider_refusals.refusal_after_press(other) is None, "a browser that never pressed was told"
    assert provider_refusals.refusal_after_press(None) is None


def test_coming_back_signed_in_forgets_the_press():
    browser = _browser(b"e" * 16)
    provider_refusals.note_press(browser)
    provider_refusals.forget_press(browser)
    _callback_refused("access_denied", None)
    assert provider_refusals.refusal_after_press(browser) is None, (
        "a signed-in person was told they were refused"
    )
