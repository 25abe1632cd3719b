"""The sign-in screen: local account form, hospital sign-in (st.login) when configured, demo accounts."""

from __future__ import annotations

import streamlit as st

import settings as settings_module
from auth.accounts import sign_in_with_password
from auth.audit import AuditAction, record
from auth.throttle import THROTTLE, TOO_MANY
from components.plain_text import md_escape, plain_table
from db.engine import transaction
from portal import clock, provider_refusals
from portal.gate import NOTICE_KEY, oidc_configured, start_session


def _demo_accounts() -> list[tuple[str, str, str]]:
    from demo.seed import DEMO_ACCOUNTS  # imported only in demo mode: production never loads demo secrets

    return [(a.username, a.password, a.role.label) for a in DEMO_ACCOUNTS]


def _browser() -> str | None:
    return provider_refusals.browser_key(dict(st.context.cookies))


def _leave_for_provider() -> None:
    provider_refusals.note_press(_browser())
    st.login()


def _explain_a_refusal() -> None:
    """This browser pressed the hospital button and came back refused: say so plainly, and keep the
    provider's own words on the audit trail, where the administrator reads them."""
    refusal = provider_refusals.refusal_after_press(_browser())
    if refusal is None:
        return
    st.warning(provider_refusals.MESSAGE)
    with transaction() as session:
        record(
            session,
            AuditAction.HOSPITAL_SIGN_IN_FAILED,
            actor_user_id=None,
            actor_name="hospital sign-in",
            details={"provider_error": refusal.error, "provider_description": refusal.description},
            now=clock.now(),
        )


def show() -> None:
    settings = settings_module.load()
    st.title("Vesper")
    st.write("Case conferences for palliative-care teams and the families they care for.")
    notice = st.session_state.get(NOTICE_KEY)
    if notice:
        st.info(md_escape(notice))

    if oidc_configured():
        _explain_a_refusal()
        st.button("Sign in with your hospital account", on_click=_leave_for_provider, type="primary")
        st.caption("Or use a Vesper account:")

    with st.form("sign_in", enter_to_submit=True):
        username = st.text_input("User name", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        if not username.strip() or not password:
            st.error("Enter your user name and password.")
        elif not THROTTLE.admit(st.context.ip_address):
            st.error(md_escape(TOO_MANY))
        else:
            with transaction() as session:
                result = sign_in_with_password(session, username, password, settings, clock.now())
            if result.identity is None:
                st.error(md_escape(result.message))
            else:
                start_session(result.identity)
                st.rerun()

    if settings.demo:
        with st.expander("Demo accounts (demo mode only: synthetic patients, no real data)", expanded=True):
            st.table(
                plain_table(
                    {
                        "User name": [a[0] for a in _demo_accounts()],
                        "Password": [a[1] for a in _demo_accounts()],
                        "Role": [a[2] for a in _demo_accounts()],
                    }
                )
            )


def show_no_access() -> None:
    """For someone the identity provider knows but the portal has no role for."""
    from portal.gate import end_session, finish_sign_out

    st.title("Vesper")
    st.warning("Ask your administrator for access.")
    st.write(
        "You signed in with your hospital account, but Vesper has no role recorded for you, so no "
        "patient information is shown. Your administrator can give you a role in the identity provider."
    )
    if st.button("Sign out"):
        end_session(AuditAction.SIGN_OUT)
        finish_sign_out()
