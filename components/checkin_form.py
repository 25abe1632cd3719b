"""The symptom check-in, one question per screen: made for a phone, and for someone who is tired.

Steps: who and for whom -> the nine ESAS-r symptoms, one at a time -> an optional other problem -> review
-> saved. Every answer is a large button with its number and a word; an answer shows as colour plus words
("Severe 7"), never colour alone. "Skip this one" leaves an item blank, which is not the same as 0.

show() returns a CheckinDraft when the person presses "Save check-in"; the page saves it and calls
saved() or refused(). All state lives in session_state under the component's key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from auth.refusal import Refusal
from clinical import akps, caregiver_burden, esas, pcoc
from clinical.pcoc import PcocPhase
from components import refusals
from components.plain_text import md_escape
from components.severity import badge, coloured
from db.models import CompletedBy
from services.alerts import RULE_LABELS
from services.checkins import CheckinDraft, CheckinPatient, CheckinResult, ClinicianRatings

SETUP = 0
FIRST_ITEM = 1
OTHER = FIRST_ITEM + len(esas.ITEMS)
REVIEW = OTHER + 1
DONE = REVIEW + 1

# Buttons grouped by band, so the screen itself shows where mild ends and severe begins.
_ROWS: tuple[tuple[int, ...], ...] = ((0, 1, 2, 3), (4, 5, 6), (7, 8, 9, 10))

THANK_YOU = "Thank you. The care team can see this now."
FAMILY_TOLD = (
    "Some of these answers are ones the care team wants to know about quickly, so they have been told. "
    "Someone from the team will be in touch."
)
WORRIED_NOW = (
    "If you are worried right now, please phone the care team, or your emergency number if it cannot wait."
)


def _answer(score: object) -> str:
    """The answer as a coloured badge with words; a value off the scale (stale or tampered state) is named
    as such rather than breaking the screen: the service refuses it on save."""
    try:
        return badge(score)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"Not a valid answer ({md_escape(repr(score))})"


def _k(key: str, name: str) -> str:
    return f"{key}.{name}"


def _state(key: str) -> dict[str, Any]:
    """The form's own state: step, answers, and who is answering for whom."""
    state_key = _k(key, "state")
    if state_key not in st.session_state:
        st.session_state[state_key] = _fresh()
    return st.session_state[state_key]


def _fresh() -> dict[str, Any]:
    return {
        "step": SETUP,
        "patient": None,
        "completer": None,
        "answers": dict.fromkeys(esas.ITEM_KEYS),
        "other_name": "",
        "other_score": None,
        "back_to_review": False,
        "last": None,
        "result": None,
    }


def reset(key: str) -> None:
    st.session_state[_k(key, "state")] = _fresh()
    st.session_state.pop(_k(key, "other_name"), None)


def _completer_label(choice: CompletedBy, clinician: bool, patient_name: str) -> str:
    if clinician:
        return {
            CompletedBy.CLINICIAN: "I am rating as a clinician",
            CompletedBy.PATIENT: f"{patient_name} is answering; I am entering the answers",
            CompletedBy.FAMILY: "A family caregiver is answering; I am entering the answers",
        }[choice]
    return {
        CompletedBy.PATIENT: f"{patient_name} is answering",
        CompletedBy.FAMILY: "I am answering for them, as a family caregiver",
    }[choice]


def show(
    patients: Sequence[CheckinPatient],
    completers: Sequence[CompletedBy],
    *,
    clinician: bool,
    key: str,
) -> CheckinDraft | None:
    """Draw the current step; returns the finished check-in when the person presses "Save check-in"."""
    state = _state(key)
    if not patients:
        st.info(
            "You are not on the care team of any patient yet, so there is no one to send a check-in for."
            if clinician
            else "Your account is not linked to a patient yet, so there is no one to send a check-in for. "
            "Please ask the care team to link it."
        )
        return None
    by_id = {p.patient_id: p for p in patients}
    if state["patient"] not in by_id and state["step"] != DONE:
        state["step"] = SETUP

    step = state["step"]
    draft = None
    if step == SETUP:
        _setup(state, patients, completers, clinician, key)
    elif FIRST_ITEM <= step < OTHER:
        _item(state, esas.ITEMS[step - FIRST_ITEM], step, key)
    elif step == OTHER:
        _other(state, key)
    elif step == REVIEW:
        draft = _review(state, by_id[state["patient"]], clinician, key)
    else:
        _done(state, clinician, key)
    st.caption(esas.ACKNOWLEDGEMENT)
    return draft


def saved(result: CheckinResult, *, key: str) -> None:
    """The page saved the check-in: move to the confirmation and redraw."""
    state = _state(key)
    state["result"] = result
    state["step"] = DONE
    st.rerun()


def refused(refusal: Refusal, *, key: str) -> None:
    """The page could not save the check-in: say why, right where the person pressed Save."""
    refusals.show(refusal)


def _go(state: dict[str, Any], step: int) -> None:
    state["step"] = step
    state["last"] = None


def _last_answer(state: dict[str, Any]) -> None:
    """Say what the one-tap answer on the previous screen was, so a mis-tap is seen straight away."""
    if state.get("last"):
        label, value = state["last"]
        st.markdown(f"Your answer for {label}: {_answer(value)} · press **Back** to change it.")


def _setup(
    state: dict[str, Any],
    patients: Sequence[CheckinPatient],
    completers: Sequence[CompletedBy],
    clinician: bool,
    key: str,
) -> None:
    if len(patients) == 1:
        state["patient"] = patients[0].patient_id
        st.subheader(f"Check-in for {patients[0].label}")
    else:
        ids = [p.patient_id for p in patients]
        labels = {p.patient_id: p.label for p in patients}
        choose = dict(
            options=ids,
            index=ids.index(state["patient"]) if state["patient"] in ids else None,
            format_func=labels.__getitem__,
            key=_k(key, "patient"),
        )
        if len(patients) <= 4:
            state["patient"] = st.radio("Who is this check-in for?", **choose)
        else:
            # A clinician's list: said in words, not the generic "Choose an option".
            state["patient"] = st.selectbox(
                "Who is this check-in for?", placeholder="Choose a patient from your care team", **choose
            )
    name = next((p.label for p in patients if p.patient_id == state["patient"]), "The patient")
    # Clinicians see "Name (MRN)"; the sentence reads better with the name alone.
    name = name.split(" (")[0]
    options = list(completers)
    state["completer"] = st.radio(
        "Who is answering the questions?",
        options=options,
        index=options.index(state["completer"]) if state["completer"] in options else None,
        format_func=lambda c: _completer_label(c, clinician, name),
        key=_k(key, "completer"),
    )
    ready = state["patient"] is not None and state["completer"] is not None
    st.button(
        "Start",
        type="primary",
        width="stretch",
        disabled=not ready,
        on_click=_go,
        args=(state, FIRST_ITEM),
        key=_k(key, "start"),
    )
    if not ready:
        st.caption("Choose who the check-in is for and who is answering, then press Start.")


def _choice_label(value: int, item: esas.Item) -> str:
    # The band's colour and its word (or the form's anchor at 0 and 10): never colour alone.
    if value == 0:
        text = f"0 · {item.low_anchor}"
    elif value == 10:
        text = f"10 · {item.high_anchor}"
    else:
        text = f"{value} · {esas.severity(value).value}"
    return coloured(value, f"**{text}**")


def _score_buttons(item: esas.Item, chosen: int | None, on_pick: Any, key: str) -> None:
    for row in _ROWS:
        for column, value in zip(st.columns(len(row)), row, strict=True):
            column.button(
                _choice_label(value, item),
                type="primary" if chosen == value else "secondary",
                width="stretch",
                on_click=on_pick,
                args=(value,),
                key=f"{key}.{value}",
            )
    st.markdown(f"Your answer: {_answer(chosen)}" if chosen is not None else "Not answered yet.")


def _after_item(state: dict[str, Any], step: int) -> int:
    return REVIEW if state["back_to_review"] else step + 1


def _item(state: dict[str, Any], item: esas.Item, step: int, key: str) -> None:
    number = step - FIRST_ITEM + 1
    st.progress(number / (len(esas.ITEMS) + 1), text=f"Question {number} of {len(esas.ITEMS)}")
    st.subheader(item.label)
    st.write(esas.INSTRUCTION)

    _last_answer(state)

    # One tap answers and moves on: a tired person on a phone should not have to scroll down to "Next".
    # The next screen says what was chosen, and Back (or the review) puts a mis-tap right.
    def pick(value: int) -> None:
        state["answers"][item.key] = value
        state["step"] = _after_item(state, step)
        state["last"] = (item.label, value)

    def skip() -> None:
        state["answers"][item.key] = None
        state["step"] = _after_item(state, step)
        state["last"] = None

    _score_buttons(item, state["answers"][item.key], pick, _k(key, item.key))
    answered = state["answers"][item.key] is not None
    back, skip_col, forward = st.columns(3)
    back.button(
        "Back", width="stretch", on_click=_go, args=(state, step - 1), key=_k(key, f"{item.key}.back")
    )
    skip_col.button("Skip this one", width="stretch", on_click=skip, key=_k(key, f"{item.key}.skip"))
    forward.button(
        "Back to review" if state["back_to_review"] else "Next",
        type="primary",
        width="stretch",
        disabled=not answered,
        on_click=_go,
        args=(state, _after_item(state, step)),
        key=_k(key, f"{item.key}.next"),
    )


def _other(state: dict[str, Any], key: str) -> None:
    item = esas.OTHER_PROBLEM
    st.progress(len(esas.ITEMS) / (len(esas.ITEMS) + 1), text="One last, optional question")
    st.subheader(item.label)
    _last_answer(state)
    st.write("Is there another problem you want the care team to know about? You can skip this.")
    name_key = _k(key, "other_name")
    # A widget's own state is dropped on any run it is not drawn; the draft keeps the name between steps.
    if name_key not in st.session_state:
        st.session_state[name_key] = state["other_name"]
    state["other_name"] = st.text_input("What is the problem?", max_chars=100, key=name_key)
    st.write(esas.INSTRUCTION)

    def pick(value: int) -> None:
        state["other_score"] = value
        state["last"] = None

    def skip() -> None:
        state["other_name"], state["other_score"] = "", None
        st.session_state.pop(name_key, None)
        _go(state, REVIEW)

    _score_buttons(item, state["other_score"], pick, _k(key, "other"))
    back, skip_col, forward = st.columns(3)
    back.button("Back", width="stretch", on_click=_go, args=(state, OTHER - 1), key=_k(key, "other.back"))
    skip_col.button("Skip this one", width="stretch", on_click=skip, key=_k(key, "other.skip"))
    forward.button(
        "Next", type="primary", width="stretch", on_click=_go, args=(state, REVIEW), key=_k(key, "other.next")
    )


def _review(state: dict[str, Any], patient: CheckinPatient, clinician: bool, key: str) -> CheckinDraft | None:
    st.subheader("Check your answers")
    st.write(
        f"For {md_escape(patient.label)}. Press **Change** to correct an answer, then **Save check-in**."
    )

    def change(step: int) -> None:
        state["back_to_review"] = True
        _go(state, step)

    for index, item in enumerate(esas.ITEMS):
        with st.container(border=True):
            words, button = st.columns([4, 1], vertical_alignment="center")
            words.markdown(f"**{item.label}**: {_answer(state['answers'][item.key])}")
            button.button(
                "Change",
                width="stretch",
                on_click=change,
                args=(FIRST_ITEM + index,),
                key=_k(key, f"change.{item.key}"),
            )
    with st.container(border=True):
        words, button = st.columns([4, 1], vertical_alignment="center")
        other = state["other_name"].strip()
        words.markdown(
            f"**Other problem ({other})**: {_answer(state['other_score'])}"
            if other or state["other_score"] is not None
            else "**Other problem**: none"
        )
        button.button("Change", width="stretch", on_click=change, args=(OTHER,), key=_k(key, "change.other"))

    ratings = _clinician_ratings(key) if clinician else None
    if not st.button("Save check-in", type="primary", width="stretch", key=_k(key, "save")):
        return None
    state["back_to_review"] = False
    return CheckinDraft(
        patient_id=patient.patient_id,
        completed_by=state["completer"],
        items=dict(state["answers"]),
        other_problem=state["other_name"],
        other_score=state["other_score"],
        ratings=ratings,
    )


def _clinician_ratings(key: str) -> ClinicianRatings:
    with st.expander("Clinician ratings (optional)"):
        phase = st.selectbox(
            "PCOC phase of care",
            options=list(PcocPhase),
            index=None,
            placeholder="Not rated this time",
            format_func=pcoc.describe,
            key=_k(key, "pcoc"),
        )
        level = st.selectbox(
            "AKPS (function)",
            options=sorted(akps.LEVELS, reverse=True),
            index=None,
            placeholder="Not rated this time",
            format_func=akps.describe,
            key=_k(key, "akps"),
        )
        st.caption(akps.CITATION)
        instrument = st.selectbox(
            "Caregiver burden questionnaire",
            options=list(caregiver_burden.Instrument),
            index=None,
            placeholder="Not recorded this time",
            format_func=lambda i: caregiver_burden.RANGES[i].name,
            key=_k(key, "burden_instrument"),
        )
        total = st.number_input(
            "Caregiver burden total",
            min_value=0,
            step=1,
            value=None,
            placeholder="The total from the licensed form",
            key=_k(key, "burden_total"),
        )
        st.caption("Enter the total only: the questionnaire's items are licensed and are not kept here.")
    return ClinicianRatings(
        pcoc_phase=phase,
        akps=level,
        caregiver_burden_instrument=instrument.value if instrument else None,
        caregiver_burden_total=int(total) if total is not None else None,
    )


def _done(state: dict[str, Any], clinician: bool, key: str) -> None:
    result: CheckinResult | None = state["result"]
    st.success(THANK_YOU)
    if result is not None and result.alerts:
        if clinician:
            # An alert's message can quote the "other problem" as typed: escaped like any typed text.
            lines = "\n".join(f"- {RULE_LABELS[a.rule]}: {md_escape(a.message)}" for a in result.alerts)
            st.warning(f"This check-in raised {len(result.alerts)} alert(s) for the care team:\n\n{lines}")
        else:
            st.info(FAMILY_TOLD)
    if not clinician:
        st.write(WORRIED_NOW)
    st.button("Start another check-in", on_click=reset, args=(key,), key=_k(key, "again"))
