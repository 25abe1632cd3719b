"""Alert thresholds come from the environment (README, "Configuration")."""

from __future__ import annotations

import datetime as dt

import pytest

from clinical.alerts import DEFAULT_THRESHOLDS, AlertRule, Checkin, evaluate_checkin
from clinical.esas import ITEM_KEYS
from settings import ENVIRONMENT_VARIABLES, alert_thresholds

VARIABLES = [
    "VESPER_ALERT_SEVERE_ITEM",
    "VESPER_ALERT_MODERATE_ITEM",
    "VESPER_ALERT_WORSENING_RISE",
    "VESPER_ALERT_BASELINE_DAYS",
    "VESPER_DEFAULT_CHECKIN_INTERVAL_DAYS",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_alert_variables_are_listed_as_settings() -> None:
    assert set(VARIABLES) <= set(ENVIRONMENT_VARIABLES), (
        "an operator reading the settings list would not learn that alert thresholds can be tuned"
    )


def test_unset_or_blank_variables_give_the_clinical_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    assert alert_thresholds() == DEFAULT_THRESHOLDS
    monkeypatch.setenv("VESPER_ALERT_SEVERE_ITEM", "  ")
    assert alert_thresholds() == DEFAULT_THRESHOLDS, "an empty setting would stop the portal from starting"


def test_custom_values_change_the_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in zip(VARIABLES, ["8", "5", "6", "3", "2"], strict=True):
        monkeypatch.setenv(name, value)
    t = alert_thresholds()
    assert (
        t.severe_item,
        t.moderate_item,
        t.worsening_total_rise,
        t.baseline_days,
        t.default_checkin_interval_days,
    ) == (8, 5, 6, 3, 2), "a service's tuned thresholds would be ignored"


def test_a_raised_severe_threshold_changes_which_checkins_alert(monkeypatch: pytest.MonkeyPatch) -> None:
    at = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    new = Checkin(at=at, items=dict.fromkeys(ITEM_KEYS, 2) | {"pain": 7})
    assert [f.rule for f in evaluate_checkin([], new, alert_thresholds())] == [AlertRule.SEVERE]
    monkeypatch.setenv("VESPER_ALERT_SEVERE_ITEM", "8")
    assert evaluate_checkin([], new, alert_thresholds()) == [], (
        "pain 7/10 would still alert a service that set severe to 8 or more"
    )


@pytest.mark.parametrize("raw", ["seven", "7.5", "7 days"])
def test_a_value_that_is_not_a_whole_number_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("VESPER_ALERT_BASELINE_DAYS", raw)
    with pytest.raises(ValueError, match="VESPER_ALERT_BASELINE_DAYS must be a whole number"):
        alert_thresholds()


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("VESPER_ALERT_SEVERE_ITEM", "11"),
        ("VESPER_ALERT_MODERATE_ITEM", "0"),
        ("VESPER_ALERT_WORSENING_RISE", "0"),
        ("VESPER_ALERT_BASELINE_DAYS", "-1"),
        ("VESPER_DEFAULT_CHECKIN_INTERVAL_DAYS", "0"),
    ],
)
def test_an_out_of_range_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, raw: str
) -> None:
    monkeypatch.setenv(name, raw)
    with pytest.raises(ValueError, match=name):
        alert_thresholds()


def test_moderate_above_severe_is_refused_naming_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VESPER_ALERT_MODERATE_ITEM", "8")
    with pytest.raises(ValueError) as excinfo:
        alert_thresholds()
    message = str(excinfo.value)
    assert "VESPER_ALERT_MODERATE_ITEM=8" in message and "VESPER_ALERT_SEVERE_ITEM=7" in message, (
        f"the operator would be told {message!r} and not which settings disagree"
    )
