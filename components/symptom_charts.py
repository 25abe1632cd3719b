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
import threading
from collections import OrderedDict
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


class _Columns:
    """A dataset built column by column, in blocks of rows that share their fields: the Arrow table for
    Streamlit is made from the columns directly, and the plain rows (for tests and `*_spec`) only on request.
    A field a block does not have is missing from its rows (null in the Arrow table)."""

    def __init__(self) -> None:
        self._blocks: list[tuple[int, dict[str, list[object]]]] = []
        self._keys: dict[str, None] = {}

    def add(self, length: int, columns: dict[str, list[object]]) -> None:
        if length:
            self._blocks.append((length, columns))
            self._keys.update(dict.fromkeys(columns))

    def columns(self) -> dict[str, list[object]]:
        out: dict[str, list[object]] = {}
        for key in self._keys:
            values: list[object] = []
            for length, block in self._blocks:
                values += block.get(key) or [None] * length
            out[key] = values
        return out

    def rows(self) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for _, block in self._blocks:
            keys = list(block)
            rows += (dict(zip(keys, values, strict=True)) for values in zip(*block.values(), strict=True))
        return rows

    def table(self) -> pa.Table:
        return pa.table(self.columns())


class _Shared:
    """The fields every series shares at a point, formatted once per point rather than once per series."""

    def __init__(self, points: Sequence[SeriesPoint]) -> None:
        self.at = [_iso(p.at) for p in points]
        self.when = [_when(p) for p in points]
        self.who = [COMPLETED_BY_WORDS.get(p.completed_by, p.completed_by) for p in points]
        self.n = [p.n for p in points]

    def pick(self, keep: list[int]) -> dict[str, list[object]]:
        return {
            "at": [self.at[i] for i in keep],
            "When": [self.when[i] for i in keep],
            "Completed by": [self.who[i] for i in keep],
            "Check-ins": [self.n[i] for i in keep],
        }


# Score and severity words of a single check-in's whole score, and of a bucket's (rounded mean, maximum).
_WHOLE_WORDS = [(str(score), _SEVERITY_WORDS[score]) for score in range(11)]
_MEAN_WORST_WORDS = [
    [f"{_SEVERITY_WORDS[mean]} on average; worst {_SEVERITY_WORDS[top]}" for top in range(11)]
    for mean in range(11)
]


def _item_values(
    points: Sequence[SeriesPoint], key: str
) -> tuple[list[int], list[object], list[object], list[object]]:
    """One item's drawn points: their indexes, means, and score and severity in words. The innermost loop
    of the chart (items x points), so the words come from tables rather than formatting."""
    keep: list[int] = []
    values: list[object] = []
    scores: list[object] = []
    severities: list[object] = []
    for i, p in enumerate(points):
        mean = p.item_mean[key]
        if mean is None:
            continue
        keep.append(i)
        values.append(mean)
        rounded = int(mean + 0.5)  # _rounded, inline: scores and means lie within 0-10
        if not 0 <= rounded <= 10:
            rounded = _rounded(mean)
        if p.n > 1:
            top = p.item_max[key] or 0
            text = f"{mean:.1f}"
            scores.append(f"mean {text[:-2] if text.endswith('.0') else text}, max {top}")
            severities.append(_MEAN_WORST_WORDS[rounded][top if 0 <= top <= 10 else _rounded(top)])
        elif mean == rounded:
            score, severity = _WHOLE_WORDS[rounded]
            scores.append(score)
            severities.append(severity)
        else:
            scores.append(_number(mean))
            severities.append(_SEVERITY_WORDS[rounded])
    return keep, values, scores, severities


def _markers(
    data: _Columns, markers: Sequence[Marker], panels: list[str], ys: list[float], layer: str
) -> None:
    """Each marker once per panel (panels and ys side by side: the panel each row sits in, at height y)."""
    if not markers or not panels:
        return
    n = len(panels)

    def each(values: list[object]) -> list[object]:
        return [v for v in values for _ in range(n)]

    data.add(
        len(markers) * n,
        {
            "layer": [layer] * (len(markers) * n),
            "item": panels * len(markers),
            "at": each([_iso(m.at) for m in markers]),
            "marker_y": ys * len(markers),
            "Marker": each([MARKER_NAMES.get(m.kind, m.kind) for m in markers]),
            "What": each([m.label if m.status is None else f"{m.label} ({m.status})" for m in markers]),
            "When": each([f"{m.at:%d %b %Y %H:%M} UTC" for m in markers]),
        },
    )


def _item_data(trends: PatientTrends, shared: _Shared) -> _Columns:
    data = _Columns()
    since, until = _iso(trends.since), _iso(trends.until)
    labels = [item.label for item in esas.ITEMS]
    bands = len(labels) * len(BANDS)
    data.add(
        bands,
        {
            "layer": ["band"] * bands,
            "item": [label for label in labels for _ in BANDS],
            "x0": [since] * bands,
            "x1": [until] * bands,
            "y0": [low for _ in labels for _, _, low, _ in BANDS],
            "y1": [high for _ in labels for _, _, _, high in BANDS],
            "Severity band": BAND_NAMES * len(labels),
        },
    )
    for item in esas.ITEMS:
        keep, values, scores, severities = _item_values(trends.points, item.key)
        data.add(
            len(keep),
            {
                "layer": ["value"] * len(keep),
                "item": [item.label] * len(keep),
                "value": values,
                "Symptom": [item.label] * len(keep),
                "Score": scores,
                "Severity": severities,
                **shared.pick(keep),
            },
        )
    _markers(data, trends.care_events, labels, [9.4] * len(labels), "event")
    for item in esas.ITEMS:
        _markers(data, [m for m in trends.alerts if m.item == item.key], [item.label], [10.0], "alert")
    return data


def _score_data(trends: PatientTrends, score: str, shared: _Shared) -> _Columns:
    data = _Columns()
    keep = [i for i, p in enumerate(trends.points) if p.score_mean[score] is not None]
    means = [trends.points[i].score_mean[score] for i in keep]
    data.add(
        len(keep),
        {
            "layer": ["value"] * len(keep),
            "value": list(means),
            "Symptom": [SCORE_LABELS[score]] * len(keep),
            "Score": [
                _number(m) if trends.points[i].n == 1 else f"mean {_number(m)}"  # type: ignore[arg-type]
                for i, m in zip(keep, means, strict=True)
            ],
            "Severity": ["no bands for scores; see the items above"] * len(keep),
            **shared.pick(keep),
        },
    )
    top = SCORE_MAX[score]
    _markers(data, trends.care_events, [score], [top * 0.94], "event")
    _markers(data, [m for m in trends.alerts if m.item is None], [score], [top], "alert")
    return data


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


def _trends_spec(trends: PatientTrends) -> tuple[dict[str, Any], dict[str, _Columns]]:
    """The template with this window filled in, and the datasets it names."""
    text = (
        _trends_template(_is_long(trends))
        .replace(json.dumps(_SINCE), json.dumps(_iso(trends.since)))
        .replace(json.dumps(_UNTIL), json.dumps(_iso(trends.until)))
    )
    shared = _Shared(trends.points)
    datasets = {"items": _item_data(trends, shared)} | {
        f"score_{score}": _score_data(trends, score, shared) for score in SCORE_NAMES
    }
    return json.loads(text), datasets


def patient_trends_spec(trends: PatientTrends) -> dict[str, Any]:
    """The trend view as a Vega-Lite spec with its data inline under `datasets` (plain JSON values)."""
    spec, datasets = _trends_spec(trends)
    spec["datasets"] = {name: data.rows() for name, data in datasets.items()}
    return spec


def patient_trends_arrow_spec(trends: PatientTrends) -> dict[str, Any]:
    """The same spec with its datasets as Arrow tables, built from the columns: what Streamlit is given
    (it would otherwise convert plain rows through pandas)."""
    spec, datasets = _trends_spec(trends)
    spec["datasets"] = {name: data.table() for name, data in datasets.items()}
    return spec


class _BuiltSpecs:
    """The Arrow specs of the last few PatientTrends drawn, by object identity. access.symptom_views hands
    out the same PatientTrends object while a patient's data is unchanged, so a rerun redraws the chart
    without building it again. Each entry holds its PatientTrends, so its id cannot be reused while it is
    kept; the spec is never changed (Streamlit is given a copy of its top level, the only level it edits)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[int, tuple[PatientTrends, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def spec(self, trends: PatientTrends) -> dict[str, Any]:
        with self._lock:
            entry = self._entries.get(id(trends))
            if entry is not None and entry[0] is trends:
                self._entries.move_to_end(id(trends))
                return dict(entry[1])
        spec = patient_trends_arrow_spec(trends)
        with self._lock:
            self._entries[id(trends)] = (trends, spec)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return dict(spec)


_built_specs = _BuiltSpecs(16)


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
    st.vega_lite_chart(_built_specs.spec(trends), width="content", key=f"{key}_trends")
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


_HEAT_CELL_WORDS = [(str(score), esas.severity(score).label, _BAND_BY_SCORE[score]) for score in range(11)]


def _heat_data(rows: Sequence[LatestScores]) -> _Columns:
    """One cell per patient and item, patients in the order given."""
    data = _Columns()
    items = len(esas.ITEMS)
    for order, r in enumerate(rows):
        if r.assessed_at is None:
            row_label, when = f"{r.patient_label} · no check-ins yet", "never"
        else:
            row_label = f"{r.patient_label} · {r.assessed_at:%d %b %Y}"
            when = f"{r.assessed_at:%d %b %Y %H:%M} UTC"
        who = COMPLETED_BY_WORDS.get(r.completed_by or "", "nobody yet")
        scores = [r.scores.get(item.key) for item in esas.ITEMS]
        words = [("–", NOT_ANSWERED, NOT_ANSWERED) if v is None else _HEAT_CELL_WORDS[v] for v in scores]
        data.add(
            items,
            {
                "order": [order] * items,
                "Patient": [row_label] * items,
                "Symptom": [item.label for item in esas.ITEMS],
                "Score": scores,  # type: ignore[dict-item]
                "text": [w[0] for w in words],
                "Severity": [w[1] for w in words],
                "band": [w[2] for w in words],
                "Latest check-in": [when] * items,
                "Completed by": [who] * items,
            },
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
    spec["datasets"] = {"cells": _heat_data(rows).rows()}
    return spec


def team_heatmap_arrow_spec(rows: Sequence[LatestScores]) -> dict[str, Any]:
    """The same spec with its cells as an Arrow table, for Streamlit."""
    spec: dict[str, Any] = json.loads(_heatmap_template())
    spec["datasets"] = {"cells": _heat_data(rows).table()}
    return spec


def team_heatmap_chart(rows: Sequence[LatestScores]) -> alt.TopLevelMixin:
    """Patients as rows, the nine items as columns; each cell coloured by band and printing its score."""
    return alt.LayerChart.from_dict(team_heatmap_spec(rows), validate=False)


def show_team_heatmap(rows: Sequence[LatestScores], *, key: str) -> None:
    """Draw the team heat map of latest check-ins; a plain sentence when there is nobody to show."""
    if not rows:
        st.info("No patients to show.")
        return
    st.vega_lite_chart(team_heatmap_arrow_spec(rows), width="content", key=f"{key}_heatmap")
    st.caption("Each cell is the latest check-in's score: Severe 7-10, Moderate 4-6, Mild 1-3, None 0.")
