"""The meeting's shared case view: the presenter picks the case and the window, everyone else follows.

The switches (Present, Follow) and the pickers are drawn in the page's own run, where Streamlit's widget
state is dependable (the page also reruns for the video components, and widgets inside a fragment that
polls every second were seen to replay stale values). The status line and the chart are drawn by a
fragment that polls one integer every POLL_SECONDS (services.shared_view.current_version): when it has not
moved, the fragment redraws the chart it already holds, with no query and no rebuilding; when it moved, a
follower's chart is reloaded there, without rerunning the page and its video. Only when the switches must
change (someone took over, or the first presenter started) does the fragment rerun the page.

Two things keep a follower following on a busy page (the video reruns it often): the switches' defaults are
the values they hold, and the fragment keeps one place in the page whatever the switches show (see show).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from auth.identity import Identity
from auth.refusal import Refusal
from clinical.roles import CLINICAL_ROLES
from components import refusals, symptom_charts
from components.plain_text import md_escape
from db.engine import reading, transaction
from portal import clock
from services import shared_view, symptom_views

# Followers must see the presenter's change within 2 s: a 1 s poll leaves a second for the redraw. Not
# shorter: each tick also costs the browser a redraw of the page (about 0.1 s of its main thread on a loaded
# machine), so a 0.5 s poll doubled that cost for every follower and made the loaded case slower, not faster.
POLL_SECONDS = 1.0
DEFAULT_WINDOW_DAYS = 30


@dataclass
class _State:
    seen_version: int = -1
    view: shared_view.SharedViewState | None = None
    choices: tuple[shared_view.CaseChoice, ...] = ()
    # The version this session's own last present() wrote while its Present switch is on (0 when off): a
    # newer one by someone else means they took over.
    my_version: int = 0
    # (patient_id, window_days, version) of the trends held below, so a poll that finds nothing new
    # redraws the chart it already has instead of querying and rebuilding it.
    loaded_for: tuple[int, int, int] | None = None
    trends: symptom_views.PatientTrends | None = None
    refused: str | None = None
    denied: str | None = None
    given: tuple[shared_view.CaseChoice, ...] | None = None  # the caller's choices, this run's


def show(
    identity: Identity,
    conference_id: int,
    *,
    key: str,
    choices: Sequence[shared_view.CaseChoice] | None = None,
    poll: bool = True,
) -> None:
    """The case view for clinicians in a meeting; family members see the room only. `choices`: the agenda's
    patients this clinician may open, when the caller has just read them (the room's workspace has); else
    they are read here. `poll` False: no polling fragment of its own; the caller reruns the page when the
    view's version moves (the room's workspace does, with one poll for everything it shows)."""
    if identity.role not in CLINICAL_ROLES:
        return
    st.subheader("Case view")
    state: _State = st.session_state.setdefault(f"{key}.state", _State())
    state.given = tuple(choices) if choices is not None else None
    _refresh(identity, conference_id, state, force=True)
    if state.denied is not None:
        st.info(md_escape(state.denied))
        return
    if not state.choices:
        st.info("None of the patients on this meeting's agenda are on your care team.")
        return
    _agenda_heatmap(identity, state, key)
    # Streamlit names a fragment after its place in the page. Had the notice or the pickers come and gone
    # above it, the fragment would move, and its old self would go on polling and drawing over the pickers:
    # so each has a slot that is always there.
    notice_slot = st.empty()

    present_key, follow_key = f"{key}.presenting", f"{key}.following"
    view = state.view
    if _taken_over(identity, state, present_key):
        assert view is not None
        st.session_state[present_key] = False  # before the switch is drawn, so it shows off
        if not st.session_state.get(follow_key, True):
            st.session_state[follow_key] = True
        state.my_version = 0
        notice_slot.info(f"{md_escape(view.presenter_name)} is presenting now.")
    # A switch's default is the value it holds, not a constant: Streamlit sends a held value only in the run
    # that set it, and a browser that draws the switch without a value of its own (its first draw comes late
    # on a busy machine, after a later run's copy) takes the default. With a constant default, Follow
    # turned itself off on a follower's first page.
    presenting = st.toggle(
        "Present my view to everyone",
        value=bool(st.session_state.get(present_key, False)),
        key=present_key,
        on_change=_from_current_view,
        args=(key, state),
    )
    following = st.toggle(
        "Follow the presenter",
        value=bool(st.session_state.get(follow_key, True)),
        key=follow_key,
        disabled=presenting or view is None,
        on_change=_from_current_view,
        args=(key, state),
    )
    own_view = presenting or view is None or not following
    pickers_slot = st.empty()
    if own_view:
        with pickers_slot.container():
            _pickers(key, state)
    if presenting:
        patient_id, window_days = _picked(key)
        mine = view is not None and view.presenter_id == identity.user_id
        if not mine or (view.patient_id, view.window_days) != (patient_id, window_days):  # type: ignore[union-attr]
            _present(identity, conference_id, patient_id, window_days, state)
    if poll:
        _watch(identity, conference_id, key, presenting, own_view, view is not None)
    else:
        _status_and_chart(identity, key, state, presenting=presenting, own_view=own_view)


def _status_and_chart(
    identity: Identity, key: str, state: _State, *, presenting: bool, own_view: bool
) -> None:
    view = state.view
    if presenting:
        st.markdown("**You are presenting.** Everyone following sees the case and window you choose.")
        shown = (*_picked(key), state.my_version)
    elif view is None:
        st.caption("Nobody is presenting yet. Switch on Present to show a case to everyone following.")
        shown = (*_picked(key), 0)
    elif not own_view and view.patient_id is not None:
        st.markdown(f"**Following {md_escape(view.presenter_name)}.**")
        shown = (view.patient_id, view.window_days, view.version)
    else:
        st.markdown(f"**Looking on your own.** {md_escape(view.presenter_name)} is presenting.")
        shown = (*_picked(key), 0)
    _chart(identity, *shown, key=key, state=state)


def _refresh(identity: Identity, conference_id: int, state: _State, *, force: bool = False) -> bool:
    """Reload the view if its version moved (or when forced); True when it did."""
    try:
        with transaction() as session:
            version = shared_view.current_version(session, conference_id)
            if not force and version == state.seen_version:
                return False
            state.view = shared_view.current(session, conference_id)
            state.choices = (
                state.given
                if state.given is not None
                else tuple(shared_view.case_choices(session, identity, conference_id, clock.now()))
            )
            state.seen_version, state.denied = version, None
    except Refusal as refusal:  # the meeting ended, or the agenda changed under us
        state.denied = refusal.message
    return True


def _taken_over(identity: Identity, state: _State, present_key: str) -> bool:
    view = state.view
    return bool(
        st.session_state.get(present_key)
        and state.my_version > 0  # we have presented since switching on
        and view is not None
        and view.presenter_id != identity.user_id
        and view.version > state.my_version
    )


def _agenda_heatmap(identity: Identity, state: _State, key: str) -> None:
    # Drawn on the page's own runs, not every second: latest scores change with check-ins, not with the
    # presenter.
    with reading() as session:
        rows = symptom_views.team_latest_scores(
            session, identity, [c.patient_id for c in state.choices], clock.now()
        )
    with st.expander("The agenda at a glance: each patient's latest check-in", expanded=True):
        symptom_charts.show_team_heatmap(rows, key=f"{key}.heatmap")


def _from_current_view(key: str, state: _State) -> None:
    """Switching Present on, or Follow off, starts from what is on screen: the presenter's view."""
    state.my_version = 0
    view = state.view
    if view is not None and view.patient_id in {c.patient_id for c in state.choices}:
        st.session_state[f"{key}.case"] = view.patient_id
        st.session_state[f"{key}.window"] = view.window_days


@st.fragment(run_every=POLL_SECONDS)
def _watch(
    identity: Identity, conference_id: int, key: str, presenting: bool, own_view: bool, had_view: bool
) -> None:
    state: _State = st.session_state[f"{key}.state"]
    moved = _refresh(identity, conference_id, state)
    if moved and (_taken_over(identity, state, f"{key}.presenting") or (state.view is not None) != had_view):
        st.rerun(scope="app")  # the switches change: someone took over, or the first presenter started
    # A fragment's elements vanish unless each of its runs draws them again, so the chart is redrawn on
    # every poll, from the trends and the built chart this session already holds: nothing is queried
    # or rebuilt unless the view moved.
    _status_and_chart(identity, key, state, presenting=presenting, own_view=own_view)


def _pickers(key: str, state: _State) -> None:
    labels = {c.patient_id: c.label for c in state.choices}
    if st.session_state.get(f"{key}.case") not in labels:
        st.session_state[f"{key}.case"] = state.choices[0].patient_id
    if st.session_state.get(f"{key}.window") not in symptom_charts.WINDOW_CHOICES:
        st.session_state[f"{key}.window"] = DEFAULT_WINDOW_DAYS
    case_column, window_column = st.columns([3, 2])
    case_column.selectbox("Case", list(labels), format_func=labels.__getitem__, key=f"{key}.case")
    window_column.segmented_control(
        "Time window",
        list(symptom_charts.WINDOW_CHOICES),
        format_func=symptom_charts.WINDOW_CHOICES.__getitem__,
        key=f"{key}.window",
    )


def _picked(key: str) -> tuple[int, int]:
    # segmented_control returns None when its selected option is clicked again; keep the default window.
    window = st.session_state.get(f"{key}.window") or DEFAULT_WINDOW_DAYS
    case = st.session_state.get(f"{key}.case")
    return int(case) if case is not None else 0, int(window)


def _present(
    identity: Identity, conference_id: int, patient_id: int, window_days: int, state: _State
) -> None:
    try:
        with transaction() as session:
            view = shared_view.present(session, identity, conference_id, patient_id, window_days, clock.now())
    except Refusal as refusal:
        refusals.show(refusal)
        return
    state.view, state.seen_version, state.my_version = view, view.version, view.version


def _chart(
    identity: Identity, patient_id: int, window_days: int, version: int, *, key: str, state: _State
) -> None:
    label = next((c.label for c in state.choices if c.patient_id == patient_id), None)
    if label is None:
        st.warning("The presenter is showing a patient whose record you cannot open.")
        return
    wanted = (patient_id, window_days, version)
    if state.loaded_for != wanted:
        state.refused = None
        try:
            with st.spinner("Loading the chart…"), transaction() as session:
                state.trends = symptom_views.patient_trends(
                    session, identity, patient_id, window_days, clock.now()
                )
        except Refusal as refusal:
            state.trends, state.refused = None, refusal.message
        state.loaded_for = wanted
    st.markdown(f"Showing **{md_escape(label)}** over the last {_window_words(window_days)}")
    if state.refused is not None or state.trends is None:
        refusals.show(state.refused or "This chart could not be loaded.", warning=True)
        return
    symptom_charts.show_patient_trends(state.trends, key=f"{key}.chart")


def _window_words(window_days: int) -> str:
    # "over the last 30 days", "over the last year": WINDOW_CHOICES' labels read well after "last".
    return symptom_charts.window_words(window_days).removeprefix("1 ")
