"""Checkpoints of the audit chain's head, kept outside the database.

A keyed chain shows any edited or inserted event, but not the newest events removed: what is left still
checks. So the portal appends, to a file outside the database, signed lines naming the last event id and
hash it had written: at most every VESPER_AUDIT_CHECKPOINT_SECONDS while events are recorded (default 60),
at every verify, and whenever `python -m auth.audit_verify checkpoint` runs (for a scheduler such as cron).
verify then reports a chain that ends before a checkpoint (truncated) or whose event differs from one
(re-chained).

    VESPER_AUDIT_CHECKPOINTS=/var/log/vesper/audit-checkpoints.jsonl   (default var/audit-checkpoints.jsonl)

One line per checkpoint, canonical JSON: the database (auth/audit_keys.py's key signs it, so a line moved
from another database does not match), the event id and hash, when, the key id, and the HMAC of the rest.
Someone who can rewrite both the database and this file, and holds the key, can still hide their tracks:
keep the file on other storage (an append-only mount, or shipped to a log server) in production.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from auth.audit_keys import AuditKey
from clinical.canonical import canonical_json

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = PROJECT_ROOT / "var" / "audit-checkpoints.jsonl"
PATH_VARIABLE = "VESPER_AUDIT_CHECKPOINTS"
EVERY_VARIABLE = "VESPER_AUDIT_CHECKPOINT_SECONDS"
DEFAULT_EVERY_SECONDS = 60.0
_LOGGER = logging.getLogger(__name__)


def path() -> Path:
    configured = os.environ.get(PATH_VARIABLE, "").strip()
    return Path(configured) if configured else DEFAULT_PATH


def every_seconds() -> float:
    # settings.load() has already refused a mistyped value in plain words at the page run.
    try:
        return float(os.environ.get(EVERY_VARIABLE, "").strip() or DEFAULT_EVERY_SECONDS)
    except ValueError:
        return DEFAULT_EVERY_SECONDS


@dataclass(frozen=True)
class Checkpoint:
    database: str
    event_id: int
    event_hash: str
    written_at: dt.datetime
    line: int

    def when(self) -> str:
        return self.written_at.strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class BadLine:
    line: int
    reason: str
    unknown_key: bool = False  # not tampering as such: the verifier lacks a retired key


def _body(database: str, event_id: int, event_hash: str, at: dt.datetime, key_id: str) -> dict[str, object]:
    return {
        "database": database,
        "event_id": event_id,
        "event_hash": event_hash,
        "written_at": at.astimezone(dt.UTC).replace(microsecond=0).isoformat(),
        "key_id": key_id,
    }


def append(
    database: str, event_id: int, event_hash: str, key: AuditKey, now: dt.datetime | None = None
) -> None:
    """Append one signed checkpoint line, and make sure it reached the disk before returning."""
    body = _body(database, event_id, event_hash, now or dt.datetime.now(dt.UTC), key.key_id)
    line = canonical_json({**body, "mac": key.sign(canonical_json(body))}) + "\n"
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    # One write() of one short line to a file opened for appending: lines from several processes never
    # interleave. Readable and writable by the portal's user only.
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    with _lock:
        _last_written[database] = time.monotonic()


# When this process last wrote a checkpoint for each database: recording an event writes one only when the
# last is older than every_seconds().
_last_written: dict[str, float] = {}
_lock = threading.Lock()


def when_due(database: str, event_id: int, event_hash: str, key: AuditKey) -> None:
    """After an event committed: checkpoint it if this database's last checkpoint is old enough."""
    with _lock:
        last = _last_written.get(database)
        if last is not None and time.monotonic() - last < every_seconds():
            return
        _last_written[database] = time.monotonic()  # claimed: other threads need not write it too
    try:
        append(database, event_id, event_hash, key)
    except OSError:
        # The event is committed; the next one tries again. Said in the server's log, not to the person
        # whose click recorded the event, who can do nothing about it.
        _LOGGER.exception("Could not append an audit checkpoint to %s", path())
        with _lock:
            _last_written.pop(database, None)


def read(database: str, keys: Mapping[str, AuditKey]) -> tuple[list[Checkpoint], list[BadLine]]:
    """This database's checkpoints in the file, and the lines that fail their signature, are signed with a
    key not in `keys`, or cannot be read, whatever database they name: a line's database is part of what
    its signature covers, so an edit that moved a checkpoint to another database shows."""
    checkpoints: list[Checkpoint] = []
    bad: list[BadLine] = []
    try:
        text = path().read_text(encoding="utf-8")
    except FileNotFoundError:
        return checkpoints, bad
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
            body = {
                name: entry[name] for name in ("database", "event_id", "event_hash", "written_at", "key_id")
            }
            mac = entry["mac"]
        except (ValueError, KeyError, TypeError):
            bad.append(BadLine(number, "it is not a checkpoint line"))
            continue
        key = keys.get(str(body["key_id"]))
        if key is None:
            reason = f"it is signed with key id {body['key_id']!r}, which this verifier does not hold"
            bad.append(BadLine(number, reason, unknown_key=True))
            continue
        if key.sign(canonical_json(body)) != mac:
            bad.append(BadLine(number, "its signature does not match: the line was edited"))
            continue
        if body["database"] != database:
            continue
        checkpoints.append(
            Checkpoint(
                database,
                int(body["event_id"]),
                str(body["event_hash"]),
                dt.datetime.fromisoformat(str(body["written_at"])),
                number,
            )
        )
    return checkpoints, bad
