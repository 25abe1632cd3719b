"""Administrator forms: the account list, a new local account, and a role or status change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from clinical.roles import Role
from components.plain_text import md_escape
from db.models import User


@dataclass(frozen=True)
class NewAccount:
    username: str
    display_name: str
    role: Role
    password: str


@dataclass(frozen=True)
class AccountChange:
    user_id: int
    role: Role
    active: bool


def show_users(users: Sequence[User]) -> None:
    st.dataframe(
        pd.DataFrame(
            {
                "User name": [u.username for u in users],
                "Name": [u.display_name for u in users],
                "Role": [u.role.label if u.role else "No role" for u in users],
                "Sign-in": ["Hospital (OIDC)" if u.oidc_subject else "Vesper password" for u in users],
                "Active": ["Yes" if u.active else "No" for u in users],
                "Locked until": [
                    u.locked_until.strftime("%d %b %H:%M UTC") if u.locked_until else "" for u in users
                ],
            }
        ),
        hide_index=True,
        width="stretch",
    )


def new_account_form(*, key: str) -> NewAccount | None:
    with st.form(f"{key}.new", clear_on_submit=False):
        st.subheader("New Vesper account")
        username = st.text_input("New user name")
        display_name = st.text_input("Name shown to colleagues")
        role = st.selectbox("Role", list(Role), format_func=lambda r: r.label, key=f"{key}.new_role")
        password = st.text_input("First password (at least 12 characters)", type="password")
        if st.form_submit_button("Create account"):
            return NewAccount(username, display_name, role, password)
    return None


def change_form(users: Sequence[User], *, key: str) -> AccountChange | None:
    """Choose an account, then change its role or status. The form starts from the account as it is, so
    a change of status changes nothing else (it once started at Physician and active, and deactivating the
    family account made it a physician). A change of role is asked again, in words, before it is made."""
    st.subheader("Change an account")
    by_id = {u.id: u for u in users}
    labels = {u.id: f"{u.display_name} ({u.username})" for u in users}
    user_id = st.selectbox(
        "Account",
        list(labels),
        format_func=labels.__getitem__,
        index=None,
        placeholder="Choose an account",
        key=f"{key}.who",
    )
    account = by_id.get(user_id) if user_id is not None else None
    if account is None:
        return None
    role_key, active_key, filled_key = f"{key}.role", f"{key}.active", f"{key}.filled_for"
    # Filled from the account when it is chosen (and again after a change saved), before the widgets.
    if st.session_state.get(filled_key) != (account.id, account.role, account.active):
        st.session_state[role_key] = account.role
        st.session_state[active_key] = account.active
        st.session_state[filled_key] = (account.id, account.role, account.active)
    with st.form(f"{key}.change"):
        role = st.selectbox("Role of this account", list(Role), format_func=lambda r: r.label, key=role_key)
        active = st.checkbox("Account is active", key=active_key)
        submitted = st.form_submit_button("Save change")
    pending_key = f"{key}.pending"
    if submitted:
        st.session_state.pop(pending_key, None)
        if role is account.role and active == account.active:
            st.info("Nothing to change: the account already has this role and status.")
            return None
        change = AccountChange(account.id, role, active)
        if role is account.role:
            return change
        st.session_state[pending_key] = change
    pending: AccountChange | None = st.session_state.get(pending_key)
    if pending is None or pending.user_id != account.id:
        return None
    old_role = account.role.label if account.role else "no role"
    st.warning(
        f"Change the role of {md_escape(account.display_name)} from {old_role} to {pending.role.label}? "
        "What they may open changes at once, including the patients they can see."
    )
    confirm, cancel = st.columns(2)
    if confirm.button("Yes, change the role", type="primary", key=f"{key}.confirm_role"):
        st.session_state.pop(pending_key, None)
        return pending
    if cancel.button("Cancel", key=f"{key}.cancel_role"):
        st.session_state.pop(pending_key, None)
        st.session_state.pop(filled_key, None)  # back to the account as it is
        st.rerun()
    return None
