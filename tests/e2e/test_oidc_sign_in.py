"""Hospital sign-in through a real OpenID Connect provider (oidc-provider-mock) with st.login.

The portal role comes from the ID token's `roles` claim: a physician lands on Home; someone the identity
provider knows but who has no portal role is told to ask for access and sees no patient data.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    AppServer,
    OidcProvider,
    SeededPatient,
    find_patient_data,
    wait_for_app,
)

pytestmark = pytest.mark.e2e

HOSPITAL_BUTTON = "Sign in with your hospital account"


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
