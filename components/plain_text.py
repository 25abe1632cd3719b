"""Text someone typed, shown as typed. Streamlit renders Markdown in st.markdown, st.write, captions,
labels, alerts and (Streamlit 1.67) every st.table cell, so a name, a title or a note goes through
md_escape before any of them, and a table through plain_table. tests/unit/test_typed_text_is_not_markdown.py
reads the code and fails when typed text reaches one of those calls any other way."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$])")


def md_escape(text: str) -> str:
    """Text someone typed, safe inside st.markdown: shown as typed, never as links, images or colours."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def plain_table(
    data: pd.DataFrame | Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
) -> pd.DataFrame:
    """A table for st.table with every text cell and column name escaped, so a cell shows what was typed:
    the goals of care shown for signing are the words the signature's hash covers, never struck through,
    hidden behind a link or turned into an image. Numbers and dates are left as they are."""
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    # Row by row in plain Python: DataFrame.map's per-cell machinery cost 4 ms for the agenda's few dozen
    # cells, in every run of the meeting room.
    rows = [
        [md_escape(value) if isinstance(value, str) else value for value in row]
        for row in frame.to_numpy(dtype=object)
    ]
    columns = [md_escape(str(column)) for column in frame.columns]
    return pd.DataFrame(rows, index=frame.index, columns=columns)
