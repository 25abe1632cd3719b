"""Administrator forms: the account list, a new local account, and a role or status change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from clinical.roles import Role
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
    with st.form(f"{key}.change"):
        st.subheader("Change an account")
        labels = {u.id: f"{u.display_name} ({u.username})" for u in users}
        user_id = st.selectbox("Account", list(labels), format_func=labels.__getitem__, key=f"{key}.who")
        role = st.selectbox("New role", list(Role), format_func=lambda r: r.label, key=f"{key}.role")
        active = st.checkbox("Account is active", value=True, key=f"{key}.active")
        if st.form_submit_button("Save change") and user_id is not None:
            return AccountChange(user_id, role, active)
    return None
