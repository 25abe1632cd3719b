"""The outcome of a request, kept across the rerun that redraws the screen and shown once at its top.

A component saves the outcome with keep() just before st.rerun(), and draws it with show() on the next run:
a success in a green box, a refusal the standard way (components/refusals.py). Either is shown as written,
never as Markdown: an outcome can name a person or a patient, so keep() is given plain text.
"""

from __future__ import annotations

import streamlit as st

from components import refusals
from components.plain_text import md_escape


def _slot(key: str) -> str:
    return f"{key}.notice"


def keep(message: str, *, ok: bool, key: str) -> None:
    """Remember the outcome for the next run of the component drawn under `key`."""
    st.session_state[_slot(key)] = (ok, message)


def show(*, key: str, icons: bool = True) -> None:
    """Show (and forget) the outcome kept under `key`, if any; `icons` False draws plain boxes."""
    notice = st.session_state.pop(_slot(key), None)
    if notice is None:
        return
    ok, message = notice
    if ok:
        st.success(md_escape(message), icon=":material/check_circle:" if icons else None)
    else:
        refusals.show(message, icon=":material/error:" if icons else None)
