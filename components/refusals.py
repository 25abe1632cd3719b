"""A refusal shown the standard way: in an error box (or a warning, for a chart that could not load), with
its words exactly as the service wrote them.

The box renders Markdown, and a refusal can carry words people typed (a name, an alert's action note), so
the text is escaped first: an underscore or a bracket in a name is shown as typed, never as emphasis or a
link.
"""

from __future__ import annotations

import streamlit as st

from auth.refusal import Refusal
from components.plain_text import md_escape


def show(refusal: Refusal | str, *, warning: bool = False, icon: str | None = None) -> None:
    """Show a refusal (or its message, kept across a rerun) as an error, or as a warning when asked."""
    message = refusal.message if isinstance(refusal, Refusal) else refusal
    (st.warning if warning else st.error)(md_escape(message), icon=icon)
