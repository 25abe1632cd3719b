"""The symptom charts' Vega-Lite specs: severity in words as well as colour, tooltips that say who
completed a check-in, markers where they belong, and heat-map cells that print their numbers."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pyarrow as pa
import pytest
import vl_convert

from clinical import esas
from components import symptom_charts
from db.models import ESAS_ITEM_COLUMNS
from db.symptom_queries import SeriesColumns, SeriesPoint
from services.symptom_views import LatestScores, Marker, PatientTrends

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
        series=SeriesColumns.from_points(points),
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


def _drawn(spec) -> list[dict[str, str]]:
    """What the Vega-Lite runtime draws from the spec, mark by mark, as a screen reader and a hover read
    it: each mark's description ("Symptom: Pain; Score: 3; Severity: Mild; ...") split into fields.

    vl-convert runs the real Vega-Lite and Vega, so the words computed in the browser from the numbers
    sent (see components.symptom_charts) are checked as the reader gets them."""
    version = ".".join(spec["$schema"].rsplit("/v", 1)[1].split(".")[:2])  # "6.4"
    svg = vl_convert.vegalite_to_svg(spec, vl_version=version)
    marks = []
    for label in re.findall(r'aria-label="([^"]*)"', svg):
        fields = dict(part.split(": ", 1) for part in html.unescape(label).split("; ") if ": " in part)
        marks.append(fields)
    return marks


def _hovers(spec, symptom: str) -> list[dict[str, str]]:
    """The tooltips of the points drawn for one symptom (or score), in time order."""
    return [m for m in _drawn(spec) if m.get("Symptom") == symptom and "Severity" in m and "Patient" not in m]


def test_item_panels_sit_on_severity_bands_named_in_words(daily):
    spec = symptom_charts.patient_trends_chart(daily).to_dict()  # validates against Vega-Lite's schema
    fills = [n["fill"] for n in _walk(spec) if isinstance(n.get("fill"), dict) and "field" in n["fill"]]
    assert fills, "no layer fills the severity bands"
    assert fills[0]["scale"]["domain"] == ["None (0)", "Mild (1-3)", "Moderate (4-6)", "Severe (7-10)"]
    assert fills[0]["legend"]["title"] == "Severity band"
    drawn = _drawn(spec)
    bands = [(m["Severity band"], m["Score (0-10)"], m["y1"]) for m in drawn if "Severity band" in m]
    assert len(bands) == 4 * len(esas.ITEMS), "every one of the nine panels needs its four bands"
    assert set(bands) == {
        ("None (0)", "0", "0.5"),
        ("Mild (1-3)", "0.5", "3.5"),
        ("Moderate (4-6)", "3.5", "6.5"),
        ("Severe (7-10)", "6.5", "10"),
    }
    assert sorted(m["word"] for m in drawn if "word" in m) == sorted(["Mild", "Moderate", "Severe"] * 9), (
        "each panel's wider bands carry their word on the chart, not only in the legend"
    )
    grid = spec["vconcat"][0]
    assert grid["columns"] == 3, "not a 3 x 3 grid"
    assert grid["facet"]["sort"] == [i.label for i in esas.ITEMS], "not in form order"
    # Set in the spec, not left to a theme: at Streamlit's, "29 Nov" ran into the next panel's "01 Nov".
    assert grid["spacing"]["column"] >= 30, "no room between panels for the dates at their edges"


def test_tooltips_give_value_date_severity_word_and_who_completed_it(daily):
    spec = symptom_charts.patient_trends_spec(daily)
    pain = _hovers(spec, esas.ITEM_LABELS["pain"])
    assert [(m["Score"], m["Severity"], m["Completed by"], m["n check-ins"]) for m in pain] == [
        ("3", "Mild", "family caregiver", "1"),
        ("8", "Severe", "clinician", "1"),
        ("5", "Moderate", "patient", "1"),
    ]
    assert pain[1]["When"] == f"{NOW - dt.timedelta(days=3):%d %b %Y %H:%M} UTC"
    assert _hovers(spec, esas.ITEM_LABELS["nausea"]) == [], "a blank item must not be drawn as 0"


def test_aggregated_points_say_their_date_range_mean_max_and_count():
    start = NOW - dt.timedelta(days=20)
    trends = _trends(
        [_point(start, 5.5, n=6, top=8, by="mixed")], bucket=dt.timedelta(days=7), window_days=365
    )
    (pain,) = _hovers(symptom_charts.patient_trends_spec(trends), esas.ITEM_LABELS["pain"])
    assert pain["Score"] == "mean 5.5, max 8"
    assert pain["Severity"] == "Moderate on average, worst Severe"
    assert pain["When"] == f"{start:%d %b %Y} to {start + dt.timedelta(days=6):%d %b %Y}"
    assert pain["n check-ins"] == "6" and pain["Completed by"].startswith("mixed")
    assert "average of 1 week" in symptom_charts.describe_points(trends)


@pytest.mark.parametrize(
    ("mean", "words"), [(3.49, "Mild"), (3.5, "Moderate"), (6.5, "Severe"), (0.4, "None")]
)
def test_a_mean_reads_in_the_band_of_its_whole_score_rounded_half_up(mean, words):
    trends = _trends([_point(NOW - dt.timedelta(days=9), mean, n=2, top=9)], bucket=dt.timedelta(days=2))
    (pain,) = _hovers(symptom_charts.patient_trends_spec(trends), esas.ITEM_LABELS["pain"])
    assert pain["Severity"] == f"{words} on average, worst Severe"


def test_alerts_mark_their_own_item_and_care_changes_mark_every_panel(daily):
    spec = symptom_charts.patient_trends_spec(daily)
    drawn = _drawn(spec)
    alerts = [m for m in drawn if m.get("Marker") == "Alert"]
    assert [m["What"] for m in alerts if m["What"].startswith("Pain")] == ["Pain 8/10 (severe) (open)"], (
        "an alert about pain is marked once, on one panel"
    )
    # Panels are drawn in form order, each its points then its markers: the pain alert must come after
    # the pain panel's points and before the next panel's.
    where = next(i for i, m in enumerate(drawn) if m.get("What", "").startswith("Pain"))
    panels = [m["Symptom"] for m in drawn if "Severity" in m and "Symptom" in m]
    before = [m["Symptom"] for m in drawn[:where] if "Severity" in m and "Symptom" in m]
    assert before[-1] == "Pain" and panels[len(before)] != "Pain", "the pain alert is not on the pain panel"
    missed = [m["marker_y"] for m in alerts if m["What"].startswith("No check-in")]
    assert sorted(missed) == ["20", "60", "90"], "an alert about no single item belongs on the score charts"
    changes = [m for m in drawn if m.get("Marker") == "Medication change" and "marker_y" in m]
    assert len(changes) == len(esas.ITEMS) + 3, "a care change is marked on every panel"
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
    emotional = _hovers(spec, symptom_charts.SCORE_LABELS["emotional"])
    assert [m["Score"] for m in emotional] == ["4", "4", "4"]
    assert _hovers(spec, symptom_charts.SCORE_LABELS["total"]) == [], (
        "a total with a blank item must not be drawn"
    )


def test_the_time_axis_spans_the_chosen_window(daily):
    svg = vl_convert.vegalite_to_svg(symptom_charts.patient_trends_spec(daily), vl_version="6.4")
    axes = re.findall(r'aria-label="(X-axis[^"]*)"', svg)
    assert len(axes) == 3 + 3, "the grid's bottom row and every score panel need their time axis"
    assert all(f"from {daily.since:%d %B} to {daily.until:%d %B}" in axis for axis in axes), axes[0]


def test_the_arrow_data_streamlit_gets_holds_the_same_rows_as_the_spec(daily):
    rows = symptom_charts.patient_trends_spec(daily)["datasets"]
    sent = symptom_charts.patient_trends_arrow_spec(daily)["datasets"]
    assert set(sent) == set(rows)
    for name, data in sent.items():
        assert isinstance(data, bytes), f"{name} would be serialised again on every draw"
        assert pa.ipc.open_stream(data).read_all().to_pylist() == rows[name], f"the {name} data differs"
    points = [row for row in rows["rows"] if row["kind"] == "point"]
    assert [p["pain"] for p in points] == [3.0, 8.0, 5.0]
    cells = symptom_charts.team_heatmap_arrow_spec(_latest())["datasets"]["patients"]
    assert (
        pa.ipc.open_stream(cells).read_all().to_pylist()
        == (symptom_charts.team_heatmap_spec(_latest())["datasets"]["patients"])
    )


def test_a_redraw_of_the_same_trends_reuses_the_built_spec(daily):
    first = symptom_charts._built_spec(daily)
    again = symptom_charts._built_spec(daily)
    assert again is not first and again == first, "each draw gets its own top level to hand to Streamlit"
    assert again["datasets"] is first["datasets"], "the datasets were built again for the same trends"
    other = _trends(list(daily.points))
    assert symptom_charts._built_spec(other)["datasets"] is not first["datasets"]


def test_building_a_spec_leaves_the_shared_template_as_it_was(daily):
    before = json.dumps(symptom_charts._trends_template(False))
    spec = symptom_charts.patient_trends_spec(daily)
    spec["vconcat"][0]["columns"] = 1
    symptom_charts.patient_trends_arrow_spec(daily)["params"].append({"name": "x"})
    assert json.dumps(symptom_charts._trends_template(False)) == before, (
        "one patient's chart changed the template every other chart is drawn from"
    )


def _latest():
    return [
        LatestScores(
            1, "Ada Quillfeather (SYN-T1)", NOW, "family", {**dict.fromkeys(ESAS_ITEM_COLUMNS, 0), "pain": 8}
        ),
        LatestScores(2, "Ben Marrowstone (SYN-T2)", None, None, dict.fromkeys(ESAS_ITEM_COLUMNS)),
    ]


def test_heat_map_cells_print_their_numbers_and_name_the_severity():
    spec = symptom_charts.team_heatmap_chart(_latest()).to_dict()  # validates against Vega-Lite's schema
    drawn = _drawn(spec)
    numbers = [m for m in drawn if "text" in m]
    cells = [m for m in drawn if "band" in m]
    assert len(numbers) == len(cells) == 2 * len(esas.ITEMS), "one printed number per cell"
    ada_pain = next(m for m in numbers if m["Patient"].startswith("Ada") and m["Symptom"] == "Pain")
    assert (ada_pain["text"], ada_pain["Severity"]) == ("8", "Severe")
    assert ada_pain["Completed by"] == "family caregiver"
    assert ada_pain["Patient"] == f"Ada Quillfeather (SYN-T1) · {NOW:%d %b %Y}", "the row must say when"
    ada_cell = next(m for m in cells if m["Patient"].startswith("Ada") and m["Symptom"] == "Pain")
    assert ada_cell["band"] == "Severe (7-10)", "the colour must come from the same band as the words"
    ben = [m for m in numbers if m["Patient"].startswith("Ben")]
    assert len(ben) == 9 and {m["text"] for m in ben} == {"–"} and "no check-ins" in ben[0]["Patient"]
    assert {m["Severity"] for m in ben} == {"Not answered"} and {m["Completed by"] for m in ben} == {
        "nobody yet"
    }
    colours = next(
        n["color"] for n in _walk(spec) if isinstance(n.get("color"), dict) and "scale" in n["color"]
    )
    assert colours["scale"]["domain"][:4] == symptom_charts.BAND_NAMES
    svg = vl_convert.vegalite_to_svg(spec, vl_version="6.4")
    (rows,) = re.findall(r'aria-label="(Y-axis[^"]*)"', svg)
    assert rows.index("Ada") < rows.index("Ben"), "rows must keep the order they were given in"


def test_window_choices_are_the_agreed_ones():
    assert symptom_charts.WINDOW_CHOICES == {
        7: "7 days",
        30: "30 days",
        90: "90 days",
        365: "1 year",
        730: "2 years",
    }
