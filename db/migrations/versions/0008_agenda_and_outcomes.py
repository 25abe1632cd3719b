"""agenda and outcomes: each case's place on the agenda, the meeting's current case and lead, case outcomes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 21:06:24.909966

The chair (or the presenter they hand over to) moves the meeting from case to case, and records what the
team concluded about each: discussed, deferred or not reached (services.agenda). conference_cases gains
its status on the agenda and when its discussion began; shared_views gains the current case and the lead;
case_outcomes keeps every version of each outcome. Cases from before this revision start "to discuss".

Order matters on SQLite, where batch mode rebuilds a table by dropping it with foreign keys on: each table
is rebuilt while nothing that cascades references it yet (upgrade), or any more (downgrade).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conference_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.Enum('to_discuss', 'under_discussion', 'discussed', 'deferred', 'not_reached', name='agenda_status', native_enum=False, create_constraint=True, length=32), server_default='to_discuss', nullable=False))
        batch_op.add_column(sa.Column('started_at', db.types.UTCDateTime(timezone=True), nullable=True))

    op.create_table('case_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conference_case_id', sa.Integer(), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('discussed', 'deferred', 'not_reached', name='case_outcome_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('deferred_until', sa.Date(), nullable=True),
    sa.Column('deferred_to_next_conference', sa.Boolean(), nullable=False),
    sa.Column('present', sa.JSON(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conference_case_id'], ['conference_cases.id'], name=op.f('fk_case_outcomes_conference_case_id_conference_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_case_outcomes_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_outcomes')),
    sa.UniqueConstraint('conference_case_id', 'version_number', name=op.f('uq_case_outcomes_conference_case_id_version_number'))
    )
    with op.batch_alter_table('case_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_outcomes_conference_case_id'), ['conference_case_id'], unique=False)

    with op.batch_alter_table('shared_views', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lead_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_shared_views_case_id_conference_cases'), 'conference_cases', ['case_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_shared_views_lead_id_users'), 'users', ['lead_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('shared_views', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_shared_views_lead_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_shared_views_case_id_conference_cases'), type_='foreignkey')
        batch_op.drop_column('lead_id')
        batch_op.drop_column('case_id')

    with op.batch_alter_table('case_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_outcomes_conference_case_id'))

    op.drop_table('case_outcomes')

    with op.batch_alter_table('conference_cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_conference_cases_agenda_status'), type_='check')
        batch_op.drop_column('started_at')
        batch_op.drop_column('status')
