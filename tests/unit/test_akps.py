"""AKPS levels (Abernethy et al., BMC Palliative Care 2005;4:7)."""

from __future__ import annotations

import pytest

from clinical.akps import CITATION, LEVELS, describe, validate_akps


def test_the_eleven_levels_run_from_100_down_to_0_in_tens() -> None:
    assert list(LEVELS) == list(range(100, -1, -10)), (
        "the AKPS picker would offer levels that do not exist, or miss some, or list them out of order"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (100, "100: Normal; no complaints; no evidence of disease"),
        (70, "70: Cares for self; unable to carry on normal activity or to do active work"),
        (40, "40: In bed more than 50% of the time"),
        (20, "20: Totally bedfast and requiring extensive nursing care by professionals and/or family"),
        (0, "0: Dead"),
    ],
)
def test_describe_shows_the_published_description(value: int, expected: str) -> None:
    assert describe(value) == expected, "a clinician would rate function against the wrong description"


def test_the_citation_names_the_open_access_source() -> None:
    assert "Abernethy" in CITATION and "BMC Palliative Care 2005;4:7" in CITATION, (
        "the AKPS descriptions would be shown without the citation the licence asks for"
    )


@pytest.mark.parametrize("value", [0, 10, 50, 100])
def test_every_level_is_accepted(value: int) -> None:
    assert validate_akps(value) is None, f"a clinician could not record AKPS {value}"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (75, "AKPS goes in steps of 10 (0, 10, 20 ... 100), got 75"),
        (110, "AKPS runs from 0 to 100, got 110"),
        (-10, "AKPS runs from 0 to 100, got -10"),
        ("50", "AKPS must be a whole number from 0 to 100 in steps of 10, got '50'"),
        (50.0, "AKPS must be a whole number from 0 to 100 in steps of 10, got 50.0"),
        (True, "AKPS must be a whole number from 0 to 100 in steps of 10, got True"),
    ],
)
def test_impossible_levels_are_refused_in_plain_words(value: object, message: str) -> None:
    assert validate_akps(value) == message, "a mistyped AKPS would be stored, or refused without saying why"


def test_describe_refuses_an_impossible_level() -> None:
    with pytest.raises(ValueError, match="steps of 10"):
        describe(45)
