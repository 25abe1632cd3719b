"""Admin: users and roles."""

import streamlit as st

from auth.admin import create_local_user, update_user
from auth.permissions import PageId
from auth.refusal import Refusal
from components import refusals, user_admin
from db.engine import transaction
from db.queries import all_users
from portal import clock
from portal.gate import require_page

identity = require_page(PageId.ADMIN_USERS)

st.title("Users and roles")

with transaction() as session:
    users = all_users(session)

left, right = st.columns(2)
with left:
    new = user_admin.new_account_form(key="admin_users")
with right:
    change = user_admin.change_form(users, key="admin_users")

try:
    if new is not None:
        with transaction() as session:
            create_local_user(
                session,
                identity,
                username=new.username,
                display_name=new.display_name,
                role=new.role,
                password=new.password,
                now=clock.now(),
            )
        st.success(f"Account {new.username.strip().lower()} created.")
    if change is not None:
        with transaction() as session:
            update_user(
                session, identity, change.user_id, role=change.role, active=change.active, now=clock.now()
            )
        st.success("Change saved.")
except Refusal as refusal:
    refusals.show(refusal)

st.subheader("All accounts")
with transaction() as session:
    user_admin.show_users(all_users(session))
