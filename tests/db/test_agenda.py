"""The meeting's agenda: who moves it on, the outcome each case needs, and what is read from it afterwards
(both databases)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from auth.identity import Identity
from auth.permissions import AccessDenied
from clinical.case_outcome import OutcomeDraft, OutcomeKind
from clinical.roles import Role
from db.engine import transaction
from db.models import (
    AgendaStatus,
    Attendance,
    AttendanceOutcome,
    AuditEvent,
    CaseOutcome,
    ConferenceCase,
    PlanItem,
    PlanItemKind,
    PlanItemStatus,
    SharedView,
    User,
)
from services import agenda as agenda_service
from services import shared_view
from services.agenda import AgendaRefused, StaleOutcome
from tests import factories
from tests.factories import NOW

ROLES = (Role.PHYSICIAN, Role.NURSE, Role.SOCIAL_WORKER, Role.CHAPLAIN, Role.FAMILY)
DISCUSSED = OutcomeDraft(OutcomeKind.DISCUSSED, "Start a syringe driver; review on Friday.")


@pytest.fixture
def meeting(engine):
    """Today's meeting, chaired by the physician, about Ada (the nurse presents), Ben (the social worker
    presents) and Cy (the physician presents). The physician cares for all three, the nurse for Ada and
    Ben, the social worker for Ben only, the chaplain for Ben only; the family account is Ada's daughter."""
    with transaction(engine) as s:
        users = {r: factories.user(s, r.value, r) for r in ROLES}
        outsider = factories.user(s, "other_nurse", Role.NURSE)
        ada = factories.patient(s, "Ada", "Quillfeather")
        ben = factories.patient(s, "Ben", "Marrowstone")
        cy = factories.patient(s, "Cy", "Ashdown")
        factories.on_team(s, ada, users[Role.PHYSICIAN], users[Role.NURSE])
        factories.on_team(
            s, ben, users[Role.PHYSICIAN], users[Role.NURSE], users[Role.SOCIAL_WORKER], users[Role.CHAPLAIN]
        )
        factories.on_team(s, cy, users[Role.PHYSICIAN])
        factories.family_contact(s, ada, users[Role.FAMILY])
        conference = factories.conference(
            s,
            users[Role.PHYSICIAN],
            "Weekly case conference",
            NOW,
            (ada, users[Role.NURSE], "Is the pain plan working?"),
            (ben, users[Role.SOCIAL_WORKER], "Can he go home?"),
            (cy, users[Role.PHYSICIAN], "Goals of care"),
        )
        cases = s.scalars(
            select(ConferenceCase.id)
            .where(ConferenceCase.conference_id == conference.id)
            .order_by(ConferenceCase.agenda_order)
        ).all()
        ids = {r: u.id for r, u in users.items()}
        ids |= {
            "outsider": outsider.id,
            "ada": ada.id,
            "ben": ben.id,
            "cy": cy.id,
            "conference": conference.id,
        }
        ids |= dict(zip(("ada_case", "ben_case", "cy_case"), cases, strict=True))
    return ids


def _me(ids, role: Role) -> Identity:
    return Identity(ids[role], role.value, f"Test {role.value}", role, "password")


def _outsider(ids) -> Identity:
    return Identity(ids["outsider"], "other_nurse", "Test Other Nurse", Role.NURSE, "password")


def _snapshot(s, conference_id: int) -> tuple[object, ...]:
    """Everything the agenda's writers may change: the shared view, the cases, the outcomes and the trail."""
    view = s.execute(
        select(
            SharedView.version,
            SharedView.case_id,
            SharedView.patient_id,
            SharedView.presenter_id,
            SharedView.lead_id,
        ).where(SharedView.conference_id == conference_id)
    ).first()
    cases = s.execute(
        select(ConferenceCase.id, ConferenceCase.status, ConferenceCase.started_at).order_by(
            ConferenceCase.id
        )
    ).all()
    outcomes = s.scalar(select(func.count()).select_from(CaseOutcome))
    events = s.scalar(select(func.count()).select_from(AuditEvent))
    return tuple(view) if view else None, [tuple(c) for c in cases], outcomes, events


def _next(engine, ids, role: Role, expected: int | None, at: dt.datetime = NOW):
    with transaction(engine) as s:
        return agenda_service.next_case(s, _me(ids, role), ids["conference"], at, expected_current=expected)


def _record(engine, ids, case: str, draft=DISCUSSED, expected: int = 0, role=Role.PHYSICIAN, at=NOW):
    with transaction(engine) as s:
        return agenda_service.record_outcome(
            s, _me(ids, role), ids["conference"], ids[case], draft, at, expected_version=expected
        )


def _status(engine, case_id: int) -> AgendaStatus:
    with transaction(engine) as s:
        return s.get(ConferenceCase, case_id).status


# ------------------------------------------------------------------------------------- moving the meeting


def test_the_chair_opens_the_first_case_and_next_follows_the_agenda(engine, meeting):
    chair = _me(meeting, Role.PHYSICIAN)
    with transaction(engine) as s:
        before = agenda_service.agenda(s, chair, meeting["conference"], NOW)
    assert (before.current, before.version) == (None, 0), "a meeting nobody has started showed a current case"
    assert [i.status for i in before.items] == [AgendaStatus.TO_DISCUSS] * 3, "cases started as discussed"

    first = _next(engine, meeting, Role.PHYSICIAN, None)
    assert first.current is not None and first.current.case_id == meeting["ada_case"], (
        "Next on a fresh meeting did not open the first case on the agenda"
    )
    assert (first.current.status, first.current.started_at) == (AgendaStatus.UNDER_DISCUSSION, NOW), (
        "the case opened did not show as under discussion, so its time box would not run"
    )
    with transaction(engine) as s:
        view = shared_view.current(s, meeting["conference"])
    assert (view.patient_id, view.presenter_id) == (meeting["ada"], chair.user_id), (
        "the charts did not follow the agenda to Ada's case"
    )

    _record(engine, meeting, "ada_case")
    second = _next(engine, meeting, Role.PHYSICIAN, meeting["ada_case"], NOW + dt.timedelta(minutes=12))
    assert second.current.case_id == meeting["ben_case"], "Next skipped or repeated a case"
    assert second.minutes_spent(NOW + dt.timedelta(minutes=20)) == 8, (
        "the time box counted from the wrong moment"
    )
    assert _status(engine, meeting["ada_case"]) is AgendaStatus.DISCUSSED, (
        "the case left behind lost its outcome on the agenda"
    )

    _record(engine, meeting, "ben_case", at=NOW + dt.timedelta(minutes=20))
    with transaction(engine) as s:
        third = agenda_service.open_case(
            s, chair, meeting["conference"], meeting["cy_case"], NOW, expected_current=meeting["ben_case"]
        )
    assert third.current.case_id == meeting["cy_case"], "the chair could not open a case by choosing it"


def test_next_is_refused_for_a_nurse_who_does_not_lead_and_nothing_changes(engine, meeting):
    _next(engine, meeting, Role.PHYSICIAN, None)
    _record(engine, meeting, "ada_case")
    with transaction(engine) as s:
        before = _snapshot(s, meeting["conference"])
    with pytest.raises(AgendaRefused) as refused:
        _next(engine, meeting, Role.NURSE, meeting["ada_case"])
    assert "Only the chair" in refused.value.message, "the nurse was not told who moves the meeting on"
    with transaction(engine) as s, pytest.raises(AgendaRefused):
        agenda_service.open_case(
            s, _me(meeting, Role.NURSE), meeting["conference"], meeting["cy_case"], NOW, expected_current=None
        )
    with transaction(engine) as s:
        assert _snapshot(s, meeting["conference"]) == before, (
            "a nurse who does not lead moved everyone's screen, or left a trace of trying"
        )


def test_the_lead_steers_after_hand_over_until_the_chair_takes_it_back(engine, meeting):
    conference, chair = meeting["conference"], _me(meeting, Role.PHYSICIAN)
    with transaction(engine) as s:
        handed = agenda_service.hand_over(s, chair, conference, meeting[Role.SOCIAL_WORKER], NOW)
    assert (handed.lead_id, handed.lead_name) == (meeting[Role.SOCIAL_WORKER], "Test Social Worker"), (
        "the agenda did not show who leads after the hand-over"
    )
    assert handed.may_steer(meeting[Role.SOCIAL_WORKER]) and handed.may_steer(chair.user_id), (
        "the lead, or the chair, lost the Next button"
    )
    assert handed.version == 1, "followers' screens did not learn of the hand-over"

    led = _next(engine, meeting, Role.SOCIAL_WORKER, None)
    assert led.current.case_id == meeting["ada_case"], "the presenter handed the lead could not move on"

    with transaction(engine) as s:
        back = agenda_service.hand_over(s, chair, conference, None, NOW)
    assert (back.lead_id, back.lead_name) == (None, None), "the chair could not take the lead back"
    _record(engine, meeting, "ada_case")
    with pytest.raises(AgendaRefused):
        _next(engine, meeting, Role.SOCIAL_WORKER, meeting["ada_case"])


@pytest.mark.parametrize(
    ("by", "to", "why"),
    [
        (Role.NURSE, Role.SOCIAL_WORKER, "someone other than the chair handed the meeting over"),
        (Role.PHYSICIAN, Role.FAMILY, "a family member was handed the lead of a clinical meeting"),
        (Role.PHYSICIAN, "outsider", "a clinician who cannot join the meeting was handed its lead"),
    ],
)
def test_a_hand_over_that_may_not_happen_is_refused_and_changes_nothing(engine, meeting, by, to, why):
    with transaction(engine) as s:
        before = _snapshot(s, meeting["conference"])
    with transaction(engine) as s, pytest.raises(AgendaRefused) as refused:
        agenda_service.hand_over(s, _me(meeting, by), meeting["conference"], meeting[to], NOW)
    assert refused.value.message, why
    with transaction(engine) as s:
        assert _snapshot(s, meeting["conference"]) == before, why


def test_moving_on_is_refused_until_the_current_case_has_an_outcome(engine, meeting):
    _next(engine, meeting, Role.PHYSICIAN, None)
    with transaction(engine) as s:
        before = _snapshot(s, meeting["conference"])
    with pytest.raises(AgendaRefused) as refused:
        _next(engine, meeting, Role.PHYSICIAN, meeting["ada_case"])
    assert refused.value.message.startswith("Record the outcome of Ada Quillfeather (SYN-"), (
        "the chair moved on from Ada's case without recording what was decided, or was not told whose"
    )
    with transaction(engine) as s:
        assert _snapshot(s, meeting["conference"]) == before, "a refused move still moved everyone's screen"


def test_a_move_from_a_stale_screen_is_refused(engine, meeting):
    _next(engine, meeting, Role.PHYSICIAN, None)
    _record(engine, meeting, "ada_case")
    _next(engine, meeting, Role.PHYSICIAN, meeting["ada_case"])  # the chair moves on to Ben
    with transaction(engine) as s:
        agenda_service.hand_over(
            s, _me(meeting, Role.PHYSICIAN), meeting["conference"], meeting[Role.NURSE], NOW
        )
    with pytest.raises(AgendaRefused) as refused:
        _next(engine, meeting, Role.NURSE, meeting["ada_case"])  # the lead's screen still shows Ada
    assert "already moved" in refused.value.message, (
        "a second press of Next from a screen that had not caught up skipped Ben's case"
    )
    with transaction(engine) as s:
        assert (
            agenda_service.agenda(s, _me(meeting, Role.NURSE), meeting["conference"], NOW).current_case_id
            == (meeting["ben_case"])
        ), "the stale press moved the meeting anyway"


def test_next_after_the_last_case_says_it_was_the_last(engine, meeting):
    expected = None
    for case in ("ada_case", "ben_case", "cy_case"):
        _next(engine, meeting, Role.PHYSICIAN, expected)
        _record(engine, meeting, case)
        expected = meeting[case]
    with pytest.raises(AgendaRefused) as refused:
        _next(engine, meeting, Role.PHYSICIAN, expected)
    assert refused.value.message == "That was the last case on the agenda.", (
        "Next on the last case did not say the agenda is done"
    )


def test_a_case_reopened_keeps_its_first_start_and_its_outcome_when_left_again(engine, meeting):
    chair, conference = _me(meeting, Role.PHYSICIAN), meeting["conference"]
    _next(engine, meeting, Role.PHYSICIAN, None)
    _record(engine, meeting, "ada_case")
    _next(engine, meeting, Role.PHYSICIAN, meeting["ada_case"])
    _record(engine, meeting, "ben_case", OutcomeDraft(OutcomeKind.NOT_REACHED))
    later = NOW + dt.timedelta(minutes=30)
    with transaction(engine) as s:
        back = agenda_service.open_case(
            s, chair, conference, meeting["ada_case"], later, expected_current=meeting["ben_case"]
        )
    assert back.current.started_at == NOW, "reopening Ada's case restarted its time box from zero"
    with transaction(engine) as s:
        agenda_service.open_case(
            s, chair, conference, meeting["cy_case"], later, expected_current=meeting["ada_case"]
        )
    assert _status(engine, meeting["ada_case"]) is AgendaStatus.DISCUSSED, (
        "a case reopened and left again showed as under discussion for the rest of the meeting"
    )


# ----------------------------------------------------------------------------------------------- outcomes


@pytest.mark.parametrize(
    "draft",
    [
        OutcomeDraft(OutcomeKind.DISCUSSED, "   "),
        OutcomeDraft(OutcomeKind.DEFERRED),
        OutcomeDraft(OutcomeKind.DEFERRED, deferred_until=NOW.date()),
        OutcomeDraft(OutcomeKind.NOT_REACHED, "x" * 2001),
    ],
    ids=["discussed without summary", "deferred without when", "deferred to today", "summary too long"],
)
def test_an_outcome_that_breaks_a_rule_is_refused_in_words_and_writes_nothing(engine, meeting, draft):
    _next(engine, meeting, Role.PHYSICIAN, None)
    with transaction(engine) as s:
        before = _snapshot(s, meeting["conference"])
    with pytest.raises(AgendaRefused) as refused:
        _record(engine, meeting, "ada_case", draft)
    assert refused.value.message.endswith("."), "the chair was refused without a sentence saying why"
    with transaction(engine) as s:
        assert _snapshot(s, meeting["conference"]) == before, "a refused outcome was still saved or audited"


def test_only_the_chair_or_lead_records_an_outcome(engine, meeting):
    _next(engine, meeting, Role.PHYSICIAN, None)
    with pytest.raises(AgendaRefused):
        _record(engine, meeting, "ada_case", role=Role.NURSE)
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(CaseOutcome)) == 0, (
            "a nurse who does not lead recorded the team's decision"
        )


def test_a_stale_outcome_carries_the_other_version_and_writes_nothing(engine, meeting):
    _next(engine, meeting, Role.PHYSICIAN, None)
    with transaction(engine) as s:
        agenda_service.hand_over(
            s, _me(meeting, Role.PHYSICIAN), meeting["conference"], meeting[Role.NURSE], NOW
        )
    theirs = _record(engine, meeting, "ada_case", role=Role.NURSE)  # the lead saves first
    with transaction(engine) as s:
        before = _snapshot(s, meeting["conference"])
    mine = OutcomeDraft(OutcomeKind.DEFERRED, deferred_to_next_conference=True)
    with pytest.raises(StaleOutcome) as stale:
        _record(engine, meeting, "ada_case", mine, expected=0)
    assert stale.value.current == theirs, "the chair was not shown the outcome the nurse saved first"
    assert stale.value.current.summary == DISCUSSED.summary, "the other version came without its words"
    with transaction(engine) as s:
        assert _snapshot(s, meeting["conference"]) == before, "a stale save overwrote the nurse's outcome"


def test_outcome_versions_append_and_history_reads_newest_first(engine, meeting):
    _next(engine, meeting, Role.PHYSICIAN, None)
    first = _record(engine, meeting, "ada_case")
    deferred = OutcomeDraft(OutcomeKind.DEFERRED, "  Wait for the scan.  ", NOW.date() + dt.timedelta(days=7))
    second = _record(engine, meeting, "ada_case", deferred, expected=1)
    assert (first.version, second.version) == (1, 2), "a correction replaced the outcome instead of adding"
    assert second.summary == "Wait for the scan.", "the stored summary kept the form's stray spaces"
    with transaction(engine) as s:
        history = agenda_service.outcome_history(
            s, _me(meeting, Role.NURSE), meeting["conference"], meeting["ada_case"]
        )
        rows = s.scalar(select(func.count()).select_from(CaseOutcome))
    assert [v.version for v in history] == [2, 1], "the history is not newest first"
    assert history[1].summary == DISCUSSED.summary, "the first decision was lost when it was corrected"
    assert rows == 2, "versions were not kept as rows"
    assert _status(engine, meeting["ada_case"]) is AgendaStatus.DEFERRED, "the agenda shows the old outcome"


@pytest.mark.parametrize(
    ("draft", "status"),
    [
        (DISCUSSED, AgendaStatus.DISCUSSED),
        (OutcomeDraft(OutcomeKind.DEFERRED, deferred_to_next_conference=True), AgendaStatus.DEFERRED),
        (OutcomeDraft(OutcomeKind.NOT_REACHED), AgendaStatus.NOT_REACHED),
    ],
)
def test_the_cases_status_follows_its_outcome(engine, meeting, draft, status):
    _next(engine, meeting, Role.PHYSICIAN, None)
    _record(engine, meeting, "ada_case", draft)
    with transaction(engine) as s:
        item = agenda_service.agenda(s, _me(meeting, Role.NURSE), meeting["conference"], NOW).items[0]
    assert (item.status, item.outcome.kind) == (status, draft.kind), (
        "the agenda showed the case as something other than what the team concluded"
    )


def test_present_is_who_was_in_the_room_during_the_case(engine, meeting):
    conference = meeting["conference"]
    minutes = lambda m: NOW + dt.timedelta(minutes=m)  # noqa: E731
    with transaction(engine) as s:
        stays = [
            (Role.PHYSICIAN, minutes(-10), None, AttendanceOutcome.IN_ROOM),  # there throughout
            (Role.NURSE, minutes(-10), minutes(-5), AttendanceOutcome.LEFT),  # left before the case began
            (
                Role.SOCIAL_WORKER,
                minutes(2),
                minutes(4),
                AttendanceOutcome.DROPPED,
            ),  # came and went during it
            (Role.CHAPLAIN, None, None, AttendanceOutcome.WAITING),  # never let in
            (Role.FAMILY, minutes(1), None, AttendanceOutcome.IN_ROOM),
        ]
        for role, joined, left, outcome in stays:
            s.add(
                Attendance(
                    conference_id=conference,
                    user_id=meeting[role],
                    role_at_meeting=role.value,
                    waiting_since=minutes(-11),
                    joined_at=joined,
                    left_at=left,
                    outcome=outcome,
                )
            )
    _next(engine, meeting, Role.PHYSICIAN, None)  # Ada's case starts at NOW
    saved = _record(engine, meeting, "ada_case", at=minutes(10))
    assert saved.present == (
        "Test Physician (physician)",
        "Test Family (family member)",
        "Test Social Worker (social worker)",
    ), "the outcome named someone who was not there for the case, or left out someone who was"

    # Ben's case was never opened: those in the room when its outcome is recorded.
    not_reached = _record(engine, meeting, "ben_case", OutcomeDraft(OutcomeKind.NOT_REACHED), at=minutes(11))
    assert not_reached.present == ("Test Physician (physician)", "Test Family (family member)"), (
        "a case never opened listed people who had already gone"
    )


def test_moves_hand_overs_and_outcomes_are_audited_without_the_summary(engine, meeting):
    chair = _me(meeting, Role.PHYSICIAN)
    _next(engine, meeting, Role.PHYSICIAN, None)
    with transaction(engine) as s:
        agenda_service.hand_over(s, chair, meeting["conference"], meeting[Role.NURSE], NOW)
    _record(engine, meeting, "ada_case")
    with transaction(engine) as s:
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        opened, handed, recorded = ((e.action, e.patient_id, e.actor_user_id, e.details) for e in events)
    assert opened == (
        "agenda_case_opened",
        meeting["ada"],
        chair.user_id,
        {"conference_id": meeting["conference"], "case_id": meeting["ada_case"], "order": 1},
    ), "the audit trail cannot say who moved the meeting to Ada's case"
    assert handed[:3] == ("agenda_handed_over", None, chair.user_id), "the hand-over left no trace"
    assert recorded[:3] == ("case_outcome_recorded", meeting["ada"], chair.user_id), (
        "the audit trail cannot say who recorded Ada's outcome"
    )
    assert recorded[3]["kind"] == "discussed" and recorded[3]["version"] == 1
    assert DISCUSSED.summary not in str(recorded[3]), "the clinical summary was copied into the audit trail"


def test_a_followers_poll_sees_next_and_each_outcome(engine, meeting):
    conference = meeting["conference"]

    def polled() -> int:
        with transaction(engine) as s:
            return shared_view.current_version(s, conference)

    start = polled()
    _next(engine, meeting, Role.PHYSICIAN, None)
    after_next = polled()
    _record(engine, meeting, "ada_case")
    after_outcome = polled()
    assert start < after_next < after_outcome, (
        "a follower's screen stayed on the old case or did not show the outcome just recorded"
    )


# ---------------------------------------------------------------------------------------------- who sees


def test_the_agenda_is_for_the_care_team_in_the_meeting(engine, meeting):
    conference = meeting["conference"]
    _next(engine, meeting, Role.PHYSICIAN, None)
    _record(engine, meeting, "ada_case")
    with transaction(engine) as s:
        with pytest.raises(AccessDenied) as family:
            agenda_service.agenda(s, _me(meeting, Role.FAMILY), conference, NOW)
        with pytest.raises(AccessDenied):
            agenda_service.agenda(s, _outsider(meeting), conference, NOW)
        chaplain = agenda_service.agenda(s, _me(meeting, Role.CHAPLAIN), conference, NOW)
    assert family.value.message == "The agenda is for the care team.", "the family member was not told why"
    ada = chaplain.items[0]
    assert (ada.patient_label, ada.may_open, ada.question) == ("Another team's patient", False, ""), (
        "the chaplain, who does not care for Ada, saw who she is or what the team asks about her"
    )
    assert ada.outcome is not None and ada.outcome.summary == "", (
        "the chaplain read the decision about a patient they do not care for"
    )
    assert chaplain.items[1].patient_label.startswith("Ben Marrowstone (SYN-"), (
        "the chaplain could not see their own patient on the agenda"
    )


def _plan_item(s, ids, patient: str, conference_id: int, description: str, **extra) -> PlanItem:
    values = {
        "discipline": Role.PHYSICIAN,
        "status": PlanItemStatus.AGREED,
        "kind": PlanItemKind.ACTION,
        "created_by_id": ids[Role.PHYSICIAN],
        "created_at": NOW,
    } | extra
    item = PlanItem(patient_id=ids[patient], conference_id=conference_id, description=description, **values)
    s.add(item)
    s.flush()
    return item


def test_last_conference_says_what_was_decided_and_who_acts(engine, meeting):
    with transaction(engine) as s:
        earlier = factories.conference(
            s, s.get(User, meeting[Role.PHYSICIAN]), "Last month", NOW - dt.timedelta(days=28)
        )
        # Ada was on last month's agenda too, with an outcome; this meeting's must win.
        old_case = ConferenceCase(
            conference_id=earlier.id,
            patient_id=meeting["ada"],
            agenda_order=1,
            presenter_id=meeting[Role.NURSE],
            question="First review",
        )
        s.add(old_case)
        s.flush()
        s.add(
            CaseOutcome(
                conference_case_id=old_case.id,
                version_number=1,
                kind=OutcomeKind.DISCUSSED,
                summary="Old decision",
                present=[],
                recorded_by_id=meeting[Role.PHYSICIAN],
                recorded_at=NOW - dt.timedelta(days=28),
            )
        )
        conference = meeting["conference"]
        _plan_item(
            s,
            meeting,
            "ada",
            conference,
            "Review the opioid dose",
            owner_role=Role.NURSE,
            due_date=dt.date(2026, 12, 12),
        )
        _plan_item(s, meeting, "ada", conference, "Call the daughter", owner_user_id=meeting[Role.PHYSICIAN])
        _plan_item(s, meeting, "ada", conference, "Withdrawn idea", status=PlanItemStatus.WITHDRAWN)
        _plan_item(s, meeting, "ada", conference, "Consider a hospice bed", kind=PlanItemKind.RECOMMENDATION)
    _next(engine, meeting, Role.PHYSICIAN, None)
    _record(engine, meeting, "ada_case")

    with transaction(engine) as s:
        last = agenda_service.last_conference(s, _me(meeting, Role.NURSE), meeting["ada"])
        chaplain = agenda_service.last_conference(s, _me(meeting, Role.CHAPLAIN), meeting["ada"])
        family = agenda_service.last_conference(s, _me(meeting, Role.FAMILY), meeting["ada"])
        never = agenda_service.last_conference(s, _me(meeting, Role.PHYSICIAN), meeting["cy"])
    assert (last.conference_id, last.title, last.held_on) == (
        meeting["conference"],
        "Weekly case conference",
        NOW.date(),
    ), "Ada's summary pointed at an older conference than the latest one that decided about her"
    assert (last.outcome.kind, last.outcome.summary) == (OutcomeKind.DISCUSSED, DISCUSSED.summary), (
        "the last conference's decision was not shown"
    )
    assert last.actions == (
        "Review the opioid dose: Nurse, due 12 Dec",
        "Call the daughter: Test Physician",
    ), "the actions agreed were missing, wrongly worded, or included withdrawn items and recommendations"
    assert chaplain is None, "a clinician off Ada's care team read what was decided about her"
    assert family is None, "a family member read the team's discussion of their relative"
    assert never is None, "a patient never decided about showed a last conference"


def test_my_actions_are_the_open_actions_i_own_from_decided_cases(engine, meeting):
    conference = meeting["conference"]
    with transaction(engine) as s:
        mine_by_role = _plan_item(
            s,
            meeting,
            "ada",
            conference,
            "Review the opioid dose",
            owner_role=Role.NURSE,
            due_date=dt.date(2026, 12, 12),
        )
        mine_by_name = _plan_item(
            s,
            meeting,
            "ada",
            conference,
            "Check the syringe driver",
            owner_user_id=meeting[Role.NURSE],
            due_date=dt.date(2026, 12, 2),
        )
        undated = _plan_item(
            s, meeting, "ada", conference, "Teach the daughter the pump", owner_role=Role.NURSE
        )
        _plan_item(
            s, meeting, "ada", conference, "Done already", owner_role=Role.NURSE, status=PlanItemStatus.DONE
        )
        _plan_item(s, meeting, "ada", conference, "Not mine", owner_role=Role.SOCIAL_WORKER)
        _plan_item(
            s, meeting, "ben", conference, "Undecided case", owner_role=Role.NURSE
        )  # no outcome for Ben
        chaplains = _plan_item(s, meeting, "ada", conference, "Offer a visit", owner_role=Role.CHAPLAIN)
        ids = [mine_by_name.id, mine_by_role.id, undated.id]
    _next(engine, meeting, Role.PHYSICIAN, None)
    _record(engine, meeting, "ada_case")

    with transaction(engine) as s:
        nurse = agenda_service.my_actions(s, _me(meeting, Role.NURSE))
        chaplain = agenda_service.my_actions(s, _me(meeting, Role.CHAPLAIN))
        family = agenda_service.my_actions(s, _me(meeting, Role.FAMILY))
    assert [a.plan_item_id for a in nurse] == ids, (
        "the nurse's list missed an action of theirs, showed one done, someone else's or from an undecided "
        "case, or put the soonest due anywhere but first"
    )
    assert (nurse[0].patient_label[:16], nurse[0].conference_title, nurse[0].decided_on) == (
        "Ada Quillfeather",
        "Weekly case conference",
        NOW.date(),
    ), "an action did not say whose it is or where it was decided"
    assert chaplains.id not in [a.plan_item_id for a in chaplain], (
        "the chaplain saw an action about a patient they do not care for"
    )
    assert family == [], "a family member was given the team's actions"


def test_a_family_member_is_in_the_room_only_for_their_relatives_case(engine, meeting):
    family, conference = meeting[Role.FAMILY], meeting["conference"]

    def may_be_in() -> bool:
        with transaction(engine) as s:
            return agenda_service.family_may_be_in_room(s, family, conference)

    assert may_be_in() is False, "the daughter was let in before any case was on"
    _next(engine, meeting, Role.PHYSICIAN, None)
    assert may_be_in() is True, "the daughter was kept out of her mother's case"
    _record(engine, meeting, "ada_case")
    _next(engine, meeting, Role.PHYSICIAN, meeting["ada_case"])
    assert may_be_in() is False, "the daughter stayed in the room while the team discussed another person"
    assert agenda_service.family_topic_message() == (
        "The team is now discussing another person; someone will bring you back in."
    )
