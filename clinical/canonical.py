"""Canonical JSON and its SHA-256: the one text that both of the portal's hashes are taken over.

The audit chain (auth.audit.chain_hash, and the same hash computed inside the database by
auth.audit's INSERT) and the sign-off content hash (clinical.goals_of_care.content_hash) both hash
canonical_json's output as UTF-8. Hashes already stored in users' databases were taken over exactly these
bytes, so the output must never change, not even for a float or an unusual character:
tests/unit/test_canonical_json.py pins it.

Why no library: both on the package index were tried against the pinned payload.
- rfc8785 (JSON Canonicalization Scheme) writes 1.0 as 1, orders keys by UTF-16 code units rather than
  code points (so an emoji key sorts before "｡"), and has no hook for dates: stored hashes would break.
- canonicaljson is this very call to the standard library's encoder, but with allow_nan=False (a NaN
  written as NaN today would be refused) and dates added by registering a callback process-wide: a
  dependency that changes behaviour to save one line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json


def canonical_json(payload: object) -> str:
    """Deterministic JSON: keys sorted by code point, no whitespace, non-ASCII text kept as it is (not
    escaped), floats as Python writes them (1.0, 1e+21, NaN), datetimes as ISO 8601 in UTC, dates as ISO."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def _default(value: object) -> str:
    # datetime first: it is also a date. A naive datetime is taken as local time (as astimezone does).
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable in canonical JSON: {type(value).__name__}")


def sha256_hex(text: str) -> str:
    """Lowercase hex SHA-256 of `text` encoded as UTF-8 (what PostgreSQL's sha256 of convert_to(text,
    'UTF8') gives, so the database can compute the same hash)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_sha256(payload: object) -> str:
    """sha256_hex of canonical_json(payload)."""
    return sha256_hex(canonical_json(payload))
