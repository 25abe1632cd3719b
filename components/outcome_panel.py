"""The room's Outcome tab: what the conference decided for the case on screen.

The chair (or the presenter the chair handed over to) records it: discussed, deferred (to a date or to the
next conference) or not reached, with a short summary of the decision. Who was present and the plan items
agreed come from attendance and the Plan tab. Everyone else reads it. Every save is a new version; a save
that started from an older version than the latest is refused with the other version shown, and the text
typed here stays in the form.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from auth.identity import Identity
from auth.refusal import Refusal
from clinical.case_outcome import SUMMARY_MAX, OutcomeDraft, OutcomeKind
from components import notices
from components.plain_text import md_escape
from db.engine import transaction
from portal import clock, workspace_push
from services import agenda as agenda_service
from services.agenda import AgendaItem, OutcomeView, StaleOutcome

KIND_WORDS: dict[OutcomeKind, str] = {
    OutcomeKind.DISCUSSED: "Discussed",
    OutcomeKind.DEFERRED: "Deferred",
    OutcomeKind.NOT_REACHED: "Not reached",
}
SAVE = "Save the outcome"
NEXT_CONFERENCE = "To the next conference"


def describe(outcome: OutcomeView) -> str:
    """One line, plain text: "Discussed", "Deferred to 12 Jan 2027", "Deferred to the next conference"."""
    if outcome.kind is OutcomeKind.DEFERRED:
        if outcome.deferred_to_next_conference:
            return "Deferred to the next conference"
        if outcome.deferred_until is not None:
            return f"Deferred to {outcome.deferred_until:%d %b %Y}"
    return KIND_WORDS[outcome.kind]


def show(identity: Identity, conference_id: int, item: AgendaItem, *, may_record: bool, key: str) -> None:
    notices.show(key=key)
    if item.outcome is not None:
        _recorded(item.outcome)
    elif not may_record:
        st.info("No outcome has been recorded for this case yet. The chair records it before moving on.")
    if may_record:
        _form(identity, conference_id, item, key=key)
    _history(identity, conference_id, item, key=key)


def _recorded(outcome: OutcomeView) -> None:
    with st.container(border=True):
        st.markdown(f"**{describe(outcome)}** · version {outcome.version}")
        if outcome.summary:
            st.text(outcome.summary)  # typed text: never Markdown
        present = ", ".join(outcome.present) or "nobody recorded"
        st.caption(
            f"Present: {md_escape(present)}. Recorded by {md_escape(outcome.recorded_by)} on "
            f"{outcome.recorded_at:%d %b %Y at %H:%M} UTC."
        )


def _state(key: str, latest: int) -> dict[str, Any]:
    # "opened": the outcome version this form started from, kept from its first drawing until a save, so a
    # save from a form opened before someone else's save is refused even though the page has redrawn since.
    return st.session_state.setdefault(f"{key}.state", {"theirs": None, "opened": latest})


def _form(identity: Identity, conference_id: int, item: AgendaItem, *, key: str) -> None:
    state = _state(key, item.outcome.version if item.outcome else 0)
    theirs: OutcomeView | None = state.get("theirs")
    if theirs is not None:
        st.warning(
            f"{md_escape(theirs.recorded_by)} saved an outcome (version {theirs.version}) after you opened "
            "this one. Theirs is above; your text is still in the form. Save again to replace theirs.",
            icon=":material/sync_problem:",
        )
        _recorded(theirs)
    base = theirs or item.outcome
    today = clock.now().date()
    with st.form(f"{key}.form", border=True):
        kinds = list(KIND_WORDS)
        kind = st.radio(
            "Outcome",
            kinds,
            index=kinds.index(base.kind) if base else 0,
            format_func=KIND_WORDS.__getitem__,
            horizontal=True,
            key=f"{key}.kind",
        )
        summary = st.text_area(
            "Decision (a short summary)",
            # Not shown to someone who may not open the patient: they write the summary afresh.
            value=base.summary if base and item.may_open else "",
            max_chars=SUMMARY_MAX,
            placeholder="What the team decided, in a sentence or two.",
            key=f"{key}.summary",
        )
        st.caption("If deferred: to a date, or to the next conference.")
        date_column, next_column = st.columns(2, vertical_alignment="bottom")
        until = date_column.date_input(
            "Deferred to",
            value=base.deferred_until if base else None,
            min_value=today + dt.timedelta(days=1),
            format="DD/MM/YYYY",
            key=f"{key}.until",
        )
        to_next = next_column.checkbox(
            NEXT_CONFERENCE, value=base.deferred_to_next_conference if base else False, key=f"{key}.next"
        )
        submitted = st.form_submit_button(SAVE, type="primary")
    if not submitted:
        return
    draft = OutcomeDraft(
        kind=OutcomeKind(kind),
        summary=summary or "",
        deferred_until=until if kind is OutcomeKind.DEFERRED else None,
        deferred_to_next_conference=bool(to_next) and kind is OutcomeKind.DEFERRED,
    )
    # Saving after the warning replaces theirs, knowingly; else the save names the version it started from.
    expected = theirs.version if theirs is not None else state["opened"]
    try:
        with transaction() as session:
            saved = agenda_service.record_outcome(
                session, identity, conference_id, item.case_id, draft, clock.now(), expected_version=expected
            )
    except StaleOutcome as stale:
        state["theirs"] = stale.current
        st.rerun()
    except Refusal as refusal:
        notices.keep(refusal.message, ok=False, key=key)
        st.rerun()
    state["theirs"], state["opened"] = None, saved.version
    workspace_push.poke()  # the others' workspaces show the outcome now, not at the next look
    notices.keep(f"Outcome saved: {describe(saved)} (version {saved.version}).", ok=True, key=key)
    st.rerun(scope="app")


def _history(identity: Identity, conference_id: int, item: AgendaItem, *, key: str) -> None:
    if item.outcome is None or item.outcome.version < 2:
        return
    with st.expander("Earlier versions of this outcome"):
        with transaction() as session:
            versions = agenda_service.outcome_history(session, identity, conference_id, item.case_id)
        for outcome in versions[1:]:
            st.markdown(
                f"**Version {outcome.version}** · {describe(outcome)} · {md_escape(outcome.recorded_by)}, "
                f"{outcome.recorded_at:%d %b %Y %H:%M} UTC"
            )
            if outcome.summary:
                st.text(outcome.summary)


__all__ = ["KIND_WORDS", "NEXT_CONFERENCE", "SAVE", "describe", "show"]
