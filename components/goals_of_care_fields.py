"""The goals-of-care form's fields: a widget for each field of clinical.goals_of_care.FIELDS with its
plain-language help, the widget values that show a saved record, and the record as the widgets hold it.

A widget's key is `<form key>.<name>` (widget_key). Its value is also kept in the form's own state
(`state["values"]`, see components.goals_of_care_form), which outlives the widgets when the person visits
another page: restored into the widget when Streamlit has dropped it, and copied back after each run (keep).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from clinical import goals_of_care as gc
from portal import clock

NOT_RECORDED = "Not recorded"
REASON_LABEL = "Reason for this change"
SAVE_LABEL = "Save"


def widget_key(key: str, name: str) -> str:
    """The key of the form `key`'s widget (or state) called `name`."""
    return f"{key}.{name}"


def widget_values(content: Mapping[str, Any], key: str, author_name: str) -> dict[str, Any]:
    """The widget values showing `content` (a blank new record: today's date and the facilitator)."""
    values: dict[str, Any] = {}
    new = not content
    for f in gc.FIELDS:
        value = content.get(f.key)
        wk = widget_key(key, f"f.{f.key}")
        if f.kind is gc.FieldKind.DATE:
            values[wk] = _date(value) or (clock.now().date() if new else None)
        elif f.kind in (gc.FieldKind.SHORT_TEXT, gc.FieldKind.LONG_TEXT):
            values[wk] = value or (author_name if new and f.key == "facilitator" else "")
        elif f.kind is gc.FieldKind.CHOICE:
            values[wk] = value
        elif f.kind is gc.FieldKind.PARTICIPANTS:
            for n, person in enumerate(value or []):
                for sub in gc.PARTICIPANT_FIELDS:
                    values[widget_key(key, f"p.{n}.{sub}")] = person.get(sub) or (
                        None if sub == "presence" else ""
                    )
        elif f.kind is gc.FieldKind.TREATMENT_LIMITS:
            for sub in gc.TREATMENT_LIMIT_FIELDS:
                values[widget_key(key, f"tl.{sub}")] = (value or {}).get(sub)
        elif f.kind is gc.FieldKind.SURROGATE:
            for sub in gc.SURROGATE_FIELDS:
                values[widget_key(key, f"s.{sub}")] = (value or {}).get(sub) or ""
            for n, person in enumerate((value or {}).get("alternates") or []):
                for sub in gc.ALTERNATE_FIELDS:
                    values[widget_key(key, f"a.{n}.{sub}")] = person.get(sub) or ""
        elif f.kind is gc.FieldKind.ADVANCE_DIRECTIVE:
            value = value or {}
            values[widget_key(key, "ad.on_file")] = value.get("on_file")
            values[widget_key(key, "ad.location")] = value.get("location") or ""
            values[widget_key(key, "ad.last_reviewed")] = _date(value.get("last_reviewed"))
    values[widget_key(key, "reason")] = ""
    return values


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def current_values(state: dict[str, Any]) -> dict[str, Any]:
    return {wk: st.session_state.get(wk, v) for wk, v in state["values"].items()}


def _restore(state: dict[str, Any], wk: str, default: Any = None) -> str:
    """Give the widget its kept value when Streamlit dropped it (e.g. after visiting another page)."""
    state["values"].setdefault(wk, default)
    if wk not in st.session_state:
        st.session_state[wk] = state["values"][wk]
    return wk


def form(state: dict[str, Any], key: str) -> bool:
    with st.form(widget_key(key, "form"), enter_to_submit=False):
        for f in gc.FIELDS:
            _field(state, f, key)
        st.divider()
        st.text_area(
            REASON_LABEL,
            key=_restore(state, widget_key(key, "reason"), ""),
            max_chars=500,
            help="Required. Why you are saving this version, e.g. “Family meeting held” or “Corrected the "
            "surrogate's phone number”.",
        )
        return st.form_submit_button(SAVE_LABEL, type="primary")


def _caption(f: gc.Field) -> None:
    st.caption(("**Required.** " if f.required else "") + f.help)


def _field(state: dict[str, Any], f: gc.Field, key: str) -> None:
    wk = widget_key(key, f"f.{f.key}")
    if f.kind is gc.FieldKind.DATE:
        st.date_input(f.label, key=_restore(state, wk), help=f.help, format="YYYY-MM-DD")
        _caption(f)
    elif f.kind is gc.FieldKind.SHORT_TEXT:
        st.text_input(f.label, key=_restore(state, wk, ""), max_chars=f.max_length, help=f.help)
        _caption(f)
    elif f.kind is gc.FieldKind.LONG_TEXT:
        st.text_area(f.label, key=_restore(state, wk, ""), max_chars=f.max_length, help=f.help, height=90)
        _caption(f)
    elif f.kind is gc.FieldKind.CHOICE:
        _choice(state, wk, f.label, f.help, f.choices)
        _caption(f)
    elif f.kind is gc.FieldKind.PARTICIPANTS:
        _participants(state, f, key)
    elif f.kind is gc.FieldKind.TREATMENT_LIMITS:
        st.subheader(f.label)
        st.caption(f.help)
        for sub, (label, help, choices) in gc.TREATMENT_LIMIT_FIELDS.items():
            _choice(state, widget_key(key, f"tl.{sub}"), label, help, tuple(c.value for c in choices))
            st.caption(help)
    elif f.kind is gc.FieldKind.SURROGATE:
        _surrogate(state, f, key)
    elif f.kind is gc.FieldKind.ADVANCE_DIRECTIVE:
        _directive(state, f, key)


def _choice(state: dict[str, Any], wk: str, label: str, help: str, choices: Sequence[str]) -> None:
    st.selectbox(
        label,
        options=list(choices),
        format_func=lambda c: gc.CHOICE_LABELS.get(c, c),
        index=None,
        placeholder=NOT_RECORDED,
        key=_restore(state, wk),
        help=help,
    )


def _participants(state: dict[str, Any], f: gc.Field, key: str) -> None:
    st.subheader(f.label)
    _caption(f)
    st.caption("Leave a line blank if it is not needed.")
    for n in range(state["participant_slots"]):
        name, role, presence = st.columns([3, 3, 2])
        name.text_input(
            f"Participant {n + 1}: name",
            key=_restore(state, widget_key(key, f"p.{n}.name"), ""),
            max_chars=200,
        )
        role.text_input(
            f"Participant {n + 1}: role or relationship",
            key=_restore(state, widget_key(key, f"p.{n}.role"), ""),
            max_chars=200,
        )
        with presence:
            _choice(
                state,
                widget_key(key, f"p.{n}.presence"),
                f"Participant {n + 1}: present or remote",
                "In the room, or joined by phone or video.",
                tuple(gc.Presence),
            )


def _surrogate(state: dict[str, Any], f: gc.Field, key: str) -> None:
    st.subheader(f.label)
    st.caption(f.help)
    columns = st.columns(2)
    for n, (sub, (label, help)) in enumerate(gc.SURROGATE_FIELDS.items()):
        columns[n % 2].text_input(
            f"Surrogate: {label.lower()}",
            key=_restore(state, widget_key(key, f"s.{sub}"), ""),
            max_chars=gc.SHORT_MAX,
            help=help,
        )
    st.markdown("**Alternates, in order**")
    st.caption("Who decides if the surrogate cannot. Leave a line blank if it is not needed.")
    for n in range(state["alternate_slots"]):
        columns = st.columns(3)
        for column, sub in zip(columns, gc.ALTERNATE_FIELDS, strict=True):
            column.text_input(
                f"Alternate {n + 1}: {sub}",
                key=_restore(state, widget_key(key, f"a.{n}.{sub}"), ""),
                max_chars=gc.SHORT_MAX,
            )


def _directive(state: dict[str, Any], f: gc.Field, key: str) -> None:
    st.subheader(f.label)
    st.caption(f.help)
    label, help = gc.ADVANCE_DIRECTIVE_FIELDS["on_file"]
    st.selectbox(
        f"Advance directive: {label.lower()}",
        options=[True, False],
        format_func=lambda v: "Yes, on file" if v else "No",
        index=None,
        placeholder=NOT_RECORDED,
        key=_restore(state, widget_key(key, "ad.on_file")),
        help=help,
    )
    label, help = gc.ADVANCE_DIRECTIVE_FIELDS["location"]
    st.text_input(
        f"Advance directive: {label.lower()}",
        key=_restore(state, widget_key(key, "ad.location"), ""),
        max_chars=gc.SHORT_MAX,
        help=help,
    )
    label, help = gc.ADVANCE_DIRECTIVE_FIELDS["last_reviewed"]
    st.date_input(
        f"Advance directive: {label.lower()}",
        key=_restore(state, widget_key(key, "ad.last_reviewed")),
        help=help,
        format="YYYY-MM-DD",
    )


def keep(state: dict[str, Any]) -> None:
    """Copy what is typed into the component's own state, which outlives the widgets."""
    for wk in state["values"]:
        if wk in st.session_state:
            state["values"][wk] = st.session_state[wk]


def _people(get: Any, prefix: str, subs: Sequence[str], slots: int) -> list:
    people = []
    for n in range(slots):
        person = {sub: get(f"{prefix}.{n}.{sub}") for sub in subs}
        if any(v not in (None, "") and not (isinstance(v, str) and not v.strip()) for v in person.values()):
            people.append(person)
    return people


def collect(state: dict[str, Any], key: str, source: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The record as the form holds it now (or as `source` holds the widget values), in the shape
    clinical.goals_of_care.validate expects."""
    values = st.session_state if source is None else source

    def _get(name: str) -> Any:
        return values.get(widget_key(key, name))

    content: dict[str, Any] = {}
    for f in gc.FIELDS:
        if f.kind is gc.FieldKind.DATE:
            value = _get(f"f.{f.key}")
            content[f.key] = value.isoformat() if isinstance(value, dt.date) else value
        elif f.kind in (gc.FieldKind.SHORT_TEXT, gc.FieldKind.LONG_TEXT, gc.FieldKind.CHOICE):
            content[f.key] = _get(f"f.{f.key}")
        elif f.kind is gc.FieldKind.PARTICIPANTS:
            content[f.key] = _people(_get, "p", gc.PARTICIPANT_FIELDS, state["participant_slots"])
        elif f.kind is gc.FieldKind.TREATMENT_LIMITS:
            content[f.key] = {sub: _get(f"tl.{sub}") for sub in gc.TREATMENT_LIMIT_FIELDS}
        elif f.kind is gc.FieldKind.SURROGATE:
            surrogate: dict[str, Any] = {sub: _get(f"s.{sub}") for sub in gc.SURROGATE_FIELDS}
            surrogate["alternates"] = _people(_get, "a", gc.ALTERNATE_FIELDS, state["alternate_slots"])
            content[f.key] = surrogate
        elif f.kind is gc.FieldKind.ADVANCE_DIRECTIVE:
            reviewed = _get("ad.last_reviewed")
            content[f.key] = {
                "on_file": _get("ad.on_file"),
                "location": _get("ad.location"),
                "last_reviewed": reviewed.isoformat() if isinstance(reviewed, dt.date) else reviewed,
            }
    return content
