"""portal role: on PostgreSQL the portal may only add to and read the audit trail

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-09 10:00:00

The triggers of 0001 refuse UPDATE, DELETE and TRUNCATE on audit_events, but the portal connected as the
tables' owner, who may disable a trigger or drop it: anyone holding the portal's credentials could rewrite
the trail. The portal now connects (DATABASE_URL) as a login role that is a member of the NOLOGIN group
role vesper_portal (db/roles.py), and migrations run (MIGRATION_DATABASE_URL) as the owner. vesper_portal
may read and write the clinical tables, but on audit_events only SELECT and INSERT, and on alembic_version
only SELECT; it owns nothing, so it may not ALTER, disable a trigger or TRUNCATE. Default privileges cover
the tables and sequences that later migrations, run by the same owner, create.

The role is cluster-wide: created here if missing (which needs CREATEROLE; otherwise a DBA creates it
first), never dropped by the downgrade, which only takes back what the upgrade granted. SQLite has no
roles: nothing to do there.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

from db.roles import PORTAL_ROLE

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


# Another database of the same cluster may be migrating at the same moment and create the role first:
# the loser sees duplicate_object, or unique_violation when it was waiting on the winner's insert.
_CREATE_ROLE = f"""DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{PORTAL_ROLE}') THEN
    BEGIN
      CREATE ROLE {PORTAL_ROLE} NOLOGIN;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN
        NULL;
      WHEN insufficient_privilege THEN
        RAISE EXCEPTION USING MESSAGE = 'The database role {PORTAL_ROLE} does not exist and '
          || current_user || ' may not create roles. A DBA must run CREATE ROLE {PORTAL_ROLE} NOLOGIN '
          || 'first; then run the migrations again.';
    END;
  END IF;
END $$"""

_GRANTS = (
    f"GRANT USAGE ON SCHEMA public TO {PORTAL_ROLE}",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {PORTAL_ROLE}",
    # The audit trail: appended to and read, never changed or removed (and no trigger of the portal's own).
    f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_events FROM {PORTAL_ROLE}",
    f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON alembic_version FROM {PORTAL_ROLE}",
    f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {PORTAL_ROLE}",
    # Tables and sequences created later by the role running this migration (the owner).
    f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {PORTAL_ROLE}",
    f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {PORTAL_ROLE}",
)

_REVOKES = (
    f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {PORTAL_ROLE}",
    f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM {PORTAL_ROLE}",
    f"REVOKE USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public FROM {PORTAL_ROLE}",
    f"REVOKE SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public FROM {PORTAL_ROLE}",
    f"REVOKE USAGE ON SCHEMA public FROM {PORTAL_ROLE}",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_CREATE_ROLE)
    for statement in _GRANTS:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # Someone may have dropped the role since: then there is nothing left to take back.
    if bind.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :name"), {"name": PORTAL_ROLE}).first():
        for statement in _REVOKES:
            op.execute(statement)
