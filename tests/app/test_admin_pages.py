"""Administrators manage accounts and read the audit report; bad input changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from db.engine import transaction
from db.models import User
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
    box.select_index(admin_index)
    by_label(at.selectbox, "New role").select_index(0)
    by_label(at.button, "Save change").click().run()
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
