"""keyed audit chain: each event names the key of its HMAC; SQLite refuses an INSERT that replaces a row

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 04:10:00

A plain SHA-256 chain can be computed again by anyone who edits a row, so verify called an edited and
re-chained trail intact. From here each event's hash is an HMAC under a key kept outside the database
(auth/audit_keys.py), and key_id names which key, so keys can be rotated. Rows from before keep key_id
NULL and their SHA-256 hash; verify accepts them only before the first keyed row.

On SQLite, INSERT OR REPLACE deletes the row it collides with without firing the DELETE trigger, so an old
event could be rewritten in place. A BEFORE INSERT trigger now refuses any insert whose id or hash is
already taken (PostgreSQL has no such statement: ON CONFLICT DO UPDATE fires the UPDATE trigger).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_SQLITE_NO_REPLACE = """CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events
    WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id OR hash = NEW.hash)
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: an INSERT may not replace an event'); END"""


def upgrade() -> None:
    # A plain ADD COLUMN, not batch mode: rebuilding the table would drop its append-only triggers.
    op.add_column('audit_events', sa.Column('key_id', sa.String(length=40), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(_SQLITE_NO_REPLACE)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_replace")
        # SQLite 3.35+ drops a column in place; batch mode would rebuild the table without its triggers.
        op.execute("ALTER TABLE audit_events DROP COLUMN key_id")
    else:
        op.drop_column('audit_events', 'key_id')
