"""Alembic owns the schema: it builds from nothing, tears down to nothing, and matches the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from db.engine import engine_for
from db.models import Base
from db.schema import alembic_config


def test_models_and_migrations_agree(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"models changed without a migration (a fresh install would miss these): {diff}"


def test_downgrade_to_base_and_upgrade_again(db_url):
    config = alembic_config(db_url)
    command.downgrade(config, "base")
    engine = engine_for(db_url)
    left = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert left == set(), f"downgrade base left tables behind: {left}"
    command.upgrade(config, "head")
    tables = set(inspect(engine).get_table_names())
    for table in ("users", "patients", "audit_events", "symptom_assessments", "sign_offs", "consents"):
        assert table in tables, f"upgrade head did not create {table}"
