"""The conference room's workspace, for the care team: the agenda, and the case under discussion in five
tabs (Case view, Goals of care, Plan, Sign-off, Outcome).

The Goals of care, Plan and Sign-off tabs are the Goals of care page's own panels (components/case_panels.py),
so the record is edited with the same versions, locking and merge view, and signed with the same dialog and
content hash. The chair, or the presenter the chair handed over to, moves the meeting from case to case
(services.agenda refuses anyone else); everyone else's workspace follows through the shared view's poll
(components/shared_case_view.py reruns the page when the agenda's case moved).

Moving on also sends back to the lobby any family member whose relative's case is no longer under
discussion (portal/family_gate.py; each family member's own call bar checks the same, as a backstop).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

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
from portal import call, clock, family_gate
from services import agenda as agenda_service
from services import shared_view
from services.agenda import Agenda, AgendaItem

TABS = ["Case view", "Goals of care", "Plan", "Sign-off", "Outcome"]


def show(identity: Identity, seat: call.Seat, *, key: str) -> None:
    """The agenda and the current case's tabs; the page has checked that this person is a clinician."""
    now = clock.now()
    try:
        with transaction() as session:
            agenda = agenda_service.agenda(session, identity, seat.conference_id, now)
    except Refusal as refusal:
        refusals.show(refusal)
        return
    _settle_left_behind(identity, seat, agenda, key=key)
    # Everything above the case view's polling fragment sits in containers of a fixed number, whatever they
    # hold, so the fragment keeps its place in the page (see pages/conference_room.py).
    # The case this screen showed as current: a click names it, so a click on a screen drawn before someone
    # else moved the meeting on is refused ("already moved") rather than moving it on a second time.
    shown_key = f"{key}.shown_case"
    shown = st.session_state.get(shown_key, agenda.current_case_id)
    st.session_state[shown_key] = agenda.current_case_id
    with st.container():
        notices.show(key=f"{key}.steer")
    with st.container():
        click = agenda_panel.show(agenda, identity.user_id, key=f"{key}.agenda")
    if click is not None:
        _steer(identity, seat, dataclasses.replace(click, expected_current=shown), key=f"{key}.steer")
    item = agenda.current
    changed = _watcher(seat.conference_id, item.patient_id if item is not None and item.may_open else None)
    if item is None:
        # Before the first case: the charts can already be looked at, and presented.
        shared_case_view.show(identity, seat.conference_id, key="case", agenda_case_id=None, changed=changed)
        return
    material, refused = None, None
    if item.may_open:
        try:
            material = case_panels.load(identity, item.patient_id, seat.conference_id)
        except Refusal as refusal:
            refused = refusal
    with st.container():
        _case_heading(item)
        if material is not None:
            goals_of_care_form.final_banner(material.record)
    case_tab, goals_tab, plan_tab, signoff_tab, outcome_tab = st.tabs(TABS, key=f"{key}.tabs")
    with case_tab:
        shared_case_view.show(
            identity, seat.conference_id, key="case", agenda_case_id=item.case_id, changed=changed
        )
    with outcome_tab:
        outcome_panel.show(
            identity,
            seat.conference_id,
            item,
            may_record=agenda.may_steer(identity.user_id),
            key=f"{key}.outcome.{item.case_id}",
        )
    if material is None:
        for tab in (goals_tab, plan_tab, signoff_tab):
            with tab:
                if refused is not None:
                    refusals.show(refused)
                else:
                    st.info("This patient is not on your care team, so their record stays closed to you.")
        return
    panel_key = _panel_key(key, item.patient_id)
    with goals_tab:
        case_panels.goals_of_care(identity, material, key=panel_key)
    with plan_tab:
        case_panels.plan(identity, material, key=panel_key)
    with signoff_tab:
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
        # A refusal is escaped where it is shown (components/refusals.py); a success box is not.
        notices.keep(md_escape(message) if done else message, ok=done, key=f"{key}.steer")


def _panel_key(key: str, patient_id: int) -> str:
    # Keys of their own, by patient: the room's panels keep their state apart from the Goals of care page's.
    return f"{key}.case.{patient_id}"


def _watcher(conference_id: int, patient_id: int | None) -> Callable[[], bool]:
    """For the case view's poll: has a colleague changed what this workspace shows (who leads, an outcome,
    the case's goals of care, plan or sign-off) since it was drawn? Then the page is drawn again, and a
    signature is never asked for on a record this screen does not show."""

    def stamp() -> tuple[int, ...]:
        with reading() as session:
            return shared_view.workspace_stamp(session, conference_id, patient_id)

    drawn = stamp()
    return lambda: stamp() != drawn


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
    if click.action is not Steer.HAND_OVER:
        family_gate.send_back_others(identity, seat)
        current = agenda.current
        if current is not None:
            notices.keep(
                f"Now discussing case {current.order}: {md_escape(current.patient_label)}.", ok=True, key=key
            )
    st.rerun()


__all__ = ["TABS", "show"]
