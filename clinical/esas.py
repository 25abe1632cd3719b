"""ESAS-r (Edmonton Symptom Assessment System, revised; Alberta Health Services): items, scores, bands.

Item names, scale anchors and the instruction below are the published ESAS-r text, which the licence lets us
show verbatim with acknowledgement (see ACKNOWLEDGEMENT) but not reword, rename or extend under the ESAS-r
name. Thresholds follow CLINICAL.md.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

ACKNOWLEDGEMENT = (
    "Symptom items from the revised Edmonton Symptom Assessment System (ESAS-r), "
    "reproduced with acknowledgement to Alberta Health Services."
)


# English only: no published Spanish ESAS-r wording whose licence we could verify is bundled, and our own
# translation shown under the ESAS-r name would be the rewording the licence forbids. Turn this on only
# together with a licensed, published translation.
SPANISH_AVAILABLE = False

INSTRUCTION = "Please choose the number that best describes how you feel NOW:"
"""The ESAS-r instruction. The paper form says "circle"; on a screen the patient chooses, and nothing else
changes, so the published meaning (rate how you feel now, not over the past day or week) is kept."""


@dataclass(frozen=True)
class Item:
    """One ESAS-r item: its published name and the published words at each end of its 0-10 scale.

    low_anchor is what 0 means and high_anchor what 10 means, verbatim from the form, so a patient on a
    screen sees the same ends of the scale they would see on paper.
    """

    key: str
    label: str
    physical: bool
    emotional: bool
    low_anchor: str
    high_anchor: str


def _item(key: str, label: str, *, physical: bool = False, emotional: bool = False, low: str = "") -> Item:
    # The form's anchors read "No <symptom>" at 0 and "Worst possible <symptom>" at 10, the symptom in its
    # key's words; only wellbeing says something else at 0.
    symptom = key.replace("_", " ")
    return Item(key, label, physical, emotional, low or f"No {symptom}", f"Worst possible {symptom}")


ITEMS: tuple[Item, ...] = (
    _item("pain", "Pain", physical=True),
    _item("tiredness", "Tiredness (lack of energy)", physical=True),
    _item("drowsiness", "Drowsiness (feeling sleepy)", physical=True),
    _item("nausea", "Nausea", physical=True),
    _item("lack_of_appetite", "Lack of appetite", physical=True),
    _item("shortness_of_breath", "Shortness of breath", physical=True),
    _item("depression", "Depression (feeling sad)", emotional=True),
    _item("anxiety", "Anxiety (feeling nervous)", emotional=True),
    # Wellbeing runs the other way round in words (0 is the best, not the absence of something), but 10 is
    # still the worst, so it adds to distress like every other item.
    _item("wellbeing", "Wellbeing (how you feel overall)", low="Best wellbeing"),
)
ITEM_KEYS: tuple[str, ...] = tuple(i.key for i in ITEMS)
ITEM_LABELS: dict[str, str] = {i.key: i.label for i in ITEMS}

OTHER_PROBLEM = _item("other_problem", "Other problem (for example constipation)")
"""The form's optional tenth line, which the patient names. Deliberately not in ITEMS: it is a different
symptom for each patient, so it is in no total or subscore and raises no alert (the published total is the
nine items)."""


class Severity(enum.StrEnum):
    NONE = enum.auto()
    MILD = enum.auto()
    MODERATE = enum.auto()
    SEVERE = enum.auto()

    @property
    def label(self) -> str:
        return self.value.capitalize()


def severity(score: int) -> Severity:
    """0 none, 1-3 mild, 4-6 moderate, 7-10 severe."""
    if not 0 <= score <= 10:
        raise ValueError(f"ESAS-r scores run from 0 to 10, got {score}")
    if score == 0:
        return Severity.NONE
    if score <= 3:
        return Severity.MILD
    if score <= 6:
        return Severity.MODERATE
    return Severity.SEVERE


@dataclass(frozen=True)
class Scores:
    total: int | None
    physical: int | None
    emotional: int | None


def scores(items: Mapping[str, int | None]) -> Scores:
    """Total (0-90), physical (0-60), emotional (0-20). A subscore with any item missing is None:
    a sum over fewer items would look like an improvement that did not happen."""

    def _sum(keys: list[str]) -> int | None:
        values = [items.get(k) for k in keys]
        return None if any(v is None for v in values) else sum(v for v in values if v is not None)

    return Scores(
        total=_sum(list(ITEM_KEYS)),
        physical=_sum([i.key for i in ITEMS if i.physical]),
        emotional=_sum([i.key for i in ITEMS if i.emotional]),
    )


def validate_item_scores(items: Mapping[str, object]) -> list[str]:
    """What is wrong with a set of ESAS-r item scores, in words a patient or nurse can act on; [] when fine.

    A blank item (None) is fine: it is stored as blank, never as 0. Only the nine ESAS-r items are known
    here; the optional other problem is stored apart and is not one of them. True/False are refused even
    though Python counts them as numbers, because a checkbox value landing in a score is a form bug.
    """
    problems = []
    for key in sorted(set(items) - set(ITEM_KEYS)):
        problems.append(f"{key!r} is not an ESAS-r item")
    for key in ITEM_KEYS:
        if key not in items or items[key] is None:
            continue
        value = items[key]
        label = ITEM_LABELS[key]
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{label}: {value!r} is not a whole number; choose a whole number from 0 to 10")
        elif not 0 <= value <= 10:
            problems.append(f"{label}: {value} is outside the scale; choose a whole number from 0 to 10")
    return problems
