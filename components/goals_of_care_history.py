"""The goals-of-care page's History tab: the record's versions with author, time and reason, and a
field-by-field comparison of any two of them (each comparison is audited as a view of the record)."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from auth.identity import Identity
from clinical.goals_of_care import FieldChange
from components.plain_text import plain_table
from db.engine import transaction
from portal import clock
from services.goals_of_care.record import RecordView, VersionSummary, compare


def _k(key: str, name: str) -> str:
    return f"{key}.{name}"


def show(identity: Identity, record: RecordView, *, key: str) -> None:
    """The versions table, and the changes between the two versions the person picks."""
    chosen = _pick_versions(record.history, key=key)
    if chosen is not None:
        with transaction() as session:
            changes = compare(session, identity, record.patient_id, chosen[0], chosen[1], clock.now())
        _show_changes(chosen[0], chosen[1], changes)


def _pick_versions(history: Sequence[VersionSummary], *, key: str) -> tuple[int, int] | None:
    """The versions table (author, time, reason), and the two versions to compare (older, newer)."""
    if not history:
        st.info("No versions saved yet.")
        return None
    st.table(
        plain_table(
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


def _show_changes(before: int, after: int, changes: Sequence[FieldChange]) -> None:
    st.markdown(f"**What changed from version {before} to version {after}**")
    if not changes:
        st.caption("The two versions say the same thing.")
        return
    st.table(
        plain_table(
            {
                "Field": [c.label for c in changes],
                f"Version {before}": [c.before for c in changes],
                f"Version {after}": [c.after for c in changes],
            }
        ),
        hide_index=True,
    )
