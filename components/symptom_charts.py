"""Symptom charts: one patient's ESAS-r trends (nine small multiples over severity bands, with alert and
care-change markers, and the three scores), and the team heat map of everyone's latest check-in.

Severity is always written as well as coloured: the bands carry their words on the chart and in the
legend, every point's tooltip names its band, and every heat-map cell prints its number.

The chart builders are pure (data in, Altair chart out) so tests can read the Vega-Lite spec without
running Streamlit; `show_*` only hand the chart to Streamlit.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Sequence
from typing import Any

import altair as alt
import pyarrow as pa
import streamlit as st

from access.symptom_views import LatestScores, Marker, PatientTrends
from clinical import esas
from db.symptom_queries import SCORE_NAMES, SeriesPoint

WINDOW_CHOICES: dict[int, str] = {7: "7 days", 30: "30 days", 90: "90 days", 365: "1 year", 730: "2 years"}
DEFAULT_WINDOW_DAYS = 30

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

_PANEL_WIDTH = 210
_PANEL_HEIGHT = 120
_LINE = "#1f2937"
_EVENT = "#4b5563"
_ALERT = "#991b1b"


# Indexed by whole score 0-10: looked up thousands of times per chart.
_SEVERITY_WORDS = [esas.severity(score).label for score in range(11)]
_BAND_BY_SCORE = [{s: n for s, n, _, _ in BANDS}[esas.severity(score)] for score in range(11)]


def _rounded(value: float) -> int:
    """A score or a mean as the whole score whose band it reads in (half up: a mean of 3.5 is moderate)."""
    return min(10, max(0, int(value + 0.5)))


def _band_name(value: float) -> str:
    return _BAND_BY_SCORE[_rounded(value)]


def _severity_word(value: float) -> str:
    return _SEVERITY_WORDS[_rounded(value)]


def _when(p: SeriesPoint) -> str:
    if p.n == 1:
        return f"{p.first_at:%d %b %Y %H:%M} UTC"
    if p.first_at.date() == p.last_at.date():
        return f"{p.first_at:%d %b %Y}"
    return f"{p.first_at:%d %b %Y} to {p.last_at:%d %b %Y}"


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat()


_SINCE = "__window_since__"
_UNTIL = "__window_until__"


def _time_axis(long: bool, field: str = "at") -> alt.X:
    # The domain holds placeholders: the spec is built once per axis format and the window filled in
    # per patient (see _fill_window), because building Altair objects costs far more than drawing.
    return alt.X(
        f"{field}:T",
        title=None,
        scale=alt.Scale(type="utc", domain=[_SINCE, _UNTIL]),
        axis=alt.Axis(format="%b %Y" if long else "%d %b", labelAngle=0, tickCount=4, labelOverlap=True),
    )


def _point_fields(trends: PatientTrends) -> list[tuple[SeriesPoint, dict[str, object]]]:
    """The fields every series shares at a point, formatted once per point rather than once per series."""
    return [
        (
            p,
            {
                "at": _iso(p.at),
                "When": _when(p),
                "Completed by": COMPLETED_BY_WORDS.get(p.completed_by, p.completed_by),
                "Check-ins": p.n,
            },
        )
        for p in trends.points
    ]


def _item_rows(
    trends: PatientTrends, shared: list[tuple[SeriesPoint, dict[str, object]]]
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    since, until = _iso(trends.since), _iso(trends.until)
    for item in esas.ITEMS:
        for name, low, high in ((n, lo, hi) for _, n, lo, hi in BANDS):
            rows.append(
                {
                    "layer": "band",
                    "item": item.label,
                    "x0": since,
                    "x1": until,
                    "y0": low,
                    "y1": high,
                    "Severity band": name,
                }
            )
        for p, fields in shared:
            mean = p.item_mean[item.key]
            if mean is None:
                continue
            if p.n == 1:
                score, severity = _number(mean), _severity_word(mean)
            else:
                top = p.item_max[item.key] or 0
                score = f"mean {_number(mean)}, max {top}"
                severity = f"{_severity_word(mean)} on average; worst {_severity_word(top)}"
            rows.append(
                {
                    "layer": "value",
                    "item": item.label,
                    "value": mean,
                    "Symptom": item.label,
                    "Score": score,
                    "Severity": severity,
                    **fields,
                }
            )
        for m in trends.care_events:
            rows.append(_marker_row(m, item.label, 9.4, "event"))
        for m in trends.alerts:
            if m.item == item.key:
                rows.append(_marker_row(m, item.label, 10.0, "alert"))
    return rows


def _marker_row(m: Marker, panel: str, y: float, layer: str) -> dict[str, object]:
    what = m.label if m.status is None else f"{m.label} ({m.status})"
    return {
        "layer": layer,
        "item": panel,
        "at": _iso(m.at),
        "marker_y": y,
        "Marker": MARKER_NAMES.get(m.kind, m.kind),
        "What": what,
        "When": f"{m.at:%d %b %Y %H:%M} UTC",
    }


_VALUE_TOOLTIP = [
    alt.Tooltip("Symptom:N"),
    alt.Tooltip("Score:N"),
    alt.Tooltip("Severity:N"),
    alt.Tooltip("When:N"),
    alt.Tooltip("Completed by:N"),
    alt.Tooltip("Check-ins:Q", title="n check-ins"),
]
_MARKER_TOOLTIP = [alt.Tooltip("Marker:N"), alt.Tooltip("What:N"), alt.Tooltip("When:N")]


def _marker_layers(long: bool, base: alt.Chart) -> list[alt.Chart]:
    rules = (
        base.transform_filter("datum.layer == 'event'")
        .mark_rule(color=_EVENT, strokeDash=[4, 3])
        .encode(x=_time_axis(long), tooltip=_MARKER_TOOLTIP)
    )
    points = (
        base.transform_filter("datum.layer == 'event' || datum.layer == 'alert'")
        .mark_point(filled=True, size=70, opacity=1)
        .encode(
            x=_time_axis(long),
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
    return [rules, points]


def _item_grid(long: bool) -> alt.FacetChart:
    base = alt.Chart()
    y = alt.Y("y0:Q", title="Score (0-10)", scale=alt.Scale(domain=[0, 10], nice=False))
    bands = (
        base.transform_filter("datum.layer == 'band'")
        .mark_rect(opacity=0.8)
        .encode(
            x=_time_axis(long, "x0"),
            x2="x1:T",
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
    band_words = (
        base.transform_filter("datum.layer == 'band' && datum.y1 - datum.y0 > 1")
        .transform_calculate(mid="(datum.y0 + datum.y1) / 2", word="split(datum['Severity band'], ' ')[0]")
        .mark_text(align="right", dx=-3, fontSize=9, color="#6b7280")
        .encode(x=_time_axis(long, "x1"), y=alt.Y("mid:Q"), text="word:N")
    )
    line = (
        base.transform_filter("datum.layer == 'value'")
        .mark_line(color=_LINE, strokeWidth=1.5)
        .encode(x=_time_axis(long), y=alt.Y("value:Q"))
    )
    points = (
        base.transform_filter("datum.layer == 'value'")
        .mark_point(filled=True, color=_LINE, size=18)
        .encode(x=_time_axis(long), y=alt.Y("value:Q"), tooltip=_VALUE_TOOLTIP)
    )
    layered = alt.layer(
        bands, band_words, line, points, *_marker_layers(long, base), data=alt.NamedData("items")
    )
    return layered.properties(width=_PANEL_WIDTH, height=_PANEL_HEIGHT).facet(
        facet=alt.Facet("item:N", sort=[i.label for i in esas.ITEMS], title=None),
        columns=3,
    )


def _score_rows(
    trends: PatientTrends, score: str, shared: list[tuple[SeriesPoint, dict[str, object]]]
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for p, fields in shared:
        mean = p.score_mean[score]
        if mean is None:
            continue
        rows.append(
            {
                "layer": "value",
                "value": mean,
                "Symptom": SCORE_LABELS[score],
                "Score": _number(mean) if p.n == 1 else f"mean {_number(mean)}",
                "Severity": "no bands for scores; see the items above",
                **fields,
            }
        )
    top = SCORE_MAX[score]
    rows += [_marker_row(m, score, top * 0.94, "event") for m in trends.care_events]
    rows += [_marker_row(m, score, top, "alert") for m in trends.alerts if m.item is None]
    return rows


def _score_panels(long: bool) -> alt.HConcatChart:
    panels = []
    for score in SCORE_NAMES:
        base = alt.Chart()
        value_y = alt.Y("value:Q", title=SCORE_LABELS[score], scale=alt.Scale(domain=[0, SCORE_MAX[score]]))
        line = (
            base.transform_filter("datum.layer == 'value'")
            .mark_line(color=_LINE, strokeWidth=1.5)
            .encode(x=_time_axis(long), y=value_y)
        )
        points = (
            base.transform_filter("datum.layer == 'value'")
            .mark_point(filled=True, color=_LINE, size=18)
            .encode(x=_time_axis(long), y=value_y, tooltip=_VALUE_TOOLTIP)
        )
        panels.append(
            alt.layer(
                line, points, *_marker_layers(long, base), data=alt.NamedData(f"score_{score}")
            ).properties(width=_PANEL_WIDTH, height=_PANEL_HEIGHT)
        )
    return alt.hconcat(*panels)


@functools.lru_cache(maxsize=2)
def _trends_template(long: bool) -> str:
    """The trend view's Vega-Lite spec without its data, as JSON text: validated once, reused for every
    patient and window."""
    chart = alt.vconcat(_item_grid(long), _score_panels(long)).resolve_scale(
        shape="shared", color="independent"
    )
    return json.dumps(chart.to_dict())


def _is_long(trends: PatientTrends) -> bool:
    return trends.until - trends.since > dt.timedelta(days=120)


def patient_trends_spec(trends: PatientTrends) -> dict[str, Any]:
    """The trend view as a Vega-Lite spec with its data inline under `datasets` (plain JSON values)."""
    text = (
        _trends_template(_is_long(trends))
        .replace(json.dumps(_SINCE), json.dumps(_iso(trends.since)))
        .replace(json.dumps(_UNTIL), json.dumps(_iso(trends.until)))
    )
    spec: dict[str, Any] = json.loads(text)
    shared = _point_fields(trends)
    spec["datasets"] = {"items": _item_rows(trends, shared)} | {
        f"score_{score}": _score_rows(trends, score, shared) for score in SCORE_NAMES
    }
    return spec


def patient_trends_chart(trends: PatientTrends) -> alt.TopLevelMixin:
    """The whole trend view as one Altair chart: the nine items above (3 x 3, over severity bands, with
    alert and care-change markers), and the total, physical and emotional scores below."""
    return alt.VConcatChart.from_dict(patient_trends_spec(trends), validate=False)


def describe_points(trends: PatientTrends) -> str:
    """What each point is, in words, for the caption under the chart."""
    window = WINDOW_CHOICES.get(trends.window_days, f"{trends.window_days} days")
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


def show_patient_trends(trends: PatientTrends, *, key: str) -> None:
    """Draw one patient's trends (items, scores, markers). Shows a plain sentence when there is nothing."""
    if not trends.points:
        st.info(
            f"No symptom check-ins in the last {WINDOW_CHOICES.get(trends.window_days, trends.window_days)}."
        )
        return
    # Compound charts cannot stretch to the container in Vega-Lite, so they take their own width.
    st.vega_lite_chart(_arrow_datasets(patient_trends_spec(trends)), width="content", key=f"{key}_trends")
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


def _heat_rows(rows: Sequence[LatestScores]) -> list[dict[str, object]]:
    data: list[dict[str, object]] = []
    for order, r in enumerate(rows):
        if r.assessed_at is None:
            row_label, when = f"{r.patient_label} · no check-ins yet", "never"
        else:
            row_label = f"{r.patient_label} · {r.assessed_at:%d %b %Y}"
            when = f"{r.assessed_at:%d %b %Y %H:%M} UTC"
        who = COMPLETED_BY_WORDS.get(r.completed_by or "", "nobody yet")
        for item in esas.ITEMS:
            score = r.scores.get(item.key)
            answered = score is not None
            data.append(
                {
                    "order": order,
                    "Patient": row_label,
                    "Symptom": item.label,
                    "Score": score,
                    "text": str(score) if answered else "–",
                    "Severity": esas.severity(score).label if answered else NOT_ANSWERED,
                    "band": _band_name(score) if answered else NOT_ANSWERED,
                    "Latest check-in": when,
                    "Completed by": who,
                }
            )
    return data


@functools.lru_cache(maxsize=1)
def _heatmap_template() -> str:
    base = alt.Chart(alt.NamedData("cells")).encode(
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
    chart = alt.layer(cells, numbers).properties(width=alt.Step(46), height=alt.Step(26))
    return json.dumps(chart.to_dict())


def team_heatmap_spec(rows: Sequence[LatestScores]) -> dict[str, Any]:
    """The heat map as a Vega-Lite spec with its cells inline under `datasets`."""
    spec: dict[str, Any] = json.loads(_heatmap_template())
    spec["datasets"] = {"cells": _heat_rows(rows)}
    return spec


def team_heatmap_chart(rows: Sequence[LatestScores]) -> alt.TopLevelMixin:
    """Patients as rows, the nine items as columns; each cell coloured by band and printing its score."""
    return alt.LayerChart.from_dict(team_heatmap_spec(rows), validate=False)


def _arrow_datasets(spec: dict[str, Any]) -> dict[str, Any]:
    """Hand the datasets to Streamlit as Arrow tables: it would convert plain rows through pandas, slower.
    Columns are the union of every row's keys (rows of different layers carry different fields)."""
    for name, rows in spec.get("datasets", {}).items():
        keys = list(dict.fromkeys(k for row in rows for k in row))
        spec["datasets"][name] = pa.table({k: [row.get(k) for row in rows] for k in keys})
    return spec


def show_team_heatmap(rows: Sequence[LatestScores], *, key: str) -> None:
    """Draw the team heat map of latest check-ins; a plain sentence when there is nobody to show."""
    if not rows:
        st.info("No patients to show.")
        return
    st.vega_lite_chart(_arrow_datasets(team_heatmap_spec(rows)), width="content", key=f"{key}_heatmap")
    st.caption("Each cell is the latest check-in's score: Severe 7-10, Moderate 4-6, Mild 1-3, None 0.")
