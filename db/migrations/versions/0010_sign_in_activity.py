"""sign-in activity: one idle clock per hospital sign-in, shared by every tab

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 02:05:00

st.login's cookie lasts 30 days and a new tab starts a new session with its own idle clock, so a tab closed
on a shared workstation left the next person signed in as the last user. sign_in_activity keeps when
each sign-in (issuer, subject, token issue time) was last used; a new tab of a sign-in idle for longer
than the limit is sent back through the identity provider (portal/gate.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sign_in_activity',
        sa.Column('issuer', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('issued_at', db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_activity', db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('issuer', 'subject', 'issued_at', name=op.f('pk_sign_in_activity')),
    )


def downgrade() -> None:
    op.drop_table('sign_in_activity')
