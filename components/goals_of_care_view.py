"""A goals-of-care record read-only (the final record, the sign-off panel, the family summary), and text
someone typed made safe to show inside Markdown."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from clinical import goals_of_care as gc

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")


def md_escape(text: str) -> str:
    """Text someone typed, safe inside st.markdown: shown as typed, never as links, images or colours."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def readable(content: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, shown value) of every filled-in field, in form order, in the words the diff uses."""
    return [(change.label, change.before) for change in gc.diff(content, {})]


def render_content(content: Mapping[str, Any]) -> None:
    """The record, read-only: one line per filled-in field, in form order."""
    st.table(
        pd.DataFrame([{"Field": label, "Recorded": shown} for label, shown in readable(content)]),
        hide_index=True,
    )
    st.caption("Fields not listed were left blank.")
