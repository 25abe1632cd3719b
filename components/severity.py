"""Severity shown as colour plus words, never colour alone."""

from __future__ import annotations

from clinical.esas import Severity, severity

_COLOURS = {Severity.NONE: "gray", Severity.MILD: "blue", Severity.MODERATE: "orange", Severity.SEVERE: "red"}


def badge(score: int | None) -> str:
    """Markdown for a coloured badge that also says the band and the number, e.g. 'Severe 8'."""
    if score is None:
        return ":gray-badge[Not answered]"
    band = severity(score)
    return f":{_COLOURS[band]}-badge[{band.label} {score}]"
