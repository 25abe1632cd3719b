"""Symptom alert rules (CLINICAL.md, "Alert rules"): which check-ins need a clinician's attention.

Pure functions over frozen dataclasses, so the same rules run in the live portal, in the demo seed's replay
of history and in unit tests, and a reviewer can check them against CLINICAL.md without a database.

The four rules, with their default thresholds (every one is configuration: see AlertThresholds):

1. Severe: any ESAS-r item >= 7.
2. New moderate-or-worse: an item crosses from < 4 at the previous check-in to >= 4.
3. Worsening: total symptom distress rises by >= 4 over the median total of the prior 7 days.
4. Missed check-in: no check-in for longer than the patient's agreed interval (default 3 days).

Each Finding carries a condition key. The caller keeps the keys of conditions that already have an alert
and passes them to suppress_repeats, so an unchanged condition never raises a second alert (alert fatigue
is how real alerts get ignored).
"""

from __future__ import annotations

import datetime as dt
import enum
import statistics
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from clinical.esas import ITEM_KEYS, ITEM_LABELS, scores, severity


class AlertRule(enum.StrEnum):
    """Why an alert fired; db.models stores it as this enum's values."""

    SEVERE = enum.auto()
    NEW_MODERATE = enum.auto()
    WORSENING = enum.auto()
    MISSED_CHECKIN = enum.auto()


@dataclass(frozen=True)
class AlertThresholds:
    """The alert thresholds. Defaults are CLINICAL.md's; a service may tune them without a code change.

    severe_item: an item at or above this is severe (Selby 2010: >= 7).
    moderate_item: an item at or above this is moderate or worse (4 is the more sensitive cut).
    worsening_total_rise: a rise of the total this large over baseline is worsening (Hui: MCID 4 worse).
    baseline_days: the window before a check-in whose median total is the baseline.
    default_checkin_interval_days: the check-in interval when none was agreed with the patient.
    """

    severe_item: int = 7
    moderate_item: int = 4
    worsening_total_rise: int = 4
    baseline_days: int = 7
    default_checkin_interval_days: int = 3

    def __post_init__(self) -> None:
        # A mistyped configuration would silently stop (or flood) alerts, so refuse it at start-up.
        if not 1 <= self.moderate_item <= self.severe_item <= 10:
            raise ValueError(
                "alert thresholds need 1 <= moderate_item <= severe_item <= 10, "
                f"got moderate_item={self.moderate_item}, severe_item={self.severe_item}"
            )
        if self.worsening_total_rise < 1:
            raise ValueError(f"worsening_total_rise must be at least 1, got {self.worsening_total_rise}")
        if self.baseline_days < 1:
            raise ValueError(f"baseline_days must be at least 1, got {self.baseline_days}")
        if self.default_checkin_interval_days < 1:
            raise ValueError(
                f"default_checkin_interval_days must be at least 1, got {self.default_checkin_interval_days}"
            )


DEFAULT_THRESHOLDS = AlertThresholds()


@dataclass(frozen=True)
class Checkin:
    """One ESAS-r check-in: when, and the nine item scores (None for an item left blank, never 0).

    Items missing from `items` count as left blank. The mapping is copied and frozen, so a check-in that
    was evaluated cannot change under the alerts raised from it.
    """

    at: dt.datetime
    items: Mapping[str, int | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require_aware(self.at, "check-in time")
        unknown = set(self.items) - set(ITEM_KEYS)
        if unknown:
            raise ValueError(f"not ESAS-r items: {sorted(unknown)}; expected keys from {list(ITEM_KEYS)}")
        for value in self.items.values():
            if value is not None:
                severity(value)  # raises ValueError outside 0-10
        object.__setattr__(self, "items", types.MappingProxyType({k: self.items.get(k) for k in ITEM_KEYS}))

    @property
    def total(self) -> int | None:
        """Total symptom distress (0-90, wellbeing included); None when any item was left blank."""
        return scores(self.items).total


@dataclass(frozen=True)
class Finding:
    """One rule that fired: what a clinician should look at, and the condition it is about.

    item is the ESAS-r item key, or None for the total score and for a missed check-in.
    condition_key names the condition (e.g. "severe:pain", "worsening:total",
    "missed_checkin:2026-11-24") so the same unchanged condition can be recognised and not alerted twice.
    """

    rule: AlertRule
    item: str | None
    message: str
    condition_key: str


def evaluate_checkin(
    history: Sequence[Checkin],
    new: Checkin,
    thresholds: AlertThresholds = DEFAULT_THRESHOLDS,
) -> list[Finding]:
    """Rules 1-3 for a newly arrived check-in, in the order severe, new moderate, worsening.

    history: the patient's earlier check-ins, in any order. Entries at or after `new.at` are ignored, so a
    caller replaying a chart may pass the whole chart.

    One finding per item at most. An item that jumps from below 4 straight to 7 or more meets rules 1 and
    2 at once; it is reported once, as severe, with the jump in the message ("Pain 8/10 (severe), up from
    2"): the severe alert already calls for the more urgent response, and two alerts about one symptom
    at one check-in is the noise that teaches a team to skim past alerts. Rule 2 therefore reports
    crossings that land in the moderate band (4-6).

    Findings are not de-duplicated against open alerts here: call suppress_repeats for that.
    """
    earlier = sorted((c for c in history if c.at < new.at), key=lambda c: c.at)
    findings = [
        *_severe(earlier, new, thresholds),
        *_new_moderate(earlier, new, thresholds),
    ]
    worsening = _worsening(earlier, new, thresholds)
    if worsening is not None:
        findings.append(worsening)
    return findings


def missed_checkin(
    last_checkin_at: dt.datetime | None,
    interval_days: int | None,
    now: dt.datetime,
    thresholds: AlertThresholds = DEFAULT_THRESHOLDS,
) -> Finding | None:
    """Rule 4: a Finding when more than `interval_days` have passed since the last check-in, else None.

    Exactly the agreed interval is still on time: someone who checks in every 3 days at 9 a.m. is not late
    at 9 a.m. on day 3. interval_days None means no interval was agreed: the default threshold applies.

    A patient with no check-in at all gives None: there is no date to count from, and an alert on the
    day of enrolment would be noise; following up a first check-in that never came is enrolment's job.

    The condition key names the date of the last check-in, so one gap raises one alert however long it
    lasts, and the next gap (after a new check-in) is a new condition.
    """
    _require_aware(now, "now")
    interval = thresholds.default_checkin_interval_days if interval_days is None else interval_days
    if interval < 1:
        raise ValueError(f"a check-in interval must be at least 1 day, got {interval}")
    if last_checkin_at is None:
        return None
    _require_aware(last_checkin_at, "last check-in time")
    gap = now - last_checkin_at
    if gap <= dt.timedelta(days=interval):
        return None
    days = gap.days
    elapsed = _days(days) if days > interval else f"over {_days(interval)}"
    agreed = "every day" if interval == 1 else f"every {interval} days"
    return Finding(
        rule=AlertRule.MISSED_CHECKIN,
        item=None,
        message=f"No check-in for {elapsed} (agreed {agreed})",
        condition_key=f"{AlertRule.MISSED_CHECKIN}:{last_checkin_at.astimezone(dt.UTC).date().isoformat()}",
    )


def suppress_repeats(findings: Iterable[Finding], open_condition_keys: set[str]) -> list[Finding]:
    """The findings that are new conditions: those whose condition_key is not already open.

    "Alerts must not fire again for the same unchanged condition" (CLINICAL.md). The caller decides what
    is open, and should include:

    - the keys of alerts not yet actioned (open or acknowledged): the team already has them in hand;
    - the keys of conditions still present at the patient's previous check-in, even if their alert was
      actioned: a severe item that stays severe is the same condition. Only once it drops below 7 (so its
      key is no longer present) and its alert is actioned is a new rise to 7 or more a new condition, which
      alerts again.

    A key that appears twice in `findings` is kept once.
    """
    seen = set(open_condition_keys)
    fresh = []
    for finding in findings:
        if finding.condition_key in seen:
            continue
        seen.add(finding.condition_key)
        fresh.append(finding)
    return fresh


def _severe(earlier: Sequence[Checkin], new: Checkin, thresholds: AlertThresholds) -> list[Finding]:
    findings = []
    for key in ITEM_KEYS:
        value = new.items[key]
        if value is None or value < thresholds.severe_item:
            continue
        message = f"{ITEM_LABELS[key]} {value}/10 (severe)"
        previous = _previous_value(earlier, key)
        if previous is not None and previous < thresholds.moderate_item:
            message += f", up from {previous}"  # the jump rule 2 would have reported
        findings.append(
            Finding(
                rule=AlertRule.SEVERE, item=key, message=message, condition_key=f"{AlertRule.SEVERE}:{key}"
            )
        )
    return findings


def _new_moderate(earlier: Sequence[Checkin], new: Checkin, thresholds: AlertThresholds) -> list[Finding]:
    findings = []
    for key in ITEM_KEYS:
        value = new.items[key]
        # A jump straight into the severe band is reported once, by _severe.
        if value is None or not thresholds.moderate_item <= value < thresholds.severe_item:
            continue
        previous = _previous_value(earlier, key)
        # No earlier score for this item: there is nothing to have crossed from.
        if previous is None or previous >= thresholds.moderate_item:
            continue
        findings.append(
            Finding(
                rule=AlertRule.NEW_MODERATE,
                item=key,
                message=f"{ITEM_LABELS[key]} rose from {previous} to {value} (now moderate)",
                condition_key=f"{AlertRule.NEW_MODERATE}:{key}",
            )
        )
    return findings


def _previous_value(earlier: Sequence[Checkin], key: str) -> int | None:
    """The item's score at the previous check-in; if it was left blank there, the latest earlier score.

    Falling back matters: a patient who skipped the pain item once and then scores 6 has still crossed
    from mild to moderate, and a blank must not hide that.
    """
    for checkin in reversed(earlier):
        value = checkin.items[key]
        if value is not None:
            return value
    return None


def _worsening(earlier: Sequence[Checkin], new: Checkin, thresholds: AlertThresholds) -> Finding | None:
    total = new.total
    if total is None:
        # A total over fewer than nine items would look like an improvement, or hide a rise.
        return None
    window_start = new.at - dt.timedelta(days=thresholds.baseline_days)
    baseline_totals = [t for c in earlier if c.at >= window_start and (t := c.total) is not None]
    if not baseline_totals:
        return None  # no baseline week to compare with: a first check-in is not "worse"
    baseline = statistics.median(baseline_totals)
    rise = total - baseline
    if rise < thresholds.worsening_total_rise:
        return None
    return Finding(
        rule=AlertRule.WORSENING,
        item=None,
        message=(
            f"Total symptom distress {total}, up {_number(rise)} from the {thresholds.baseline_days}-day "
            f"baseline of {_number(baseline)}"
        ),
        condition_key=f"{AlertRule.WORSENING}:total",
    )


def _number(value: float) -> str:
    """32 as "32", a median of 32.5 as "32.5"."""
    return f"{value:g}"


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _require_aware(value: dt.datetime, what: str) -> None:
    # A naive time compared with an aware one raises deep inside the rules; one in the wrong zone shifts
    # every gap by hours. Say so at the door instead.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {value!r}")
