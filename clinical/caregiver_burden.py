"""Caregiver burden as a total score only: the Zarit Burden Interview, short forms ZBI-12 and ZBI-4.

No item text may be shipped: the Zarit items are licensed by Mapi Research Trust (CLINICAL.md), so the portal
never shows, stores or paraphrases them. A clinician administers the licensed form outside the portal and
enters the total here; this module knows only each version's name and its total range. Higher is more burden.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Instrument(enum.StrEnum):
    """The value is what db.models.ClinicianRating.caregiver_burden_instrument stores."""

    ZBI_12 = enum.auto()
    ZBI_4 = enum.auto()


@dataclass(frozen=True)
class TotalRange:
    """A ZBI version's name and item count. Each item is scored 0-4, so its total runs from 0 to 4 x the
    number of items."""

    name: str
    items: int
    minimum = 0

    @property
    def maximum(self) -> int:
        return 4 * self.items


RANGES: dict[Instrument, TotalRange] = {
    Instrument.ZBI_12: TotalRange("Zarit Burden Interview, 12-item (ZBI-12)", 12),
    Instrument.ZBI_4: TotalRange("Zarit Burden Interview, 4-item screen (ZBI-4)", 4),
}


def validate_total(instrument: Instrument | str, total: object) -> str | None:
    """A plain message saying what is wrong with a caregiver-burden total, or None when it is in range.

    The range depends on the version, so a ZBI-12 total entered as ZBI-4 (e.g. 30) is caught rather than
    stored as an impossible score.
    """
    try:
        known = Instrument(instrument)
    except ValueError:
        names = ", ".join(r.name for r in RANGES.values())
        return (
            f"{instrument!r} is not a caregiver-burden instrument the portal records; choose one of: {names}"
        )
    r = RANGES[known]
    if isinstance(total, bool) or not isinstance(total, int):
        return f"The {r.name} total must be a whole number from {r.minimum} to {r.maximum}, got {total!r}"
    if not r.minimum <= total <= r.maximum:
        return f"The {r.name} total runs from {r.minimum} to {r.maximum}, got {total}"
    return None
