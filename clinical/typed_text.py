"""What a person may type into Vesper, and what counts as having typed something.

Three kinds of character are refused wherever text is stored, because each shows something other than
what is stored:
- NUL and other control characters (tab, line feed and carriage return excepted): PostgreSQL cannot store
  NUL at all, and the others are invisible on screen but present in exports and hashes;
- bidirectional overrides, embeddings and isolates (U+202A-U+202E, U+2066-U+2069), which reorder the text
  on screen, so a signed goals-of-care record could read differently from the words its hash covers.

And a required field is filled only when it holds a character a person can see: a zero-width space, a
word joiner or a soft hyphen alone is not a reason, a summary or a name.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

ALLOWED_CONTROLS = frozenset("\t\n\r")
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# The oldest and latest dates any date a person types may take (a conversation, a directive, a due date).
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)


def _invisible(char: str) -> bool:
    # Whitespace, and format characters (Unicode category Cf: zero-width space, joiners, soft hyphen, BOM).
    return char.isspace() or unicodedata.category(char) == "Cf"


def clean(text: str | None) -> str:
    """The text without invisible characters at either end ("" for None)."""
    if not text:
        return ""
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]


def is_blank(text: str | None) -> bool:
    """True when the text shows nothing a person can read."""
    return not clean(text)


def unstorable(text: str) -> str | None:
    """Why this text cannot be stored, in plain words, or None when it can."""
    for char in text:
        if char in BIDI_CONTROLS:
            return (
                "contains an invisible character that changes the direction of the text on screen; "
                "please type it again without it"
            )
        if unicodedata.category(char) == "Cc" and char not in ALLOWED_CONTROLS:
            return "contains an invisible control character; please type it again without it"
    return None


def date_problem(value: dt.date) -> str | None:
    """Why a typed date is not a real one for Vesper's purposes, or None."""
    if value < EARLIEST_DATE or value > LATEST_DATE:
        return (
            f"{value.isoformat()} is not a date Vesper can record; use a date between "
            f"{EARLIEST_DATE.year} and {LATEST_DATE.year}"
        )
    return None
