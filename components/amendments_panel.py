"""The goals-of-care page's Amendments tab: the family's requests for a correction, with their answers.

A clinician accepts a request (before the record is final, by making the correction in the Record tab's
form, which then saves it as the request's answer; once final, as an addendum) or refuses it with a
reason that the family member is told.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from auth.identity import Identity
from auth.refusal import Refusal
from components import goals_of_care_form, refusals
from components.plain_text import md_escape
from db.engine import transaction
from db.models import AmendmentStatus
from portal import clock
from services.goals_of_care import amendments
from services.goals_of_care.record import AmendmentView, RecordView


def _k(key: str, name: str) -> str:
    return f"{key}.{name}"


@dataclass(frozen=True)
class _Answer:
    request_id: int
    accept: bool
    reason: str
    requested_by: str
    text: str


_STATUS_BADGES = {
    AmendmentStatus.REQUESTED: ":orange-badge[Waiting for an answer]",
    AmendmentStatus.ACCEPTED: ":green-badge[Accepted]",
    AmendmentStatus.REFUSED: ":gray-badge[Refused]",
}


def waiting_banner(requests: Sequence[AmendmentView]) -> None:
    """Say, above the tabs, how many requests wait for an answer (nothing when none do)."""
    pending = sum(1 for a in requests if a.status is AmendmentStatus.REQUESTED)
    if pending:
        st.warning(
            f"{pending} amendment request{'s' if pending > 1 else ''} from the family "
            f"{'wait' if pending > 1 else 'waits'} for an answer: see the Amendments tab.",
            icon=":material/mark_email_unread:",
        )


def show(identity: Identity, record: RecordView, *, key: str, form_key: str) -> None:
    """The requests, and the answer the person gives to one. `form_key` is the Record tab's form, where
    an accepted correction is made."""
    answer = _requests(record.amendments, final=record.is_final, key=key)
    if answer is not None and answer.accept and not record.is_final:
        # The Record tab now shows the request above the form: the correction is saved from there.
        goals_of_care_form.answer_amendment(answer.request_id, answer.requested_by, answer.text, key=form_key)
        st.rerun()
    elif answer is not None:
        try:
            with transaction() as session:
                amendments.answer_amendment(
                    session,
                    identity,
                    answer.request_id,
                    accept=answer.accept,
                    reason=answer.reason,
                    now=clock.now(),
                )
        except Refusal as refusal:
            refusals.show(refusal)
        else:
            st.rerun()


def _requests(requests: Sequence[AmendmentView], *, final: bool, key: str) -> _Answer | None:
    """Amendment requests, pending first; Accept or Refuse (with a reason) for the pending ones."""
    if not requests:
        st.info("No family member has asked for a correction.")
        return None
    answer = None
    pending = [r for r in requests if r.status is AmendmentStatus.REQUESTED]
    for r in pending + [r for r in requests if r.status is not AmendmentStatus.REQUESTED]:
        with st.container(border=True):
            about = f" about version {r.about_version}" if r.about_version else ""
            st.markdown(
                f"{_STATUS_BADGES[r.status]} **Request {r.request_id}** from "
                f"{md_escape(r.requested_by_name)}{about}, {r.requested_at:%d %b %Y %H:%M} UTC"
            )
            st.text(r.text)
            if r.status is not AmendmentStatus.REQUESTED:
                result = (
                    f" Result: version {r.resulting_version}."
                    if r.resulting_version
                    else " Result: an addendum."
                    if r.resulting_addendum_id
                    else ""
                )
                st.caption(
                    f"{r.status.value.capitalize()} by {md_escape(r.answered_by_name or 'someone')}: "
                    f"{md_escape(r.answer_reason or '')}.{result}"
                )
                continue
            reason = st.text_input(
                "Reason for your answer (required)",
                key=_k(key, f"reason.{r.request_id}"),
                max_chars=500,
                help="Told to the family member with the answer.",
            )
            accept_help = (
                "The record is final: accepting adds the request as an addendum."
                if final
                else "Opens the record on the Record tab so you can make the correction and save it."
            )
            left, right = st.columns(2)
            if left.button("Accept", key=_k(key, f"accept.{r.request_id}"), help=accept_help):
                answer = _Answer(r.request_id, True, reason, r.requested_by_name, r.text)
            if right.button("Refuse with reason", key=_k(key, f"refuse.{r.request_id}")):
                if not reason.strip():
                    st.error("Please give a reason for refusing.", icon=":material/error:")
                else:
                    answer = _Answer(r.request_id, False, reason, r.requested_by_name, r.text)
    return answer
