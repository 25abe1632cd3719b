"""PCOC phase of care (CLINICAL.md, "PCOC phase of care")."""

from __future__ import annotations

import datetime as dt

import pytest

from clinical.pcoc import DEFINITIONS, PcocPhase, describe, unstable_too_long

START = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def test_every_phase_has_a_plain_definition() -> None:
    assert [p.value for p in PcocPhase] == ["stable", "unstable", "deteriorating", "terminal", "bereaved"]
    assert set(DEFINITIONS) == set(PcocPhase), "choosing a phase without a definition would break the form"


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        (
            PcocPhase.STABLE,
            "Stable: The current plan of care is keeping the patient's problems under control.",
        ),
        (
            "unstable",
            "Unstable: A new problem, or a rapid worsening of an existing one, needs an urgent change to the "
            "plan of care.",
        ),
        (
            PcocPhase.DETERIORATING,
            "Deteriorating: The patient's overall condition is declining gradually, as expected, and needs "
            "periodic review.",
        ),
        (PcocPhase.TERMINAL, "Terminal: Death is likely within days."),
        ("bereaved", "Bereaved: The patient has died; care continues as support for the family."),
    ],
)
def test_describe_names_the_phase_and_says_what_it_means(phase: PcocPhase | str, expected: str) -> None:
    assert describe(phase) == expected, "a clinician choosing a phase would not see what it means"


def test_describe_refuses_an_unknown_phase_by_listing_the_real_ones() -> None:
    with pytest.raises(ValueError, match="stable, unstable, deteriorating, terminal, bereaved"):
        describe("palliative")


def test_unstable_for_exactly_3_days_meets_the_benchmark() -> None:
    assert unstable_too_long(START, START + dt.timedelta(days=3)) is False, (
        "an unstable phase resolved on day 3 would be counted against the service's PCOC benchmark"
    )
    assert unstable_too_long(START, START + dt.timedelta(hours=1)) is False


def test_unstable_for_longer_than_3_days_misses_the_benchmark() -> None:
    assert unstable_too_long(START, START + dt.timedelta(days=3, seconds=1)) is True, (
        "a patient unstable for more than 3 days would not be flagged for review"
    )


def test_unstable_too_long_is_the_same_whatever_the_time_zone() -> None:
    sydney = dt.timezone(dt.timedelta(hours=11))
    # 3 days after START, written in Sydney time: still exactly on the benchmark.
    assert unstable_too_long(START, (START + dt.timedelta(days=3)).astimezone(sydney)) is False


def test_unstable_too_long_refuses_naive_times_and_a_start_in_the_future() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        unstable_too_long(START.replace(tzinfo=None), START)
    with pytest.raises(ValueError, match="after now"):
        unstable_too_long(START, START - dt.timedelta(days=1))
