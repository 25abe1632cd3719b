"""symptom_versions: a counter per patient that moves with every change to their check-ins

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 11:20:00.000000

A trend view is reused while the patient's data stamp is unchanged (services.symptom_views). The stamp used to
count the patient's check-ins and take their highest id: a read of every check-in they ever made, on every
view, which grows with their history, and blind to a corrected score. This counter is bumped by triggers
whenever a check-in is added, changed or removed, so the stamp reads one row and sees corrections too.
Existing patients start at their number of check-ins.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _sqlite_bump(row: str) -> str:
    # "WHERE true" tells SQLite's parser the ON CONFLICT belongs to the INSERT, not to a join.
    return f"""
    INSERT INTO symptom_versions (patient_id, version) SELECT {row}.patient_id, 1 WHERE true
    ON CONFLICT (patient_id) DO UPDATE SET version = version + 1;"""


_SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER symptom_versions_after_insert AFTER INSERT ON symptom_assessments
    BEGIN {_sqlite_bump("NEW")}
    END""",
    f"""CREATE TRIGGER symptom_versions_after_update AFTER UPDATE ON symptom_assessments
    BEGIN {_sqlite_bump("OLD")} {_sqlite_bump("NEW")}
    END""",
    f"""CREATE TRIGGER symptom_versions_after_delete AFTER DELETE ON symptom_assessments
    BEGIN {_sqlite_bump("OLD")}
    END""",
)

_POSTGRES_TRIGGERS = (
    """CREATE FUNCTION symptom_versions_bump() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- ON CONFLICT ... DO UPDATE waits for a concurrent bump and adds to its result: none is lost.
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            INSERT INTO symptom_versions (patient_id, version) VALUES (OLD.patient_id, 1)
            ON CONFLICT (patient_id) DO UPDATE SET version = symptom_versions.version + 1;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO symptom_versions (patient_id, version) VALUES (NEW.patient_id, 1)
            ON CONFLICT (patient_id) DO UPDATE SET version = symptom_versions.version + 1;
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER symptom_versions_bump AFTER INSERT OR UPDATE OR DELETE ON symptom_assessments
    FOR EACH ROW EXECUTE FUNCTION symptom_versions_bump()""",
)


def upgrade() -> None:
    op.create_table(
        "symptom_versions",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_symptom_versions")),
    )
    op.execute(
        "INSERT INTO symptom_versions (patient_id, version) "
        "SELECT patient_id, count(*) FROM symptom_assessments GROUP BY patient_id"
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _SQLITE_TRIGGERS if sqlite else _POSTGRES_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS symptom_versions_after_{name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS symptom_versions_bump ON symptom_assessments")
        op.execute("DROP FUNCTION IF EXISTS symptom_versions_bump()")
    op.drop_table("symptom_versions")
