"""The symptom charts' Vega-Lite specs: severity in words as well as colour, tooltips that say who
completed a check-in, markers where they belong, and heat-map cells that print their numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from access.symptom_views import LatestScores, Marker, PatientTrends
from clinical import esas
from components import symptom_charts
from db.models import ESAS_ITEM_COLUMNS
from db.symptom_queries import SeriesPoint

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def _point(at: dt.datetime, pain: float, *, n: int = 1, top: int | None = None, by: str = "patient"):
    items = dict.fromkeys(ESAS_ITEM_COLUMNS, 2.0)
    items["pain"] = pain
    items["nausea"] = None  # left blank: no point drawn for it
    maxima = {k: None if v is None else int(v) for k, v in items.items()}
    maxima["pain"] = top if top is not None else int(pain)
    last = at + dt.timedelta(days=6) if n > 1 else at
    return SeriesPoint(at, last, n, items, maxima, {"total": None, "physical": None, "emotional": 4.0}, by)


def _trends(points, *, bucket=None, window_days=30) -> PatientTrends:
    return PatientTrends(
        patient_id=1,
        patient_label="Ada Quillfeather (SYN-T0001)",
        window_days=window_days,
        since=NOW - dt.timedelta(days=window_days),
        until=NOW,
        bucket=bucket,
        checkins=sum(p.n for p in points),
        points=tuple(points),
        alerts=(
            Marker(NOW - dt.timedelta(days=3), "alert", "Pain 8/10 (severe)", "pain", "open"),
            Marker(NOW - dt.timedelta(days=1), "alert", "No check-in for 4 days", None, "open"),
        ),
        care_events=(Marker(NOW - dt.timedelta(days=2), "medication_change", "Oxycodone increased"),),
    )


@pytest.fixture
def daily() -> PatientTrends:
    return _trends(
        [
            _point(NOW - dt.timedelta(days=4), 3, by="family"),
            _point(NOW - dt.timedelta(days=3), 8, by="clinician"),
            _point(NOW - dt.timedelta(days=2), 5),
        ]
    )


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _rows(spec, dataset, layer=None):
    return [r for r in spec["datasets"][dataset] if layer is None or r.get("layer") == layer]


def test_item_panels_sit_on_severity_bands_named_in_words(daily):
    spec = symptom_charts.patient_trends_chart(daily).to_dict()  # validates against Vega-Lite's schema
    fills = [n["fill"] for n in _walk(spec) if isinstance(n.get("fill"), dict) and "field" in n["fill"]]
    assert fills, "no layer fills the severity bands"
    assert fills[0]["scale"]["domain"] == ["None (0)", "Mild (1-3)", "Moderate (4-6)", "Severe (7-10)"]
    assert fills[0]["legend"]["title"] == "Severity band"
    bands = _rows(spec, "items", "band")
    assert len(bands) == 4 * len(esas.ITEMS), "every one of the nine panels needs its four bands"
    assert {(b["Severity band"], b["y0"], b["y1"]) for b in bands} == {
        ("None (0)", 0.0, 0.5),
        ("Mild (1-3)", 0.5, 3.5),
        ("Moderate (4-6)", 3.5, 6.5),
        ("Severe (7-10)", 6.5, 10.0),
    }
    facet = next(n for n in _walk(spec) if "facet" in n and "columns" in n)
    assert facet["columns"] == 3 and facet["facet"]["sort"] == [i.label for i in esas.ITEMS], "not a 3x3 grid"


def test_tooltips_give_value_date_severity_word_and_who_completed_it(daily):
    spec = symptom_charts.patient_trends_chart(daily).to_dict()
    tooltip_fields = {
        t["field"] for n in _walk(spec) if isinstance(n.get("tooltip"), list) for t in n["tooltip"]
    }
    assert {"Score", "Severity", "When", "Completed by", "Check-ins"} <= tooltip_fields
    pain = [r for r in _rows(spec, "items", "value") if r["item"] == esas.ITEM_LABELS["pain"]]
    assert [(r["Score"], r["Severity"], r["Completed by"]) for r in pain] == [
        ("3", "Mild", "family caregiver"),
        ("8", "Severe", "clinician"),
        ("5", "Moderate", "patient"),
    ]
    assert pain[1]["When"] == f"{NOW - dt.timedelta(days=3):%d %b %Y %H:%M} UTC"
    nausea = [r for r in _rows(spec, "items", "value") if r["item"] == esas.ITEM_LABELS["nausea"]]
    assert nausea == [], "a blank item must not be drawn as 0"


def test_aggregated_points_say_their_date_range_mean_max_and_count():
    start = NOW - dt.timedelta(days=20)
    trends = _trends(
        [_point(start, 5.5, n=6, top=8, by="mixed")], bucket=dt.timedelta(days=7), window_days=365
    )
    spec = symptom_charts.patient_trends_spec(trends)
    (pain,) = [r for r in _rows(spec, "items", "value") if r["item"] == esas.ITEM_LABELS["pain"]]
    assert pain["Score"] == "mean 5.5, max 8"
    assert pain["Severity"] == "Moderate on average; worst Severe"
    assert pain["When"] == f"{start:%d %b %Y} to {start + dt.timedelta(days=6):%d %b %Y}"
    assert pain["Check-ins"] == 6 and pain["Completed by"].startswith("mixed")
    assert "average of 1 week" in symptom_charts.describe_points(trends)


def test_alerts_mark_their_own_item_and_care_changes_mark_every_panel(daily):
    spec = symptom_charts.patient_trends_spec(daily)
    alerts = _rows(spec, "items", "alert")
    assert [a["item"] for a in alerts] == [esas.ITEM_LABELS["pain"]]
    assert alerts[0]["Marker"] == "Alert" and "severe" in alerts[0]["What"]
    events = _rows(spec, "items", "event")
    assert sorted(e["item"] for e in events) == sorted(i.label for i in esas.ITEMS)
    assert {e["Marker"] for e in events} == {"Medication change"}
    total_alerts = _rows(spec, "score_total", "alert")
    assert [a["What"] for a in total_alerts] == ["No check-in for 4 days (open)"], (
        "an alert about no single item belongs on the score chart"
    )
    shapes = [n["shape"] for n in _walk(spec) if isinstance(n.get("shape"), dict) and "field" in n["shape"]]
    assert shapes and shapes[0]["scale"]["domain"] == ["Alert", "Plan change", "Medication change"]


def test_score_panels_have_their_own_full_scales(daily):
    spec = symptom_charts.patient_trends_spec(daily)
    domains = [
        n["y"]["scale"]["domain"]
        for n in _walk(spec)
        if isinstance(n.get("y"), dict) and n["y"].get("field") == "value" and "scale" in n["y"]
    ]
    assert [0, 90] in domains and [0, 60] in domains and [0, 20] in domains
    assert [r["value"] for r in _rows(spec, "score_emotional", "value")] == [4.0, 4.0, 4.0]
    assert _rows(spec, "score_total", "value") == [], "a total with a blank item must not be drawn"


def test_window_is_filled_in_and_no_placeholder_is_left(daily):
    spec = symptom_charts.patient_trends_spec(daily)
    text = str(spec)
    assert "__window" not in text
    assert daily.since.isoformat() in text and daily.until.isoformat() in text


def test_the_arrow_tables_streamlit_gets_hold_the_same_rows_as_the_spec(daily):
    rows = symptom_charts.patient_trends_spec(daily)["datasets"]
    tables = symptom_charts.patient_trends_arrow_spec(daily)["datasets"]
    assert set(tables) == set(rows)
    for name, table in tables.items():
        as_rows = [{k: v for k, v in row.items() if v is not None} for row in table.to_pylist()]
        assert as_rows == rows[name], f"the {name} table differs from its rows"
    cells = symptom_charts.team_heatmap_arrow_spec(_latest())["datasets"]["cells"].to_pylist()
    assert cells == symptom_charts.team_heatmap_spec(_latest())["datasets"]["cells"]


def test_a_redraw_of_the_same_trends_reuses_the_built_spec(daily):
    first = symptom_charts._built_specs.spec(daily)
    again = symptom_charts._built_specs.spec(daily)
    assert again is not first and again == first, "each draw gets its own top level to hand to Streamlit"
    assert again["datasets"] is first["datasets"], "the datasets were built again for the same trends"
    other = _trends(list(daily.points))
    assert symptom_charts._built_specs.spec(other)["datasets"] is not first["datasets"]


def _latest():
    return [
        LatestScores(
            1, "Ada Quillfeather (SYN-T1)", NOW, "family", {**dict.fromkeys(ESAS_ITEM_COLUMNS, 0), "pain": 8}
        ),
        LatestScores(2, "Ben Marrowstone (SYN-T2)", None, None, dict.fromkeys(ESAS_ITEM_COLUMNS)),
    ]


def test_heat_map_cells_print_their_numbers_and_name_the_severity():
    spec = symptom_charts.team_heatmap_chart(_latest()).to_dict()
    texts = [n for n in _walk(spec) if isinstance(n.get("mark"), dict | str) and "text" in str(n.get("mark"))]
    assert texts and texts[0]["encoding"]["text"]["field"] == "text", "no text layer prints the scores"
    cells = spec["datasets"]["cells"]
    ada_pain = next(c for c in cells if c["Patient"].startswith("Ada") and c["Symptom"] == "Pain")
    assert (ada_pain["text"], ada_pain["Severity"], ada_pain["band"]) == ("8", "Severe", "Severe (7-10)")
    assert ada_pain["Completed by"] == "family caregiver"
    assert ada_pain["Patient"] == f"Ada Quillfeather (SYN-T1) · {NOW:%d %b %Y}", "the row must say when"
    ben = [c for c in cells if c["Patient"].startswith("Ben")]
    assert len(ben) == 9 and {c["text"] for c in ben} == {"–"} and "no check-ins" in ben[0]["Patient"]
    tooltip = {t["field"] for n in _walk(spec) if isinstance(n.get("tooltip"), list) for t in n["tooltip"]}
    assert {"Severity", "Completed by", "Latest check-in"} <= tooltip
    colours = next(
        n["color"] for n in _walk(spec) if isinstance(n.get("color"), dict) and "scale" in n["color"]
    )
    assert colours["scale"]["domain"][:4] == symptom_charts.BAND_NAMES
    assert [c["order"] for c in cells[::9]] == [0, 1], "rows must keep the order they were given in"


def test_window_choices_are_the_agreed_ones():
    assert symptom_charts.WINDOW_CHOICES == {
        7: "7 days",
        30: "30 days",
        90: "90 days",
        365: "1 year",
        730: "2 years",
    }
