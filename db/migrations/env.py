"""Alembic environment: one migration chain for SQLite and PostgreSQL.

Migrations connect as the owner of the tables: MIGRATION_DATABASE_URL when it is set, else DATABASE_URL
(on PostgreSQL the portal's own login role may not create or alter tables; docs/operations.md, "Two
database URLs"). A URL given explicitly (db.schema.alembic_config) wins over both.
"""

from __future__ import annotations

import os

from alembic import context

from db.engine import database_url, engine_for
from db.models import Base

target_metadata = Base.metadata

# Where db.schema.alembic_config puts the URL it was given, in the Config's attributes.
URL_ATTRIBUTE = "database_url"


def migration_url() -> str:
    """The database to migrate: the explicit URL, else MIGRATION_DATABASE_URL, else DATABASE_URL (a blank
    variable counts as unset, as in settings)."""
    explicit = context.config.attributes.get(URL_ATTRIBUTE)
    if explicit:
        return str(explicit)
    return (os.environ.get("MIGRATION_DATABASE_URL") or "").strip() or database_url()


def run_migrations_offline() -> None:
    context.configure(
        url=migration_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = context.config.attributes.get("connection")
    if connectable is None:
        with engine_for(migration_url()).connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
