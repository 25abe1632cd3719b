"""access epoch: an administrator's change to an account ends its sign-ins at once

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 01:00:00

users gains access_epoch, a number an administrator's change of role or status moves on (auth/admin.py)
and every sign-in carries (auth/identity.py). A page run whose sign-in carries an older number, or whose
account is no longer active or has another role, signs the person out (portal/gate.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('access_epoch', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('access_epoch')
