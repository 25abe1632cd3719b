"""On a fresh server, the first request to every page URL, signed out, shows no patient name.

Streamlit can serve a file in pages/ on a fresh server's first request before app.py has ever run, so
each page file must refuse a signed-out visitor by itself. One fresh server per page, and the page URL is
the browser's very first request to it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    AppServerFactory,
    SeededPatient,
    find_patient_data,
    pages_url_paths,
    wait_for_app,
)

pytestmark = pytest.mark.e2e

PAGES = pages_url_paths()


@pytest.mark.parametrize(("file_name", "url_path"), PAGES, ids=[name for name, _ in PAGES])
def test_first_request_signed_out_shows_no_patient_data(
    page: Page,
    app_server: AppServerFactory,
    seeded_patients: list[SeededPatient],
    file_name: str,
    url_path: str,
) -> None:
    server = app_server()

    page.goto(server.page_url(url_path))
    wait_for_app(page)

    # Something must be there, so a blank or crashed page cannot pass: the sign-in form or a refusal.
    # (Waiting for it also lets the run's elements finish rendering before the text is read.)
    sign_in_form = page.get_by_label("User name", exact=True)
    refusal = page.get_by_text("Please sign in")
    missing: AssertionError | None = None
    try:
        expect(sign_in_form.or_(refusal).first).to_be_visible()
    except AssertionError as error:
        missing = error
    wait_for_app(page)

    leaks = find_patient_data(page, seeded_patients)
    assert not leaks, f"signed-out first request to /{url_path} ({file_name}) exposed: {leaks}"
    if missing is not None:
        raise AssertionError(
            f"/{url_path} ({file_name}) shows neither the sign-in form nor 'Please sign in'"
        ) from missing
    expect(page.get_by_test_id("stException")).to_have_count(0)
