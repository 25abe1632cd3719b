"""The goals-of-care record's history (versions, and a field-by-field comparison of any two) and the family's
amendment requests with their answers.

pick_versions() returns the two version numbers to compare; show_changes() draws the comparison.
amendments() returns an AmendmentAnswer when the person accepts or refuses a request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from access.goals_of_care import AmendmentView, VersionSummary
from clinical.goals_of_care import FieldChange
from components.goals_of_care_form import md_escape
from db.models import AmendmentStatus


def _k(key: str, name: str) -> str:
    return f"{key}.{name}"


def pick_versions(history: Sequence[VersionSummary], *, key: str) -> tuple[int, int] | None:
    """The versions table (author, time, reason), and the two versions to compare (older, newer)."""
    if not history:
        st.info("No versions saved yet.")
        return None
    st.table(
        pd.DataFrame(
            {
                "Version": [v.number for v in history],
                "Saved by": [v.author_name for v in history],
                "When (UTC)": [f"{v.created_at:%d %b %Y %H:%M}" for v in history],
                "Reason": [v.reason for v in history],
            }
        ),
        hide_index=True,
    )
    if len(history) < 2:
        st.caption("There is only one version, so there is nothing to compare yet.")
        return None
    numbers = [v.number for v in history]  # newest first
    left, right = st.columns(2)
    before = left.selectbox("Compare version", numbers, index=1, key=_k(key, "before"))
    after = right.selectbox("with version", numbers, index=0, key=_k(key, "after"))
    if before == after:
        st.caption("Choose two different versions.")
        return None
    return (before, after)


def show_changes(before: int, after: int, changes: Sequence[FieldChange]) -> None:
    st.markdown(f"**What changed from version {before} to version {after}**")
    if not changes:
        st.caption("The two versions say the same thing.")
        return
    st.table(
        pd.DataFrame(
            {
                "Field": [c.label for c in changes],
                f"Version {before}": [c.before for c in changes],
                f"Version {after}": [c.after for c in changes],
            }
        ),
        hide_index=True,
    )


@dataclass(frozen=True)
class AmendmentAnswer:
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


def amendments(requests: Sequence[AmendmentView], *, final: bool, key: str) -> AmendmentAnswer | None:
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
                    f"{r.status.value.capitalize()} by {r.answered_by_name}: {r.answer_reason}.{result}"
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
                answer = AmendmentAnswer(r.request_id, True, reason, r.requested_by_name, r.text)
            if right.button("Refuse with reason", key=_k(key, f"refuse.{r.request_id}")):
                if not reason.strip():
                    st.error("Please give a reason for refusing.", icon=":material/error:")
                else:
                    answer = AmendmentAnswer(r.request_id, False, reason, r.requested_by_name, r.text)
    return answer
