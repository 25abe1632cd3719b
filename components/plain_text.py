"""Text someone typed, shown as typed. Streamlit renders Markdown in st.markdown, st.write, captions,
labels, alerts and table cells, so a name, a title or a note goes through md_escape before any of them."""

from __future__ import annotations

import re

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")


def md_escape(text: str) -> str:
    """Text someone typed, safe inside st.markdown: shown as typed, never as links, images or colours."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)
