"""Demo seed: how long `python -m demo.seed` keeps a fresh demo portal waiting, on a throwaway SQLite
database (and on PostgreSQL when VESPER_TEST_PG_URL names a server, as under `make bench`).

This was a limit inside tests/db/test_seed.py (under 10 s); a speed figure belongs here, where a loaded
machine makes a slow number rather than a failed test. Prints one JSON object on its last line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.engine import engine_for, transaction
from db.schema import upgrade as migrate
from demo.seed import seed_demo

ROUNDS = 3
NOW = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)


def _seed_seconds(url: str) -> float:
    migrate(url)
    engine = engine_for(url)
    try:
        started = time.perf_counter()
        with transaction(engine) as session:
            seed_demo(session, NOW)
        return time.perf_counter() - started
    finally:
        engine.dispose()


def _sqlite_rounds() -> list[float]:
    times = []
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory() as tmp:
            times.append(_seed_seconds(f"sqlite:///{Path(tmp) / 'bench.db'}"))
    return times


def _postgresql_rounds(server_url: str) -> list[float]:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    times = []
    try:
        for _ in range(ROUNDS):
            name = f"vesper_bench_{uuid.uuid4().hex[:12]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                times.append(
                    _seed_seconds(
                        make_url(server_url).set(database=name).render_as_string(hide_password=False)
                    )
                )
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
    return times


def main() -> None:
    result: dict[str, object] = {"benchmark": "demo_seed", "rounds": ROUNDS}
    result["sqlite_median_s"] = round(statistics.median(_sqlite_rounds()), 3)
    pg_url = os.environ.get("VESPER_TEST_PG_URL")
    if pg_url:
        result["postgresql_median_s"] = round(statistics.median(_postgresql_rounds(pg_url)), 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
