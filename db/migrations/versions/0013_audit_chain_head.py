"""audit chain head: take the writers' lock and read the last hash in one round trip (PostgreSQL)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 05:05:00

Since the chain is keyed (0012), the portal reads the last hash before it hashes and inserts an event,
under the writers' advisory lock: two statements, lock then read, where there used to be one. This function
does both in one call. It is VOLATILE, so in READ COMMITTED its SELECT takes a fresh snapshot after the
lock is granted and sees the event a writer that held the lock before it committed; a single statement
that both locked and read would keep the snapshot taken before it waited, and fork the chain. SQLite needs
nothing: its writers are serialised by the database lock.
"""

from __future__ import annotations

from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute(
        """CREATE FUNCTION audit_chain_head() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(727274);
            RETURN (SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1);
        END $$"""
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS audit_chain_head()")
