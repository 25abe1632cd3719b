"""What the team concluded about one case at a conference: discussed (with a summary of the decision),
deferred (to a date or to the next conference), or not reached. The rules a recorded outcome keeps.

Pure Python over a small dataclass, so the rules can be read and tested without a database or a screen:
services.agenda stores the outcome and decides who may record it. Every "no" is a plain sentence the
screen shows as written, so the chair can correct the form mid-meeting without asking what it means.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, replace

from clinical import typed_text

# A summary is a few lines of what was decided, not the minutes: the plan items carry the detail.
SUMMARY_MAX = 2000

NEEDS_KIND = "Say what happened to the case: discussed, deferred or not reached."
NEEDS_SUMMARY = "Write a short summary of what the team decided."
NEEDS_WHEN = "Say when the case will be discussed: a date or the next conference."
DATE_NOT_AFTER_TODAY = "The date to discuss the case again must be after today."


class OutcomeKind(enum.StrEnum):
    DISCUSSED = "discussed"
    DEFERRED = "deferred"
    NOT_REACHED = "not_reached"


@dataclass(frozen=True)
class OutcomeDraft:
    """An outcome as the chair filled it in. The deferral fields mean something only for "deferred"."""

    kind: OutcomeKind
    summary: str = ""
    deferred_until: dt.date | None = None
    deferred_to_next_conference: bool = False


def problems(draft: OutcomeDraft, today: dt.date) -> list[str]:
    """Plain sentences, empty when the draft may be saved."""
    if draft.kind not in set(OutcomeKind):  # a form that sent a plain string it should not have
        return [NEEDS_KIND]
    found: list[str] = []
    summary = typed_text.clean(draft.summary)
    if draft.kind == OutcomeKind.DISCUSSED and not summary:
        found.append(NEEDS_SUMMARY)
    if draft.kind == OutcomeKind.DEFERRED:
        # Exactly one of the two: a case deferred to both a date and the next conference has no one "when".
        if (draft.deferred_until is not None) == bool(draft.deferred_to_next_conference):
            found.append(NEEDS_WHEN)
        elif draft.deferred_until is not None and draft.deferred_until <= today:
            found.append(DATE_NOT_AFTER_TODAY)
        elif draft.deferred_until is not None and (late := typed_text.date_problem(draft.deferred_until)):
            found.append(f"{late[0].upper()}{late[1:]}.")
    if (unstorable := typed_text.unstorable(summary)) is not None:
        found.append(f"The summary {unstorable}.")
    if len(summary) > SUMMARY_MAX:
        found.append(
            f"The summary is {len(summary)} characters long; please keep it to {SUMMARY_MAX} or fewer."
        )
    return found


def cleaned(draft: OutcomeDraft) -> OutcomeDraft:
    """The draft as it is stored: the summary stripped, and the deferral fields kept only for "deferred"
    (a case discussed after all is no longer deferred to anything a form left filled in)."""
    kind = OutcomeKind(draft.kind)
    summary = typed_text.clean(draft.summary)
    if kind is OutcomeKind.DEFERRED:
        return replace(draft, kind=kind, summary=summary)
    return OutcomeDraft(kind, summary)
