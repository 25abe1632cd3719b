"""The goals-of-care page's Plan tab: the conference's plan for the patient as a table, and a form to add
an item or change one (an item is removed by setting it withdrawn). A final plan is shown read-only.

The form opened for an item is keyed by the item's version, so a save names the version the person
saw; if someone changed the item since, the service refuses it and says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from auth.identity import Identity
from auth.refusal import Refusal
from clinical.roles import Role
from components import notices, submit_once
from components.plain_text import plain_table
from db.engine import transaction
from db.models import PlanItemKind, PlanItemStatus
from portal import clock
from services.goals_of_care.plan import (
    PlanItemDraft,
    PlanItemView,
    add_plan_item,
    update_plan_item,
)


@dataclass(frozen=True)
class _Edit:
    item_id: int | None  # None: a new item
    draft: PlanItemDraft
    based_on_version: int


_KIND_LABELS = {PlanItemKind.RECOMMENDATION: "Recommendation", PlanItemKind.ACTION: "Action item"}
_NEW = "new"


def _k(key: str, name: str) -> str:
    return f"{key}.{name}"


def plan_table(plan: Sequence[PlanItemView]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Item": [p.item_id for p in plan],
            "Kind": ["Action" if p.kind is PlanItemKind.ACTION else "Recommendation" for p in plan],
            "What": [p.text for p in plan],
            "Owner": [p.owner_name or "" for p in plan],
            "Due": [p.due_date.isoformat() if p.due_date else "" for p in plan],
            "Status": [p.status.value.capitalize() for p in plan],
        }
    )


def show(
    identity: Identity,
    patient_id: int,
    conference_id: int | None,
    plan: Sequence[PlanItemView],
    *,
    final: bool,
    key: str,
) -> None:
    """The plan of the chosen conference, and saving the item the person adds or changes."""
    if conference_id is None:
        st.info("This patient is not on an upcoming conference's agenda, so there is no plan to add to.")
        return
    edit = _editor(plan, final=final, key=key)
    if edit is None:
        return
    try:
        with transaction() as session:
            if edit.item_id is None:
                add_plan_item(session, identity, patient_id, conference_id, edit.draft, clock.now())
            else:
                update_plan_item(
                    session, identity, edit.item_id, edit.draft, edit.based_on_version, clock.now()
                )
    except Refusal as refusal:
        _saved(refusal.message, ok=False, key=key)
    else:
        if edit.item_id is None:
            submit_once.saved(_k(key, "new"))
        _saved("Plan item saved.", ok=True, key=key)


def _editor(plan: Sequence[PlanItemView], *, final: bool, key: str) -> _Edit | None:
    """The plan as a table, and a form to add an item or change one; returns what the person saved."""
    notices.show(key=key)
    if plan:
        st.table(plain_table(plan_table(plan)), hide_index=True)
    else:
        st.caption("No plan items yet.")
    if final:
        st.caption("The plan was signed off with the record and is final: it can no longer be changed.")
        return None
    by_id = {p.item_id: p for p in plan}
    choice = st.selectbox(
        "Add or change",
        [_NEW, *by_id],
        format_func=lambda i: "Add a new item" if i == _NEW else f"Change item {i}: {by_id[i].text[:60]}",
        key=_k(key, "choice"),
    )
    item = by_id.get(choice) if choice != _NEW else None
    # A changed item's keys move with its version; a new item's with each item added (submit_once).
    suffix = f"{choice}.{item.version}" if item else "new" + submit_once.round_suffix(_k(key, "new"))
    with st.form(_k(key, f"form.{suffix}"), enter_to_submit=False):
        kind = st.radio(
            "Kind",
            list(PlanItemKind),
            format_func=_KIND_LABELS.__getitem__,
            index=list(PlanItemKind).index(item.kind) if item else 0,
            horizontal=True,
            key=_k(key, f"kind.{suffix}"),
            help="A recommendation is advice; an action item is something someone will do, with an owner.",
        )
        text = st.text_area(
            "What", value=item.text if item else "", max_chars=2000, key=_k(key, f"text.{suffix}")
        )
        roles = [Role.PHYSICIAN, Role.NURSE, Role.SOCIAL_WORKER, Role.CHAPLAIN, Role.PHARMACIST]
        owner = st.selectbox(
            "Owner (role)",
            roles,
            format_func=lambda r: r.label,
            index=roles.index(item.owner_role) if item and item.owner_role in roles else None,
            placeholder="No owner",
            key=_k(key, f"owner.{suffix}"),
            help="Who will do it. Required for an action item.",
        )
        due = st.date_input(
            "Due date",
            value=item.due_date if item else None,
            format="YYYY-MM-DD",
            key=_k(key, f"due.{suffix}"),
        )
        status = st.selectbox(
            "Status",
            list(PlanItemStatus),
            format_func=lambda s: s.value.capitalize(),
            index=list(PlanItemStatus).index(item.status) if item else 0,
            key=_k(key, f"status.{suffix}"),
            help="To remove an item, set it to Withdrawn: it stays on the record.",
        )
        if not st.form_submit_button("Save plan item"):
            return None
    draft = PlanItemDraft(kind, text, owner.value if owner else None, None, due, status)
    return _Edit(item.item_id if item else None, draft, item.version if item else 0)


def _saved(message: str, *, ok: bool, key: str) -> None:
    notices.keep(message, ok=ok, key=key)
    st.rerun()
