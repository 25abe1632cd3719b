"""Hospital sign-in through a real OpenID Connect provider (oidc-provider-mock) with st.login.

The portal role comes from the ID token's `roles` claim: a physician lands on Home; someone the identity
provider knows but who has no portal role is told to ask for access and sees no patient data.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    AppServer,
    AppServerFactory,
    OidcProvider,
    SeededPatient,
    auth_secrets_toml,
    find_patient_data,
    wait_for_app,
)

pytestmark = pytest.mark.e2e

HOSPITAL_BUTTON = "Sign in with your hospital account"
SIGN_OUT_MS = 45_000  # the idle limit (15 s) plus the watch's interval, on a loaded machine


def sign_in_with_hospital_account(page: Page, server: AppServer, provider: OidcProvider, sub: str) -> None:
    page.goto(server.url)
    wait_for_app(page)
    button = page.get_by_role("button", name=HOSPITAL_BUTTON, exact=True)
    expect(button).to_be_visible()
    button.click()  # st.login(): the browser goes to the provider's authorization page
    provider.authorize(page, sub)
    # Back through /oauth2callback, which sets the st.login cookie and redirects to the app's root.
    page.wait_for_url(f"{server.url}/**")
    wait_for_app(page)


def test_sign_in_page_offers_hospital_sign_in(page: Page, oidc_app_server: AppServer) -> None:
    page.goto(oidc_app_server.url)
    wait_for_app(page)
    expect(page.get_by_role("button", name=HOSPITAL_BUTTON, exact=True)).to_be_visible()
    expect(page.get_by_label("User name", exact=True)).to_be_visible()


def test_physician_role_claim_lands_on_home(
    page: Page, oidc_app_server: AppServer, oidc_provider: OidcProvider
) -> None:
    sub = f"physician-{uuid.uuid4().hex[:8]}"
    name = f"Dr Hana Oidc-{sub[-4:]}"
    oidc_provider.add_user(sub, {"name": name, "email": f"{sub}@hospital.example", "roles": ["physician"]})

    sign_in_with_hospital_account(page, oidc_app_server, oidc_provider, sub)

    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", level=1)).to_contain_text("Home")
    body = page.locator("body")
    expect(body).to_contain_text("Signed in as")
    expect(body).to_contain_text(name)
    expect(main.get_by_role("heading", name="Upcoming conferences")).to_be_visible()


@pytest.mark.parametrize(
    "roles_claim",
    [pytest.param(None, id="no-roles-claim"), pytest.param([], id="empty-roles")],
)
def test_no_portal_role_is_refused_and_sees_no_patients(
    page: Page,
    oidc_app_server: AppServer,
    oidc_provider: OidcProvider,
    seeded_patients: list[SeededPatient],
    roles_claim: list[str] | None,
) -> None:
    sub = f"visitor-{uuid.uuid4().hex[:8]}"
    claims: dict[str, object] = {"name": f"Sam Visitor-{sub[-4:]}", "email": f"{sub}@hospital.example"}
    if roles_claim is not None:
        claims["roles"] = roles_claim
    oidc_provider.add_user(sub, claims)

    sign_in_with_hospital_account(page, oidc_app_server, oidc_provider, sub)

    expect(page.get_by_text("Ask your administrator for access").first).to_be_visible()
    wait_for_app(page)
    assert find_patient_data(page, seeded_patients) == []


def _hospital_physician(provider: OidcProvider) -> str:
    sub = f"physician-{uuid.uuid4().hex[:8]}"
    provider.add_user(
        sub, {"name": f"Dr Out-{sub[-4:]}", "email": f"{sub}@hospital.example", "roles": ["physician"]}
    )
    return sub


def _signed_out_after_a_reload(
    page: Page, server: AppServer, provider: OidcProvider, within_ms: float = SIGN_OUT_MS
) -> None:
    """Signed out at the provider too, back on the sign-in page, and still signed out after a reload: the
    st.login cookie is gone, not just the page. (The dropped redirect never reached the provider.)"""
    provider.end_session(page, within_ms)
    page.wait_for_url(f"{server.url}/**")
    wait_for_app(page)
    expect(page.get_by_role("button", name=HOSPITAL_BUTTON, exact=True)).to_be_visible()
    page.goto(server.url)
    wait_for_app(page)
    expect(page.get_by_role("button", name=HOSPITAL_BUTTON, exact=True)).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Signed in as")


def test_hospital_sign_out_stays_signed_out_after_a_reload(
    page: Page, oidc_app_server: AppServer, oidc_provider: OidcProvider
) -> None:
    """Sign out once ran st.rerun() right after st.logout(), which dropped the queued redirect to the
    logout route in 3 tries of 6: the 30-day cookie stayed, and a reload signed the physician back in.
    Three rounds, since one could pass by luck."""
    sub = _hospital_physician(oidc_provider)
    for _ in range(3):
        sign_in_with_hospital_account(page, oidc_app_server, oidc_provider, sub)
        expect(page.get_by_test_id("stMain").get_by_role("heading", level=1)).to_contain_text("Home")
        page.get_by_test_id("stSidebar").get_by_role("button", name="Sign out", exact=True).click()
        _signed_out_after_a_reload(page, oidc_app_server, oidc_provider)


def test_hospital_idle_time_out_stays_signed_out_after_a_reload(
    page: Page, app_server: AppServerFactory, oidc_provider: OidcProvider
) -> None:
    """The idle time-out ended the session the same way as Sign out, with the same fault."""
    server = app_server(
        secrets_toml=auth_secrets_toml(oidc_provider), env={"VESPER_IDLE_TIMEOUT_MINUTES": "0.25"}
    )
    sub = _hospital_physician(oidc_provider)
    sign_in_with_hospital_account(page, server, oidc_provider, sub)
    expect(page.get_by_test_id("stMain").get_by_role("heading", level=1)).to_contain_text("Home")
    # Nobody touches the page: the session bar's idle watch signs her out after 15 s.
    _signed_out_after_a_reload(page, server, oidc_provider)


def test_a_new_tab_after_every_tab_lay_idle_goes_back_through_the_provider(
    page: Page, app_server: AppServerFactory, oidc_provider: OidcProvider
) -> None:
    """st.login's cookie outlives a closed tab by 30 days, and each new tab started its own idle clock: the
    next person at a shared workstation opened the portal as the last user. Now the sign-in's idle clock
    is shared by its tabs and kept on the server."""
    server = app_server(
        secrets_toml=auth_secrets_toml(oidc_provider), env={"VESPER_IDLE_TIMEOUT_MINUTES": "0.5"}
    )
    sub = _hospital_physician(oidc_provider)
    sign_in_with_hospital_account(page, server, oidc_provider, sub)
    home = page.get_by_test_id("stMain").get_by_role("heading", level=1)
    expect(home).to_contain_text("Home")
    # A second tab straight away shares the sign-in: it is in use.
    second = page.context.new_page()
    second.goto(server.url)
    wait_for_app(second)
    expect(second.get_by_test_id("stMain").get_by_role("heading", level=1)).to_contain_text("Home")
    # Both tabs closed (left for a blank page) before their own idle watch could sign anyone out; the
    # cookie stays in the browser.
    second.close()
    page.goto("about:blank")
    time.sleep(35)  # longer than the 30 s idle limit: what is measured, not a wait for the UI
    later = page.context.new_page()
    later.goto(server.url)
    # At once, not after this tab's own idle limit (which would sign it out whatever the others did).
    _signed_out_after_a_reload(later, server, oidc_provider, within_ms=15_000)


def test_a_refusal_at_the_provider_is_explained_and_audited(
    page: Page, oidc_app_server: AppServer, oidc_provider: OidcProvider
) -> None:
    """The provider sends the browser back with an error (here the person pressed Deny; some providers
    refuse Streamlit's prompt=select_account the same way). Streamlit only logged it, so the button
    seemed to do nothing. Now the person reads why, once, and the administrator finds the provider's
    error in the audit report."""
    page.goto(oidc_app_server.url)
    wait_for_app(page)
    page.get_by_role("button", name=HOSPITAL_BUTTON, exact=True).click()
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_role("button", name="Deny", exact=True).click()
    page.wait_for_url(f"{oidc_app_server.url}/**")
    wait_for_app(page)
    told = page.get_by_text("did not sign you in, so you are still signed out")
    expect(told).to_be_visible()
    expect(page.get_by_role("button", name=HOSPITAL_BUTTON, exact=True)).to_be_visible()
    with sqlite3.connect(oidc_app_server.db_path) as db:
        rows = db.execute(
            "SELECT details FROM audit_events WHERE action = 'hospital_sign_in_failed'"
        ).fetchall()
    assert [json.loads(details)["provider_error"] for (details,) in rows] == ["access_denied"], (
        "the administrator could not learn why the hospital sign-in failed"
    )
    page.reload()
    wait_for_app(page)
    expect(page.get_by_role("button", name=HOSPITAL_BUTTON, exact=True)).to_be_visible()
    expect(told).to_have_count(0)  # said once, not on every visit
