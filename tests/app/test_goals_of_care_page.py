"""The goals-of-care page through the real app: saving versions, plain refusals that save nothing, a stale
save that keeps the typed text, and a sign-off that a later edit makes void."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from auth.identity import Identity
from clinical.roles import Role
from components import family_summary
from db.engine import transaction
from db.models import (
    Addendum,
    AuditEvent,
    ConferenceCase,
    GoalsOfCareVersion,
    Patient,
    PlanItem,
    PlanItemKind,
    User,
)
from services.goals_of_care import amendments, signoff
from services.goals_of_care import plan as care_plan
from services.goals_of_care import record as goc_service
from tests import factories
from tests.app.conftest import by_label, page_text, sign_in

FORM = "goc.{}.form"


def _patient_id(engine, family: str = "Quillfeather") -> int:
    with transaction(engine) as s:
        return s.scalar(select(Patient.id).where(Patient.family_name == family))


def _versions(engine) -> int:
    with transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(GoalsOfCareVersion)) or 0


def _choose_patient(at: AppTest, patient_id: int) -> AppTest:
    by_label(at.selectbox, "Patient").set_value(patient_id)
    return at.run()


def _page(app, engine, username: str) -> tuple[AppTest, int]:
    pid = _patient_id(engine)
    at = sign_in(app(), username)
    at = at.switch_page("pages/goals_of_care.py").run()
    return _choose_patient(at, pid), pid


def _fill_valid(at: AppTest, pid: int) -> None:
    """Type a complete, valid record into the form (date and facilitator come prefilled)."""
    key = FORM.format(pid)
    at.text_input(key=f"{key}.p.0.name").set_value("Ada Quillfeather")
    at.text_input(key=f"{key}.p.0.role").set_value("patient")
    at.selectbox(key=f"{key}.p.0.presence").set_value("present")
    at.text_area(key=f"{key}.f.goals_if_worse").set_value("To be at home with her garden.")
    at.selectbox(key=f"{key}.tl.cpr").set_value("do_not_attempt")
    at.selectbox(key=f"{key}.tl.level_of_treatment").set_value("selective")
    at.text_area(key=f"{key}.reason").set_value("First goals-of-care conversation")


def _save(at: AppTest) -> AppTest:
    by_label(at.button, "Save").click()
    return at.run()


def test_a_valid_record_saves_as_version_1(app, engine):
    at, pid = _page(app, engine, "physician")
    assert "this will be version 1" in page_text(at)
    _fill_valid(at, pid)
    at = _save(at)
    assert not at.exception
    assert "Saved as version 1." in page_text(at)
    assert _versions(engine) == 1
    # The form now edits from version 1, and the history lists it with its reason.
    assert "Editing from version 1" in page_text(at)
    assert "First goals-of-care conversation" in page_text(at)


def test_contradictory_treatment_limits_are_refused_plainly_and_nothing_is_saved(app, engine):
    at, pid = _page(app, engine, "physician")
    _fill_valid(at, pid)
    at.selectbox(key=f"{FORM.format(pid)}.tl.cpr").set_value("attempt")
    at.selectbox(key=f"{FORM.format(pid)}.tl.level_of_treatment").set_value("comfort_focused")
    at = _save(at)
    text = page_text(at)
    assert "Not saved" in text
    assert '"Attempt CPR" cannot go with "Comfort-focused treatment"' in text
    assert _versions(engine) == 0, "a refused record must not be saved"
    # What was typed is still there to correct.
    assert at.text_area(key=f"{FORM.format(pid)}.f.goals_if_worse").value == "To be at home with her garden."


def test_an_empty_required_field_is_refused(app, engine):
    at, pid = _page(app, engine, "physician")
    _fill_valid(at, pid)
    at.text_area(key=f"{FORM.format(pid)}.f.goals_if_worse").set_value("")
    at = _save(at)
    assert "Goals if health worsens is required" in page_text(at)
    assert _versions(engine) == 0


def test_an_empty_reason_is_refused(app, engine):
    at, pid = _page(app, engine, "physician")
    _fill_valid(at, pid)
    at.text_area(key=f"{FORM.format(pid)}.reason").set_value("  ")
    at = _save(at)
    assert "Please give a reason for this change" in page_text(at)
    assert _versions(engine) == 0


def _identity(clinic, role: Role) -> Identity:
    return Identity(
        clinic.users[role], role.value, f"Test {role.value.replace('_', ' ').title()}", role, "password"
    )


def _save_directly(engine, clinic, role: Role, pid: int, based_on: int, reason: str, **overrides) -> None:
    with transaction(engine) as s:
        goc_service.save(
            s,
            _identity(clinic, role),
            pid,
            factories.goals_of_care_content(**overrides),
            based_on,
            reason,
            dt.datetime.now(dt.UTC),
        )


def test_a_stale_save_keeps_the_typed_text_and_shows_the_other_version(app, engine, clinic):
    pid = _patient_id(engine)
    _save_directly(engine, clinic, Role.PHYSICIAN, pid, 0, "First conversation")
    at, _ = _page(app, engine, "physician")
    assert "Editing from version 1" in page_text(at)
    # The nurse saves version 2 while the physician is typing.
    _save_directly(
        engine, clinic, Role.NURSE, pid, 1, "Daughter called", hopes="To see her grandson's wedding in May."
    )
    key = FORM.format(pid)
    at.text_area(key=f"{key}.f.goals_if_worse").set_value("Comfort at home, with her cat.")
    at.text_area(key=f"{key}.reason").set_value("Spoke again with Ada")
    at = _save(at)
    text = page_text(at)
    assert "Not saved: someone else saved first." in text
    assert "Test Nurse saved version 2" in text
    assert "Daughter called" in text
    # Field by field: their hope (which the physician's form lacks) and the physician's own new goal.
    assert "To see her grandson's wedding in May." in text
    assert "Comfort at home, with her cat." in text
    assert at.text_area(key=f"{key}.f.goals_if_worse").value == "Comfort at home, with her cat."
    assert at.text_area(key=f"{key}.reason").value == "Spoke again with Ada"
    assert _versions(engine) == 2, "the stale save must not write"

    # Must NOT happen: the text is not lost when the physician decides to save on top of version 2.
    by_label(at.button, "Keep my text and save it on top of version 2").click()
    at = at.run()
    assert at.text_area(key=f"{key}.f.goals_if_worse").value == "Comfort at home, with her cat."
    at = _save(at)
    assert "Saved as version 3." in page_text(at)


def _sign(at: AppTest, role_label: str) -> AppTest:
    by_label(at.button, f"Sign as {role_label}").click()
    at = at.run()
    by_label(at.button, "Confirm signature").click()
    return at.run()


def test_signing_shows_the_signature_and_an_edit_makes_it_void(app, engine, clinic):
    pid = _patient_id(engine)
    _save_directly(engine, clinic, Role.PHYSICIAN, pid, 0, "First conversation")
    at, _ = _page(app, engine, "physician")
    at = _sign(at, "physician")
    assert not at.exception
    text = page_text(at)
    assert "Signed." in text
    assert "Signed by Test Physician" in text
    assert "Void" not in text

    _save_directly(engine, clinic, Role.NURSE, pid, 1, "Corrected the hopes", hopes="To go home.")
    at = at.run()
    text = page_text(at)
    assert "Void: the content changed after this" in text
    assert "Signed by Test Physician" not in text, "a void signature must not count as signed"
    assert by_label(at.button, "Sign as physician") is not None


def test_a_plan_item_is_added_for_the_conference(app, engine):
    at, pid = _page(app, engine, "physician")
    key = f"goc.{pid}.plan"
    by_label(at.radio, "Kind").set_value(PlanItemKind.ACTION)
    at.text_area(key=f"{key}.text.new").set_value("Arrange a family meeting about going home")
    by_label(at.selectbox, "Owner (role)").set_value(Role.SOCIAL_WORKER)
    at = by_label(at.button, "Save plan item").click().run()
    assert not at.exception
    assert "Plan item saved." in page_text(at)
    assert "Arrange a family meeting about going home" in page_text(at)


def _press_again(at: AppTest, button, typed) -> None:
    """The second press of a double click: the browser sends the button it still shows, pressed, with the
    text still in its box, before the page is redrawn. (AppTest's own click reads every widget of the old
    page from a session the new run has moved on from, so the press is sent as the browser sends it.)"""
    from streamlit.proto.WidgetStates_pb2 import WidgetStates

    states = WidgetStates()
    text = states.widgets.add()
    text.id, text.string_value = typed.id, typed.value
    press = states.widgets.add()
    press.id, press.trigger_value = button.id, True
    at._run(states)


def test_a_double_click_on_save_adds_one_item_and_one_addendum(app, engine, clinic):
    """Two presses of Save (a double click: the second press is sent from the page drawn before the first
    save) stored a second row. The redrawn form has new keys, so the second press names nothing."""
    at, pid = _page(app, engine, "physician")
    typed = at.text_area(key=f"goc.{pid}.plan.text.new").set_value("Review the syringe driver daily")
    save = by_label(at.button, "Save plan item")
    save.click().run()
    _press_again(at, save, typed)
    with transaction(engine) as s:
        texts = s.scalars(select(PlanItem.description)).all()
    assert texts == ["Review the syringe driver daily"], f"a double click stored {len(texts)} plan items"


def test_a_double_click_on_add_addendum_adds_one(app, engine, clinic):
    pid = _finalised(engine, clinic)
    at, _ = _page(app, engine, "nurse")
    typed = at.text_area(key=f"goc.{pid}.form.addendum").set_value("Daughter asked for a copy.")
    add = by_label(at.button, "Add addendum")
    add.click().run()
    _press_again(at, add, typed)
    with transaction(engine) as s:
        count = s.scalar(select(func.count()).select_from(Addendum))
    assert count == 1, f"a double click stored {count} addenda"


def test_an_action_item_without_owner_is_refused_and_nothing_is_saved(app, engine):
    at, pid = _page(app, engine, "physician")
    by_label(at.radio, "Kind").set_value(PlanItemKind.ACTION)
    at.text_area(key=f"goc.{pid}.plan.text.new").set_value("Call the daughter")
    at = by_label(at.button, "Save plan item").click().run()
    assert "An action item needs an owner" in page_text(at)
    with transaction(engine) as s:
        assert not s.scalar(select(func.count()).select_from(PlanItem))


def _sign_directly(engine, clinic, role: Role, pid: int) -> None:
    with transaction(engine) as s:
        conference_id = s.scalar(select(ConferenceCase.conference_id).where(ConferenceCase.patient_id == pid))
        expected = care_plan.current_hash(s, pid, conference_id)
        signoff.sign(s, _identity(clinic, role), pid, conference_id, None, expected, dt.datetime.now(dt.UTC))


def _finalised(engine, clinic) -> int:
    """Ada's record, saved once and signed by every required role: Final."""
    pid = _patient_id(engine)
    _save_directly(engine, clinic, Role.PHYSICIAN, pid, 0, "First conversation")
    for role in (Role.PHYSICIAN, Role.NURSE, Role.SOCIAL_WORKER):
        _sign_directly(engine, clinic, role, pid)
    return pid


def test_a_final_record_is_read_only_offers_an_addendum_and_a_family_summary(app, engine, clinic):
    pid = _finalised(engine, clinic)
    at, _ = _page(app, engine, "nurse")
    text = page_text(at)
    assert "Final." in text
    # Must NOT happen: a final record offers no way to save a new version or to sign.
    assert "Save" not in [b.label for b in at.button]
    assert not [b for b in at.button if b.label.startswith("Sign as")]
    at.text_area(key=f"goc.{pid}.form.addendum").set_value("Daughter asked for a copy of the summary.")
    at = by_label(at.button, "Add addendum").click().run()
    assert "Addendum added." in page_text(at)
    assert "Daughter asked for a copy of the summary." in page_text(at)


def test_downloading_the_family_summary_is_audited(app, engine, clinic):
    """The summary carries the whole record out of Vesper: who took it, and when, is on the trail."""
    pid = _finalised(engine, clinic)
    at, _ = _page(app, engine, "nurse")
    (download,) = [b for b in at.get("download_button") if "family summary" in b.proto.label]
    download.click().run()
    with transaction(engine) as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "family_summary_downloaded")).all()
    assert [(e.actor_name, e.patient_id, e.details) for e in events] == [("nurse", pid, {"version": 1})], (
        "the download is not on the audit trail"
    )


def test_the_family_summary_escapes_everything_typed():
    content = factories.goals_of_care_content(hopes='<script>alert("x")</script> & more')
    page = family_summary.html_page(
        "Ada <b>Quillfeather</b>", content, [], dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    )
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in page
    assert "Goals of care for Ada &lt;b&gt;Quillfeather&lt;/b&gt;" in page
    assert "SYN-" not in page


def test_an_untouched_form_moves_on_to_a_newer_version_without_a_warning(app, engine, clinic):
    pid = _patient_id(engine)
    _save_directly(engine, clinic, Role.PHYSICIAN, pid, 0, "First conversation")
    at, _ = _page(app, engine, "physician")
    _save_directly(engine, clinic, Role.NURSE, pid, 1, "Corrected the hopes", hopes="To go home.")
    at = at.run()
    assert "Editing from version 2" in page_text(at)
    assert at.text_area(key=f"{FORM.format(pid)}.f.hopes").value == "To go home."
    assert "after you opened this form" not in page_text(at)


def test_an_accepted_amendment_request_is_saved_as_the_correction(app, engine, clinic):
    pid = _patient_id(engine)
    _save_directly(engine, clinic, Role.PHYSICIAN, pid, 0, "First conversation")
    with transaction(engine) as s:
        factories.family_contact(s, s.get(Patient, pid), s.get(User, clinic.users[Role.FAMILY]))
        family = Identity(clinic.users[Role.FAMILY], "family", "Test Family", Role.FAMILY, "password")
        request = amendments.request_amendment(
            s, family, pid, "Mum's surrogate phone number is wrong", dt.datetime.now(dt.UTC)
        )
    at, _ = _page(app, engine, "physician")
    assert "1 amendment request from the family waits for an answer" in page_text(at)
    at = by_label(at.button, "Accept").click().run()
    assert "You are answering amendment request" in page_text(at)
    key = FORM.format(pid)
    at.text_input(key=f"{key}.s.contact").set_value("+44 7700 900999")
    at.text_area(key=f"{key}.reason").set_value("Corrected the surrogate's phone number")
    at = _save(at)
    assert "Saved as version 2." in page_text(at)
    assert "Accepted" in page_text(at)
    with transaction(engine) as s:
        answered = goc_service.open_record(s, _identity(clinic, Role.NURSE), pid).amendments[0]
    assert answered.request_id == request.request_id
    assert answered.status.value == "accepted" and answered.resulting_version == 2


def _nurse_dissents(engine, clinic, pid: int) -> None:
    with transaction(engine) as s:
        conference_id = s.scalar(select(ConferenceCase.conference_id).where(ConferenceCase.patient_id == pid))
        content_hash = care_plan.current_hash(s, pid, conference_id)
        signoff.dissent(
            s,
            _identity(clinic, Role.NURSE),
            pid,
            conference_id,
            "The family has not been asked about hospital transfer.",
            content_hash,
            dt.datetime.now(dt.UTC),
        )


def test_the_chair_overrides_a_dissent_with_a_reason_and_it_stays_on_record(app, engine, clinic):
    pid = _patient_id(engine)
    _save_directly(engine, clinic, Role.PHYSICIAN, pid, 0, "First conversation")
    _nurse_dissents(engine, clinic, pid)

    nurse, _ = _page(app, engine, "nurse")
    assert "Dissent from Test Nurse" in page_text(nurse)
    assert not [b for b in nurse.button if b.label.startswith("Override")], "only the chair may override"

    at, _ = _page(app, engine, "physician")  # the physician chairs the demo conference
    by_label(at.button, "Override the dissent of Test Nurse").click()
    at = at.run()
    by_label(at.button, "Override the dissent").click()
    at = at.run()
    assert "Please give a reason for overriding the dissent." in page_text(at), "an empty reason was taken"
    at.text_area(key=f"goc.{pid}.signoff.override_reason").set_value("Transfer was discussed by phone.")
    by_label(at.button, "Override the dissent").click()
    at = at.run()
    assert not at.exception
    text = page_text(at)
    assert "The dissent is overridden." in text
    assert "Dissent, overridden by the chair" in text, "the dissent must stay listed"
    captions = [c.value.replace("\\", "") for c in at.caption]  # as rendered: markdown escapes removed
    assert "Overridden by Test Physician: Transfer was discussed by phone." in captions
    assert "Reason for the dissent: The family has not been asked about hospital transfer." in captions
    assert not [b for b in at.button if b.label.startswith("Override the dissent of")]


def test_a_signature_covers_the_words_on_screen_even_if_someone_saved_between_reads(
    engine, clinic, monkeypatch
):
    """The screen read the record, then the plan and the sign-off's hash, in separate statements: on
    PostgreSQL a save landing between them gave the screen a hash of words it never showed, and a
    signature on them. Now the hash is made from what is shown, and signing stale words is refused."""
    import threading

    import pytest

    from auth.refusal import Refusal
    from components import case_panels

    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises transactions (db.engine takes the write lock first): no save between")
    pid = _patient_id(engine)
    _save_directly(engine, clinic, Role.PHYSICIAN, pid, 0, "First conversation")
    real_status = case_panels.signoff.status

    def status_after_someone_saved(session, identity, patient_id, conference_id):
        # The nurse saves from her own screen (her own connection and transaction) between this screen's
        # reads, and her save is committed before the sign-off is read.
        nurse = threading.Thread(
            target=_save_directly,
            args=(engine, clinic, Role.NURSE, pid, 1, "Changed meanwhile"),
            kwargs={"hopes": "A new hope"},
        )
        nurse.start()
        nurse.join(timeout=20)
        assert not nurse.is_alive(), "the nurse's save waited for this screen's reads"
        return real_status(session, identity, patient_id, conference_id)

    physician = _identity(clinic, Role.PHYSICIAN)
    case_panels.load(physician, pid, None)  # her first look is audited; the one below reads only
    monkeypatch.setattr(case_panels.signoff, "status", status_after_someone_saved)
    material = case_panels.load(physician, pid, None)
    assert material.record.current is not None and material.status is not None
    shown = material.record.current
    assert material.status.current_hash == care_plan.hash_of(shown.content, material.plan), (
        "the hash offered for signing is not the hash of the words on screen"
    )
    with pytest.raises(Refusal), transaction(engine) as s:
        signoff.sign(
            s,
            physician,
            pid,
            material.conference_id,
            None,
            material.status.current_hash,
            dt.datetime.now(dt.UTC),
        )
