"""What a family member or a colleague typed is shown as typed on the clinicians' screens: never as an
outside image, a link, struck-through text or a colour. (tests/unit/test_typed_text_is_not_markdown.py
checks every call site in the code; these check two screens the review reproduced it on.)"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from db.engine import transaction
from db.models import CompletedBy, Patient, SymptomAssessment
from tests.app.conftest import by_label, shown, sign_in

# The review's example: a relative's "other problem" that became an outside image and a link.
HOSTILE = "![](https://example.invalid/t.png)[Phone us now](https://example.invalid/call) ~~pain~~ :red[x]"

# Markdown that would render as an image, a link, strike-through or a colour: a special character that
# md_escape did not put a backslash before.
_LIVE_MARKDOWN = re.compile(r"(?<!\\)(!\[|\]\(|~~|:red\[)")


def test_a_relatives_other_problem_is_shown_as_typed_in_the_record(app, engine, clinic):
    with transaction(engine) as s:
        ada = s.scalar(select(Patient).where(Patient.family_name == "Quillfeather"))
        assert ada is not None
        s.add(
            SymptomAssessment(
                patient_id=ada.id,
                assessed_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5),
                completed_by=CompletedBy.FAMILY,
                other_problem=HOSTILE,
                other_score=6,
            )
        )
    at = sign_in(app(), "nurse")
    at.switch_page("pages/patients.py").run()
    box = by_label(at.selectbox, "Open a patient's record")
    box.select_index(0 if "Ada" in box.options[0] else 1).run()
    lines = [m.value for m in at.markdown if "Other (" in shown(m.value)]
    assert lines, "the relative's other problem is not in Ada's latest check-in"
    assert HOSTILE in shown(lines[0]), "the other problem should read exactly as the relative typed it"
    assert not _LIVE_MARKDOWN.search(lines[0]), (
        f"the record would show an outside image, a link or struck-through text: {lines[0]!r}"
    )


def test_plain_table_shows_every_cell_as_typed() -> None:
    from components.plain_text import plain_table

    table = plain_table({"Field": ["Hopes"], "Recorded (as signed)": [HOSTILE], "Version": [3]})
    cell = table.iloc[0, 1]
    assert shown(cell) == HOSTILE, "the cell must read as typed: it is what the signature's hash covers"
    assert not _LIVE_MARKDOWN.search(cell), f"a table cell would render Markdown: {cell!r}"
    assert table.iloc[0, 2] == 3, "numbers stay numbers"
    assert [shown(c) for c in table.columns] == ["Field", "Recorded (as signed)", "Version"]
