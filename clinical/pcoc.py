"""PCOC phase of care (Palliative Care Outcomes Collaboration): the clinician-rated stage of a patient's care.

The definitions below are our plain-language summaries of the public PCOC/AIHW definitions (CLINICAL.md),
not the published wording. Phases are not a sequence: a patient may go from unstable back to stable, or from
stable straight to terminal. A phase is recorded at the start of care, at each change and at the end.
"""

from __future__ import annotations

import datetime as dt
import enum


class PcocPhase(enum.StrEnum):
    """The PCOC phase of care; db.models stores it as this enum's values."""

    STABLE = enum.auto()
    UNSTABLE = enum.auto()
    DETERIORATING = enum.auto()
    TERMINAL = enum.auto()
    BEREAVED = enum.auto()

    @property
    def label(self) -> str:
        return self.value.capitalize()


DEFINITIONS: dict[PcocPhase, str] = {
    PcocPhase.STABLE: "The current plan of care is keeping the patient's problems under control.",
    PcocPhase.UNSTABLE: (
        "A new problem, or a rapid worsening of an existing one, needs an urgent change to the plan of care."
    ),
    PcocPhase.DETERIORATING: (
        "The patient's overall condition is declining gradually, as expected, and needs periodic review."
    ),
    PcocPhase.TERMINAL: "Death is likely within days.",
    PcocPhase.BEREAVED: "The patient has died; care continues as support for the family.",
}

UNSTABLE_BENCHMARK = dt.timedelta(days=3)
"""PCOC benchmark: an unstable phase should be resolved within 3 days (90% of them, across a service)."""


def describe(phase: PcocPhase | str) -> str:
    """The phase's name and plain definition, e.g. "Unstable: A new problem, ...".

    Accepts the stored string too, so a value read back from the database needs no conversion first.
    """
    try:
        p = PcocPhase(phase)
    except ValueError:
        known = ", ".join(p.value for p in PcocPhase)
        raise ValueError(f"{phase!r} is not a PCOC phase of care; expected one of: {known}") from None
    return f"{p.label}: {DEFINITIONS[p]}"


def unstable_too_long(started: dt.datetime, now: dt.datetime) -> bool:
    """True when an unstable phase that began at `started` has lasted longer than the 3-day benchmark.

    Exactly 3 days still meets the benchmark ("<= 3 days"). Both times must be timezone-aware: a naive time
    in the wrong zone shifts the count by hours, enough to flip the answer on the last day.
    """
    for value, what in ((started, "phase start"), (now, "now")):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{what} must be timezone-aware, got {value!r}")
    if now < started:
        raise ValueError(f"the phase cannot start ({started.isoformat()}) after now ({now.isoformat()})")
    return now - started > UNSTABLE_BENCHMARK
