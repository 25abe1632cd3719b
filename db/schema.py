"""Bring a database's schema to a revision with Alembic, the only thing that creates the schema."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from db.engine import PROJECT_ROOT


def alembic_config(url: str) -> Config:
    """An Alembic config that migrates `url`, whatever DATABASE_URL and MIGRATION_DATABASE_URL say: env.py
    reads the URL from the config's attributes before either variable."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "db" / "migrations"))
    # The name env.py's URL_ATTRIBUTE holds (env.py runs Alembic's context on import, so it is not imported).
    config.attributes["database_url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade `url` to `revision`. No environment variable is read or changed."""
    command.upgrade(alembic_config(url), revision)
