"""No text reaches the database that shows something other than what is stored.

Every flush of every session checks each text value about to be written, inside JSON too (a goals-of-care
record is a JSON document): NUL and other control characters and bidirectional overrides are refused
(clinical/typed_text.py says why each). The refusal is raised before anything is written, so the
transaction rolls back and nothing changes; the screen shows the refusal's plain sentence, as it shows
every other refusal, instead of PostgreSQL's error behind Streamlit's generic one.

The services check what they are given as well (a required field with nothing visible in it is refused
there); this is the one place that holds for every table, the ones added later included.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, UOWTransaction

from auth.refusal import Refusal
from clinical import typed_text


class UnstorableText(Refusal):
    """Typed text that holds a character Vesper does not store."""


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in (*_texts(key), *_texts(item))]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _texts(item)]
    return []


def check(field: str, value: Any) -> None:
    """Refuse `value` (a string, or JSON holding strings) if any text in it cannot be stored."""
    for text in _texts(value):
        problem = typed_text.unstorable(text)
        if problem is not None:
            raise UnstorableText(f"Not saved: the {field.replace('_', ' ')} {problem}.")


@event.listens_for(Session, "before_flush")
def _refuse_unstorable_text(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    for instance in (*session.new, *session.dirty):
        state = inspect(instance)
        for attribute in state.mapper.column_attrs:
            # Only what is loaded or set: reading an unloaded column here would query in a flush.
            if attribute.key in state.dict:
                check(attribute.key, state.dict[attribute.key])
