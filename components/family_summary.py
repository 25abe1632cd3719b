"""The goals-of-care page's Family summary tab: once the team has signed off the record, a plain-language
page of it and of the plan to print or give to the family. It carries no record numbers, and every
piece of text in it is escaped.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from auth.audit import AuditAction, record_by
from auth.identity import Identity
from components.goals_of_care_view import readable
from db.engine import transaction
from portal import clock
from services.goals_of_care.plan import PlanItemView
from services.goals_of_care.record import RecordView


def show(
    identity: Identity,
    patient_name: str,
    record: RecordView,
    plan: Sequence[PlanItemView],
    *,
    key: str,
) -> None:
    """The download of the summary of a final record; a note saying when it will be there otherwise. A
    download is audited: the page carries the whole record out of Vesper."""
    if not record.is_final or record.current is None or record.final_at is None:
        st.info("A printable summary for the family is available once the team has signed off the record.")
        return
    st.write(
        "A plain-language summary of the final record and plan, to print or give to the family. "
        "It contains no record numbers."
    )
    page = html_page(
        patient_name,
        record.current.content,
        plan,
        record.final_at,
        [(a.author_name, a.created_at, a.text) for a in record.addenda],
    )
    st.download_button(
        "Download the family summary (printable page)",
        data=page.encode("utf-8"),
        file_name=f"goals-of-care-{record.final_at:%Y-%m-%d}.html",
        mime="text/html",
        key=f"{key}.download",
        on_click=_record_download,
        args=(identity, record.patient_id, record.current.number),
        icon=":material/download:",
    )


def html_page(
    patient_name: str,
    content: Mapping[str, Any],
    plan: Sequence[PlanItemView],
    final_at: dt.datetime,
    addenda: Sequence[tuple[str, dt.datetime, str]] = (),
) -> str:
    """A plain, printable HTML page of a final record for the family. Every piece of text is escaped."""
    e = html.escape
    rows = "\n".join(f"<tr><th>{e(label)}</th><td>{e(shown)}</td></tr>" for label, shown in readable(content))
    items = "\n".join(
        f"<li>{e(p.text)}"
        + (f" (who: {e(p.owner_name)})" if p.owner_name else "")
        + (f" (by {e(p.due_date.strftime('%d %B %Y'))})" if p.due_date else "")
        + "</li>"
        for p in plan
        if p.status.value != "withdrawn"
    )
    notes = "\n".join(
        f"<li>{e(text)} ({e(who)}, {e(when.strftime('%d %B %Y'))})</li>" for who, when, text in addenda
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Goals of care: {e(patient_name)}</title>
<style>
body {{ font-family: Georgia, serif; font-size: 14pt; line-height: 1.5; margin: 2em; color: #111; }}
th {{ text-align: left; vertical-align: top; padding: 0.3em 1em 0.3em 0; width: 35%; }}
td {{ padding: 0.3em 0; }}
</style>
</head>
<body>
<h1>Goals of care for {e(patient_name)}</h1>
<p>This is a summary of what {e(patient_name)} and the care team talked about: what matters most, and the
care that was agreed. The care team signed it off on {e(final_at.strftime("%d %B %Y"))}.</p>
<p>If anything here is wrong or has changed, please tell the care team. They can add a note or start a new
conversation at any time.</p>
<h2>What was recorded</h2>
<table>
{rows}
</table>
<h2>What the team will do</h2>
<ul>
{items or "<li>No further steps were recorded.</li>"}
</ul>
{f"<h2>Notes added later</h2><ul>{notes}</ul>" if notes else ""}
</body>
</html>
"""


def _record_download(identity: Identity, patient_id: int, version: int) -> None:
    with transaction() as session:
        record_by(
            session,
            identity,
            AuditAction.FAMILY_SUMMARY_DOWNLOADED,
            patient_id=patient_id,
            details={"version": version},
            now=clock.now(),
        )
