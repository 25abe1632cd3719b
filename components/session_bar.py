"""Sidebar strip on every signed-in page: who is signed in, sign-out, and the idle-time-out watch."""

from __future__ import annotations

import datetime as dt

import streamlit as st

import settings as settings_module
from auth.audit import AuditAction
from auth.identity import Identity
from components.plain_text import md_escape
from portal.gate import current_identity, end_session, finish_sign_out, logout_queued


def show(identity: Identity) -> None:
    with st.sidebar:
        st.write(f"Signed in as **{md_escape(identity.display_name)}**")
        st.caption(identity.role.label)
        if st.button("Sign out", key="vesper.sign_out"):
            end_session(AuditAction.SIGN_OUT)
            finish_sign_out()
    _watch_idle()


def _watch_interval() -> dt.timedelta:
    idle = settings_module.load().idle_timeout
    return max(dt.timedelta(seconds=2), min(idle / 4, dt.timedelta(seconds=30)))


def _watch_idle() -> None:
    # Streamlit only runs code when someone interacts. This fragment wakes on a timer without counting as
    # activity, so a screen left open clears itself once the idle limit passes.
    @st.fragment(run_every=_watch_interval())
    def watch() -> None:
        if current_identity(touch=False) is None and not logout_queued():
            # Signed out by the idle limit: draw the sign-in page. (With hospital sign-in the browser is
            # already on its way to the logout route, and a rerun here would cancel that.)
            st.rerun(scope="app")

    watch()
