"""Shared fixtures: a freshly migrated database per test, on SQLite and on PostgreSQL.

`make test` starts a throwaway PostgreSQL cluster and sets VESPER_TEST_PG_URL. Without it the PostgreSQL
half of each database test is skipped, unless VESPER_REQUIRE_PG=1 (as in `make test`), when it fails.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from db.engine import engine_for
from db.schema import upgrade as migrate

PG_URL = os.environ.get("VESPER_TEST_PG_URL")
REQUIRE_PG = os.environ.get("VESPER_REQUIRE_PG") == "1"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    engine_for(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(scope="session")
def _pg_template() -> str:
    assert PG_URL
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS vesper_template"))
        conn.execute(text("CREATE DATABASE vesper_template"))
    url = make_url(PG_URL).set(database="vesper_template").render_as_string(hide_password=False)
    migrate(url)
    engine_for(url).dispose()
    admin.dispose()
    return "vesper_template"


def _fresh_pg_database(template: str) -> str:
    assert PG_URL
    name = f"vesper_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(url: str) -> None:
    assert PG_URL
    engine_for(url).dispose()
    name = make_url(url).database
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def skip_or_fail_without_pg() -> None:
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("VESPER_REQUIRE_PG=1 but VESPER_TEST_PG_URL is not set: PostgreSQL tests cannot run")
        pytest.skip("PostgreSQL not available (set VESPER_TEST_PG_URL, or run `make test`)")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a freshly migrated, empty database; each test that uses it runs once per database."""
    if request.param == "sqlite":
        path = tmp_path / "vesper.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        url = f"sqlite:///{path}"
        yield url
        engine_for(url).dispose()
    else:
        skip_or_fail_without_pg()
        url = _fresh_pg_database(request.getfixturevalue("_pg_template"))
        yield url
        _drop_pg_database(url)


@pytest.fixture
def engine(db_url: str) -> Engine:
    return engine_for(db_url)
