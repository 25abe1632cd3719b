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


def coloured(score: int, text: str) -> str:
    """Markdown for `text` in the colour of the score's band; the text itself must name the band too."""
    return f":{_COLOURS[severity(score)]}[{text}]"
