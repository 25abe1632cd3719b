"""What counts as typed text Vesper can store, and as a filled-in field (clinical/typed_text.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from clinical import typed_text


@pytest.mark.parametrize("nothing", ["", "   ", "\u200b", "\u200b \u2060", "\ufeff\n\t", "\u00ad"])
def test_text_with_nothing_to_read_is_blank(nothing):
    assert typed_text.is_blank(nothing), f"{nothing!r} would pass as a filled-in reason"


def test_clean_keeps_what_is_inside_and_drops_invisible_ends():
    assert typed_text.clean("\u200b Pain at night \u2060") == "Pain at night"
    assert typed_text.clean("Jean\u200bPaul") == "Jean\u200bPaul", "a joiner inside a word is the person's"
    assert typed_text.clean(None) == ""


@pytest.mark.parametrize("bad", ["a\x00b", "a\x1bb", "a\x7fb", "\u202eevil", "x\u2066y", "a\x85b"])
def test_control_and_direction_characters_cannot_be_stored(bad):
    assert typed_text.unstorable(bad) is not None, f"{bad!r} would be stored"


@pytest.mark.parametrize("good", ["Line one\nLine two", "Tab\there", "Nguyễn Văn Minh", "ok\r\n", "مرحبا"])
def test_ordinary_text_in_any_script_can_be_stored(good):
    assert typed_text.unstorable(good) is None


def test_dates_outside_1900_to_2100_are_refused_in_words():
    assert typed_text.date_problem(dt.date(2026, 12, 8)) is None
    assert "0001-01-01" in (typed_text.date_problem(dt.date(1, 1, 1)) or "")
    assert typed_text.date_problem(dt.date(9999, 12, 31)) is not None
