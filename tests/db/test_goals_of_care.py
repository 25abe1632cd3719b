"""The goals-of-care record: versions, optimistic locking, amendments, plan items and the final state
(both databases)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from auth.identity import Identity
from auth.permissions import AccessDenied
from clinical.roles import Role
from db.engine import transaction
from db.models import (
    Addendum,
    AmendmentRequest,
    AuditEvent,
    GoalsOfCareDocument,
    GoalsOfCareVersion,
    PlanItem,
    PlanItemKind,
    PlanItemStatus,
    SignOff,
)
from services.goals_of_care import amendments, signoff
from services.goals_of_care import plan as care_plan
from services.goals_of_care import record as goc
from services.goals_of_care.guards import RecordFinal
from tests import factories
from tests.factories import NOW, goals_of_care_content

LATER = NOW + dt.timedelta(minutes=5)


@pytest.fixture
def ward(engine):
    """Ada, cared for by a physician, nurse and social worker; her daughter has a portal account; an
    outsider physician is on nobody's team. Tomorrow's conference (chaired by the physician) discusses Ada."""
    with transaction(engine) as s:
        users = {
            r: factories.user(s, r.value, r)
            for r in (Role.PHYSICIAN, Role.NURSE, Role.SOCIAL_WORKER, Role.CHAPLAIN, Role.FAMILY)
        }
        outsider = factories.user(s, "outsider", Role.PHYSICIAN)
        ada = factories.patient(s, "Ada", "Quillfeather")
        factories.on_team(
            s, ada, users[Role.PHYSICIAN], users[Role.NURSE], users[Role.SOCIAL_WORKER], users[Role.CHAPLAIN]
        )
        factories.family_contact(s, ada, users[Role.FAMILY])
        conference = factories.conference(
            s,
            users[Role.PHYSICIAN],
            "Case conference",
            NOW + dt.timedelta(hours=1),
            (ada, users[Role.NURSE], "GoC"),
        )
        ids = {r: u.id for r, u in users.items()} | {"outsider": outsider.id}
        ids |= {"ada": ada.id, "conference": conference.id}
    return ids


def me(ids, role: Role) -> Identity:
    return Identity(ids[role], role.value, f"Test {role.value}", role, "password")


def counts(engine) -> dict[str, int]:
    with transaction(engine) as s:
        return {
            m.__tablename__: s.scalar(select(func.count()).select_from(m))
            for m in (
                GoalsOfCareDocument,
                GoalsOfCareVersion,
                PlanItem,
                SignOff,
                AmendmentRequest,
                Addendum,
                AuditEvent,
            )
        }


def first_version(engine, ids, **overrides) -> goc.VersionView:
    with transaction(engine) as s:
        return goc.save(
            s,
            me(ids, Role.PHYSICIAN),
            ids["ada"],
            goals_of_care_content(**overrides),
            0,
            "First conversation",
            NOW,
        )


def test_every_save_is_a_new_version_with_author_time_and_reason(engine, ward):
    v1 = first_version(engine, ward)
    with transaction(engine) as s:
        v2 = goc.save(
            s,
            me(ward, Role.NURSE),
            ward["ada"],
            goals_of_care_content(hopes="To see the sea"),
            1,
            "Added her hopes",
            LATER,
        )
    assert (v1.number, v2.number) == (1, 2)
    with transaction(engine) as s:
        record = goc.open_record(s, me(ward, Role.SOCIAL_WORKER), ward["ada"], LATER)
        changes = goc.compare(s, me(ward, Role.SOCIAL_WORKER), ward["ada"], 1, 2)
        old = goc.version(s, me(ward, Role.SOCIAL_WORKER), ward["ada"], 1)
    assert record.number == 2 and record.current.content["hopes"] == "To see the sea"
    assert [(h.number, h.author_name, h.reason) for h in record.history] == [
        (2, "Test Nurse", "Added her hopes"),
        (1, "Test Physician", "First conversation"),
    ]
    assert record.history[0].created_at == LATER
    assert old.content["hopes"] is None, "version 1 is kept as it was"
    assert [(c.label, c.before, c.after) for c in changes] == [("Hopes", "(blank)", "To see the sea")]


def test_two_people_saving_at_once_one_wins_the_other_keeps_their_text(engine, ward):
    first_version(engine, ward)
    texts = {
        Role.PHYSICIAN: goals_of_care_content(hopes="Physician's wording of her hopes"),
        Role.NURSE: goals_of_care_content(hopes="Nurse's wording of her hopes"),
    }
    barrier = threading.Barrier(2)
    outcomes: dict[Role, object] = {}

    def editor(role: Role) -> None:
        try:
            with transaction(engine) as s:
                barrier.wait(timeout=10)
                outcomes[role] = goc.save(
                    s, me(ward, role), ward["ada"], texts[role], 1, f"{role} edit", LATER
                )
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            outcomes[role] = exc

    threads = [threading.Thread(target=editor, args=(r,)) for r in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    winners = [r for r, o in outcomes.items() if isinstance(o, goc.VersionView)]
    losers = [r for r, o in outcomes.items() if isinstance(o, goc.StaleVersion)]
    assert len(winners) == 1 and len(losers) == 1, f"exactly one save must win: {outcomes}"
    winner, loser = winners[0], losers[0]
    stale = outcomes[loser]
    assert stale.theirs.number == 2
    assert stale.theirs.content["hopes"] == texts[winner]["hopes"], "the loser is shown the winner's text"
    assert stale.theirs.author_name == f"Test {winner.value.title()}"
    assert "after you opened version 1" in str(stale)
    assert texts[loser]["hopes"].startswith(loser.value.title()), "the loser's own text is still in hand"
    with transaction(engine) as s:
        record = goc.open_record(s, me(ward, Role.PHYSICIAN), ward["ada"])
    assert [h.number for h in record.history] == [2, 1], "nothing lost, nothing overwritten"
    assert record.current.content["hopes"] == texts[winner]["hopes"]


def test_a_stale_save_is_refused_even_without_a_race(engine, ward):
    first_version(engine, ward)
    with transaction(engine) as s:
        goc.save(s, me(ward, Role.NURSE), ward["ada"], goals_of_care_content(hopes="one"), 1, "edit", LATER)
    before = counts(engine)
    with transaction(engine) as s, pytest.raises(goc.StaleVersion) as stale:
        goc.save(
            s, me(ward, Role.PHYSICIAN), ward["ada"], goals_of_care_content(hopes="two"), 1, "edit", LATER
        )
    assert stale.value.theirs.content["hopes"] == "one"
    assert counts(engine) == before


@pytest.mark.parametrize(
    ("content", "reason", "fragment"),
    [
        (
            goals_of_care_content(
                treatment_limits={"cpr": "attempt", "level_of_treatment": "comfort_focused"}
            ),
            "edit",
            "contradict each other",
        ),
        (goals_of_care_content(facilitator=""), "edit", "Facilitator is required"),
        (goals_of_care_content(hopes="x" * 5000), "edit", "characters long"),
        (goals_of_care_content(), "   ", "Please give a reason"),
    ],
)
def test_bad_input_is_refused_in_plain_words_and_changes_nothing(engine, ward, content, reason, fragment):
    first_version(engine, ward)
    before = counts(engine)
    with transaction(engine) as s, pytest.raises(goc.GoalsOfCareRefused) as refused:
        goc.save(s, me(ward, Role.PHYSICIAN), ward["ada"], content, 1, reason, LATER)
    assert fragment in str(refused.value)
    assert counts(engine) == before


def test_only_the_care_team_reads_or_edits_the_record(engine, ward):
    first_version(engine, ward)
    outsider = Identity(ward["outsider"], "outsider", "Outsider", Role.PHYSICIAN, "password")
    for who in (outsider, me(ward, Role.FAMILY)):
        with transaction(engine) as s, pytest.raises(AccessDenied):
            goc.open_record(s, who, ward["ada"])
        with transaction(engine) as s, pytest.raises(AccessDenied):
            goc.save(s, who, ward["ada"], goals_of_care_content(hopes="x"), 1, "edit", LATER)


def test_amendment_requested_by_family_and_accepted_links_the_new_version(engine, ward):
    first_version(engine, ward)
    with transaction(engine) as s:
        asked = amendments.request_amendment(
            s,
            me(ward, Role.FAMILY),
            ward["ada"],
            "Mum said she would accept a trial of tube feeding only.",
            LATER,
        )
    assert asked.about_version == 1 and asked.status.value == "requested"
    with transaction(engine) as s, pytest.raises(AccessDenied):
        amendments.request_amendment(s, me(ward, Role.NURSE), ward["ada"], "not family", LATER)
    corrected = goals_of_care_content(
        treatment_limits={"cpr": "do_not_attempt", "level_of_treatment": "selective", "nutrition": "none"}
    )
    with transaction(engine) as s:
        answered = amendments.answer_amendment(
            s,
            me(ward, Role.PHYSICIAN),
            asked.request_id,
            accept=True,
            reason="Confirmed with the patient",
            now=LATER,
            content=corrected,
            based_on_version=1,
        )
    assert (answered.status.value, answered.resulting_version, answered.answered_by_name) == (
        "accepted",
        2,
        "Test Physician",
    )
    with transaction(engine) as s:
        record = goc.open_record(s, me(ward, Role.PHYSICIAN), ward["ada"])
        mine = amendments.my_amendment_requests(s, me(ward, Role.FAMILY), ward["ada"])
    assert record.current.reason.startswith(f"Amendment request {asked.request_id} accepted")
    assert record.amendments[0].resulting_version == 2
    assert mine[0].answer_reason == "Confirmed with the patient"
    with transaction(engine) as s, pytest.raises(amendments.AmendmentRefused, match="already accepted"):
        amendments.answer_amendment(
            s, me(ward, Role.NURSE), asked.request_id, accept=False, reason="no", now=LATER
        )


def test_amendment_refused_needs_a_reason_and_creates_no_version(engine, ward):
    first_version(engine, ward)
    with transaction(engine) as s:
        asked = amendments.request_amendment(s, me(ward, Role.FAMILY), ward["ada"], "Wrong date.", LATER)
    with transaction(engine) as s, pytest.raises(amendments.AmendmentRefused):
        amendments.answer_amendment(
            s, me(ward, Role.PHYSICIAN), asked.request_id, accept=False, reason="", now=LATER
        )
    before = counts(engine)
    with transaction(engine) as s:
        answered = amendments.answer_amendment(
            s, me(ward, Role.PHYSICIAN), asked.request_id, accept=False, reason="The date is right", now=LATER
        )
    after = counts(engine)
    assert answered.status.value == "refused" and answered.resulting_version is None
    assert after["goals_of_care_versions"] == before["goals_of_care_versions"]
    with transaction(engine) as s, pytest.raises(amendments.AmendmentRefused):
        amendments.request_amendment(s, me(ward, Role.FAMILY), ward["ada"], "   ", LATER)


def test_plan_items_have_owner_due_date_status_and_optimistic_locking(engine, ward):
    first_version(engine, ward)
    with transaction(engine) as s:
        item = care_plan.add_plan_item(
            s,
            me(ward, Role.NURSE),
            ward["ada"],
            ward["conference"],
            care_plan.PlanItemDraft(
                PlanItemKind.ACTION,
                "Arrange hospice referral",
                owner_role=Role.SOCIAL_WORKER,
                due_date="2026-12-07",
            ),
            LATER,
        )
        rec = care_plan.add_plan_item(
            s,
            me(ward, Role.PHYSICIAN),
            ward["ada"],
            ward["conference"],
            care_plan.PlanItemDraft(
                "recommendation", "Continue opioid rotation", owner_user_id=ward[Role.PHYSICIAN]
            ),
            LATER,
        )
    assert (item.owner_name, item.due_date, item.status) == (
        "Social worker",
        dt.date(2026, 12, 7),
        PlanItemStatus.PROPOSED,
    )
    assert rec.owner_name == "Test Physician"
    with transaction(engine) as s:
        done = care_plan.update_plan_item(
            s,
            me(ward, Role.SOCIAL_WORKER),
            item.item_id,
            care_plan.PlanItemDraft(
                "action", "Arrange hospice referral", owner_role="social_worker", status="done"
            ),
            item.version,
            LATER,
        )
    assert done.status is PlanItemStatus.DONE and done.version > item.version
    with transaction(engine) as s, pytest.raises(care_plan.StalePlanItem) as stale:
        care_plan.update_plan_item(
            s,
            me(ward, Role.NURSE),
            item.item_id,
            care_plan.PlanItemDraft("action", "Other", owner_role="nurse"),
            item.version,
            LATER,
        )
    assert stale.value.theirs.status is PlanItemStatus.DONE
    before = counts(engine)
    bad = [
        care_plan.PlanItemDraft("action", "No owner"),
        care_plan.PlanItemDraft("action", "Two owners", owner_role="nurse", owner_user_id=ward[Role.NURSE]),
        care_plan.PlanItemDraft("action", "", owner_role="nurse"),
        care_plan.PlanItemDraft("action", "Owner outside the team", owner_user_id=ward["outsider"]),
        care_plan.PlanItemDraft("action", "Bad date", owner_role="nurse", due_date="soon"),
    ]
    for draft in bad:
        with transaction(engine) as s, pytest.raises(care_plan.PlanItemRefused):
            care_plan.add_plan_item(s, me(ward, Role.NURSE), ward["ada"], ward["conference"], draft, LATER)
    assert counts(engine) == before


def test_a_final_record_refuses_edits_and_takes_addenda(engine, ward):
    first_version(engine, ward)
    with transaction(engine) as s:
        item = care_plan.add_plan_item(
            s,
            me(ward, Role.NURSE),
            ward["ada"],
            ward["conference"],
            care_plan.PlanItemDraft("action", "Hospice referral", owner_role="social_worker"),
            LATER,
        )
        h = signoff.status(s, me(ward, Role.NURSE), ward["ada"], ward["conference"]).current_hash
    for role in (Role.PHYSICIAN, Role.NURSE, Role.SOCIAL_WORKER):
        with transaction(engine) as s:
            signoff.sign(s, me(ward, role), ward["ada"], ward["conference"], "Agreed", h, LATER)
    with transaction(engine) as s:
        assert goc.open_record(s, me(ward, Role.NURSE), ward["ada"]).is_final
    before = counts(engine)
    with transaction(engine) as s, pytest.raises(RecordFinal, match="Add an addendum"):
        goc.save(
            s,
            me(ward, Role.PHYSICIAN),
            ward["ada"],
            goals_of_care_content(hopes="new"),
            1,
            "late edit",
            LATER,
        )
    with transaction(engine) as s, pytest.raises(RecordFinal):
        care_plan.update_plan_item(
            s,
            me(ward, Role.NURSE),
            item.item_id,
            care_plan.PlanItemDraft("action", "Changed", owner_role="nurse"),
            item.version,
            LATER,
        )
    with transaction(engine) as s, pytest.raises(RecordFinal):
        care_plan.add_plan_item(
            s,
            me(ward, Role.NURSE),
            ward["ada"],
            ward["conference"],
            care_plan.PlanItemDraft("recommendation", "More"),
            LATER,
        )
    assert counts(engine) == before, "a final record is not changed by a refused edit"
    with transaction(engine) as s:
        amendments.add_addendum(
            s, me(ward, Role.CHAPLAIN), ward["ada"], "Family asked for a blessing at home.", LATER
        )
        asked = amendments.request_amendment(
            s, me(ward, Role.FAMILY), ward["ada"], "Add that she wants music.", LATER
        )
    with transaction(engine) as s:
        answered = amendments.answer_amendment(
            s, me(ward, Role.PHYSICIAN), asked.request_id, accept=True, reason="Agreed with family", now=LATER
        )
    assert answered.resulting_addendum_id is not None and answered.resulting_version is None
    with transaction(engine) as s:
        record = goc.open_record(s, me(ward, Role.NURSE), ward["ada"])
    assert [a.text for a in record.addenda] == [
        "Family asked for a blessing at home.",
        "Amendment requested by the family: Add that she wants music.",
    ]
    assert record.number == 1
