"""Bring a database's schema to a revision with Alembic, the only thing that creates the schema."""

from __future__ import annotations

import os

from alembic import command
from alembic.config import Config

from db.engine import PROJECT_ROOT


def alembic_config(url: str) -> Config:
    """An Alembic config for `url`. env.py reads DATABASE_URL, so this sets it for the process."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "db" / "migrations"))
    os.environ["DATABASE_URL"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade `url` to `revision`, leaving DATABASE_URL as it was before."""
    previous = os.environ.get("DATABASE_URL")
    try:
        command.upgrade(alembic_config(url), revision)
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
