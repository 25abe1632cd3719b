"""Sign-in with a local (password) account: the demo physician (Home, Patients, one record), and a wrong
password."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    AppServerFactory,
    care_team_patients,
    demo_password,
    home_heading,
    sign_in,
    wait_for_app,
)

pytestmark = pytest.mark.e2e


def test_demo_physician_sees_home_with_own_patients(page: Page, app_server: AppServerFactory) -> None:
    server = app_server()
    own_patients = care_team_patients(server.db_path, "physician")
    assert own_patients, "the demo seed puts no patient on the demo physician's care team"

    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:"))
            else outside.append(r.url)
        ),
    )
    page.goto(server.url)
    sign_in(page, "physician", demo_password("physician"), leads_to=home_heading(page))

    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("heading", level=1)).to_contain_text("Home")
    expect(main.get_by_role("heading", name="Upcoming conferences")).to_be_visible()
    names = "|".join(re.escape(p.family_name) for p in own_patients)
    expect(main).to_contain_text(re.compile(rf"(?<!\w)({names})(?!\w)"))

    # The sidebar menu is how people move between pages: it must list the role's pages and work.
    sidebar = page.get_by_test_id("stSidebar")
    for title in ("Home", "Patients", "Conference room"):
        expect(sidebar.get_by_role("link", name=title)).to_be_visible()
    expect(sidebar.get_by_role("link", name="Audit report")).to_have_count(0)
    sidebar.get_by_role("link", name="Patients").click()
    expect(main.get_by_role("heading", level=1)).to_contain_text("Patients")
    wait_for_app(page)
    expect(main.get_by_text("Open a patient's record")).to_be_visible()

    # Margaret Thornbury's record: the phase of care, the first word the team reads, is shown whole at a
    # laptop's width (a large metric value once cut it to "Deteriorat...").
    main.get_by_role("combobox").click()
    page.get_by_role("option").filter(has_text="Margaret Thornbury").click()
    expect(main.get_by_role("heading", level=2)).to_contain_text("Margaret Thornbury")
    phase = main.locator("strong").filter(has_text=re.compile(r"^Deteriorating$"))
    expect(phase).to_be_visible()
    block = phase.locator("xpath=ancestor::*[@data-testid='stMarkdownContainer'][1]")
    assert block.evaluate("e => e.scrollWidth <= e.clientWidth"), "the phase of care is cut short"
    # Her chart is drawn on a canvas: a screen reader has only its accessible name to go by.
    expect(main.get_by_label(re.compile(r"^Symptom trends of Margaret Thornbury"))).to_be_visible()
    wait_for_app(page)
    assert outside == [], f"the portal made the browser contact outside servers: {outside}"


def test_wrong_password_is_refused(page: Page, app_server: AppServerFactory) -> None:
    server = app_server()
    page.goto(server.url)
    sign_in(page, "physician", demo_password("physician") + "-wrong")

    expect(page.get_by_text("Wrong user name or password.", exact=True)).to_be_visible()
    wait_for_app(page)
    expect(page.get_by_label("User name", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stMain").get_by_role("heading", name="Upcoming conferences")).to_have_count(0)
