"""Symptom charts: one patient's ESAS-r trends (nine small multiples over severity bands, with alert and
care-change markers, and the three scores), and the team heat map of everyone's latest check-in.

Severity is always written as well as coloured: the bands carry their words on the chart and in the
legend, every point's tooltip names its band, and every heat-map cell prints its number.

The browser is sent numbers, one row per point (or per patient), and the words a reader sees on hover
(score, severity, date, who completed it) are Vega expressions in the chart's spec, written once here from
clinical.esas's bands. Formatting them in Python meant nine strings per point and a dataset several times
the size, for words nobody reads until they hover; see bench/symptoms.py. The spec is a template
built once per axis format, and the tests render it with the Vega-Lite runtime (vl-convert) to read the
words back as a screen reader would.

The chart builders are pure (data in, Vega-Lite spec out) so tests can read them without running Streamlit;
`show_*` only hand the chart to Streamlit.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import threading
from collections.abc import Sequence
from typing import Any

import altair as alt
import pyarrow as pa
import streamlit as st

from clinical import esas
from db.symptom_queries import SCORE_NAMES
from services.symptom_views import LatestScores, Marker, PatientTrends
from shared_cache import SharedCache

WINDOW_CHOICES: dict[int, str] = {7: "7 days", 30: "30 days", 90: "90 days", 365: "1 year", 730: "2 years"}
DEFAULT_WINDOW_DAYS = 30


def window_words(window_days: int) -> str:
    """A trend window in words: its WINDOW_CHOICES label ("30 days", "1 year"), or its days."""
    return WINDOW_CHOICES.get(window_days, f"{window_days} days")


# Band name as shown (words and range), with the score range it covers on the 0-10 axis. The edges sit
# half-way between whole scores so each whole score lies inside its own band.
BANDS: tuple[tuple[esas.Severity, str, float, float], ...] = (
    (esas.Severity.NONE, "None (0)", 0.0, 0.5),
    (esas.Severity.MILD, "Mild (1-3)", 0.5, 3.5),
    (esas.Severity.MODERATE, "Moderate (4-6)", 3.5, 6.5),
    (esas.Severity.SEVERE, "Severe (7-10)", 6.5, 10.0),
)
BAND_NAMES = [name for _, name, _, _ in BANDS]
# Light fills behind the trend lines; stronger ones in the heat map, where the fill is the message.
_BAND_FILLS = ["#e5e7eb", "#dbeafe", "#fef3c7", "#fee2e2"]
_HEAT_FILLS = ["#f3f4f6", "#93c5fd", "#fcd34d", "#f87171"]
NOT_ANSWERED = "Not answered"
_NOT_ANSWERED_FILL = "#ffffff"

COMPLETED_BY_WORDS = {
    "patient": "patient",
    "family": "family caregiver",
    "clinician": "clinician",
    "mixed": "mixed (more than one kind of person)",
}
MARKER_NAMES = {"alert": "Alert", "plan_change": "Plan change", "medication_change": "Medication change"}
_MARKER_SHAPES = ["triangle-down", "square", "diamond"]
SCORE_LABELS = {
    "total": "Total symptom distress (0-90)",
    "physical": "Physical (0-60)",
    "emotional": "Emotional (0-20)",
}
SCORE_MAX = {"total": 90, "physical": 60, "emotional": 20}
SCORE_SEVERITY = "no bands for scores; see the items above"

_PANEL_WIDTH = 210
_PANEL_HEIGHT = 120
_LINE = "#1f2937"
_EVENT = "#4b5563"
_ALERT = "#991b1b"
# Where markers sit in a panel, as a share of its scale's top: alerts on the top edge, care changes below.
_ALERT_HEIGHT = 1.0
_EVENT_HEIGHT = 0.94


# --- Vega expressions: the words on hover, computed in the browser from the numbers sent -----------------


def _literal(value: object) -> str:
    """A Python value as a Vega expression literal (JSON's strings, numbers, arrays and objects are)."""
    return json.dumps(value)


# Indexed by whole score 0-10, from clinical.esas: the only definition of the bands.
_SEVERITY_WORDS = [esas.severity(score).label for score in range(11)]
_BAND_BY_SCORE = [{s: n for s, n, _, _ in BANDS}[esas.severity(score)] for score in range(11)]


def _whole(value: str) -> str:
    """The whole score a value reads as: half up, so a mean of 3.5 is moderate, as clinical.esas rounds."""
    return f"clamp(floor({value} + 0.5), 0, 10)"


# Tables the expressions index, as top-level parameters of the spec: written once, not once per panel.
_PARAMS = [
    {"name": "severityWords", "value": _SEVERITY_WORDS},
    {"name": "bandNames", "value": _BAND_BY_SCORE},
    {"name": "completedByWords", "value": COMPLETED_BY_WORDS},
]


def _severity_of(value: str) -> str:
    return f"severityWords[{_whole(value)}]"


def _band_of(value: str) -> str:
    return f"bandNames[{_whole(value)}]"


# d3-format's "~" drops a trailing ".0": 5 -> "5", 5.5 -> "5.5".
_ITEM_SCORE = (
    "datum.n == 1 ? format(datum.value, '.1~f')"
    " : 'mean ' + format(datum.value, '.1~f') + ', max ' + format(datum.top, 'd')"
)
_ITEM_SEVERITY = (
    f"datum.n == 1 ? {_severity_of('datum.value')}"
    f" : {_severity_of('datum.value')} + ' on average, worst ' + {_severity_of('datum.top')}"
)
_TOTAL_SCORE = "datum.n == 1 ? format(datum.value, '.1~f') : 'mean ' + format(datum.value, '.1~f')"
# A single check-in at its minute; a bucket by its days, as one day or as first to last.
_WHEN = (
    "datum.n == 1 ? utcFormat(datum.first, '%d %b %Y %H:%M') + ' UTC'"
    " : utcFormat(datum.first, '%Y%m%d') == utcFormat(datum.last, '%Y%m%d')"
    " ? utcFormat(datum.first, '%d %b %Y')"
    " : utcFormat(datum.first, '%d %b %Y') + ' to ' + utcFormat(datum.last, '%d %b %Y')"
)
_COMPLETED_BY = "completedByWords[datum.by] || datum.by"


def _ms(at: dt.datetime) -> float:
    """Milliseconds since 1970 UTC: how Vega reads a time."""
    return at.timestamp() * 1000


def _time_axis(long: bool) -> alt.X:
    # The window is two parameters of the spec, so one template serves every patient and window (see
    # _trends_spec): building Altair objects costs far more than drawing.
    return alt.X(
        "at:T",
        title=None,
        scale=alt.Scale(type="utc", domain=[alt.ExprRef(expr="since"), alt.ExprRef(expr="until")]),
        axis=alt.Axis(format="%b %Y" if long else "%d %b", labelAngle=0, tickCount=4, labelOverlap=True),
    )


# --- The trend view's template ----------------------------------------------------------------------------
#
# One dataset, "rows": a row per point (kind "point": when, how many check-ins, who, each item's mean and
# maximum, each score's mean) and a row per marker (kind "alert", "plan_change" or "medication_change").
# The nine item panels are one faceted view: the browser folds each row into one per item, so a point
# lands in every panel its items were answered for, a care change in every panel, and an alert in its own
# item's. Written once rather than nine times, the spec stays small; Streamlit serialises and re-reads it
# on every draw.

_VALUE_TOOLTIP = [
    alt.Tooltip("Symptom:N"),
    alt.Tooltip("Score:N"),
    alt.Tooltip("Severity:N"),
    alt.Tooltip("When:N"),
    alt.Tooltip("Completed by:N"),
    alt.Tooltip("n:Q", title="n check-ins"),
]
_MARKER_TOOLTIP = [alt.Tooltip("Marker:N"), alt.Tooltip("What:N"), alt.Tooltip("When:N")]
_ITEM_MAX = {key: f"{key}_max" for key in esas.ITEM_KEYS}


def _bands() -> alt.LayerChart:
    """The four severity bands across the panel's whole width, each with its word at the right edge."""
    rows = [{"Severity band": name, "y0": low, "y1": high} for _, name, low, high in BANDS]
    y = alt.Y("y0:Q", title="Score (0-10)", scale=alt.Scale(domain=[0, 10], nice=False))
    fills = (
        alt.Chart()
        .mark_rect(opacity=0.8)
        .encode(  # no x: a rect without one spans the panel
            y=y,
            y2="y1:Q",
            fill=alt.Fill(
                "Severity band:N",
                scale=alt.Scale(domain=BAND_NAMES, range=_BAND_FILLS),
                legend=alt.Legend(title="Severity band", orient="bottom"),
            ),
            tooltip=[alt.Tooltip("Severity band:N")],
        )
    )
    words = (
        alt.Chart()
        .transform_filter("datum.y1 - datum.y0 > 1")
        .transform_calculate(mid="(datum.y0 + datum.y1) / 2", word="split(datum['Severity band'], ' ')[0]")
        .mark_text(align="right", dx=-3, fontSize=9, color="#6b7280")
        .encode(x=alt.value(_PANEL_WIDTH), y=alt.Y("mid:Q"), text="word:N")
    )
    return alt.layer(fills, words, data=alt.InlineData(values=rows))


def _series(long: bool, y: alt.Y, value: str, **words: str) -> alt.LayerChart:
    """A line with hoverable points through the point rows where `value` (an expression) has a value: a
    blank item is not drawn as 0. `words` are the tooltip's calculated fields."""
    line = alt.Chart().mark_line(color=_LINE, strokeWidth=1.5).encode(y=y)
    points = alt.Chart().mark_point(filled=True, color=_LINE, size=18).encode(y=y, tooltip=_VALUE_TOOLTIP)
    return (
        alt.layer(line, points)
        .encode(x=_time_axis(long))
        .transform_calculate(value=value)
        .transform_filter("datum.kind == 'point' && isValid(datum.value)")
        .transform_calculate(When=_WHEN, **{"Completed by": _COMPLETED_BY}, **words)
    )


def _markers(long: bool, mine: str, top: float) -> alt.LayerChart:
    """Care changes (a rule and a point) on every panel, and the alerts for which `mine` holds."""
    rules = (
        alt.Chart()
        .transform_filter("datum.kind != 'alert'")
        .mark_rule(color=_EVENT, strokeDash=[4, 3])
        .encode(tooltip=_MARKER_TOOLTIP)
    )
    points = (
        alt.Chart()
        .mark_point(filled=True, size=70, opacity=1)
        .encode(
            y=alt.Y("marker_y:Q"),
            shape=alt.Shape(
                "Marker:N",
                scale=alt.Scale(domain=list(MARKER_NAMES.values()), range=_MARKER_SHAPES),
                legend=alt.Legend(title="Marker", orient="bottom"),
            ),
            color=alt.Color(
                "Marker:N",
                scale=alt.Scale(domain=list(MARKER_NAMES.values()), range=[_ALERT, _EVENT, _EVENT]),
                legend=None,
            ),
            tooltip=_MARKER_TOOLTIP,
        )
    )
    return (
        alt.layer(rules, points)
        .encode(x=_time_axis(long))
        .transform_filter(f"datum.kind != 'point' && (datum.kind != 'alert' || {mine})")
        .transform_calculate(
            marker_y=f"datum.kind == 'alert' ? {top * _ALERT_HEIGHT:g} : {top * _EVENT_HEIGHT:g}"
        )
    )


def _item_grid(long: bool) -> alt.FacetChart:
    """The nine items, 3 x 3 in form order: each panel the rows folded to its item (`key`)."""
    y = alt.Y("value:Q", title="Score (0-10)", scale=alt.Scale(domain=[0, 10], nice=False))
    words = {"Score": _ITEM_SCORE, "Severity": _ITEM_SEVERITY}
    series = _series(long, y, "datum[datum.key]", top=f"datum[datum.key + {_literal('_max')}]", **words)
    panel = alt.layer(_bands(), series, _markers(long, "datum.item == datum.key", 10)).properties(
        width=_PANEL_WIDTH, height=_PANEL_HEIGHT
    )
    return (
        panel.facet(
            facet=alt.Facet(
                "Symptom:N",
                sort=[i.label for i in esas.ITEMS],
                title=None,
                header=alt.Header(labelFontSize=13, labelFontWeight="bold"),
            ),
            columns=3,
            # Room between the columns for the last date of one panel and the first of the next: at the
            # theme's spacing, "29 Nov" and "01 Nov" ran into one another.
            spacing=alt.RowColnumber(row=16, column=36),
            data=alt.NamedData("rows"),
        )
        .transform_fold(list(esas.ITEM_KEYS), as_=["key", "unused"])
        .transform_calculate(Symptom=f"{_literal(esas.ITEM_LABELS)}[datum.key]")
    )


def _score_panel(long: bool, score: str) -> alt.LayerChart:
    top = SCORE_MAX[score]
    y = alt.Y("value:Q", title=SCORE_LABELS[score], scale=alt.Scale(domain=[0, top]))
    words = {
        "Symptom": _literal(SCORE_LABELS[score]),
        "Score": _TOTAL_SCORE,
        "Severity": _literal(SCORE_SEVERITY),
    }
    series = _series(long, y, f"datum.{score}", **words)
    # Alerts about no single item (the total, a missed check-in) belong with the scores.
    markers = _markers(long, "datum.item == ''", top)
    return alt.layer(series, markers, data=alt.NamedData("rows")).properties(
        width=_PANEL_WIDTH, height=_PANEL_HEIGHT
    )


# Building a template takes most of a second of Altair work: one thread builds it while the others wait,
# rather than every session that reruns meanwhile (the video's reruns start many) building its own.
_TEMPLATE_LOCK = threading.Lock()


def _trends_template(long: bool) -> dict[str, Any]:
    with _TEMPLATE_LOCK:
        return _build_trends_template(long)


@functools.lru_cache(maxsize=2)
def _build_trends_template(long: bool) -> dict[str, Any]:
    """The trend view's Vega-Lite spec without its data and window: validated once, shared by every
    patient and window, and never changed (callers copy its top level and set their own parameters and
    datasets there). The nine items in a 3 x 3 grid, the three scores below."""
    scores = alt.hconcat(*(_score_panel(long, score) for score in SCORE_NAMES))
    chart = alt.vconcat(_item_grid(long), scores).resolve_scale(shape="shared", color="independent")
    return _declared(chart.to_dict(), "since", "until")


def _declared(spec: dict[str, Any], *names: str) -> dict[str, Any]:
    """The spec with the expression tables declared, and placeholders for `names` (set per chart)."""
    spec["params"] = [*_PARAMS, *({"name": name, "value": None} for name in names)]
    return spec


def _is_long(trends: PatientTrends) -> bool:
    return trends.until - trends.since > dt.timedelta(days=120)


# --- The trend view's data ---------------------------------------------------------------------------------


def _rows_columns(trends: PatientTrends) -> dict[str, pa.Array]:
    """The "rows" dataset, column by column: the points, then the markers (each column null where it does
    not apply). Markers are few enough to be worded here; the points' words are left to the browser."""
    series = trends.series
    markers: Sequence[Marker] = (*trends.alerts, *trends.care_events)
    points, blank = len(series), [None] * len(markers)
    first = [_ms(at) for at in series.first_at]
    last = [_ms(at) for at in series.last_at]
    columns: dict[str, pa.Array] = {
        "kind": pa.array(["point"] * points + [m.kind for m in markers], pa.string()),
        # Where a row sits: a point in the middle of its check-ins (SeriesPoint.at), a marker at its time.
        "at": pa.array(
            [(a + b) / 2 for a, b in zip(first, last, strict=True)] + [_ms(m.at) for m in markers],
            pa.float64(),
        ),
        "first": pa.array(first + blank, pa.float64()),
        "last": pa.array(last + blank, pa.float64()),
        "n": pa.array([*series.n, *blank], pa.int32()),
        "by": pa.array([*series.completed_by, *blank], pa.string()),
    }
    for key in esas.ITEM_KEYS:
        columns[key] = pa.array([*series.item_mean[key], *blank], pa.float64())
        columns[_ITEM_MAX[key]] = pa.array([*series.item_max[key], *blank], pa.int32())
    for score in SCORE_NAMES:
        columns[score] = pa.array([*series.score_mean[score], *blank], pa.float64())
    before = [None] * points
    columns |= {
        # "" for an alert about no single item, so a filter can compare it with a string.
        "item": pa.array(before + [m.item or "" for m in markers], pa.string()),
        "Marker": pa.array(before + [MARKER_NAMES.get(m.kind, m.kind) for m in markers], pa.string()),
        "What": pa.array(
            before + [m.label if m.status is None else f"{m.label} ({m.status})" for m in markers],
            pa.string(),
        ),
        "When": pa.array(before + [f"{m.at:%d %b %Y %H:%M} UTC" for m in markers], pa.string()),
    }
    return columns


def _trends_spec(trends: PatientTrends) -> tuple[dict[str, Any], dict[str, pa.Table]]:
    """The template with this window set, and the dataset it names."""
    spec = _with_params(_trends_template(_is_long(trends)), since=_ms(trends.since), until=_ms(trends.until))
    return spec, {"rows": pa.table(_rows_columns(trends))}


def _with_params(template: dict[str, Any], **values: object) -> dict[str, Any]:
    """A copy of the template's top level with these parameters' values."""
    spec = dict(template)
    spec["params"] = [
        {"name": p["name"], "value": values[p["name"]]} if p["name"] in values else p for p in spec["params"]
    ]
    return spec


def _with_data(spec: dict[str, Any], datasets: dict[str, Any]) -> dict[str, Any]:
    # The template's own datasets (Altair moves inline values there: the severity bands) stay beside
    # this chart's.
    spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec


def patient_trends_spec(trends: PatientTrends) -> dict[str, Any]:
    """The trend view as a Vega-Lite spec with its data inline under `datasets` (plain JSON values)."""
    spec, datasets = _trends_spec(trends)
    # A deep copy: the caller may change it, and its nested levels are the shared template's.
    return _with_data(copy.deepcopy(spec), {name: table.to_pylist() for name, table in datasets.items()})


def patient_trends_arrow_spec(trends: PatientTrends) -> dict[str, Any]:
    """The same spec with its datasets as Arrow IPC bytes: what Streamlit is given. It sends bytes as they
    are (it would otherwise serialise a table on every draw, and convert plain rows through pandas)."""
    spec, datasets = _trends_spec(trends)
    static = _static_arrow(_is_long(trends))
    return _with_data(spec, static | {name: _ipc(table) for name, table in datasets.items()})


def _ipc(table: pa.Table) -> bytes:
    """A table as Arrow IPC stream bytes, the form Streamlit's Vega-Lite element carries datasets in."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


@functools.lru_cache(maxsize=2)
def _static_arrow(long: bool) -> dict[str, bytes]:
    """The template's own datasets (the severity bands), serialised once."""
    template = _trends_template(long)
    return {name: _ipc(pa.Table.from_pylist(rows)) for name, rows in template.get("datasets", {}).items()}


# The Arrow specs of the last few PatientTrends drawn, by object identity. services.symptom_views hands out
# the same PatientTrends object while a patient's data is unchanged, so a rerun redraws the chart without
# building it again. Each entry holds its PatientTrends, so its id cannot be reused while it is kept; the
# spec is never changed (Streamlit is given a copy of its top level, the only level it edits).
_built_specs: SharedCache[int, tuple[PatientTrends, dict[str, Any]]] = SharedCache(16)


def _built_spec(trends: PatientTrends) -> dict[str, Any]:
    entry = _built_specs.get(id(trends))
    if entry is not None and entry[0] is trends:
        return dict(entry[1])
    spec = patient_trends_arrow_spec(trends)
    _built_specs.put(id(trends), (trends, spec))
    return dict(spec)


def patient_trends_chart(trends: PatientTrends) -> alt.TopLevelMixin:
    """The whole trend view as one Altair chart: the nine items above (3 x 3, over severity bands, with
    alert and care-change markers), and the total, physical and emotional scores below."""
    return alt.VConcatChart.from_dict(patient_trends_spec(trends), validate=False)


def describe_points(trends: PatientTrends) -> str:
    """What each point is, in words, for the caption under the chart."""
    window = window_words(trends.window_days)
    if trends.bucket is None:
        what = "each point is one check-in"
    elif trends.bucket == dt.timedelta(days=1):
        what = "each point is the average of one day's check-ins"
    elif trends.bucket.days % 7 == 0:
        weeks = trends.bucket.days // 7
        what = f"each point is the average of {weeks} week{'s' if weeks > 1 else ''} of check-ins"
    else:
        what = f"each point is the average of {trends.bucket.days} days of check-ins"
    return (
        f"Last {window}: {trends.checkins} check-ins; {what}. "
        "Hover a point for its date, scores and who completed it."
    )


def chart_description(trends: PatientTrends) -> str:
    """The trend chart's accessible name: what a screen reader announces for the drawing."""
    window = window_words(trends.window_days)
    return (
        f"Symptom trends of {trends.patient_label} over the last {window}, from {trends.checkins} check-ins: "
        "the nine ESAS-r symptoms scored 0 to 10 over bands for none, mild, moderate and severe, then the "
        "total, physical and emotional scores, with alerts and care changes marked."
    )


def show_patient_trends(trends: PatientTrends, *, key: str) -> None:
    """Draw one patient's trends (items, scores, markers). Shows a plain sentence when there is nothing."""
    if not len(trends.series):
        st.info(f"No symptom check-ins in the last {window_words(trends.window_days)}.")
        return
    # Compound charts cannot stretch to the container in Vega-Lite, so they take their own width.
    st.vega_lite_chart(
        _built_spec(trends), width="content", key=f"{key}_trends", alt=chart_description(trends)
    )
    st.caption(describe_points(trends))


def window_selector(*, key: str, default: int = DEFAULT_WINDOW_DAYS) -> int:
    """The trend window the person chose, in days (one of WINDOW_CHOICES)."""
    options = list(WINDOW_CHOICES)
    return st.selectbox(
        "Symptom trend window",
        options,
        index=options.index(default),
        format_func=WINDOW_CHOICES.__getitem__,
        key=f"{key}_window",
    )


# --- The team heat map -------------------------------------------------------------------------------------


def _heat_columns(rows: Sequence[LatestScores]) -> dict[str, pa.Array]:
    """One row per patient, in the order given: the row's label (name, MRN and the check-in's date), when
    and by whom it was completed, and the nine scores. The spec folds them into cells."""
    labels, whens = [], []
    for r in rows:
        if r.assessed_at is None:
            labels.append(f"{r.patient_label} · no check-ins yet")
            whens.append("never")
        else:
            labels.append(f"{r.patient_label} · {r.assessed_at:%d %b %Y}")
            whens.append(f"{r.assessed_at:%d %b %Y %H:%M} UTC")
    columns: dict[str, pa.Array] = {
        "order": pa.array(range(len(rows)), pa.int32()),
        "Patient": pa.array(labels, pa.string()),
        "Latest check-in": pa.array(whens, pa.string()),
        "by": pa.array([r.completed_by or "" for r in rows], pa.string()),
    }
    for key in esas.ITEM_KEYS:
        columns[key] = pa.array([r.scores.get(key) for r in rows], pa.int32())
    return columns


def _heatmap_template() -> dict[str, Any]:
    with _TEMPLATE_LOCK:
        return _build_heatmap_template()


@functools.lru_cache(maxsize=1)
def _build_heatmap_template() -> dict[str, Any]:
    """The heat map's spec without its data, shared and never changed, like _trends_template."""
    cell_words = {
        "Symptom": f"{_literal(esas.ITEM_LABELS)}[datum.key]",
        "text": "isValid(datum.Score) ? format(datum.Score, 'd') : '–'",
        "Severity": f"isValid(datum.Score) ? {_severity_of('datum.Score')} : {_literal(NOT_ANSWERED)}",
        "band": f"isValid(datum.Score) ? {_band_of('datum.Score')} : {_literal(NOT_ANSWERED)}",
        "Completed by": "completedByWords[datum.by] || 'nobody yet'",
    }
    base = alt.Chart().encode(
        y=alt.Y(
            "Patient:N",
            sort=alt.EncodingSortField("order", order="ascending"),
            title=None,
            axis=alt.Axis(labelLimit=240),
        ),
        x=alt.X(
            "Symptom:N",
            sort=[i.label for i in esas.ITEMS],
            title=None,
            axis=alt.Axis(orient="top", labelAngle=-40, labelLimit=170, labelOverlap=False),
        ),
    )
    tooltip = [
        alt.Tooltip("Patient:N"),
        alt.Tooltip("Symptom:N"),
        alt.Tooltip("text:N", title="Score"),
        alt.Tooltip("Severity:N"),
        alt.Tooltip("Latest check-in:N"),
        alt.Tooltip("Completed by:N"),
    ]
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            "band:N",
            scale=alt.Scale(domain=[*BAND_NAMES, NOT_ANSWERED], range=[*_HEAT_FILLS, _NOT_ANSWERED_FILL]),
            legend=alt.Legend(title="Severity", orient="bottom"),
        ),
        tooltip=tooltip,
    )
    numbers = base.mark_text(fontSize=13, color="#111827").encode(text="text:N", tooltip=tooltip)
    chart = (
        alt.layer(cells, numbers, data=alt.NamedData("patients"))
        .transform_fold(list(esas.ITEM_KEYS), as_=["key", "Score"])
        .transform_calculate(**cell_words)
        .properties(width=alt.Step(46), height=alt.Step(26))
    )
    return _declared(chart.to_dict())


def team_heatmap_spec(rows: Sequence[LatestScores]) -> dict[str, Any]:
    """The heat map as a Vega-Lite spec with its patients inline under `datasets`."""
    spec = copy.deepcopy(_heatmap_template())
    return _with_data(spec, {"patients": pa.table(_heat_columns(rows)).to_pylist()})


def team_heatmap_arrow_spec(rows: Sequence[LatestScores]) -> dict[str, Any]:
    """The same spec with its patients as Arrow IPC bytes, for Streamlit."""
    return _with_data(dict(_heatmap_template()), {"patients": _ipc(pa.table(_heat_columns(rows)))})


def team_heatmap_chart(rows: Sequence[LatestScores]) -> alt.TopLevelMixin:
    """Patients as rows, the nine items as columns; each cell coloured by band and printing its score."""
    return alt.LayerChart.from_dict(team_heatmap_spec(rows), validate=False)


def show_team_heatmap(rows: Sequence[LatestScores], *, key: str) -> None:
    """Draw the team heat map of latest check-ins; a plain sentence when there is nobody to show."""
    if not rows:
        st.info("No patients to show.")
        return
    st.vega_lite_chart(
        team_heatmap_arrow_spec(rows),
        width="content",
        key=f"{key}_heatmap",
        alt=f"Heat map of the latest ESAS-r scores of {len(rows)} patients: a row per patient, a column per "
        "symptom, each cell the score with its severity.",
    )
    st.caption("Each cell is the latest check-in's score: Severe 7-10, Moderate 4-6, Mild 1-3, None 0.")
