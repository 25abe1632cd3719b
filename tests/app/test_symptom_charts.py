"""The symptom chart components inside Streamlit (AppTest.from_function, no database)."""

from __future__ import annotations

import datetime as dt

from streamlit.testing.v1 import AppTest

from tests.unit.test_symptom_charts import NOW, _latest, _point, _trends


def _charts(at: AppTest) -> list:
    return [e for e in at.get("vega_lite_chart")]


def _trend_page(trends):
    from components import symptom_charts

    symptom_charts.show_patient_trends(trends, key="case")


def _heatmap_page(rows):
    from components import symptom_charts

    symptom_charts.show_team_heatmap(rows, key="team")


def test_trends_draw_one_chart_and_say_what_each_point_is():
    trends = _trends([_point(NOW - dt.timedelta(days=2), 7), _point(NOW - dt.timedelta(days=1), 4)])
    at = AppTest.from_function(_trend_page, args=(trends,), default_timeout=30).run()
    assert not at.exception
    (chart,) = _charts(at)
    # Drawn on a canvas, the chart is nothing to a screen reader without its accessible name.
    assert chart.proto.alt.startswith(
        "Symptom trends of Ada Quillfeather (SYN-T0001) over the last 30 days"
    ), chart.proto.alt
    assert "each point is one check-in" in at.caption[0].value
    assert not at.info, "a chart with data must not also say there is nothing to show"


def test_empty_window_says_so_in_words_and_draws_no_chart():
    at = AppTest.from_function(_trend_page, args=(_trends([], window_days=7),), default_timeout=30).run()
    assert not at.exception
    assert at.info[0].value == "No symptom check-ins in the last 7 days."
    assert _charts(at) == [], "an empty chart would look like a patient with no symptoms"


def test_heat_map_draws_and_explains_the_bands():
    at = AppTest.from_function(_heatmap_page, args=(_latest(),), default_timeout=30).run()
    assert not at.exception
    (chart,) = _charts(at)
    assert chart.proto.alt.startswith(f"Heat map of the latest ESAS-r scores of {len(_latest())} patients")
    assert "Severe 7-10" in at.caption[0].value


def _summary_page(record, calls):
    from components import patient_summary

    def loader(window_days):
        calls.append(window_days)
        from tests.unit.test_symptom_charts import _trends as make

        return make([], window_days=window_days)

    patient_summary.show(record, trends_loader=loader, key="summary")


def test_summary_window_defaults_to_30_days_and_reloads_on_change():
    from clinical.pcoc import PcocPhase
    from db.models import Patient
    from services.records import PatientRecord

    patient = Patient(
        id=1,
        mrn="SYN-T0001",
        given_name="Ada",
        family_name="Quillfeather",
        birth_date=dt.date(1950, 1, 1),
        sex="female",
        preferred_language="English",
        interpreter_needed=False,
        diagnosis="Metastatic lung cancer",
        pcoc_phase=PcocPhase.STABLE,
        checkin_interval_days=3,
    )
    record = PatientRecord(patient, [], [], [], [], [])
    calls: list[int] = []
    at = AppTest.from_function(_summary_page, args=(record, calls), default_timeout=30).run()
    assert not at.exception
    box = next(b for b in at.selectbox if b.label == "Symptom trend window")
    assert box.value == 30 and calls == [30]
    box.select(365).run()
    assert calls == [30, 365], "choosing a window must load trends for that window"
    assert "No symptom check-ins in the last 1 year." in [i.value for i in at.info]
