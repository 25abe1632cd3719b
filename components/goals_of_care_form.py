"""The goals-of-care page's Record tab: the form (its fields: components.goals_of_care_fields) and the
record's addenda.

show() draws the form for the record as it is now and, when the person presses "Save", saves it as a new
version (or, while they answer a family member's amendment request, as that request's correction), then
redraws with the outcome. The form remembers the version it was opened at (`based_on_version`) and keeps
the person's text in session_state under its key, also across a refused or stale save: nothing typed is
lost. A final record is shown read-only (components.goals_of_care_view), with an addendum box instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from auth.identity import Identity
from auth.refusal import Refusal
from clinical import goals_of_care as gc
from components import goals_of_care_fields as fields
from components import refusals, submit_once
from components.goals_of_care_view import render_content
from components.plain_text import md_escape, plain_table
from db.engine import transaction
from portal import clock
from services.goals_of_care import amendments
from services.goals_of_care.guards import Refused
from services.goals_of_care.record import (
    AddendumView,
    RecordView,
    StaleVersion,
    VersionView,
    open_record,
    save,
)

PARTICIPANT_SLOTS_SPARE = 2
ALTERNATE_SLOTS_SPARE = 1


@dataclass(frozen=True)
class Submission:
    content: dict[str, Any]
    based_on_version: int
    reason: str
    amendment_request_id: int | None = None


# ------------------------------------------------------------------------------------------- state


def _state(key: str) -> dict[str, Any]:
    state_key = fields.widget_key(key, "state")
    if state_key not in st.session_state:
        st.session_state[state_key] = {
            "based_on": None,  # the version number the form was opened at
            "values": {},  # widget key -> value: a copy that survives leaving the page
            "theirs": None,  # VersionView of a newer save, after a stale save
            "messages": [],  # refusal messages of the last save
            "notice": None,  # a success message after a save
            "amendment": None,  # (request id, who, text) while answering an amendment request
            "participant_slots": 0,
            "alternate_slots": 0,
        }
    return st.session_state[state_key]


def _load(state: dict[str, Any], key: str, version: VersionView | None, author_name: str) -> None:
    """Open the form at `version` (None: a new record), replacing whatever was typed."""
    content = version.content if version else {}
    for wk in list(state["values"]):
        st.session_state.pop(wk, None)
    state["values"] = fields.widget_values(content, key, author_name)
    state["based_on"] = version.number if version else 0
    state["participant_slots"] = len(content.get("participants") or []) + PARTICIPANT_SLOTS_SPARE
    state["alternate_slots"] = (
        len((content.get("surrogate") or {}).get("alternates") or []) + ALTERNATE_SLOTS_SPARE
    )
    state["theirs"] = None
    state["messages"] = []
    state["opened"] = _comparable(fields.collect(state, key, source=state["values"]))


def _untouched(state: dict[str, Any], key: str) -> bool:
    """Nothing typed since the form was opened (so a newer version may replace it without loss)."""
    reason = str(
        st.session_state.get(
            fields.widget_key(key, "reason"), state["values"].get(fields.widget_key(key, "reason"))
        )
        or ""
    )
    return not reason.strip() and _comparable(
        fields.collect(state, key, source=fields.current_values(state))
    ) == state.get("opened")


# ------------------------------------------------------------------------------------------- public


def show(identity: Identity, record: RecordView, *, key: str) -> None:
    """The Record tab: the form (or the read-only record when final), saving what the person submits,
    and the addenda once there are any or the record is final."""
    submission = _edit(record, author_name=identity.display_name, key=key)
    if submission is not None:
        _save(identity, record.patient_id, submission, key)
    if record.is_final or record.addenda:
        _addenda(identity, record, key)


def final_banner(record: RecordView) -> None:
    """Say, above the tabs, that the record is final and read-only."""
    if record.is_final and record.final_at is not None:
        st.success(
            f"**Final.** The team signed off this goals-of-care record and plan on "
            f"{record.final_at:%d %b %Y at %H:%M} UTC. It is read-only: only addenda may be added.",
            icon=":material/verified:",
        )


def answer_amendment(request_id: int, who: str, text: str, *, key: str) -> None:
    """Open the form to answer a family member's amendment request (from the Amendments tab)."""
    _state(key)["amendment"] = (request_id, who, text)


# ------------------------------------------------------------------------------------ editing and saving


def _save(identity: Identity, patient_id: int, submission: Submission, key: str) -> None:
    """Save the submission (as the correction of the request being answered, if any); redraw the form
    with the outcome."""
    try:
        with transaction() as session:
            if submission.amendment_request_id is not None:
                amendments.answer_amendment(
                    session,
                    identity,
                    submission.amendment_request_id,
                    accept=True,
                    reason=submission.reason,
                    now=clock.now(),
                    content=submission.content,
                    based_on_version=submission.based_on_version,
                )
                saved = open_record(session, identity, patient_id, clock.now()).current
            else:
                saved = save(
                    session,
                    identity,
                    patient_id,
                    content=submission.content,
                    based_on_version=submission.based_on_version,
                    reason=submission.reason,
                    now=clock.now(),
                )
    except StaleVersion as stale:
        _stale(stale.theirs, key=key)
    except Refused as refused:  # the record's or the amendment's problems, listed one per line
        _refused(refused.messages, key=key)
    except Refusal as refusal:
        _final(refusal.message, key=key)
    else:
        assert saved is not None
        _saved(saved, key=key, author_name=identity.display_name)


def _edit(record: RecordView, *, author_name: str, key: str) -> Submission | None:
    """Draw the form (or the read-only record when final); return what the person asked to save."""
    state = _state(key)
    if state["based_on"] is None:
        _load(state, key, record.current, author_name)

    if state["notice"]:
        st.success(state["notice"], icon=":material/check_circle:")
        state["notice"] = None

    if record.is_final:
        st.caption(
            ":material/lock: Read-only: this record is final and can no longer be changed. Add an addendum "
            "below if something needs saying."
        )
        if record.current is not None:
            st.caption(
                f"Version {record.current.number}, saved by {md_escape(record.current.author_name)} "
                f"on {record.current.created_at:%d %b %Y at %H:%M} UTC."
            )
            render_content(record.current.content)
        return None

    _opened_at(state, record, key, author_name)
    if state["amendment"] is not None:
        request_id, who, text = state["amendment"]
        st.info(
            f"You are answering amendment request {request_id} from {md_escape(who)}: "
            f"“{md_escape(text)}”. Make the correction, give a reason, and save: the request will be marked "
            "accepted.",
            icon=":material/edit_note:",
        )
        if st.button("Stop answering this request", key=fields.widget_key(key, "amend_cancel")):
            state["amendment"] = None
            st.rerun()
    if state["theirs"] is not None:
        st.warning(
            "Not saved: someone else saved first. Their version is shown below the form, beside your text.",
            icon=":material/warning:",
        )

    submitted = fields.form(state, key)
    fields.keep(state)
    # Below the form, where the person pressed Save (the page stays scrolled there).
    for message in state["messages"]:
        refusals.show(message, icon=":material/error:")
    if state["theirs"] is not None:
        _show_theirs(state, key, author_name)
    if not submitted:
        return None
    state["messages"] = []
    amendment = state["amendment"]
    return Submission(
        fields.collect(state, key),
        int(state["based_on"]),
        str(st.session_state.get(fields.widget_key(key, "reason")) or ""),
        amendment[0] if amendment else None,
    )


def _saved(version: VersionView, *, key: str, author_name: str) -> None:
    """A new version was saved: reopen the form at it, say so, and redraw."""
    state = _state(key)
    _load(state, key, version, author_name)
    state["amendment"] = None
    state["notice"] = f"Saved as version {version.number}."
    st.rerun()


def _refused(messages: Sequence[str], *, key: str) -> None:
    """The save was refused: show every message; the person's text stays in the form."""
    state = _state(key)
    state["messages"] = ["Not saved. Please correct the following:"] + [f"• {m}." for m in messages]
    st.rerun()


def _stale(theirs: VersionView, *, key: str) -> None:
    """Someone saved after this form was opened: keep the text, show their version beside it."""
    state = _state(key)
    state["theirs"] = theirs
    state["messages"] = []
    st.rerun()


def _final(message: str, *, key: str) -> None:
    state = _state(key)
    state["messages"] = [message]
    st.rerun()


# ------------------------------------------------------------------------------------------- addenda


def _addenda(identity: Identity, record: RecordView, key: str) -> None:
    """The addenda and the box to add one; adds what the person wrote."""
    text = _addendum_box(record.addenda, key=key)
    if text is not None:
        try:
            with transaction() as session:
                amendments.add_addendum(session, identity, record.patient_id, text, clock.now())
        except Refusal as refusal:
            refusals.show(refusal)
        else:
            _addendum_added(key=key)


def _addendum_box(addenda: Sequence[AddendumView], *, key: str) -> str | None:
    """The record's addenda, and a box to add one; returns the text when the person presses Add."""
    st.subheader("Addenda")
    if not addenda:
        st.caption("No addenda yet.")
    for a in addenda:
        st.markdown(f"**{md_escape(a.author_name)}**, {a.created_at:%d %b %Y %H:%M} UTC")
        st.text(a.text)
    turn = submit_once.round_suffix(fields.widget_key(key, "addendum"))
    text = st.text_area(
        "Addendum",
        key=fields.widget_key(key, "addendum") + turn,
        max_chars=4000,
        help="A note added to the record. It does not change the signed content.",
    )
    if st.button("Add addendum", key=fields.widget_key(key, "addendum_add") + turn):
        return text
    return None


def _addendum_added(*, key: str) -> None:
    # A new round: an empty box, and a second press of the old button (a double click) is ignored.
    submit_once.saved(fields.widget_key(key, "addendum"))
    _state(key)["notice"] = "Addendum added."
    st.rerun()


# ------------------------------------------------------------ the version opened at, and a newer one


def _opened_at(state: dict[str, Any], record: RecordView, key: str, author_name: str) -> None:
    latest = record.current
    moved_on = latest is not None and record.number != state["based_on"] and state["theirs"] is None
    if moved_on and latest is not None and _untouched(state, key):
        _load(state, key, latest, author_name)  # nothing typed yet: simply show the newest version
        moved_on = False
    if state["based_on"] == 0:
        st.caption("No goals-of-care record yet: this will be version 1.")
    else:
        st.caption(f"Editing from version {state['based_on']}. Saving makes version {state['based_on'] + 1}.")
    if moved_on and latest is not None:
        st.warning(
            f"{md_escape(latest.author_name)} saved version {latest.number} after you opened this form. "
            "Your text is kept; when you save you will see their version to compare.",
            icon=":material/warning:",
        )
        if st.button(
            f"Discard my text and load version {latest.number}", key=fields.widget_key(key, "reload")
        ):
            _load(state, key, latest, author_name)
            st.rerun()


def _show_theirs(state: dict[str, Any], key: str, author_name: str) -> None:
    theirs: VersionView = state["theirs"]
    st.warning(
        f"**Not saved: someone else saved first.** {md_escape(theirs.author_name)} saved version "
        f"{theirs.number} on {theirs.created_at:%d %b %Y at %H:%M} UTC, after you opened version "
        f"{state['based_on']}. Their reason: “{md_escape(theirs.reason)}”. Your text is still in the form "
        "above. Compare it with theirs (below), merge what you need, then save again.",
        icon=":material/warning:",
    )
    changes = gc.diff(theirs.content, _comparable(fields.collect(state, key)))
    if changes:
        st.table(
            plain_table(
                {
                    "Field": [c.label for c in changes],
                    f"Version {theirs.number} ({theirs.author_name})": [c.before for c in changes],
                    "Your text": [c.after for c in changes],
                }
            ),
            hide_index=True,
        )
    else:
        st.caption("Your text and their version say the same thing.")
    left, right = st.columns(2)
    if left.button(
        f"Keep my text and save it on top of version {theirs.number}",
        key=fields.widget_key(key, "merge"),
        type="primary",
    ):
        state["based_on"] = theirs.number
        state["theirs"] = None
        st.rerun()
    if right.button(
        f"Discard my text and load version {theirs.number}", key=fields.widget_key(key, "take_theirs")
    ):
        _load(state, key, theirs, author_name)
        st.rerun()


def _comparable(content: dict[str, Any]) -> dict[str, Any]:
    try:
        return gc.normalise(content)
    except Exception:  # noqa: BLE001 - half-typed input: compare it as typed
        return content
