"""ESAS-r (Edmonton Symptom Assessment System, revised; Alberta Health Services): items, scores, bands.

Item names below are the published ESAS-r symptom names with their explanatory words, which the licence
lets us show verbatim with acknowledgement (see ACKNOWLEDGEMENT). Thresholds follow CLINICAL.md.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

ACKNOWLEDGEMENT = (
    "Symptom items from the revised Edmonton Symptom Assessment System (ESAS-r), "
    "reproduced with acknowledgement to Alberta Health Services."
)


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    physical: bool
    emotional: bool


ITEMS: tuple[Item, ...] = (
    Item("pain", "Pain", True, False),
    Item("tiredness", "Tiredness (lack of energy)", True, False),
    Item("drowsiness", "Drowsiness (feeling sleepy)", True, False),
    Item("nausea", "Nausea", True, False),
    Item("lack_of_appetite", "Lack of appetite", True, False),
    Item("shortness_of_breath", "Shortness of breath", True, False),
    Item("depression", "Depression (feeling sad)", False, True),
    Item("anxiety", "Anxiety (feeling nervous)", False, True),
    Item("wellbeing", "Wellbeing (how you feel overall)", False, False),
)
ITEM_KEYS: tuple[str, ...] = tuple(i.key for i in ITEMS)
ITEM_LABELS: dict[str, str] = {i.key: i.label for i in ITEMS}


class Severity(enum.StrEnum):
    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"

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
