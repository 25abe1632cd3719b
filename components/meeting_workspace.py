"""The conference room's workspace, for the care team: the agenda, and the case under discussion in five
tabs (Case view, Goals of care, Plan, Sign-off, Outcome).

The Goals of care, Plan and Sign-off tabs are the Goals of care page's own panels (components/case_panels.py),
so the record is edited with the same versions, locking and merge view, and signed with the same dialog and
content hash. The chair, or the presenter the chair handed over to, moves the meeting from case to case
(services.agenda refuses anyone else); everyone else's workspace follows: the server redraws it as soon as
the stamp of what it shows (services.shared_view.workspace_stamp) moves (portal/workspace_push.py), and a
slow polling fragment stands behind that (a small fragment polling every second where the server cannot
push). Only the open tab is drawn.

Moving on also sends back to the lobby any family member whose relative's case is no longer under
discussion (portal/family_gate.py; each family member's own call bar checks the same, as a backstop).
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from auth.identity import Identity
from auth.refusal import Refusal
from components import (
    agenda_panel,
    case_panels,
    goals_of_care_form,
    notices,
    outcome_panel,
    refusals,
    shared_case_view,
    signoff_panel,
)
from components.agenda_panel import Steer, SteerClick
from components.plain_text import md_escape
from db.engine import reading, transaction
from portal import call, clock, family_gate, workspace_push
from services import agenda as agenda_service
from services import shared_view
from services.agenda import Agenda, AgendaItem

TABS = ["Case view", "Goals of care", "Plan", "Sign-off", "Outcome"]
# Where the server cannot push, followers see the chair's move within a poll and a redraw; the case
# view's chart poll is as often. Where it can, they are pushed to at once, and poll only as a backstop.
FOLLOW_SECONDS = shared_case_view.POLL_SECONDS
BACKSTOP_SECONDS = 10.0
_JUST_DRAWN = "vesper.room.workspace.just_drawn"


def show(identity: Identity, seat: call.Seat, *, key: str) -> None:
    """The agenda and the current case's tabs; the page has checked that this person is a clinician."""
    try:
        agenda = _agenda(identity, seat.conference_id, key=key)
    except Refusal as refusal:
        refusals.show(refusal)
        return
    _settle_left_behind(identity, seat, agenda, key=key)
    # The case this screen showed as current: a click names it, so a click on a screen drawn before someone
    # else moved the meeting on is refused ("already moved") rather than moving it on a second time.
    shown_key = f"{key}.shown_case"
    shown = st.session_state.get(shown_key, agenda.current_case_id)
    st.session_state[shown_key] = agenda.current_case_id
    # Everything above a polling fragment sits in containers of a fixed number, whatever they hold, so each
    # fragment keeps its place in the page (see pages/conference_room.py).
    with st.container():
        notices.show(key=f"{key}.steer")
    with st.container():
        click = agenda_panel.show(agenda, identity.user_id, key=f"{key}.agenda")
    if click is not None:
        _steer(identity, seat, dataclasses.replace(click, expected_current=shown), key=f"{key}.steer")
    item = agenda.current
    patient_id = item.patient_id if item is not None and item.may_open else None
    with st.container():
        st.session_state[_JUST_DRAWN] = True
        stamp = _stamp(seat.conference_id, patient_id)
        if workspace_push.active():
            # Redrawn from the server as soon as the stamp moves; the slow poll is only a backstop.
            workspace_push.watch(seat.conference_id, patient_id, stamp)
            _follow_backstop(seat.conference_id, patient_id, stamp)
        else:
            _follow(seat.conference_id, patient_id, stamp)
    if item is None:
        # Before the first case: the charts can already be looked at, and presented.
        shared_case_view.show(identity, seat.conference_id, key="case", choices=_choices(agenda), poll=False)
        return
    with st.container():
        _case_heading(item)
    # Only the open tab is drawn (Streamlit's lazy tabs: choosing a tab reruns the page): the goals-of-care
    # form alone was 40% of a rerun that drew every tab, for a tab most people do not have open.
    tabs = st.tabs(TABS, key=f"{key}.tabs", on_change="rerun")
    case_tab, goals_tab, plan_tab, signoff_tab, outcome_tab = tabs
    if case_tab.open:
        with case_tab:
            shared_case_view.show(
                identity, seat.conference_id, key="case", choices=_choices(agenda), poll=False
            )
    if outcome_tab.open:
        with outcome_tab:
            outcome_panel.show(
                identity,
                seat.conference_id,
                item,
                may_record=agenda.may_steer(identity.user_id),
                key=f"{key}.outcome.{item.case_id}",
            )
    record_tab = next((tab for tab in (goals_tab, plan_tab, signoff_tab) if tab.open), None)
    if record_tab is not None:
        with record_tab:
            _record_panel(identity, seat, item, record_tab is goals_tab, record_tab is plan_tab, key=key)


def _record_panel(
    identity: Identity, seat: call.Seat, item: AgendaItem, goals: bool, plan: bool, *, key: str
) -> None:
    """The open one of the Goals of care, Plan and Sign-off tabs: the Goals of care page's own panel."""
    if not item.may_open:
        st.info("This patient is not on your care team, so their record stays closed to you.")
        return
    try:
        material = case_panels.load(identity, item.patient_id, seat.conference_id)
    except Refusal as refusal:
        refusals.show(refusal)
        return
    goals_of_care_form.final_banner(material.record)
    panel_key = _panel_key(key, item.patient_id)
    if goals:
        case_panels.goals_of_care(identity, material, key=panel_key)
    elif plan:
        case_panels.plan(identity, material, key=panel_key)
    else:
        case_panels.sign_off(identity, material, key=panel_key)


def _settle_left_behind(identity: Identity, seat: call.Seat, agenda: Agenda, *, key: str) -> None:
    """If the meeting moved on while this person's sign-off dialog was open, what they confirmed there still
    counts for the case they were signing, on the content they saw; they are told which way it went."""
    drawn_key = f"{key}.drawn_case"
    before: AgendaItem | None = st.session_state.get(drawn_key)
    current = agenda.current
    st.session_state[drawn_key] = current
    if before is None or (current is not None and current.patient_id == before.patient_id):
        return
    settled = signoff_panel.settle_elsewhere(
        identity,
        before.patient_id,
        seat.conference_id,
        key=f"{_panel_key(key, before.patient_id)}.signoff",
        label=f"case {before.order} ({before.patient_label})",
    )
    if settled is not None:
        done, message = settled
        notices.keep(message, ok=done, key=f"{key}.steer")


def _panel_key(key: str, patient_id: int) -> str:
    # Keys of their own, by patient: the room's panels keep their state apart from the Goals of care page's.
    return f"{key}.case.{patient_id}"


def _agenda(identity: Identity, conference_id: int, *, key: str) -> Agenda:
    """The agenda, read again only when its stamp moved (a case opened, an outcome saved, a hand-over):
    most runs of the room are someone coming or going, and the agenda was a quarter of such a run. Access
    is checked on every run all the same."""
    held_key = f"{key}.agenda_held"
    now = clock.now()
    with reading() as session:
        stamp = shared_view.workspace_stamp(session, conference_id, None)
        held: tuple[tuple[int, ...], Agenda] | None = st.session_state.get(held_key)
        if held is not None and held[0] == stamp and held[1].conference_id == conference_id:
            agenda_service.check_access(session, identity, conference_id, now)
            return held[1]
        agenda = agenda_service.agenda(session, identity, conference_id, now)
    st.session_state[held_key] = (stamp, agenda)
    return agenda


def _choices(agenda: Agenda) -> list[shared_view.CaseChoice]:
    """The agenda's patients this clinician may open, for the case view's pickers (access checked by the
    agenda, this run)."""
    return [
        shared_view.CaseChoice(item.patient_id, item.patient_label, item.order)
        for item in agenda.items
        if item.may_open
    ]


def _stamp(conference_id: int, patient_id: int | None) -> tuple[int, ...]:
    with reading() as session:
        return shared_view.workspace_stamp(session, conference_id, patient_id)


def _follow_if_moved(conference_id: int, patient_id: int | None, drawn: tuple[int, ...]) -> None:
    """Has anyone changed what this workspace shows since it was drawn (the agenda's case, who leads, an
    outcome, the case's goals of care, plan or sign-off)? Then the page is drawn again: everyone follows the
    chair's moves, and nobody signs a record their screen does not show."""
    if st.session_state.pop(_JUST_DRAWN, False):
        return  # this is the page's own run, which has just read the stamp
    if _stamp(conference_id, patient_id) != drawn:
        st.rerun(scope="app")


@st.fragment(run_every=FOLLOW_SECONDS)
def _follow(conference_id: int, patient_id: int | None, drawn: tuple[int, ...]) -> None:
    """Where the server cannot push (portal/workspace_push.py): one query a second per person."""
    _follow_if_moved(conference_id, patient_id, drawn)


@st.fragment(run_every=BACKSTOP_SECONDS)
def _follow_backstop(conference_id: int, patient_id: int | None, drawn: tuple[int, ...]) -> None:
    """Beside the push: should a push ever be lost, the workspace still follows within this."""
    _follow_if_moved(conference_id, patient_id, drawn)


def _case_heading(item: AgendaItem) -> None:
    st.subheader(f"Case {item.order}: {md_escape(item.patient_label)}", anchor=False)
    if item.question:
        st.caption(f"Presented by {md_escape(item.presenter_name)}. The question for the team:")
        st.text(item.question)  # typed text: never Markdown


def _steer(identity: Identity, seat: call.Seat, click: SteerClick, *, key: str) -> None:
    """Carry out the chair's (or lead's) click; the service refuses anyone else and a stale screen."""
    now = clock.now()
    try:
        with transaction() as session:
            if click.action is Steer.NEXT:
                agenda: Agenda = agenda_service.next_case(
                    session, identity, seat.conference_id, now, expected_current=click.expected_current
                )
            elif click.action is Steer.OPEN:
                assert click.case_id is not None
                agenda = agenda_service.open_case(
                    session,
                    identity,
                    seat.conference_id,
                    click.case_id,
                    now,
                    expected_current=click.expected_current,
                )
            else:
                agenda = agenda_service.hand_over(
                    session, identity, seat.conference_id, click.to_user_id, now
                )
    except Refusal as refusal:
        notices.keep(refusal.message, ok=False, key=key)
        st.rerun()
    workspace_push.poke()  # everyone else's workspace redraws now, not at its next poll
    if click.action is not Steer.HAND_OVER:
        family_gate.send_back_others(identity, seat)
        current = agenda.current
        if current is not None:
            notices.keep(f"Now discussing case {current.order}: {current.patient_label}.", ok=True, key=key)
    st.rerun()


__all__ = ["TABS", "show"]
