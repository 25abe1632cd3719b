"""A case's outcome: what the chair must say for each kind, in plain words, before it may be saved."""

from __future__ import annotations

import datetime as dt

import pytest

from clinical.case_outcome import SUMMARY_MAX, OutcomeDraft, OutcomeKind, cleaned, problems

TODAY = dt.date(2026, 11, 30)
TOMORROW = TODAY + dt.timedelta(days=1)
NEEDS_SUMMARY = "Write a short summary of what the team decided."
NEEDS_WHEN = "Say when the case will be discussed: a date or the next conference."


def test_a_discussed_case_with_a_summary_may_be_saved():
    assert problems(OutcomeDraft(OutcomeKind.DISCUSSED, "Start a syringe driver."), TODAY) == [], (
        "the chair could not save an ordinary decision"
    )


@pytest.mark.parametrize("summary", ["", "   ", "\n\t "])
def test_a_discussed_case_needs_a_summary_of_the_decision(summary):
    assert problems(OutcomeDraft(OutcomeKind.DISCUSSED, summary), TODAY) == [NEEDS_SUMMARY], (
        "a case marked discussed could be saved with no word of what the team decided"
    )


@pytest.mark.parametrize(
    ("until", "to_next"),
    [(TOMORROW, False), (None, True)],
    ids=["to a date", "to the next conference"],
)
def test_a_deferred_case_names_a_date_or_the_next_conference(until, to_next):
    draft = OutcomeDraft(OutcomeKind.DEFERRED, deferred_until=until, deferred_to_next_conference=to_next)
    assert problems(draft, TODAY) == [], "the chair could not defer a case in either of the two ways offered"


@pytest.mark.parametrize(
    ("until", "to_next"),
    [(None, False), (TOMORROW, True)],
    ids=["neither", "both"],
)
def test_a_deferred_case_needs_exactly_one_when(until, to_next):
    draft = OutcomeDraft(OutcomeKind.DEFERRED, deferred_until=until, deferred_to_next_conference=to_next)
    assert problems(draft, TODAY) == [NEEDS_WHEN], (
        "a deferred case could be saved with no single answer to when it will be discussed"
    )


@pytest.mark.parametrize("until", [TODAY, TODAY - dt.timedelta(days=3)], ids=["today", "in the past"])
def test_a_deferral_date_must_be_after_today(until):
    said = problems(OutcomeDraft(OutcomeKind.DEFERRED, deferred_until=until), TODAY)
    assert len(said) == 1 and "after today" in said[0], (
        "a case could be deferred to a day already gone, and nobody would bring it back"
    )


def test_a_case_not_reached_needs_nothing_but_may_carry_a_note():
    assert problems(OutcomeDraft(OutcomeKind.NOT_REACHED), TODAY) == [], (
        "the chair could not close a case the meeting ran out of time for"
    )
    assert problems(OutcomeDraft(OutcomeKind.NOT_REACHED, "Out of time; family to be called."), TODAY) == []


@pytest.mark.parametrize("kind", list(OutcomeKind))
def test_a_summary_is_at_most_summary_max_characters_after_stripping(kind):
    extra = {"deferred_to_next_conference": True} if kind is OutcomeKind.DEFERRED else {}
    longest = OutcomeDraft(kind, "  " + "x" * SUMMARY_MAX + "  ", **extra)
    assert problems(longest, TODAY) == [], "spaces round a summary of the longest length counted against it"
    too_long = OutcomeDraft(kind, "x" * (SUMMARY_MAX + 1), **extra)
    said = problems(too_long, TODAY)
    assert len(said) == 1 and str(SUMMARY_MAX) in said[0], (
        "an over-long summary was accepted, or refused without saying the limit"
    )


def test_every_problem_is_a_sentence_and_several_are_all_said():
    said = problems(OutcomeDraft(OutcomeKind.DEFERRED, "x" * (SUMMARY_MAX + 1)), TODAY)
    assert len(said) == 2, "the chair would fix one problem only to be told of the next"
    assert all(s[0].isupper() and s.endswith(".") for s in said), (
        "a refusal the screen shows is not a sentence"
    )


def test_a_kind_that_is_not_an_outcome_is_refused_in_words():
    said = problems(OutcomeDraft("postponed"), TODAY)  # type: ignore[arg-type]
    assert len(said) == 1 and "discussed, deferred or not reached" in said[0]


def test_cleaned_strips_the_summary_and_keeps_deferral_only_for_deferred():
    assert (
        cleaned(OutcomeDraft(OutcomeKind.DISCUSSED, "  Home with hospice.\n")).summary == "Home with hospice."
    ), "the stored summary would keep the form's stray spaces"
    left_over = OutcomeDraft(OutcomeKind.DISCUSSED, "Decided.", TOMORROW, True)
    assert cleaned(left_over) == OutcomeDraft(OutcomeKind.DISCUSSED, "Decided."), (
        "a case discussed after all would still read as deferred"
    )
    deferred = OutcomeDraft(OutcomeKind.DEFERRED, " Wait for scan. ", TOMORROW)
    assert cleaned(deferred) == OutcomeDraft(OutcomeKind.DEFERRED, "Wait for scan.", TOMORROW)
