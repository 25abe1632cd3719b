"""Shared fixtures: a freshly migrated database per test, on SQLite and on PostgreSQL.

`make test` starts a throwaway PostgreSQL cluster and sets VESPER_TEST_PG_URL. Without it the PostgreSQL
half of each database test is skipped, unless VESPER_REQUIRE_PG=1 (as in `make test`), when it fails.

On PostgreSQL, as in a deployment, two roles: VESPER_TEST_PG_URL's user owns the tables (it creates the
databases and runs the migrations), and `db_url` connects as VESPER_TEST_PG_PORTAL_USER, the portal's login
role (a member of db.roles.PORTAL_ROLE), which may only add to and read the audit trail. A test that must
act as the owner (tamper with rows, disable a trigger, ALTER, migrate) uses `owner_engine` or `owner_url`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
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
# The login role the portal's half of each PostgreSQL test connects as (scripts/with_postgres.sh sets it).
# Required under VESPER_REQUIRE_PG=1; elsewhere, without it, PG_URL's own user (the owner) stands in.
PG_PORTAL_USER = os.environ.get("VESPER_TEST_PG_PORTAL_USER") or None

# The audit chain's key and checkpoint file, for every test and every server or command a test starts (they
# inherit the environment): a key of the tests' own, and checkpoints in a file of this run's, never var/.
TEST_AUDIT_KEY = "tests:" + "k" * 40
os.environ.setdefault("VESPER_AUDIT_KEY", TEST_AUDIT_KEY)
os.environ.setdefault(
    "VESPER_AUDIT_CHECKPOINTS", str(Path(tempfile.mkdtemp(prefix="vesper-audit-")) / "checkpoints.jsonl")
)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    engine_for(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(scope="session")
def _pg_template() -> str:
    assert PG_URL
    # One per pytest-xdist worker: a worker dropping a shared template would pull it from under another's
    # CREATE DATABASE ... TEMPLATE.
    template = f"vesper_template_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{template}"'))
        conn.execute(text(f'CREATE DATABASE "{template}"'))
    url = _pg_url(template, portal=False)  # migrated by the owner, as `make migrate` does
    migrate(url)
    engine_for(url).dispose()
    admin.dispose()
    return template


def _fresh_pg_database(template: str) -> str:
    assert PG_URL
    name = f"vesper_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return _pg_url(name, portal=True)


def _pg_url(database: str | None, *, portal: bool) -> str:
    """PG_URL on `database`, as the portal's login role or as PG_URL's own user (the owner)."""
    assert PG_URL
    url = make_url(PG_URL).set(database=database)
    if portal and PG_PORTAL_USER:
        url = url.set(username=PG_PORTAL_USER, password=None)
    return url.render_as_string(hide_password=False)


def owner_url(url: str) -> str:
    """The same database as `url`, connected as its owner: on PostgreSQL, PG_URL's user (who created the
    database and ran the migrations); a SQLite URL is returned as it is (SQLite has no roles)."""
    if url.startswith("sqlite"):
        return url
    return _pg_url(make_url(url).database, portal=False)


def _drop_pg_database(url: str) -> None:
    assert PG_URL
    engine_for(url).dispose()
    engine_for(owner_url(url)).dispose()
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
    if REQUIRE_PG and not PG_PORTAL_USER:
        pytest.fail(
            "VESPER_REQUIRE_PG=1 but VESPER_TEST_PG_PORTAL_USER is not set (scripts/with_postgres.sh sets "
            "it): the PostgreSQL tests would run as the tables' owner, blind to what the portal may not do"
        )


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
    """The portal's engine on `db_url`: on PostgreSQL, connected as the portal's login role."""
    return engine_for(db_url)


@pytest.fixture
def owner_engine(db_url: str) -> Engine:
    """The same database as `engine`, connected as its owner, for what only the owner may do (tampering,
    disabling a trigger, ALTER). On SQLite the same engine as `engine`."""
    return engine_for(owner_url(db_url))
