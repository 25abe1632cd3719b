"""AKPS: Australia-modified Karnofsky Performance Status, a clinician-rated level of function, 0-100 in 10s.

The level descriptions are the published ones (Abernethy et al., open access), shown with CITATION. Higher is
better: 100 is full health, 0 is death.
"""

from __future__ import annotations

CITATION = (
    "Abernethy AP, Shelby-James T, Fazekas BS, Woods D, Currow DC. The Australia-modified Karnofsky "
    "Performance Status (AKPS) scale: a revised scale for contemporary palliative care clinical practice. "
    "BMC Palliative Care 2005;4:7. doi:10.1186/1472-684X-4-7"
)

LEVELS: dict[int, str] = {
    100: "Normal; no complaints; no evidence of disease",
    90: "Able to carry on normal activity; minor signs or symptoms",
    80: "Normal activity with effort; some signs or symptoms of disease",
    70: "Cares for self; unable to carry on normal activity or to do active work",
    60: "Able to care for most needs; but requires occasional assistance",
    50: "Considerable assistance and frequent medical care required",
    40: "In bed more than 50% of the time",
    30: "Almost completely bedfast",
    20: "Totally bedfast and requiring extensive nursing care by professionals and/or family",
    10: "Comatose or barely rousable",
    0: "Dead",
}


def validate_akps(value: object) -> str | None:
    """A plain message saying what is wrong with an AKPS level, or None when it is one of the 11 levels.

    In-between values (e.g. 75) are refused rather than rounded: the scale has no such level, and rounding
    would record a function the clinician did not choose.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        return f"AKPS must be a whole number from 0 to 100 in steps of 10, got {value!r}"
    if not 0 <= value <= 100:
        return f"AKPS runs from 0 to 100, got {value}"
    if value % 10:
        return f"AKPS goes in steps of 10 (0, 10, 20 ... 100), got {value}"
    return None


def describe(value: int) -> str:
    """The level with its published description, e.g. "40: In bed more than 50% of the time"."""
    problem = validate_akps(value)
    if problem is not None:
        raise ValueError(problem)
    return f"{value}: {LEVELS[value]}"
