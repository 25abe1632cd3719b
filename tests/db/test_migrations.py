"""Alembic owns the schema: it builds from nothing, tears down to nothing, and matches the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from db.engine import PROJECT_ROOT, engine_for
from db.models import Base
from db.schema import alembic_config
from db.schema import upgrade as migrate
from tests.conftest import owner_url


def test_models_and_migrations_agree(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"models changed without a migration (a fresh install would miss these): {diff}"


def test_downgrade_to_base_and_upgrade_again(db_url):
    # As the owner, who runs the migrations (MIGRATION_DATABASE_URL); the portal's role may not.
    config = alembic_config(owner_url(db_url))
    command.downgrade(config, "base")
    engine = engine_for(owner_url(db_url))
    left = set(inspect(engine).get_table_names()) - {"alembic_version"}
    assert left == set(), f"downgrade base left tables behind: {left}"
    command.upgrade(config, "head")
    tables = set(inspect(engine).get_table_names())
    for table in ("users", "patients", "audit_events", "symptom_assessments", "sign_offs", "consents"):
        assert table in tables, f"upgrade head did not create {table}"


def _tables(url: str) -> set[str]:
    engine = engine_for(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_make_migrate_connects_with_the_migration_url_when_it_is_set(tmp_path, monkeypatch):
    portal, owner = f"sqlite:///{tmp_path / 'portal.db'}", f"sqlite:///{tmp_path / 'owner.db'}"
    monkeypatch.setenv("DATABASE_URL", portal)
    monkeypatch.setenv("MIGRATION_DATABASE_URL", owner)
    command.upgrade(Config(str(PROJECT_ROOT / "alembic.ini")), "head")  # what `make migrate` runs
    assert "audit_events" in _tables(owner) and "audit_events" not in _tables(portal), (
        "`make migrate` did not migrate as MIGRATION_DATABASE_URL: on PostgreSQL it would try to change the "
        "schema as the portal's role, which may not"
    )


def test_an_explicit_url_wins_over_the_migration_url(tmp_path, monkeypatch):
    explicit, other = f"sqlite:///{tmp_path / 'explicit.db'}", f"sqlite:///{tmp_path / 'other.db'}"
    monkeypatch.setenv("MIGRATION_DATABASE_URL", other)
    migrate(explicit)
    assert "audit_events" in _tables(explicit) and "audit_events" not in _tables(other), (
        "db.schema.upgrade migrated MIGRATION_DATABASE_URL's database instead of the one it was given: "
        "the tests and benchmarks would build their databases in the wrong place"
    )
