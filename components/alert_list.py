"""Symptom alerts with their status, and the Acknowledge / Mark actioned controls the care team works with.

show() returns an AlertRequest when someone presses Acknowledge or saves an action note; the page carries it
out (services.alerts.apply) and calls report() with the outcome, which is shown at the top of the list
on the redraw. Status is a coloured badge that also says the status in words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import streamlit as st

from auth.identity import Identity
from auth.refusal import Refusal
from components import notices
from components.plain_text import md_escape
from db.engine import transaction
from db.models import AlertStatus
from portal import clock
from services.alerts import ACTION_NOTE_MAX_CHARS, AlertRequest, AlertStep, AlertView, apply

_STATUS = {
    AlertStatus.OPEN: ":red-badge[Open]",
    AlertStatus.ACKNOWLEDGED: ":orange-badge[Acknowledged]",
    AlertStatus.ACTIONED: ":green-badge[Actioned]",
}
SHOWN_PER_PATIENT = 3


def _k(key: str, name: str) -> str:
    return f"{key}.{name}"


def report(message: str, *, ok: bool, key: str) -> None:
    """Show the outcome of the last request at the top of the list, and redraw it. On success the action
    form closes; on a refusal it stays open with the note as typed, so it can be fixed."""
    notices.keep(message, ok=ok, key=key)
    if ok:
        st.session_state.pop(_k(key, "actioning"), None)
    st.rerun()


def carry_out(identity: Identity, request: AlertRequest | None, *, key: str) -> None:
    """Apply what the person asked of the list drawn under `key` (nothing when `request` is None), in its
    own transaction, and report the outcome there: the same for every page that shows an alert list."""
    if request is None:
        return
    try:
        with transaction() as session:
            done = apply(session, identity, request, clock.now())
    except Refusal as refusal:
        report(refusal.message, ok=False, key=key)
    else:
        report(done, ok=True, key=key)


def when(moment: dt.datetime | None) -> str:
    return f"{moment:%d %b %H:%M} UTC" if moment else ""


def duration(span: dt.timedelta) -> str:
    """A time to intervention as a person says it: "45 min", "3 h 20 min", "2 days 4 h"."""
    minutes = max(int(span.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min"


def show(
    alerts: Sequence[AlertView],
    *,
    key: str,
    title: str = "My patients with open alerts",
    group_by_patient: bool = True,
    empty: str = "No open alerts for your patients.",
) -> AlertRequest | None:
    """Alerts not yet actioned, with their controls; returns what the person asked to do, if anything."""
    st.subheader(title)
    notices.show(key=key, icons=False)
    if not alerts:
        st.write(empty)
        return None
    request: AlertRequest | None = None
    if not group_by_patient:
        for view in alerts:
            request = _alert(view, key) or request
        return request

    by_patient: dict[int, list[AlertView]] = {}
    for view in alerts:  # newest first, so each patient's list is newest first too
        by_patient.setdefault(view.patient.id, []).append(view)
    # Patients with unacknowledged alerts first: those are the ones nobody has looked at yet.
    ordered = sorted(
        by_patient.values(),
        key=lambda views: (
            not any(v.alert.status is AlertStatus.OPEN for v in views),
            views[0].patient.family_name,
        ),
    )
    for views in ordered:
        patient = views[0].patient
        # Keyed, so the page's tests can find one patient's alerts among everyone's.
        with st.container(border=True, key=f"{key}_patient_{patient.id}"):
            waiting = sum(v.alert.status is AlertStatus.OPEN for v in views)
            st.markdown(
                f"**{md_escape(patient.full_name)}** ({md_escape(patient.mrn)}) · "
                f"{len(views)} not yet actioned" + (f", {waiting} not yet acknowledged" if waiting else "")
            )
            for view in views[:SHOWN_PER_PATIENT]:
                request = _alert(view, key) or request
            if len(views) > SHOWN_PER_PATIENT:
                st.caption(
                    f"and {len(views) - SHOWN_PER_PATIENT} more: open the patient's record to see them all"
                )
    return request


def _alert(view: AlertView, key: str) -> AlertRequest | None:
    alert = view.alert
    st.markdown(
        f"{_STATUS[alert.status]} **{view.rule_label}**: {md_escape(alert.message)}  \n"
        f"Raised {when(alert.raised_at)}"
        + (
            f" · acknowledged by {md_escape(view.acknowledged_by or 'someone')} {when(alert.acknowledged_at)}"
            if alert.status is AlertStatus.ACKNOWLEDGED
            else ""
        )
    )
    actioning_key = _k(key, "actioning")
    request = None
    ack, act = st.columns(2)
    if alert.status is AlertStatus.OPEN and ack.button(
        "Acknowledge", key=_k(key, f"ack.{alert.id}"), width="stretch"
    ):
        request = AlertRequest(alert.id, AlertStep.ACKNOWLEDGE)
    if act.button("Mark actioned", key=_k(key, f"act.{alert.id}"), width="stretch"):
        st.session_state[actioning_key] = alert.id
    if st.session_state.get(actioning_key) == alert.id:
        request = _action_form(alert.id, key) or request
    return request


def _action_form(alert_id: int, key: str) -> AlertRequest | None:
    with st.form(key=_k(key, f"form.{alert_id}")):
        note = st.text_area(
            "What was done? (required)",
            max_chars=ACTION_NOTE_MAX_CHARS,
            placeholder="For example: phoned the patient; breakthrough dose increased; review in 2 days",
            key=_k(key, f"note.{alert_id}"),
        )
        save, cancel = st.columns(2)
        saved = save.form_submit_button("Save action", type="primary", width="stretch")
        cancelled = cancel.form_submit_button("Cancel", width="stretch")
    if cancelled:
        st.session_state.pop(_k(key, "actioning"), None)
        st.rerun()
    if saved:
        return AlertRequest(alert_id, AlertStep.ACTION, note or "")
    return None


def show_actioned(alerts: Sequence[AlertView], *, title: str = "Recently actioned") -> None:
    """The last few actioned alerts: what was done, by whom, and the time from alert to action."""
    st.subheader(title)
    if not alerts:
        st.write("No actioned alerts yet.")
        return
    for view in alerts:
        alert = view.alert
        tti = view.time_to_intervention
        st.markdown(
            f"{_STATUS[alert.status]} **{view.rule_label}**: {md_escape(alert.message)}  \n"
            f"Raised {when(alert.raised_at)} · actioned by {md_escape(view.actioned_by or 'someone')} "
            f"{when(alert.actioned_at)}"
            + (f" · time to intervention **{duration(tti)}**" if tti is not None else "")
        )
        # Free text typed by a person: shown as plain text, so nothing in it is read as markdown.
        st.text(f"What was done: {alert.action_note or '(no note)'}")
