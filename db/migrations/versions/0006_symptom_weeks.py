"""symptom_weeks: each patient's check-ins summed by week, kept by triggers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 10:45:00.000000

The one- and two-year charts average check-ins week by week. Reading a week's row instead of its seven or
more check-ins makes opening a two-year chart several times cheaper, on both databases. The database keeps
the rows itself: a trigger recomputes a week from its check-ins whenever one is added, changed or removed,
so the roll-up cannot drift from the check-ins whatever code writes them. Existing check-ins are summed
once, here.

The SQL is spelled out in this file, not taken from the application: a migration must build the same
schema tomorrow as today.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ITEMS = (
    "pain",
    "tiredness",
    "drowsiness",
    "nausea",
    "lack_of_appetite",
    "shortness_of_breath",
    "depression",
    "anxiety",
    "wellbeing",
)
SCORES = {
    "total": ITEMS,
    "physical": ITEMS[:6],
    "emotional": ("depression", "anxiety"),
}
# Weeks start on Monday 00:00 UTC: Monday 5 January 1970 is 345,600 s after the epoch.
MONDAY = 345600
WEEK = 604800

COLUMNS = (
    "patient_id",
    "week",
    "checkins",
    "first_at",
    "last_at",
    "by_least",
    "by_most",
    *(f"{item}_{part}" for item in ITEMS for part in ("sum", "answered", "max")),
    *(f"{score}_{part}" for score in SCORES for part in ("sum", "answered")),
)


def _aggregates() -> str:
    """Everything after patient_id and week, over the check-ins a query selects."""
    parts = [
        "count(*)",
        "min(assessed_at)",
        "max(assessed_at)",
        "min(completed_by)",
        "max(completed_by)",
    ]
    for item in ITEMS:
        parts += [f"sum({item})", f"count({item})", f"max({item})"]
    for items in SCORES.values():
        # NULL + anything is NULL: a check-in with a blank item has no score, as in clinical.esas.
        score = " + ".join(items)
        parts += [f"sum({score})", f"count({score})"]
    return ", ".join(parts)


def _excluded() -> str:
    return ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[2:])


def _sqlite_week(timestamp: str) -> str:
    # SQLite keeps timestamps as UTC text; strftime('%s') reads them as seconds since the epoch.
    return f"((CAST(strftime('%s', {timestamp}) AS INTEGER) - {MONDAY}) / {WEEK})"


def _sqlite_week_start(week: str) -> str:
    # Text in the stored form's leading part, so text comparison with stored values orders as time does.
    return f"datetime(({week}) * {WEEK} + {MONDAY}, 'unixepoch')"


def _sqlite_refresh(row: str) -> str:
    """Recompute the week of the check-in `row` (NEW or OLD) from the check-ins now in it."""
    week = _sqlite_week(f"{row}.assessed_at")
    return f"""
    DELETE FROM symptom_weeks WHERE patient_id = {row}.patient_id AND week = {week};
    INSERT INTO symptom_weeks ({", ".join(COLUMNS)})
    SELECT patient_id, {week}, {_aggregates()}
    FROM symptom_assessments
    WHERE patient_id = {row}.patient_id
      AND assessed_at >= {_sqlite_week_start(week)}
      AND assessed_at < {_sqlite_week_start(f"{week} + 1")}
    GROUP BY patient_id;"""


_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER symptom_weeks_after_insert AFTER INSERT ON symptom_assessments
    BEGIN {_sqlite_refresh("NEW")}
    END""",
    f"""CREATE TRIGGER symptom_weeks_after_update AFTER UPDATE ON symptom_assessments
    BEGIN {_sqlite_refresh("OLD")} {_sqlite_refresh("NEW")}
    END""",
    f"""CREATE TRIGGER symptom_weeks_after_delete AFTER DELETE ON symptom_assessments
    BEGIN {_sqlite_refresh("OLD")}
    END""",
)


def _pg_week(timestamp: str) -> str:
    return f"floor((extract(epoch FROM {timestamp}) - {MONDAY}) / {WEEK})::integer"


def _pg_week_start(week: str) -> str:
    return f"to_timestamp(({week})::bigint * {WEEK} + {MONDAY})"


_POSTGRES_FUNCTIONS = (
    f"""CREATE FUNCTION symptom_weeks_refresh(p integer, w integer) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        -- Two transactions adding check-ins to the same week would each sum without the other's (neither
        -- sees the other's uncommitted row), and the later write would lose one. The lock makes the second
        -- wait for the first to commit; its sums (a new snapshot per statement) then include both.
        PERFORM pg_advisory_xact_lock(727275, p);
        -- Updated in place rather than deleted and inserted again: the row's key does not change, so
        -- PostgreSQL can reuse its page (a HOT update) and the table's index does not grow with each check-in.
        INSERT INTO symptom_weeks ({", ".join(COLUMNS)})
        SELECT patient_id, w, {_aggregates()}
        FROM symptom_assessments
        WHERE patient_id = p AND assessed_at >= {_pg_week_start("w")} AND assessed_at < {_pg_week_start("w + 1")}
        GROUP BY patient_id
        ON CONFLICT (patient_id, week) DO UPDATE SET {_excluded()};
        IF NOT FOUND THEN
            -- The week's last check-in was removed or moved away.
            DELETE FROM symptom_weeks WHERE patient_id = p AND week = w;
        END IF;
    END $$""",
    f"""CREATE FUNCTION symptom_weeks_follow() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM symptom_weeks_refresh(OLD.patient_id, {_pg_week("OLD.assessed_at")});
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            PERFORM symptom_weeks_refresh(NEW.patient_id, {_pg_week("NEW.assessed_at")});
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER symptom_weeks_follow AFTER INSERT OR UPDATE OR DELETE ON symptom_assessments
    FOR EACH ROW EXECUTE FUNCTION symptom_weeks_follow()""",
)


def upgrade() -> None:
    op.create_table(
        "symptom_weeks",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.Integer(), nullable=False),
        sa.Column("checkins", sa.Integer(), nullable=False),
        sa.Column("first_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("by_least", sa.String(length=32), nullable=False),
        sa.Column("by_most", sa.String(length=32), nullable=False),
        *(
            sa.Column(f"{item}_{part}", sa.Integer(), nullable=part != "answered")
            for item in ITEMS
            for part in ("sum", "answered", "max")
        ),
        *(
            sa.Column(f"{score}_{part}", sa.Integer(), nullable=part != "answered")
            for score in SCORES
            for part in ("sum", "answered")
        ),
        sa.PrimaryKeyConstraint("patient_id", "week", name=op.f("pk_symptom_weeks")),
        sqlite_with_rowid=False,
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    week = _sqlite_week("assessed_at") if sqlite else _pg_week("assessed_at")
    op.execute(
        f"INSERT INTO symptom_weeks ({', '.join(COLUMNS)}) "
        f"SELECT patient_id, {week}, {_aggregates()} FROM symptom_assessments GROUP BY patient_id, {week}"
    )
    for statement in _SQLITE_TRIGGERS if sqlite else _POSTGRES_FUNCTIONS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS symptom_weeks_after_{name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS symptom_weeks_follow ON symptom_assessments")
        op.execute("DROP FUNCTION IF EXISTS symptom_weeks_follow()")
        op.execute("DROP FUNCTION IF EXISTS symptom_weeks_refresh(integer, integer)")
    op.drop_table("symptom_weeks")
