"""ESAS-r items, scores and bands (CLINICAL.md, "ESAS-r"). Expected scores are worked by hand in comments."""

import pytest

from clinical.esas import (
    INSTRUCTION,
    ITEM_KEYS,
    ITEMS,
    OTHER_PROBLEM,
    SPANISH_AVAILABLE,
    Severity,
    scores,
    severity,
    validate_item_scores,
)


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


# --- scores ----------------------------------------------------------------------------------------------


def test_total_physical_and_emotional_scores():
    items = {
        "pain": 5,
        "tiredness": 6,
        "drowsiness": 2,
        "nausea": 0,
        "lack_of_appetite": 4,
        "shortness_of_breath": 3,
        "depression": 7,
        "anxiety": 1,
        "wellbeing": 8,
    }
    result = scores(items)
    # physical: pain 5 + tiredness 6 + drowsiness 2 + nausea 0 + appetite 4 + breath 3 = 20
    # emotional: depression 7 + anxiety 1 = 8
    # total: physical 20 + emotional 8 + wellbeing 8 = 36
    assert (result.total, result.physical, result.emotional) == (36, 20, 8), (
        "the chart would show the wrong symptom distress"
    )


def test_scores_span_0_to_90_60_and_20():
    # All 0: 0 everywhere. All 10: total 9 x 10 = 90, physical 6 x 10 = 60, emotional 2 x 10 = 20.
    low = scores(dict.fromkeys(ITEM_KEYS, 0))
    high = scores(dict.fromkeys(ITEM_KEYS, 10))
    assert (low.total, low.physical, low.emotional) == (0, 0, 0)
    assert (high.total, high.physical, high.emotional) == (90, 60, 20), (
        "the worst possible check-in would not reach the top of the published scales"
    )


def test_wellbeing_counts_in_the_total_but_in_neither_subscore():
    # All 1 except wellbeing 9: total 8 x 1 + 9 = 17, physical 6, emotional 2.
    result = scores(dict.fromkeys(ITEM_KEYS, 1) | {"wellbeing": 9})
    assert (result.total, result.physical, result.emotional) == (17, 6, 2), (
        "feeling at one's worst overall would be left out of distress, or counted as a physical symptom"
    )


def test_missing_item_makes_the_total_unknown_not_smaller():
    items = dict.fromkeys(ITEM_KEYS, 3) | {"pain": None}
    result = scores(items)
    assert result.total is None and result.physical is None, "a skipped item must not look like improvement"
    # Emotional is still complete: depression 3 + anxiety 3 = 6.
    assert result.emotional == 6, "one skipped physical item would hide the emotional score too"


def test_missing_emotional_item_leaves_physical_known():
    # Physical: 6 items x 2 = 12; emotional and total unknown because anxiety is blank.
    result = scores(dict.fromkeys(ITEM_KEYS, 2) | {"anxiety": None})
    assert (result.total, result.physical, result.emotional) == (None, 12, None)


def test_item_absent_from_the_mapping_counts_as_blank():
    result = scores(dict.fromkeys(ITEM_KEYS[:-1], 2))  # wellbeing not answered at all
    assert result.total is None, "an unanswered wellbeing item would be added as 0"


# --- published form text ---------------------------------------------------------------------------------


def test_items_are_the_nine_esas_r_items_in_form_order_with_their_anchors():
    assert [(i.label, i.low_anchor, i.high_anchor) for i in ITEMS] == [
        ("Pain", "No pain", "Worst possible pain"),
        ("Tiredness (lack of energy)", "No tiredness", "Worst possible tiredness"),
        ("Drowsiness (feeling sleepy)", "No drowsiness", "Worst possible drowsiness"),
        ("Nausea", "No nausea", "Worst possible nausea"),
        ("Lack of appetite", "No lack of appetite", "Worst possible lack of appetite"),
        ("Shortness of breath", "No shortness of breath", "Worst possible shortness of breath"),
        ("Depression (feeling sad)", "No depression", "Worst possible depression"),
        ("Anxiety (feeling nervous)", "No anxiety", "Worst possible anxiety"),
        ("Wellbeing (how you feel overall)", "Best wellbeing", "Worst possible wellbeing"),
    ], "the check-in form would not show the published ESAS-r wording the licence requires"


def test_other_problem_is_offered_but_stays_out_of_the_scores():
    assert (OTHER_PROBLEM.label, OTHER_PROBLEM.low_anchor, OTHER_PROBLEM.high_anchor) == (
        "Other problem (for example constipation)",
        "No other problem",
        "Worst possible other problem",
    )
    assert OTHER_PROBLEM.key not in ITEM_KEYS, (
        "a patient's own extra symptom would be added to the published 0-90 total"
    )


def test_instruction_keeps_the_published_now():
    assert INSTRUCTION == "Please choose the number that best describes how you feel NOW:", (
        "patients would be asked something other than how they feel now, so scores would mean something else"
    )


def test_only_english_is_offered():
    assert SPANISH_AVAILABLE is False, "an unlicensed Spanish wording would be shown under the ESAS-r name"


# --- input validation ------------------------------------------------------------------------------------


def test_valid_scores_and_blanks_have_no_problems():
    assert validate_item_scores(dict.fromkeys(ITEM_KEYS, 0) | {"pain": 10, "nausea": None}) == [], (
        "a patient's valid check-in (with one item skipped) would be refused"
    )
    assert validate_item_scores({}) == [], "a check-in with every item skipped would be refused as invalid"


def test_each_bad_score_is_named_in_plain_words():
    problems = validate_item_scores(
        {"pain": 11, "nausea": 2.5, "anxiety": "7", "wellbeing": True, "constipation": 4, "depression": -1}
    )
    assert problems == [
        "'constipation' is not an ESAS-r item",
        "Pain: 11 is outside the scale; choose a whole number from 0 to 10",
        "Nausea: 2.5 is not a whole number; choose a whole number from 0 to 10",
        "Depression (feeling sad): -1 is outside the scale; choose a whole number from 0 to 10",
        "Anxiety (feeling nervous): '7' is not a whole number; choose a whole number from 0 to 10",
        "Wellbeing (how you feel overall): True is not a whole number; choose a whole number from 0 to 10",
    ], "the person entering the check-in would not be told which score is wrong and how to fix it"
