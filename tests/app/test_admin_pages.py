"""Administrators manage accounts and read the audit report; bad input changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from db.engine import transaction
from db.models import AuditEvent, User
from tests.app.conftest import by_label, page_text, shown, sign_in


def _admin_on(app, page: str):
    at = sign_in(app(), "admin")
    at.switch_page(page).run()
    return at


def _user_count(engine) -> int:
    with transaction(engine) as s:
        return s.scalar(select(func.count(User.id)))


def test_admin_creates_a_local_account(app, engine):
    at = _admin_on(app, "pages/admin_users.py")
    by_label(at.text_input, "New user name").input("pharm2")
    by_label(at.text_input, "Name shown to colleagues").input("Priya Natarajan")
    by_label(at.text_input, "First password (at least 12 characters)").input("a-long-first-password")
    by_label(at.button, "Create account").click().run()
    assert [s.value for s in at.success] == ["Account pharm2 created."]
    assert "Priya Natarajan" in page_text(at), "the new account should appear in the list"


def test_bad_user_name_is_explained_and_creates_nothing(app, engine):
    before = _user_count(engine)
    at = _admin_on(app, "pages/admin_users.py")
    by_label(at.text_input, "New user name").input("Bad Name!")
    by_label(at.text_input, "Name shown to colleagues").input("Someone")
    by_label(at.text_input, "First password (at least 12 characters)").input("a-long-first-password")
    by_label(at.button, "Create account").click().run()
    assert at.error and "lower-case letters" in shown(at.error[0].value)
    assert _user_count(engine) == before, "a refused account must not be created"


def test_admin_cannot_remove_own_admin_role(app, engine):
    at = _admin_on(app, "pages/admin_users.py")
    box = by_label(at.selectbox, "Account")
    admin_index = next(i for i, o in enumerate(box.options) if o.endswith("(admin)"))
    box.select_index(admin_index).run()
    by_label(at.selectbox, "Role of this account").select_index(0)
    by_label(at.button, "Save change").click().run()
    by_label(at.button, "Yes, change the role").click().run()
    assert at.error and "your own administrator access" in shown(at.error[0].value)


def test_audit_report_lists_sign_ins_and_checks_the_chain(app):
    at = _admin_on(app, "pages/admin_audit.py")
    text = page_text(at)
    assert "sign_in" in text, "the admin's own sign-in should be in the report"
    by_label(at.button, "Check the audit chain").click().run()
    assert at.success and "intact" in at.success[0].value


def test_audit_report_filters_by_action(app):
    at = _admin_on(app, "pages/admin_audit.py")
    by_label(at.multiselect, "Action").set_value(["patient_viewed"]).run()
    assert "0 events match" in page_text(at), "no record was viewed, so the filter must find nothing"


def test_reading_the_audit_report_on_screen_is_audited_once_per_report(app, engine):
    """An administrator reading the trail on screen leaves a trace, as a download does; redrawing the same
    report (another click on the page) does not add another."""

    def viewed() -> list[dict]:
        with transaction(engine) as s:
            return [
                e.details
                for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "audit_report_viewed"))
            ]

    at = _admin_on(app, "pages/admin_audit.py")
    assert [d["download"] for d in viewed()] == [False], "opening the report was not recorded"
    by_label(at.button, "Check the audit chain").click().run()
    assert len(viewed()) == 1, "the same report on screen again was recorded twice"
    by_label(at.multiselect, "Action").select("sign_in").run()
    assert len(viewed()) == 2, "a new report (another filter) was not recorded"


def _choose_account(at, username: str):
    box = by_label(at.selectbox, "Account")
    return box.select_index(next(i for i, o in enumerate(box.options) if o.endswith(f"({username})"))).run()


def _account(engine, username: str) -> tuple[str | None, bool]:
    with transaction(engine) as s:
        user = s.scalar(select(User).where(User.username == username))
        return (user.role.value if user.role else None, user.active)


def test_deactivating_an_account_changes_nothing_else(app, engine):
    """The review's case: deactivating the family account also made it a Physician, because the form
    started at Physician and active whatever the account was."""
    at = _choose_account(_admin_on(app, "pages/admin_users.py"), "family")
    assert by_label(at.selectbox, "Role of this account").value.value == "family", (
        "the form should start at her role"
    )
    assert by_label(at.checkbox, "Account is active").value is True
    by_label(at.checkbox, "Account is active").uncheck()
    by_label(at.button, "Save change").click().run()
    assert _account(engine, "family") == ("family", False), "only the status should have changed"
    assert "Change saved." in page_text(at)


def test_a_change_of_role_is_confirmed_first_and_can_be_cancelled(app, engine):
    at = _choose_account(_admin_on(app, "pages/admin_users.py"), "nurse")
    by_label(at.selectbox, "Role of this account").select_index(0)  # Physician
    by_label(at.button, "Save change").click().run()
    assert "from Nurse to Physician" in page_text(at), "the administrator is not asked to confirm"
    assert _account(engine, "nurse") == ("nurse", True), "the role changed before it was confirmed"
    by_label(at.button, "Cancel").click().run()
    assert _account(engine, "nurse") == ("nurse", True)
    assert by_label(at.selectbox, "Role of this account").value.value == "nurse", (
        "cancel should put the form back"
    )
    by_label(at.selectbox, "Role of this account").select_index(0)
    by_label(at.button, "Save change").click().run()
    by_label(at.button, "Yes, change the role").click().run()
    assert _account(engine, "nurse") == ("physician", True)
