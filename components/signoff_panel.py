"""The goals-of-care page's Sign-off tab: exactly what is being signed, who has signed it, and the
buttons to sign, dissent or withdraw.

A signature is confirmed in a dialog (with an optional statement), a dissent with a required reason.
What the person confirms carries the hash of the content they were shown, so a signature is bound to
that content: if it changed meanwhile, the service refuses it and the tab says so. State lives in
session_state under the key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import streamlit as st

from auth.identity import Identity
from auth.refusal import Refusal
from clinical.consensus import SignOffDecision
from clinical.roles import Role
from components import notices
from components.care_plan_editor import plan_table
from components.goals_of_care_view import render_content
from components.plain_text import md_escape, plain_table
from db.engine import transaction
from portal import clock
from services.goals_of_care import signoff
from services.goals_of_care.plan import PlanItemView
from services.goals_of_care.record import RecordView
from services.goals_of_care.signoff import SignatureView, SignOffStatus

SHORT_HASH = 12


@dataclass(frozen=True)
class _Action:
    kind: str  # "sign", "dissent", "withdraw" or "override"
    expected_hash: str
    text: str = ""
    sign_off_id: int | None = None


def _k(key: str, name: str) -> str:
    return f"{key}.{name}"


def short(content_hash: str | None) -> str:
    return content_hash[:SHORT_HASH] if content_hash else "none"


def show(
    identity: Identity,
    record: RecordView,
    status: SignOffStatus | None,
    plan: Sequence[PlanItemView],
    *,
    key: str,
) -> None:
    """The sign-off of the chosen conference (`status` None: there is none), and recording the signature,
    dissent or withdrawal the person confirms."""
    if status is None:
        st.info("Sign-off happens at a conference; this patient is not on an upcoming conference's agenda.")
        return
    action = _panel(
        status,
        record.current.content if record.current else None,
        plan,
        role=identity.role,
        user_id=identity.user_id,
        key=key,
    )
    if action is not None:
        refused = _record(identity, status.patient_id, status.conference_id, action)
        if refused is not None:
            _refused(refused, key=key)
        _done(_DONE[action.kind], key=key)


def settle_elsewhere(
    identity: Identity, patient_id: int, conference_id: int, *, key: str, label: str
) -> tuple[bool, str] | None:
    """A signature or dissent confirmed in this panel's dialog just as the screen moved on to another case
    (the meeting moved on): it is recorded all the same, against the content the person saw (its hash),
    or refused if that content changed. Returns (done, what to tell them); None when nothing was pending."""
    action: _Action | None = st.session_state.pop(_k(key, "action"), None)
    st.session_state.pop(_k(key, "dialog"), None)
    if action is None:
        return None
    refused = _record(identity, patient_id, conference_id, action)
    if refused is not None:
        return False, f"For {label}: nothing was recorded. {refused}"
    return True, f"For {label}: {_DONE[action.kind]}"


_DONE = {
    "sign": "Signed.",
    "dissent": "Your dissent is recorded.",
    "withdraw": "Withdrawn.",
    "override": "The dissent is overridden. It stays on the record, with your reason.",
}


def _record(identity: Identity, patient_id: int, conference_id: int, action: _Action) -> str | None:
    """Record the signature, dissent, withdrawal or override; the refusal's message, or None when done."""
    try:
        with transaction() as session:
            if action.kind == "withdraw":
                assert action.sign_off_id is not None
                signoff.withdraw(session, identity, action.sign_off_id, clock.now())
            elif action.kind == "override":
                assert action.sign_off_id is not None
                signoff.override_dissent(session, identity, action.sign_off_id, action.text, clock.now())
            else:
                decide = signoff.sign if action.kind == "sign" else signoff.dissent
                decide(
                    session,
                    identity,
                    patient_id,
                    conference_id,
                    action.text,
                    action.expected_hash,
                    clock.now(),
                )
    except Refusal as refusal:
        return refusal.message
    return None


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


def _panel(
    status: SignOffStatus,
    content: Mapping[str, Any] | None,
    plan: Sequence[PlanItemView],
    *,
    role: Role,
    user_id: int,
    key: str,
) -> _Action | None:
    """Draw the sign-off; returns the action the person confirmed, if any."""
    action: _Action | None = st.session_state.pop(_k(key, "action"), None)
    notices.show(key=key)

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
            st.table(plain_table(plan_table(plan)), hide_index=True)
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
    if user_id == status.chair_id:
        _chair_overrides(status, key)
    if role not in status.roles:
        st.caption(f"This conference's plan is not signed by the {role.label.lower()} role.")
        _open_dialog(role, key)
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
        st.session_state[_k(key, "action")] = _Action(
            "withdraw", status.current_hash, sign_off_id=live_mine[-1].sign_off_id
        )
        st.rerun()
    _open_dialog(role, key)
    return action


def _chair_overrides(status: SignOffStatus, key: str) -> None:
    """The chair's way past a dissent that stands on the content being signed: override it, with a reason.
    The dissent stays listed, marked overridden, so the team's record shows both."""
    standing = [
        s
        for s in status.signatures
        if s.decision is SignOffDecision.DISSENT
        and s.state == "live"
        and s.content_sha256 == status.current_hash
    ]
    for s in standing:
        label = f"Override the dissent of {s.user_name}"
        if st.button(label, key=_k(key, f"override.{s.sign_off_id}"), help="As the conference chair"):
            st.session_state[_k(key, "dialog")] = (
                "override",
                status.current_hash,
                s.sign_off_id,
                s.user_name,
            )


def _open_dialog(role: Role, key: str) -> None:
    # The open dialog is kept in state, so it stays open across full reruns until confirmed or closed.
    dialog_key = _k(key, "dialog")
    opened = st.session_state.get(dialog_key)
    if opened is None:
        return
    kind, expected_hash, *about = opened
    close = partial(st.session_state.pop, dialog_key, None)
    if kind == "sign":
        st.dialog("Sign the goals of care and plan", on_dismiss=close)(_sign_dialog)(expected_hash, role, key)
    elif kind == "override":
        sign_off_id, name = about
        st.dialog("Override a dissent", on_dismiss=close)(_override_dialog)(
            expected_hash, sign_off_id, name, key
        )
    else:
        st.dialog("Record a dissent", on_dismiss=close)(_dissent_dialog)(expected_hash, key)


def _confirmed(key: str, action: _Action) -> None:
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
        _confirmed(key, _Action("sign", expected_hash, statement or ""))


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
        _confirmed(key, _Action("dissent", expected_hash, reason))


def _override_dialog(expected_hash: str, sign_off_id: int, name: str, key: str) -> None:
    st.write(
        f"As the conference chair you can let the record become final despite {md_escape(name)}'s dissent. "
        "The dissent stays on the record, marked overridden, with your reason beside it."
    )
    reason = st.text_area(
        "Reason for overriding the dissent (required)", key=_k(key, "override_reason"), max_chars=2000
    )
    if st.button("Override the dissent", key=_k(key, "confirm_override"), type="primary"):
        if not (reason or "").strip():
            st.error("Please give a reason for overriding the dissent.", icon=":material/error:")
            return
        _confirmed(key, _Action("override", expected_hash, reason, sign_off_id=sign_off_id))


def _done(message: str, *, key: str) -> None:
    notices.keep(message, ok=True, key=key)
    for typed in ("statement", "dissent_reason", "override_reason"):
        st.session_state.pop(_k(key, typed), None)
    st.rerun()


def _refused(message: str, *, key: str) -> None:
    notices.keep(message, ok=False, key=key)
    st.rerun()
