"""The consensus sign-off: exactly what is being signed, who has signed it, and the buttons to sign or
dissent; and the printable family summary of a final record.

show() returns a SignOffAction when the person confirms a signature (in a dialog, with an optional
statement) or a dissent (with a required reason); the page records it and calls done() or refused().
The action carries the hash of the content the person was shown, so a signature is bound to that
content: if it changed meanwhile, the service refuses it. State lives in session_state under the key.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from access.goals_of_care import PlanItemDraft, PlanItemView
from access.roles import Role
from access.signoff import SignatureView, SignOffStatus
from components.goals_of_care_form import md_escape, readable, render_content
from db.models import PlanItemKind, PlanItemStatus, SignOffDecision

SHORT_HASH = 12


@dataclass(frozen=True)
class SignOffAction:
    kind: str  # "sign", "dissent" or "withdraw"
    expected_hash: str
    text: str = ""
    sign_off_id: int | None = None


def _k(key: str, name: str) -> str:
    return f"{key}.{name}"


def short(content_hash: str | None) -> str:
    return content_hash[:SHORT_HASH] if content_hash else "none"


# --------------------------------------------------------------------------------------------- plan


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


# ------------------------------------------------------------------------------------------- the panel


def _badge(s: SignatureView) -> str:
    if s.state == "void":
        return ":gray-badge[Void: the content changed after this]"
    if s.state == "withdrawn":
        return ":gray-badge[Withdrawn]"
    if s.decision is SignOffDecision.DISSENT:
        return (
            ":orange-badge[Dissent, overridden by the chair]"
            if s.state == "overridden"
            else (":red-badge[Dissent]")
        )
    return ":green-badge[Signed]"


def _roles_table(status: SignOffStatus) -> None:
    """One line per signing role: colour plus words, and who signed when."""
    signed = set(status.consensus.signed_roles) if status.consensus else set()
    for role, required in status.roles.items():
        live = [
            s
            for s in status.signatures
            if s.role is role and s.state == "live" and s.content_sha256 == status.current_hash
        ]
        agree = [s for s in live if s.decision is SignOffDecision.AGREE]
        dissent = [s for s in live if s.decision is SignOffDecision.DISSENT]
        if role.value in signed and agree:
            shown = (
                f":green-badge[Signed] Signed by {md_escape(agree[-1].user_name)}, "
                f"{agree[-1].signed_at:%d %b %H:%M} UTC"
            )
        elif dissent:
            shown = f":red-badge[Dissent] Dissent from {md_escape(dissent[-1].user_name)}"
        elif required:
            shown = ":orange-badge[Waiting] Not signed yet"
        else:
            shown = ":gray-badge[Optional] Not signed"
        st.markdown(f"**{role.label}** ({'required' if required else 'optional'}): {shown}")


def _signatures(status: SignOffStatus) -> None:
    if not status.signatures:
        st.caption("No one has signed yet.")
        return
    for s in reversed(status.signatures):
        what = "dissented" if s.decision is SignOffDecision.DISSENT else "signed"
        line = (
            f"{_badge(s)} **{md_escape(s.user_name)}** ({s.role.label}) {what} content "
            f"`{short(s.content_sha256)}` on {s.signed_at:%d %b %Y at %H:%M} UTC"
        )
        if s.state == "void" and s.voided_at is not None:
            line += f"; void since {s.voided_at:%d %b %H:%M} UTC"
        st.markdown(line)
        if s.statement:
            st.caption(f"Statement: {md_escape(s.statement)}")
        if s.dissent_reason:
            st.caption(f"Reason for the dissent: {md_escape(s.dissent_reason)}")
        if s.override_reason:
            st.caption(f"Overridden by {md_escape(s.override_by_name or '')}: {md_escape(s.override_reason)}")


def show(
    status: SignOffStatus,
    content: Mapping[str, Any] | None,
    plan: Sequence[PlanItemView],
    *,
    role: Role,
    user_id: int,
    key: str,
) -> SignOffAction | None:
    """Draw the sign-off; returns the action the person confirmed, if any."""
    action: SignOffAction | None = st.session_state.pop(_k(key, "action"), None)
    notice = st.session_state.pop(_k(key, "notice"), None)
    if notice:
        ok, text = notice
        (st.success if ok else st.error)(text, icon=":material/check_circle:" if ok else ":material/error:")

    if status.is_final:
        st.success(
            f"**Final.** Every required role signed this content on {status.final_at:%d %b %Y at %H:%M} "
            f"UTC (content `{short(status.final_hash)}`). The record and plan are read-only.",
            icon=":material/verified:",
        )
    if content is None or status.current_hash is None:
        st.info("There is no goals-of-care record to sign yet. Save a first version on the Record tab.")
        return action

    st.markdown(
        "**What is being signed:** the goals of care and the plan below, "
        f"content `{short(status.current_hash)}`."
    )
    with st.expander("The goals of care being signed", expanded=True):
        render_content(content)
    with st.expander("The plan being signed", expanded=True):
        if plan:
            st.table(plan_table(plan), hide_index=True)
        else:
            st.caption("The plan has no items.")

    st.subheader("Who has signed")
    if not status.is_final:
        st.button(
            "Refresh", key=_k(key, "refresh"), icon=":material/refresh:", help="Show signatures made since."
        )
    _roles_table(status)
    if status.consensus is not None and not status.is_final:
        st.caption(status.consensus.explain())
    _signatures(status)

    if status.is_final:
        return action
    if role not in status.roles:
        st.caption(f"This conference's plan is not signed by the {role.label.lower()} role.")
        return action
    mine = [
        s
        for s in status.signatures
        if s.user_id == user_id
        and s.state in ("live", "overridden")
        and s.content_sha256 == status.current_hash
    ]
    sign_col, dissent_col, withdraw_col = st.columns(3)
    dialog_key = _k(key, "dialog")
    if not any(s.decision is SignOffDecision.AGREE for s in mine):
        if sign_col.button(f"Sign as {role.label.lower()}", key=_k(key, "sign"), type="primary"):
            st.session_state[dialog_key] = ("sign", status.current_hash)
    else:
        sign_col.markdown(":green-badge[You have signed this content]")
    if dissent_col.button("Record dissent", key=_k(key, "dissent")):
        st.session_state[dialog_key] = ("dissent", status.current_hash)
    live_mine = [s for s in status.signatures if s.user_id == user_id and s.state == "live"]
    if live_mine and withdraw_col.button("Withdraw my signature or dissent", key=_k(key, "withdraw")):
        st.session_state[_k(key, "action")] = SignOffAction(
            "withdraw", status.current_hash, sign_off_id=live_mine[-1].sign_off_id
        )
        st.rerun()
    # The open dialog is kept in state, so it stays open across full reruns until confirmed or closed.
    opened = st.session_state.get(dialog_key)
    if opened is not None:
        kind, expected_hash = opened
        close = partial(st.session_state.pop, dialog_key, None)
        if kind == "sign":
            st.dialog("Sign the goals of care and plan", on_dismiss=close)(_sign_dialog)(
                expected_hash, role, key
            )
        else:
            st.dialog("Record a dissent", on_dismiss=close)(_dissent_dialog)(expected_hash, key)
    return action


def _confirmed(key: str, action: SignOffAction) -> None:
    st.session_state[_k(key, "action")] = action
    st.session_state.pop(_k(key, "dialog"), None)
    st.rerun()


def _sign_dialog(expected_hash: str, role: Role, key: str) -> None:
    st.write(
        f"You are signing, as {role.label.lower()}, the goals of care and plan shown on the page: content "
        f"`{short(expected_hash)}`. If anyone changes them afterwards, your signature becomes void."
    )
    statement = st.text_area("Statement (optional)", key=_k(key, "statement"), max_chars=2000)
    if st.button("Confirm signature", key=_k(key, "confirm_sign"), type="primary"):
        _confirmed(key, SignOffAction("sign", expected_hash, statement or ""))


def _dissent_dialog(expected_hash: str, key: str) -> None:
    st.write(
        f"You disagree with the goals of care or plan as shown (content `{short(expected_hash)}`). A dissent "
        "stops the record becoming final until you withdraw it or the chair overrides it."
    )
    reason = st.text_area("Reason for the dissent (required)", key=_k(key, "dissent_reason"), max_chars=2000)
    if st.button("Record dissent", key=_k(key, "confirm_dissent"), type="primary"):
        if not (reason or "").strip():
            st.error("Please give a reason for the dissent.", icon=":material/error:")
            return
        _confirmed(key, SignOffAction("dissent", expected_hash, reason))


def done(message: str, *, key: str) -> None:
    st.session_state[_k(key, "notice")] = (True, message)
    st.session_state.pop(_k(key, "statement"), None)
    st.session_state.pop(_k(key, "dissent_reason"), None)
    st.rerun()


def refused(message: str, *, key: str) -> None:
    st.session_state[_k(key, "notice")] = (False, message)
    st.rerun()


# ------------------------------------------------------------------------------------ family summary


def family_summary_html(
    patient_name: str,
    content: Mapping[str, Any],
    plan: Sequence[PlanItemView],
    final_at: dt.datetime,
    addenda: Sequence[tuple[str, dt.datetime, str]] = (),
) -> str:
    """A plain, printable HTML page of a final record for the family. Every piece of text is escaped."""
    e = html.escape
    rows = "\n".join(f"<tr><th>{e(label)}</th><td>{e(shown)}</td></tr>" for label, shown in readable(content))
    items = "\n".join(
        f"<li>{e(p.text)}"
        + (f" (who: {e(p.owner_name)})" if p.owner_name else "")
        + (f" (by {e(p.due_date.strftime('%d %B %Y'))})" if p.due_date else "")
        + "</li>"
        for p in plan
        if p.status.value != "withdrawn"
    )
    notes = "\n".join(
        f"<li>{e(text)} ({e(who)}, {e(when.strftime('%d %B %Y'))})</li>" for who, when, text in addenda
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Goals of care: {e(patient_name)}</title>
<style>
body {{ font-family: Georgia, serif; font-size: 14pt; line-height: 1.5; margin: 2em; color: #111; }}
th {{ text-align: left; vertical-align: top; padding: 0.3em 1em 0.3em 0; width: 35%; }}
td {{ padding: 0.3em 0; }}
</style>
</head>
<body>
<h1>Goals of care for {e(patient_name)}</h1>
<p>This is a summary of what {e(patient_name)} and the care team talked about: what matters most, and the
care that was agreed. The care team signed it off on {e(final_at.strftime("%d %B %Y"))}.</p>
<p>If anything here is wrong or has changed, please tell the care team. They can add a note or start a new
conversation at any time.</p>
<h2>What was recorded</h2>
<table>
{rows}
</table>
<h2>What the team will do</h2>
<ul>
{items or "<li>No further steps were recorded.</li>"}
</ul>
{f"<h2>Notes added later</h2><ul>{notes}</ul>" if notes else ""}
</body>
</html>
"""


def family_summary_download(html_text: str, file_name: str, *, key: str) -> None:
    st.download_button(
        "Download the family summary (printable page)",
        data=html_text.encode("utf-8"),
        file_name=file_name,
        mime="text/html",
        key=_k(key, "download"),
        on_click="ignore",
        icon=":material/download:",
    )


# ------------------------------------------------------------------------------------------ plan editor


@dataclass(frozen=True)
class PlanEdit:
    item_id: int | None  # None: a new item
    draft: PlanItemDraft
    based_on_version: int


_KIND_LABELS = {PlanItemKind.RECOMMENDATION: "Recommendation", PlanItemKind.ACTION: "Action item"}
_NEW = "new"


def plan_editor(plan: Sequence[PlanItemView], *, final: bool, key: str) -> PlanEdit | None:
    """The plan as a table, and a form to add an item or change one; returns what the person saved."""
    notice = st.session_state.pop(_k(key, "notice"), None)
    if notice:
        ok, text = notice
        (st.success if ok else st.error)(text, icon=":material/check_circle:" if ok else ":material/error:")
    if plan:
        st.table(plan_table(plan), hide_index=True)
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
    suffix = f"{choice}.{item.version}" if item else "new"
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
    return PlanEdit(item.item_id if item else None, draft, item.version if item else 0)


def plan_saved(message: str, *, ok: bool, key: str) -> None:
    st.session_state[_k(key, "notice")] = (ok, message)
    st.rerun()
