"""Consensus sign-off bound to the content signed: voiding, dissent, override, final (both databases)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from auth.identity import Identity
from auth.permissions import AccessDenied
from clinical import goals_of_care as clinical_goc
from clinical.roles import Role
from db.engine import transaction
from db.models import AuditEvent, FamilyAcknowledgement, Patient, SignOff, User
from services.goals_of_care import plan as care_plan
from services.goals_of_care import record as goc
from services.goals_of_care import signoff
from tests import factories
from tests.factories import NOW, goals_of_care_content

LATER = NOW + dt.timedelta(minutes=5)
TEAM = (Role.PHYSICIAN, Role.NURSE, Role.SOCIAL_WORKER)


@pytest.fixture
def case(engine):
    """Ada's goals of care (version 1) and one plan item, on a conference chaired by a physician who is
    not on her care team. The care team: physician, nurse, social worker, chaplain, pharmacist."""
    with transaction(engine) as s:
        users = {
            r: factories.user(s, r.value, r)
            for r in (
                Role.PHYSICIAN,
                Role.NURSE,
                Role.SOCIAL_WORKER,
                Role.CHAPLAIN,
                Role.PHARMACIST,
                Role.FAMILY,
            )
        }
        chair = factories.user(s, "chair", Role.PHYSICIAN)
        ada = factories.patient(s, "Ada", "Quillfeather")
        factories.on_team(s, ada, *(u for r, u in users.items() if r is not Role.FAMILY))
        factories.family_contact(s, ada, users[Role.FAMILY])
        conference = factories.conference(
            s,
            chair,
            "Case conference",
            NOW + dt.timedelta(hours=1),
            (ada, users[Role.NURSE], "Goals of care"),
        )
        ids = {r: u.id for r, u in users.items()} | {
            "chair": chair.id,
            "ada": ada.id,
            "conference": conference.id,
        }
    with transaction(engine) as s:
        goc.save(
            s, me(ids, Role.PHYSICIAN), ids["ada"], goals_of_care_content(), 0, "First conversation", NOW
        )
        ids["item"] = care_plan.add_plan_item(
            s,
            me(ids, Role.NURSE),
            ids["ada"],
            ids["conference"],
            care_plan.PlanItemDraft("action", "Hospice referral", owner_role="social_worker"),
            NOW,
        )
    return ids


def me(ids, role: Role) -> Identity:
    return Identity(ids[role], role.value, f"Test {role.value}", role, "password")


def chair(ids) -> Identity:
    return Identity(ids["chair"], "chair", "Test Chair", Role.PHYSICIAN, "password")


def status(engine, ids) -> signoff.SignOffStatus:
    with transaction(engine) as s:
        return signoff.status(s, me(ids, Role.NURSE), ids["ada"], ids["conference"])


def sign(engine, ids, role: Role, h: str | None = None, statement: str = "Agreed") -> signoff.SignatureView:
    with transaction(engine) as s:
        h = h or signoff.status(s, me(ids, role), ids["ada"], ids["conference"]).current_hash
        return signoff.sign(s, me(ids, role), ids["ada"], ids["conference"], statement, h, LATER)


def rows(engine) -> int:
    with transaction(engine) as s:
        return s.scalar(select(func.count()).select_from(SignOff))


def test_the_hash_signed_is_the_goals_of_care_content_and_the_plan(engine, case):
    with transaction(engine) as s:
        record = goc.open_record(s, me(case, Role.NURSE), case["ada"])
    expected = clinical_goc.content_hash(record.current.content, [case["item"].canonical()])
    signature = sign(engine, case, Role.PHYSICIAN, statement="I agree with the plan.")
    assert signature.content_sha256 == expected == status(engine, case).current_hash
    assert (signature.role, signature.statement, signature.state) == (
        Role.PHYSICIAN,
        "I agree with the plan.",
        "live",
    )


def test_a_signature_made_before_an_edit_is_void_after_it(engine, case):
    early = sign(engine, case, Role.PHYSICIAN)
    with transaction(engine) as s:
        goc.save(
            s, me(case, Role.NURSE), case["ada"], goals_of_care_content(hopes="The sea"), 1, "Hopes", LATER
        )
    after_goc_edit = status(engine, case)
    void = next(x for x in after_goc_edit.signatures if x.sign_off_id == early.sign_off_id)
    assert void.state == "void" and void.voided_at == LATER, "still visible, marked void"
    assert after_goc_edit.consensus.signed_roles == ()
    # A plan change voids just the same.
    second = sign(engine, case, Role.PHYSICIAN)
    with transaction(engine) as s:
        care_plan.update_plan_item(
            s,
            me(case, Role.NURSE),
            case["item"].item_id,
            care_plan.PlanItemDraft("action", "Hospice referral this week", owner_role="social_worker"),
            case["item"].version,
            LATER,
        )
    states = {x.sign_off_id: x.state for x in status(engine, case).signatures}
    assert states == {early.sign_off_id: "void", second.sign_off_id: "void"}
    with transaction(engine) as s:
        actions = set(s.scalars(select(AuditEvent.action)))
    assert "signoffs_voided" in actions


def test_signing_content_that_changed_since_it_was_opened_is_refused(engine, case):
    seen = status(engine, case).current_hash
    with transaction(engine) as s:
        goc.save(
            s, me(case, Role.NURSE), case["ada"], goals_of_care_content(hopes="The sea"), 1, "Hopes", LATER
        )
    before = rows(engine)
    with transaction(engine) as s, pytest.raises(signoff.ContentChanged) as changed:
        signoff.sign(s, me(case, Role.PHYSICIAN), case["ada"], case["conference"], "", seen, LATER)
    assert changed.value.current_hash != seen
    assert rows(engine) == before


def test_final_only_when_every_required_role_signed_the_same_content(engine, case):
    sign(engine, case, Role.PHYSICIAN)
    sign(engine, case, Role.NURSE)
    sign(engine, case, Role.CHAPLAIN)  # optional: listed, not enough
    partial = status(engine, case)
    assert not partial.is_final
    assert partial.consensus.missing_roles == ("social_worker",)
    with transaction(engine) as s, pytest.raises(signoff.NotFinal, match="social worker"):
        signoff.finalise(s, me(case, Role.NURSE), case["ada"], case["conference"], LATER)
    # The social worker signs, but only after the content moved: the others' signatures are void.
    with transaction(engine) as s:
        goc.save(
            s, me(case, Role.NURSE), case["ada"], goals_of_care_content(hopes="The sea"), 1, "Hopes", LATER
        )
    sign(engine, case, Role.SOCIAL_WORKER)
    moved = status(engine, case)
    assert not moved.is_final and moved.consensus.missing_roles == ("physician", "nurse")
    sign(engine, case, Role.PHYSICIAN)
    sign(engine, case, Role.NURSE)
    done = status(engine, case)
    assert done.is_final and done.final_hash == done.current_hash and done.final_at == LATER
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).where(AuditEvent.action == "record_finalised")) == 1


def test_a_dissent_blocks_until_withdrawn(engine, case):
    with transaction(engine) as s:
        h = signoff.status(s, me(case, Role.NURSE), case["ada"], case["conference"]).current_hash
        with pytest.raises(signoff.SignOffRefused, match="reason"):
            signoff.dissent(s, me(case, Role.NURSE), case["ada"], case["conference"], "  ", h, LATER)
    with transaction(engine) as s:
        objection = signoff.dissent(
            s, me(case, Role.CHAPLAIN), case["ada"], case["conference"], "Family not ready", h, LATER
        )
    for role in TEAM:
        sign(engine, case, role)
    blocked = status(engine, case)
    assert not blocked.is_final
    assert [d.signature_id for d in blocked.consensus.blocking_dissents] == [objection.sign_off_id]
    with transaction(engine) as s, pytest.raises(AccessDenied):
        signoff.withdraw(s, me(case, Role.NURSE), objection.sign_off_id, LATER)  # not theirs to withdraw
    with transaction(engine) as s:
        withdrawn = signoff.withdraw(s, me(case, Role.CHAPLAIN), objection.sign_off_id, LATER)
    assert withdrawn.state == "withdrawn"
    assert status(engine, case).is_final, "withdrawing the last obstacle finalises the record"


def test_a_dissent_is_overridden_only_by_the_chair_with_a_reason(engine, case):
    h = status(engine, case).current_hash
    with transaction(engine) as s:
        objection = signoff.dissent(
            s, me(case, Role.NURSE), case["ada"], case["conference"], "Too early", h, LATER
        )
        chaplain = signoff.dissent(
            s, me(case, Role.CHAPLAIN), case["ada"], case["conference"], "Family unsure", h, LATER
        )
    sign(engine, case, Role.PHYSICIAN)
    sign(engine, case, Role.SOCIAL_WORKER)
    assert status(engine, case).consensus.missing_roles == ("nurse",), "a dissent is not an agreement"
    # The nurse changes her mind: her agreement replaces her own dissent. The chaplain's still stands.
    sign(engine, case, Role.NURSE)
    blocked = status(engine, case)
    assert blocked.consensus.missing_roles == () and not blocked.is_final
    with transaction(engine) as s, pytest.raises(AccessDenied):
        signoff.override_dissent(s, me(case, Role.PHYSICIAN), chaplain.sign_off_id, "I disagree", LATER)
    # The chair is not on Ada's care team: chairing the meeting is not enough to override on her record.
    with transaction(engine) as s, pytest.raises(AccessDenied):
        signoff.override_dissent(s, chair(case), chaplain.sign_off_id, "Family agreed at the meeting", LATER)
    with transaction(engine) as s:
        factories.on_team(s, s.get(Patient, case["ada"]), s.get(User, case["chair"]))
    with transaction(engine) as s, pytest.raises(signoff.SignOffRefused):
        signoff.override_dissent(s, chair(case), chaplain.sign_off_id, "", LATER)
    assert not status(engine, case).is_final
    with transaction(engine) as s:
        overridden = signoff.override_dissent(
            s, chair(case), chaplain.sign_off_id, "Family agreed at the meeting", LATER
        )
    assert (overridden.state, overridden.override_by_name, overridden.override_reason) == (
        "overridden",
        "Test Chair",
        "Family agreed at the meeting",
    )
    final = status(engine, case)
    assert final.is_final
    states = {x.sign_off_id: x.state for x in final.signatures}
    assert states[objection.sign_off_id] == "withdrawn" and states[chaplain.sign_off_id] == "overridden"


def test_who_may_sign(engine, case):
    before = rows(engine)
    h = status(engine, case).current_hash
    with (
        transaction(engine) as s,
        pytest.raises(signoff.SignOffRefused, match="cannot sign it as pharmacist"),
    ):
        signoff.sign(s, me(case, Role.PHARMACIST), case["ada"], case["conference"], "", h, LATER)
    with transaction(engine) as s, pytest.raises(AccessDenied):
        signoff.sign(s, chair(case), case["ada"], case["conference"], "", h, LATER)  # not on the care team
    with transaction(engine) as s, pytest.raises(AccessDenied):
        signoff.sign(s, me(case, Role.FAMILY), case["ada"], case["conference"], "", h, LATER)
    with transaction(engine) as s, pytest.raises(signoff.SignOffRefused, match="characters"):
        signoff.sign(s, me(case, Role.NURSE), case["ada"], case["conference"], "x" * 3000, h, LATER)
    assert rows(engine) == before
    sign(engine, case, Role.NURSE)
    with transaction(engine) as s, pytest.raises(signoff.SignOffRefused, match="already signed"):
        signoff.sign(s, me(case, Role.NURSE), case["ada"], case["conference"], "", h, LATER)


def test_the_chair_configures_required_roles(engine, case):
    with transaction(engine) as s, pytest.raises(AccessDenied):
        signoff.set_roles(s, me(case, Role.NURSE), case["conference"], [Role.NURSE], now=LATER)
    with transaction(engine) as s, pytest.raises(signoff.SignOffRefused):
        signoff.set_roles(s, chair(case), case["conference"], [], now=LATER)
    with transaction(engine) as s:
        roles = signoff.set_roles(
            s, chair(case), case["conference"], [Role.PHYSICIAN, Role.PHARMACIST], [Role.NURSE], LATER
        )
    assert roles == {Role.PHYSICIAN: True, Role.PHARMACIST: True, Role.NURSE: False}
    sign(engine, case, Role.PHYSICIAN)
    with transaction(engine) as s, pytest.raises(signoff.SignOffRefused):
        signoff.sign(
            s,
            me(case, Role.SOCIAL_WORKER),
            case["ada"],
            case["conference"],
            "",
            status(engine, case).current_hash,
            LATER,
        )
    sign(engine, case, Role.PHARMACIST)
    assert status(engine, case).is_final


def test_family_acknowledgement_is_recorded_apart_and_never_counts_as_a_signature(engine, case):
    with transaction(engine) as s:
        seen = signoff.plan_for_family(s, me(case, Role.FAMILY), case["ada"], case["conference"])
    assert [p.text for p in seen.plan] == ["Hospice referral"] and seen.goals_of_care is not None
    with transaction(engine) as s:
        ack = signoff.family_acknowledge(
            s, me(case, Role.FAMILY), case["ada"], case["conference"], seen.content_hash, "Thank you", LATER
        )
    with transaction(engine) as s, pytest.raises(AccessDenied):
        signoff.family_acknowledge(
            s, me(case, Role.NURSE), case["ada"], case["conference"], seen.content_hash, None, LATER
        )
    now = status(engine, case)
    assert [a.acknowledgement_id for a in now.acknowledgements] == [ack.acknowledgement_id]
    assert now.signatures == [] and now.consensus.signed_roles == ()
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(FamilyAcknowledgement)) == 1


def test_conferences_for_lists_the_upcoming_conferences_with_the_patient_on_their_agenda(engine, case):
    """Ada is on the agenda of the case conference (in an hour) and of a family meeting (in two days);
    not of a conference about another patient, and last week's review of her has ended."""
    with transaction(engine) as s:
        ada = s.get(Patient, case["ada"])
        nurse, host = s.get(User, case[Role.NURSE]), s.get(User, case["chair"])
        meeting = factories.conference(
            s, host, "Family meeting", NOW + dt.timedelta(days=2), (ada, nurse, "Home")
        )
        factories.conference(s, host, "Last week's review", NOW - dt.timedelta(days=7), (ada, nurse, "Pain"))
        bea = factories.patient(s, "Bea", "Other")
        factories.conference(s, host, "About Bea", NOW + dt.timedelta(hours=3), (bea, nurse, "Breathing"))
        meeting_id = meeting.id
    with transaction(engine) as s:
        audited = s.scalar(select(func.count()).select_from(AuditEvent))
        listed = signoff.conferences_for(s, me(case, Role.SOCIAL_WORKER), case["ada"], NOW)
        # Must NOT happen: listing the conferences is not a view of the record summary.
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == audited
    assert [(c.conference_id, c.title, c.starts_at) for c in listed] == [
        (case["conference"], "Case conference", NOW + dt.timedelta(hours=1)),
        (meeting_id, "Family meeting", NOW + dt.timedelta(days=2)),
    ]


def test_conferences_for_refuses_a_clinician_off_the_care_team(engine, case):
    """The chair runs Ada's conference but is not on her care team: refused, like every other service."""
    with transaction(engine) as s, pytest.raises(AccessDenied):
        signoff.conferences_for(s, chair(case), case["ada"], NOW)
    with transaction(engine) as s, pytest.raises(AccessDenied):
        signoff.conferences_for(s, me(case, Role.FAMILY), case["ada"], NOW)


def test_required_roles_have_a_floor_and_freeze_once_someone_signed(engine, case):
    """A chair could once require the chaplain alone, or change who signs after signatures were given."""
    with transaction(engine) as s, pytest.raises(signoff.SignOffRefused, match="physician and at least one"):
        signoff.set_roles(s, chair(case), case["conference"], [Role.CHAPLAIN], now=LATER)
    with transaction(engine) as s, pytest.raises(signoff.SignOffRefused, match="physician and at least one"):
        signoff.set_roles(s, chair(case), case["conference"], [Role.PHYSICIAN], now=LATER)
    with transaction(engine) as s:
        signoff.set_roles(s, chair(case), case["conference"], [Role.PHYSICIAN, Role.NURSE], now=LATER)
    sign(engine, case, Role.NURSE)
    with transaction(engine) as s, pytest.raises(signoff.SignOffRefused, match="already signed"):
        signoff.set_roles(s, chair(case), case["conference"], [Role.PHYSICIAN, Role.PHARMACIST], now=LATER)
    assert set(status(engine, case).roles) == {Role.PHYSICIAN, Role.NURSE}, (
        "who signs changed after a signature"
    )
