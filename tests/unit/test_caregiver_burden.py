"""Caregiver burden: a Zarit total only, never its licensed item text (CLINICAL.md, "Instruments")."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import clinical.caregiver_burden as module
from clinical.caregiver_burden import RANGES, Instrument, validate_total


def test_instruments_and_their_total_ranges() -> None:
    # Each Zarit item scores 0-4: 12 items -> 0-48, 4 items -> 0-16.
    assert {i.value: (r.minimum, r.maximum) for i, r in RANGES.items()} == {
        "zbi_12": (0, 48),
        "zbi_4": (0, 16),
    }, "a clinician could enter a total the instrument cannot produce, or be refused a real one"


@pytest.mark.parametrize(
    ("instrument", "total"),
    [(Instrument.ZBI_12, 0), (Instrument.ZBI_12, 48), ("zbi_4", 0), ("zbi_4", 16)],
)
def test_totals_at_either_end_of_the_range_are_accepted(instrument: Instrument | str, total: int) -> None:
    assert validate_total(instrument, total) is None, f"a real {instrument} total of {total} would be refused"


@pytest.mark.parametrize(
    ("instrument", "total", "message"),
    [
        ("zbi_12", 49, "The Zarit Burden Interview, 12-item (ZBI-12) total runs from 0 to 48, got 49"),
        ("zbi_4", 17, "The Zarit Burden Interview, 4-item screen (ZBI-4) total runs from 0 to 16, got 17"),
        ("zbi_4", -1, "The Zarit Burden Interview, 4-item screen (ZBI-4) total runs from 0 to 16, got -1"),
        (
            "zbi_12",
            "20",
            "The Zarit Burden Interview, 12-item (ZBI-12) total must be a whole number from 0 to 48, "
            "got '20'",
        ),
        (
            "zbi_12",
            20.5,
            "The Zarit Burden Interview, 12-item (ZBI-12) total must be a whole number from 0 to 48, "
            "got 20.5",
        ),
    ],
)
def test_impossible_totals_are_refused_in_plain_words(instrument: str, total: object, message: str) -> None:
    assert validate_total(instrument, total) == message, (
        "an impossible burden total (such as a ZBI-12 total entered as ZBI-4) would be stored"
    )


def test_an_unknown_instrument_is_refused_by_listing_the_known_ones() -> None:
    message = validate_total("zbi_22", 30)
    assert message is not None and "ZBI-12" in message and "ZBI-4" in message, (
        "a total for an instrument the portal does not know would be stored with no range check"
    )


def test_the_module_ships_no_zarit_item_text() -> None:
    strings = [
        node.value
        for node in ast.walk(ast.parse(Path(module.__file__).read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    questions = [s for s in strings if "?" in s or "do you feel" in s.lower()]
    assert questions == [], f"licensed Zarit item text would be shipped: {questions}"
