import pytest

from clinical.esas import ITEM_KEYS, Severity, scores, severity


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0, Severity.NONE),
        (1, Severity.MILD),
        (3, Severity.MILD),
        (4, Severity.MODERATE),
        (6, Severity.MODERATE),
        (7, Severity.SEVERE),
        (10, Severity.SEVERE),
    ],
)
def test_severity_bands(score, band):
    assert severity(score) is band


def test_out_of_range_score_is_refused():
    with pytest.raises(ValueError, match="0 to 10"):
        severity(11)


def test_subscores():
    items = dict.fromkeys(ITEM_KEYS, 1) | {"depression": 5, "anxiety": 4}
    result = scores(items)
    assert (result.total, result.physical, result.emotional) == (16, 6, 9)


def test_missing_item_makes_the_total_unknown_not_smaller():
    items = dict.fromkeys(ITEM_KEYS, 3) | {"pain": None}
    result = scores(items)
    assert result.total is None and result.physical is None, "a skipped item must not look like improvement"
    assert result.emotional == 6
