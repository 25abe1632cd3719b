"""A goals-of-care record read-only (the final record, the sign-off panel, the family summary)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from clinical import goals_of_care as gc
from components.plain_text import plain_table


def readable(content: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, shown value) of every filled-in field, in form order, in the words the diff uses."""
    return [(change.label, change.before) for change in gc.diff(content, {})]


def render_content(content: Mapping[str, Any]) -> None:
    """The record, read-only: one line per filled-in field, in form order."""
    st.table(
        plain_table([{"Field": label, "Recorded": shown} for label, shown in readable(content)]),
        hide_index=True,
    )
    st.caption("Fields not listed were left blank.")
