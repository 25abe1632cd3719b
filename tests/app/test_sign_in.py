"""Signing in and out with a local account, through the real app script."""

from __future__ import annotations

from clinical.roles import Role
from tests.app.conftest import by_label, page_text, shown, sign_in


def test_physician_signs_in_and_sees_home_with_own_patients_and_conferences(app, clinic):
    at = sign_in(app(), "physician")
    text = page_text(at)
    assert not at.exception, "the home page crashed after sign-in"
    assert "Home" in [t.value for t in at.title], "a signed-in physician should land on Home"
    assert "Weekly palliative MDT" in text, "the physician's upcoming conference is missing from Home"
    assert "Ada Quillfeather" in text, "the conference agenda should name the physician's own patient"
    assert clinic.other_patient_name not in text, "a patient outside the care team must not be shown"


def test_wrong_password_says_only_wrong_user_name_or_password(app):
    at = sign_in(app(), "physician", "not-the-password")
    assert [shown(e.value) for e in at.error] == ["Wrong user name or password."], (
        "a failed sign-in must say only this, revealing nothing about the account"
    )
    assert "Home" not in [t.value for t in at.title], "a wrong password must not sign anyone in"


def test_unknown_user_gets_the_same_message_as_a_wrong_password(app):
    at = sign_in(app(), "nobody-here", "whatever-password")
    assert [shown(e.value) for e in at.error] == ["Wrong user name or password."], (
        "an unknown user name must be indistinguishable from a wrong password"
    )


def test_blank_form_asks_for_both_fields_and_records_nothing(app):
    at = app()
    by_label(at.button, "Sign in").click()
    at.run()
    assert [e.value for e in at.error] == ["Enter your user name and password."]


def test_sign_out_returns_to_the_sign_in_page(app):
    at = sign_in(app(), "nurse")
    by_label(at.sidebar.button, "Sign out").click()
    at.run()
    assert by_label(at.text_input, "User name"), "after sign-out the sign-in form should be back"
    assert "Ada Quillfeather" not in page_text(at), "no patient data may remain on screen after sign-out"


def test_demo_accounts_are_listed_only_in_demo_mode(app, monkeypatch):
    at = app()
    assert "Demo accounts" not in "".join(e.label for e in at.expander), (
        "outside demo mode the sign-in page must not list demo passwords"
    )
    monkeypatch.setenv("VESPER_DEMO", "1")
    at = app()
    assert any("Demo accounts" in e.label for e in at.expander), "demo mode should list the demo accounts"


def test_every_role_can_sign_in(app):
    for role in Role:
        at = sign_in(app(), role.value)
        assert not at.exception, f"{role.value}: the first page after sign-in crashed"
        assert "Home" in [t.value for t in at.title], f"{role.value} should land on Home"


def test_too_many_tries_wait_without_password_work_or_audit_rows(app, engine, monkeypatch):
    """Past the limit the form says to wait, runs no argon2 check and writes nothing: a flood of guesses
    must neither burn the server's processors nor fill the audit trail."""
    from sqlalchemy import func, select

    from auth.throttle import TOO_MANY, SignInThrottle
    from components import sign_in as sign_in_screen
    from db.engine import transaction
    from db.models import AuditEvent

    monkeypatch.setattr(sign_in_screen, "THROTTLE", SignInThrottle(per_address=100, overall=3))
    at = app()
    for attempt in range(3):
        at = sign_in(at, "physician", f"guess-{attempt}")
    with transaction(engine) as s:
        before = s.scalar(select(func.count()).select_from(AuditEvent))
    at = sign_in(at, "physician", "a-fourth-guess")
    assert [shown(e.value) for e in at.error] == [TOO_MANY], "the fourth try in a minute should wait"
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == before, "a refused try wrote rows"
