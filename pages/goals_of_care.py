"""Goals of care: one patient's goals-of-care record with its versions, the conference plan, the team's
sign-off, the family's amendment requests, and a printable summary for the family once it is final."""

import streamlit as st

from access import signoff
from access.goals_of_care import (
    AmendmentRefused,
    GoalsOfCareRefused,
    PlanItemRefused,
    RecordFinal,
    StalePlanItem,
    StaleVersion,
    add_addendum,
    add_plan_item,
    answer_amendment,
    compare,
    open_record,
    plan_items,
    save,
    update_plan_item,
)
from access.records import AccessDenied, my_patients, patient_record
from access.roles import PageId
from components import clock, goals_of_care_form, goals_of_care_history, signoff_panel
from components.gate import require_page
from db.engine import transaction

identity = require_page(PageId.GOALS_OF_CARE)

st.title("Goals of care")

with transaction() as session:
    rows = my_patients(session, identity)
names = {r.patient.id: f"{r.patient.full_name} ({r.patient.mrn})" for r in rows}
patient_id = st.selectbox(
    "Patient",
    list(names),
    format_func=names.__getitem__,
    index=None,
    placeholder="Choose a patient from your care team",
    key="goc.patient",
)
if patient_id is None:
    if not rows:
        st.info("You are not on the care team of any patient yet.")
    st.stop()

try:
    with transaction() as session:
        record = open_record(session, identity, patient_id, clock.now())
        summary = patient_record(session, identity, patient_id, clock.now())
except AccessDenied as denied:
    st.error(str(denied))
    st.stop()

conferences = {conf.id: f"{conf.title}, {conf.starts_at:%d %b %Y}" for _, conf in summary.upcoming_cases}
if record.final_conference_id is not None:
    conferences.setdefault(record.final_conference_id, "The conference where the team signed it off")
    conference_id: int | None = record.final_conference_id
else:
    conference_id = st.selectbox(
        "Conference (the plan and the sign-off belong to it)",
        list(conferences),
        format_func=conferences.__getitem__,
        key=f"goc.{patient_id}.conference",
    )

form_key, plan_key, signoff_key = (
    f"goc.{patient_id}.form",
    f"goc.{patient_id}.plan",
    f"goc.{patient_id}.signoff",
)
pending = sum(1 for a in record.amendments if a.status.value == "requested")
if record.is_final and record.final_at is not None:
    st.success(
        f"**Final.** The team signed off this goals-of-care record and plan on "
        f"{record.final_at:%d %b %Y at %H:%M} UTC. It is read-only: only addenda may be added.",
        icon=":material/verified:",
    )
if pending:
    st.warning(
        f"{pending} amendment request{'s' if pending > 1 else ''} from the family "
        f"{'wait' if pending > 1 else 'waits'} for an answer: see the Amendments tab.",
        icon=":material/mark_email_unread:",
    )
# Fixed labels and a key, so the open tab stays open across reruns.
record_tab, history_tab, plan_tab, signoff_tab, amendments_tab, family_tab = st.tabs(
    ["Record", "History", "Plan", "Sign-off", "Amendments", "Family summary"], key=f"goc.{patient_id}.tabs"
)


with record_tab:
    submission = goals_of_care_form.show(record, author_name=identity.display_name, key=form_key)
    if submission is not None:
        try:
            with transaction() as session:
                if submission.amendment_request_id is not None:
                    answer_amendment(
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
                        submission.content,
                        submission.based_on_version,
                        submission.reason,
                        clock.now(),
                    )
        except StaleVersion as stale:
            goals_of_care_form.stale(stale.theirs, key=form_key)
        except (GoalsOfCareRefused, AmendmentRefused) as refused:
            goals_of_care_form.refused(refused.messages, key=form_key)
        except (RecordFinal, AccessDenied) as problem:
            goals_of_care_form.final(str(problem), key=form_key)
        else:
            assert saved is not None
            goals_of_care_form.saved(saved, key=form_key, author_name=identity.display_name)
    if record.is_final or record.addenda:
        text = goals_of_care_form.addendum_box(record.addenda, key=form_key)
        if text is not None:
            try:
                with transaction() as session:
                    add_addendum(session, identity, patient_id, text, clock.now())
            except (GoalsOfCareRefused, AccessDenied) as problem:
                st.error(str(problem))
            else:
                goals_of_care_form.addendum_added(key=form_key)

with history_tab:
    chosen = goals_of_care_history.pick_versions(record.history, key=f"goc.{patient_id}.history")
    if chosen is not None:
        with transaction() as session:
            changes = compare(session, identity, patient_id, chosen[0], chosen[1], clock.now())
        goals_of_care_history.show_changes(chosen[0], chosen[1], changes)

plan, status = [], None
if conference_id is not None:
    with transaction() as session:
        plan = plan_items(session, identity, patient_id, conference_id)
        status = signoff.status(session, identity, patient_id, conference_id)

with plan_tab:
    if conference_id is None:
        st.info("This patient is not on an upcoming conference's agenda, so there is no plan to add to.")
    else:
        edit = signoff_panel.plan_editor(plan, final=record.is_final, key=plan_key)
        if edit is not None:
            try:
                with transaction() as session:
                    if edit.item_id is None:
                        add_plan_item(session, identity, patient_id, conference_id, edit.draft, clock.now())
                    else:
                        update_plan_item(
                            session, identity, edit.item_id, edit.draft, edit.based_on_version, clock.now()
                        )
            except PlanItemRefused as refused:
                signoff_panel.plan_saved(
                    "Not saved. " + "; ".join(refused.messages) + ".", ok=False, key=plan_key
                )
            except (StalePlanItem, RecordFinal, AccessDenied) as problem:
                signoff_panel.plan_saved(str(problem), ok=False, key=plan_key)
            else:
                signoff_panel.plan_saved("Plan item saved.", ok=True, key=plan_key)

with signoff_tab:
    if status is None or conference_id is None:
        st.info("Sign-off happens at a conference; this patient is not on an upcoming conference's agenda.")
    else:
        action = signoff_panel.show(
            status,
            record.current.content if record.current else None,
            plan,
            role=identity.role,
            user_id=identity.user_id,
            key=signoff_key,
        )
        if action is not None:
            try:
                with transaction() as session:
                    if action.kind == "sign":
                        signoff.sign(
                            session,
                            identity,
                            patient_id,
                            conference_id,
                            action.text,
                            action.expected_hash,
                            clock.now(),
                        )
                        message = "Signed."
                    elif action.kind == "dissent":
                        signoff.dissent(
                            session,
                            identity,
                            patient_id,
                            conference_id,
                            action.text,
                            action.expected_hash,
                            clock.now(),
                        )
                        message = "Your dissent is recorded."
                    else:
                        assert action.sign_off_id is not None
                        signoff.withdraw(session, identity, action.sign_off_id, clock.now())
                        message = "Withdrawn."
            except signoff.SignOffRefused as refused:
                signoff_panel.refused("Not recorded. " + "; ".join(refused.messages) + ".", key=signoff_key)
            except (signoff.ContentChanged, RecordFinal, AccessDenied) as problem:
                signoff_panel.refused(str(problem), key=signoff_key)
            else:
                signoff_panel.done(message, key=signoff_key)

with amendments_tab:
    answer = goals_of_care_history.amendments(
        record.amendments, final=record.is_final, key=f"goc.{patient_id}.amendments"
    )
    if answer is not None and answer.accept and not record.is_final:
        # The Record tab now shows the request above the form: the correction is saved from there.
        goals_of_care_form.answer_amendment(answer.request_id, answer.requested_by, answer.text, key=form_key)
        st.rerun()
    elif answer is not None:
        try:
            with transaction() as session:
                answer_amendment(
                    session,
                    identity,
                    answer.request_id,
                    accept=answer.accept,
                    reason=answer.reason,
                    now=clock.now(),
                )
        except (AmendmentRefused, GoalsOfCareRefused) as refused:
            st.error("Not saved. " + "; ".join(refused.messages) + ".")
        except (RecordFinal, AccessDenied) as problem:
            st.error(str(problem))
        else:
            st.rerun()

with family_tab:
    if not record.is_final or record.current is None or record.final_at is None:
        st.info("A printable summary for the family is available once the team has signed off the record.")
    else:
        st.write(
            "A plain-language summary of the final record and plan, to print or give to the family. "
            "It contains no record numbers."
        )
        page = signoff_panel.family_summary_html(
            summary.patient.full_name,
            record.current.content,
            plan,
            record.final_at,
            [(a.author_name, a.created_at, a.text) for a in record.addenda],
        )
        signoff_panel.family_summary_download(
            page, f"goals-of-care-{record.final_at:%Y-%m-%d}.html", key=f"goc.{patient_id}.family"
        )
