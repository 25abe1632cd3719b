"""A form's save counts once, however many times its button was pressed.

A double click on Save sends two runs, each with the button pressed: both saved a row. Here a form's
widget keys carry a round number that moves on after each save, so the second press names a button the
redrawn page no longer has, and Streamlit ignores it. (A record with versions refuses the second save as
stale anyway; this is for what has no version: a new plan item, an addendum.)
"""

from __future__ import annotations

import streamlit as st


def _counter(key: str) -> str:
    return f"{key}.round"


def round_suffix(key: str) -> str:
    """The suffix for this form's widget keys in its current round ("" for the first, so a fresh form's
    keys are the plain ones)."""
    n: int = st.session_state.get(_counter(key), 0)
    return "" if n == 0 else f".{n}"


def saved(key: str) -> None:
    """The form's save went through: its next drawing is a new round, with new keys."""
    st.session_state[_counter(key)] = st.session_state.get(_counter(key), 0) + 1
