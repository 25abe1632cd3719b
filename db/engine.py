"""Engine and session factory. DATABASE_URL picks the database; the default is embedded SQLite under var/."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, Executable, Result, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "vesper.db"


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # Several Streamlit sessions write at once; wait for the lock rather than fail.
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """The one engine for `url`. Its errors and logs never show the values bound to a statement: a
    failed save would otherwise write the clinical text it carried into the server's log."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    event.listen(engine, "before_cursor_execute", _binary_results_if_asked)
    return engine


def _binary_results_if_asked(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
    # Results in binary rather than text: numbers and timestamps arrive ready to use instead of being
    # parsed, which nearly halves the time to read a chart's hundred weekly rows. Only for statements that
    # ask (execute_core's): SQLAlchemy's own catalogue queries expect text.
    if context is not None and context.execution_options.get(BINARY_RESULTS):
        cursor.format = psycopg.pq.Format.BINARY


def database_key(session: Session) -> str:
    """Which database a session reads, for process-wide caches keyed per database (tests run several in one
    process): its URL without the password."""
    return session.get_bind().url.render_as_string(hide_password=True)


def database_identity(session: Session) -> str:
    """Which database a session reads, whoever it connects as: the SQLite file's absolute path, or the
    PostgreSQL server and database. The portal's role and the owner see the same audit chain, so its
    checkpoints (auth/audit_checkpoints.py) name the database this way."""
    url = session.get_bind().url
    if url.get_backend_name() == "sqlite":
        return f"sqlite:{Path(url.database or ':memory:').resolve()}"
    return url.set(username=None, password=None).render_as_string(hide_password=True)


def get_engine() -> Engine:
    return engine_for(database_url())


_AFTER_COMMIT = "vesper.after_commit"
# Execution option: ask PostgreSQL for this statement's results in binary (see _binary_results_if_asked).
BINARY_RESULTS = "vesper_binary_results"


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run `action` once the session's current transaction commits; never if it rolls back.

    For process-wide memories of what the database holds (a cache entry, a view already audited): kept
    only once the rows behind them are there for everyone. One listener for every session, registered
    once below, rather than one registered per call: that costs more than the query it follows."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for action in session.info.pop(_AFTER_COMMIT, ()):
        action()


@event.listens_for(Session, "after_rollback")
def _forget_after_commit(session: Session) -> None:
    session.info.pop(_AFTER_COMMIT, None)


def execute_core(
    session: Session, statement: Executable, params: Mapping[str, Any] | None = None
) -> Result[Any]:
    """Run a Core statement (plain rows, no ORM objects) in the session's transaction, after flushing what
    the session holds as a query would. Skips the ORM's execution layers, which cost more than many of the
    chart queries themselves."""
    session.flush()
    return session.connection().execute(statement, params, execution_options={BINARY_RESULTS: True})


@contextmanager
def reading(engine: Engine | None = None) -> Iterator[Session]:
    """A session for a screen that only reads (the agenda's heat map): no transaction is opened around its
    statements, each of which sees what was committed when it ran. On PostgreSQL that saves the BEGIN and
    COMMIT round trips a transaction costs, a good part of such a screen's time. Not for writes: they would
    each commit at once, with nothing to roll back."""
    with Session(bind=_autocommit(engine or get_engine()), expire_on_commit=False) as session:
        yield session


@lru_cache(maxsize=8)
def _autocommit(engine: Engine) -> Engine:
    # The same engine and pool; connections handed out in autocommit, and reset when they return.
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def reads_committed_only(session: Session) -> bool:
    """Whether each statement of `session` sees only what was committed (a reading() session): what it
    reads may be remembered at once, with no transaction of its own to roll back."""
    return session.get_bind().get_execution_options().get("isolation_level") == "AUTOCOMMIT"


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commits when the block ends normally, rolls back on any exception."""
    with _sessions(engine or get_engine()).begin() as session:
        yield session


@lru_cache(maxsize=8)
def _sessions(engine: Engine) -> sessionmaker[Session]:
    # One factory per engine: making one builds a Session subclass (and copies every Session listener onto
    # it), which cost more than a short transaction's own statements when done for each.
    return sessionmaker(bind=engine, expire_on_commit=False)
