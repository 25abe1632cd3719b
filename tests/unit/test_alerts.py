"""Alert rules (CLINICAL.md, "Alert rules"): pure tests of clinical.alerts, one behaviour per test.

Assertion messages say what a clinician would notice on the ward if the rule broke.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from clinical.alerts import (
    DEFAULT_THRESHOLDS,
    AlertRule,
    AlertThresholds,
    Checkin,
    Finding,
    evaluate_checkin,
    missed_checkin,
    suppress_repeats,
)
from clinical.esas import ITEM_KEYS

NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
# Every item mild (2): total 18. Far from every threshold, so a test changes only what it is about.
CALM = dict.fromkeys(ITEM_KEYS, 2)


def checkin(days_ago: float, **changes: int | None) -> Checkin:
    return Checkin(at=NOW - dt.timedelta(days=days_ago), items=CALM | changes)


def rules(findings: list[Finding]) -> list[tuple[AlertRule, str | None]]:
    return [(f.rule, f.item) for f in findings]


def only(findings: list[Finding], rule: AlertRule) -> list[Finding]:
    return [f for f in findings if f.rule is rule]


# --- configuration ---------------------------------------------------------------------------------------


def test_default_thresholds_are_the_ones_in_clinical_md() -> None:
    t = AlertThresholds()
    assert (t.severe_item, t.moderate_item, t.worsening_total_rise, t.baseline_days) == (7, 4, 4, 7), (
        "alerts would fire at thresholds other than the agreed ESAS-r cut-offs (7 severe, 4 moderate, "
        "total +4 over a 7-day baseline)"
    )
    assert t.default_checkin_interval_days == 3, "patients with no agreed interval would be chased on a whim"
    assert t == DEFAULT_THRESHOLDS, "the rules would run with other thresholds than the documented defaults"


@pytest.mark.parametrize(
    "changes",
    [
        {"severe_item": 11},
        {"moderate_item": 0},
        {"moderate_item": 8, "severe_item": 7},
        {"worsening_total_rise": 0},
        {"baseline_days": 0},
        {"default_checkin_interval_days": 0},
    ],
)
def test_nonsensical_thresholds_are_refused(changes: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        AlertThresholds(**changes)


def test_thresholds_are_configuration() -> None:
    strict = AlertThresholds(severe_item=8, moderate_item=5, worsening_total_rise=6, baseline_days=3)
    history = [checkin(2, pain=3, tiredness=5)]  # total 22
    new = checkin(0, pain=4, nausea=4, tiredness=7)  # total 27: +5 over the baseline
    assert evaluate_checkin(history, new, strict) == [], (
        "a service that raised its thresholds would still be alerted at the defaults"
    )
    assert rules(evaluate_checkin(history, new)) == [
        (AlertRule.SEVERE, "tiredness"),
        (AlertRule.NEW_MODERATE, "pain"),
        (AlertRule.NEW_MODERATE, "nausea"),
        (AlertRule.WORSENING, None),
    ]


# --- check-in validation ---------------------------------------------------------------------------------


def test_checkin_refuses_naive_times_unknown_items_and_scores_outside_0_10() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Checkin(at=NOW.replace(tzinfo=None), items=CALM)
    with pytest.raises(ValueError, match="not ESAS-r items"):
        Checkin(at=NOW, items=CALM | {"constipation": 5})
    with pytest.raises(ValueError, match="0 to 10"):
        Checkin(at=NOW, items=CALM | {"pain": 11})


def test_checkin_items_are_frozen_and_complete() -> None:
    source = {"pain": 5}
    c = Checkin(at=NOW, items=source)
    source["pain"] = 0
    assert c.items["pain"] == 5, "editing a form after submission would silently change what was alerted on"
    assert c.items["nausea"] is None, "an item not answered must read as blank, not crash the rules"
    with pytest.raises(TypeError):
        c.items["pain"] = 1  # type: ignore[index]


# --- rule 1: severe --------------------------------------------------------------------------------------


def test_severe_fires_at_7_not_at_6() -> None:
    assert only(evaluate_checkin([], checkin(0, pain=6)), AlertRule.SEVERE) == [], (
        "pain 6/10 (moderate) would be flagged as severe"
    )
    [finding] = only(evaluate_checkin([], checkin(0, pain=7)), AlertRule.SEVERE)
    assert (finding.item, finding.condition_key) == ("pain", "severe:pain")
    assert finding.message == "Pain 7/10 (severe)", f"the alert would read {finding.message!r}"


def test_severe_fires_once_per_severe_item_with_its_published_label() -> None:
    findings = only(evaluate_checkin([], checkin(0, shortness_of_breath=10, tiredness=8)), AlertRule.SEVERE)
    assert [f.message for f in findings] == [
        "Tiredness (lack of energy) 8/10 (severe)",
        "Shortness of breath 10/10 (severe)",
    ], "the alert list would not name each severe symptom with its ESAS-r label, in form order"


def test_severe_wellbeing_counts() -> None:
    [finding] = only(evaluate_checkin([], checkin(0, wellbeing=8)), AlertRule.SEVERE)
    assert finding.message == "Wellbeing (how you feel overall) 8/10 (severe)", (
        "a patient feeling at their worst overall would raise no alert"
    )


def test_first_ever_checkin_raises_only_severe_alerts() -> None:
    # Pain 9, nausea 5, everything else 2: total 9 + 5 + 7 x 2 = 28, far above any calm baseline, but there
    # is no earlier check-in for nausea to have crossed from and no baseline week for the total.
    findings = evaluate_checkin([], checkin(0, pain=9, nausea=5))
    assert rules(findings) == [(AlertRule.SEVERE, "pain")], (
        "a new patient's first check-in would either hide pain 9/10 or claim symptoms 'rose' and 'worsened' "
        "with nothing to compare with"
    )
    assert findings[0].message == "Pain 9/10 (severe)", "a first check-in would claim a jump from nowhere"


# --- rule 2: new moderate-or-worse -----------------------------------------------------------------------


def test_new_moderate_fires_on_3_to_4() -> None:
    [finding] = evaluate_checkin([checkin(2, shortness_of_breath=3)], checkin(0, shortness_of_breath=4))
    assert finding.rule is AlertRule.NEW_MODERATE and finding.item == "shortness_of_breath"
    assert finding.condition_key == "new_moderate:shortness_of_breath"
    assert finding.message == "Shortness of breath rose from 3 to 4 (now moderate)", (
        f"the nurse would read {finding.message!r} instead of the rise and the new band"
    )


@pytest.mark.parametrize(("before", "after"), [(3, 3), (2, 3), (4, 4), (4, 6), (5, 4), (6, 3)])
def test_new_moderate_does_not_fire_without_a_crossing(before: int, after: int) -> None:
    assert evaluate_checkin([checkin(2, pain=before)], checkin(0, pain=after)) == [], (
        f"pain going from {before} to {after} would raise a 'new moderate' alert: it did not cross into 4+"
    )


def test_jump_into_severe_is_one_severe_alert_that_names_the_jump() -> None:
    findings = evaluate_checkin([checkin(2, pain=2)], checkin(0, pain=8))
    assert rules(findings) == [(AlertRule.SEVERE, "pain"), (AlertRule.WORSENING, None)], (
        "pain jumping from 2 to 8 would put two alerts about the same pain on the list"
    )
    assert findings[0].message == "Pain 8/10 (severe), up from 2", (
        f"the severe alert would read {findings[0].message!r} and hide that the pain is new"
    )
    assert findings[0].condition_key == "severe:pain"


def test_severe_after_moderate_does_not_claim_a_jump() -> None:
    [finding] = evaluate_checkin([checkin(2, pain=5)], checkin(0, pain=7))
    assert finding.message == "Pain 7/10 (severe)", (
        f"pain already moderate would be described as a jump: {finding.message!r}"
    )


def test_new_moderate_compares_with_the_previous_checkin_not_an_older_one() -> None:
    history = [checkin(6, nausea=1), checkin(2, nausea=5)]
    assert evaluate_checkin(history, checkin(0, nausea=5)) == [], (
        "nausea already moderate at the last check-in would be alerted again as new"
    )
    history = [checkin(6, nausea=5), checkin(2, nausea=2)]
    assert rules(evaluate_checkin(history, checkin(0, nausea=5))) == [(AlertRule.NEW_MODERATE, "nausea")], (
        "nausea settling and then coming back would not be flagged"
    )


def test_history_order_does_not_matter_and_later_checkins_are_ignored() -> None:
    history = [checkin(2, pain=2), checkin(-1, pain=9), checkin(5, pain=6)]
    assert rules(evaluate_checkin(history, checkin(0, pain=5))) == [(AlertRule.NEW_MODERATE, "pain")], (
        "replaying a chart would compare a check-in with a later one, or with an older one than the last"
    )


def test_new_moderate_when_previous_item_blank_uses_the_last_answered_score() -> None:
    history = [checkin(4, pain=2), checkin(2, pain=None)]
    [finding] = only(evaluate_checkin(history, checkin(0, pain=6)), AlertRule.NEW_MODERATE)
    assert finding.message == "Pain rose from 2 to 6 (now moderate)", (
        "one skipped pain item would hide pain rising from mild to moderate"
    )


def test_new_moderate_needs_an_earlier_score() -> None:
    assert only(evaluate_checkin([], checkin(0, pain=5)), AlertRule.NEW_MODERATE) == [], (
        "a first check-in would claim pain 'rose' with nothing to rise from"
    )
    assert evaluate_checkin([checkin(2, pain=None)], checkin(0, pain=5)) == [], (
        "a blank pain score would be read as 0, so a first answered score would look like a rise"
    )


def test_blank_item_in_new_checkin_raises_nothing_for_it() -> None:
    findings = evaluate_checkin([checkin(2, pain=2)], checkin(0, pain=None))
    assert findings == [], "a skipped item would be treated as a score and raise an alert"


# --- rule 3: worsening -----------------------------------------------------------------------------------


def test_worsening_fires_on_a_rise_of_exactly_4_over_the_median() -> None:
    # Baseline totals 18, 18, 22: median 18. New total 22 = +4.
    history = [checkin(6), checkin(4), checkin(2, anxiety=6)]
    [finding] = evaluate_checkin(history, checkin(0, tiredness=3, drowsiness=3, nausea=3, wellbeing=3))
    assert finding.rule is AlertRule.WORSENING and finding.item is None
    assert finding.condition_key == "worsening:total"
    assert finding.message == "Total symptom distress 22, up 4 from the 7-day baseline of 18", (
        f"the worsening alert would read {finding.message!r}"
    )


def test_worsening_does_not_fire_on_a_rise_of_3() -> None:
    # Baseline totals 18, 18, 18: median 18. New total 6 x 2 + 3 x 3 = 21 = +3.
    history = [checkin(6), checkin(4), checkin(2)]
    new = checkin(0, tiredness=3, drowsiness=3, nausea=3)
    assert new.total == 21
    assert evaluate_checkin(history, new) == [], (
        "a rise of 3 (below the minimal important difference of 4) would alert the team"
    )


def test_worsening_uses_the_median_so_one_bad_day_does_not_set_the_baseline() -> None:
    history = [checkin(6), checkin(4), checkin(2, pain=3, tiredness=3, nausea=3, depression=3, anxiety=3)]
    # Totals 18, 18, 23: median 18 (a mean would be 19.7 and hide this +4).
    assert rules(only(evaluate_checkin(history, checkin(0, pain=6)), AlertRule.WORSENING)) == [
        (AlertRule.WORSENING, None)
    ], "one bad day in the baseline week would mask a real rise"


def test_worsening_median_of_an_even_count_shows_the_half() -> None:
    history = [checkin(5), checkin(2, pain=3)]  # totals 18, 19: median 18.5
    [finding] = only(
        evaluate_checkin(history, checkin(0, pain=3, nausea=3, depression=3, anxiety=3, wellbeing=3)),
        AlertRule.WORSENING,
    )  # total 23: +4.5
    assert finding.message == "Total symptom distress 23, up 4.5 from the 7-day baseline of 18.5", (
        f"a half-point median would be rounded away or shown as {finding.message!r}"
    )


def test_worsening_counts_wellbeing_in_the_total() -> None:
    history = [checkin(3)]  # baseline 18; new 8 x 2 + 6 = 22 = +4, all of it wellbeing
    assert only(evaluate_checkin(history, checkin(0, wellbeing=6)), AlertRule.WORSENING), (
        "feeling much worse overall (wellbeing 2 -> 6) would not count towards total distress"
    )


def test_worsening_baseline_is_only_the_prior_7_days() -> None:
    new = checkin(0, pain=3, nausea=3, anxiety=3, wellbeing=3)  # total 22
    at_edge = [checkin(7)]  # exactly 7 days before: inside the window
    assert rules(evaluate_checkin(at_edge, new)) == [(AlertRule.WORSENING, None)], (
        "last week's check-in, made at this same hour, would not count as the baseline"
    )
    too_old = [checkin(7.01)]
    assert evaluate_checkin(too_old, new) == [], (
        "a check-in from more than a week ago would serve as the baseline, so a slow drift would alert"
    )
    stale_low = [checkin(10), checkin(3, pain=3, nausea=3, anxiety=3, wellbeing=3)]  # 10 days: not baseline
    assert evaluate_checkin(stale_low, new) == [], (
        "distress that has been this high all week would be called 'worsening' against an older calm spell"
    )


def test_worsening_skips_without_a_baseline_or_with_blank_items() -> None:
    assert evaluate_checkin([], checkin(0, pain=6)) == [], "a first check-in would be called 'worse'"
    assert evaluate_checkin([checkin(2, pain=None)], checkin(0, pain=6)) == [], (
        "a total over eight items would be used as the baseline, understating it"
    )
    findings = evaluate_checkin([checkin(2)], checkin(0, pain=None, nausea=10))
    assert only(findings, AlertRule.WORSENING) == [], (
        "a total with an item missing would be compared as if complete"
    )
    assert [f.message for f in findings] == ["Nausea 10/10 (severe), up from 2"], (
        "one blank item would switch off the item alerts for the rest of the form"
    )


def test_worsening_ignores_blank_checkins_but_uses_complete_ones_in_the_week() -> None:
    history = [checkin(5), checkin(2, pain=None)]
    assert only(evaluate_checkin(history, checkin(0, pain=6)), AlertRule.WORSENING), (
        "one skipped item in the baseline week would switch off the worsening alert altogether"
    )


# --- rule 4: missed check-in -----------------------------------------------------------------------------


def test_missed_checkin_exactly_at_the_interval_is_on_time() -> None:
    last = NOW - dt.timedelta(days=3)
    assert missed_checkin(last, 3, NOW) is None, (
        "a patient who checks in every 3 days like clockwork would be chased on the third day"
    )


def test_missed_checkin_fires_once_the_interval_is_exceeded() -> None:
    last = NOW - dt.timedelta(days=3, seconds=1)
    finding = missed_checkin(last, 3, NOW)
    assert finding is not None, "a patient overdue for a check-in would not be followed up"
    assert (finding.rule, finding.item) == (AlertRule.MISSED_CHECKIN, None)
    assert finding.message == "No check-in for over 3 days (agreed every 3 days)", finding.message


def test_missed_checkin_message_and_key() -> None:
    last = dt.datetime(2026, 11, 24, 8, 15, tzinfo=dt.UTC)
    finding = missed_checkin(last, 3, NOW)
    assert finding is not None
    assert finding.message == "No check-in for 6 days (agreed every 3 days)", (
        f"the nurse would read {finding.message!r} and not know how overdue the patient is"
    )
    assert finding.condition_key == "missed_checkin:2026-11-24"


def test_missed_checkin_daily_interval_reads_naturally() -> None:
    finding = missed_checkin(NOW - dt.timedelta(days=2, hours=1), 1, NOW)
    assert finding is not None and finding.message == "No check-in for 2 days (agreed every day)", (
        "a daily check-in patient's alert would read 'every 1 days'"
    )


def test_missed_checkin_key_is_the_utc_date_whatever_the_zone() -> None:
    sydney = dt.timezone(dt.timedelta(hours=11))
    last = dt.datetime(2026, 11, 25, 8, 0, tzinfo=sydney)  # 2026-11-24 21:00 UTC
    finding = missed_checkin(last, 3, NOW)
    assert finding is not None and finding.condition_key == "missed_checkin:2026-11-24", (
        "the same gap could get two keys, and two alerts, depending on the server's time zone"
    )


def test_missed_checkin_uses_the_default_interval_when_none_was_agreed() -> None:
    last = NOW - dt.timedelta(days=4)
    assert missed_checkin(last, None, NOW) is not None
    assert missed_checkin(last, None, NOW, AlertThresholds(default_checkin_interval_days=5)) is None, (
        "a service that agreed a longer default interval would still chase patients at 3 days"
    )


def test_missed_checkin_without_any_checkin_is_not_an_alert() -> None:
    assert missed_checkin(None, 3, NOW) is None, "every newly enrolled patient would raise a missed check-in"


def test_missed_checkin_refuses_naive_times_and_a_zero_interval() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        missed_checkin(NOW - dt.timedelta(days=5), 3, NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="timezone-aware"):
        missed_checkin((NOW - dt.timedelta(days=5)).replace(tzinfo=None), 3, NOW)
    with pytest.raises(ValueError, match="at least 1 day"):
        missed_checkin(NOW - dt.timedelta(days=5), 0, NOW)


# --- no repeats ------------------------------------------------------------------------------------------


def test_suppress_repeats_drops_findings_whose_condition_is_open() -> None:
    findings = evaluate_checkin([checkin(2, pain=8, nausea=5)], checkin(0, pain=9, nausea=7))
    fresh = suppress_repeats(findings, {"severe:pain"})
    assert rules(fresh) == [(AlertRule.SEVERE, "nausea")], (
        "pain that stayed severe would raise a second alert while the first is still open"
    )


def test_suppress_repeats_keeps_new_conditions_and_drops_duplicates_in_one_batch() -> None:
    a = Finding(AlertRule.SEVERE, "pain", "Pain 8/10 (severe)", "severe:pain")
    b = Finding(AlertRule.SEVERE, "pain", "Pain 9/10 (severe)", "severe:pain")
    assert suppress_repeats([a, b], set()) == [a], "one condition would appear twice in the alert list"
    assert suppress_repeats([a], set()) == [a], "a new severe symptom would be swallowed"


def test_suppress_repeats_does_not_change_the_callers_set() -> None:
    open_keys = {"severe:nausea"}
    suppress_repeats([Finding(AlertRule.SEVERE, "pain", "Pain 8/10 (severe)", "severe:pain")], open_keys)
    assert open_keys == {"severe:nausea"}, (
        "evaluating one check-in would mark conditions open behind the scenes"
    )


def test_replay_raises_one_alert_per_severe_episode() -> None:
    """The lifecycle suppress_repeats is for: severe pain, staying severe, settling, returning."""
    scores = [2, 8, 9, 8, 3, 7]
    chart = [checkin(10 - 2 * i, pain=p) for i, p in enumerate(scores)]
    open_keys: set[str] = set()
    previous_keys: set[str] = set()
    raised: list[tuple[int, str]] = []
    for i, new in enumerate(chart):
        findings = evaluate_checkin(chart[:i], new)
        for f in suppress_repeats(findings, open_keys | previous_keys):
            raised.append((scores[i], f.condition_key))
        # Every alert is actioned the same day, so only the "still present" rule keeps repeats quiet.
        previous_keys = {f.condition_key for f in findings}
    severe = [score for score, key in raised if key == "severe:pain"]
    assert severe == [8, 7], (
        f"pain staying severe for three check-ins would alert {len(severe)} times, or its return after "
        "settling would not alert again"
    )


def test_missed_checkin_key_is_stable_over_one_gap_and_new_for_the_next() -> None:
    last = NOW - dt.timedelta(days=5)
    day4 = missed_checkin(last, 3, NOW - dt.timedelta(days=1))
    day5 = missed_checkin(last, 3, NOW)
    assert day4 is not None and day5 is not None
    assert suppress_repeats([day5], {day4.condition_key}) == [], (
        "a patient still not checking in would raise a fresh missed check-in alert every day"
    )
    later = missed_checkin(NOW, 3, NOW + dt.timedelta(days=4))
    assert later is not None and suppress_repeats([later], {day4.condition_key}) == [later], (
        "a second gap after the patient came back would be ignored"
    )


def test_findings_are_frozen() -> None:
    finding = Finding(AlertRule.SEVERE, "pain", "Pain 8/10 (severe)", "severe:pain")
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.message = "Pain 2/10"  # type: ignore[misc]
