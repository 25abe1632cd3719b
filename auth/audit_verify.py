"""Checking the audit trail: every event against its keyed hash and its link, and the chain against the
checkpoints kept outside the database. Reports the first problem, naming the event and what happened:

- edited: the event's content no longer matches its hash;
- inserted: neither its content nor its link to the event before matches (a row put in, or the chain made
  again from there by someone without the key);
- removed: the event is intact but the one it links to is missing;
- re-chained: the event checks, but differs from what a checkpoint recorded for it (possible only for events
  from before the chain was keyed, whose plain hash anyone can compute);
- truncated: the chain ends before an event a checkpoint recorded;
- and, not tampering but still a failure: an event signed with a key the verifier does not hold, or a
  checkpoint line whose own signature fails.

An intact chain gets a new checkpoint of its head, so each verify anchors what it has seen.

    python -m auth.audit_verify verify       # exit 0 and "intact", or exit 1 and the first problem
    python -m auth.audit_verify checkpoint   # append a checkpoint of the head now
"""

from __future__ import annotations

import enum
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth import audit_checkpoints, audit_keys
from auth.audit import GENESIS_HASH, chain_hash, event_payload, keyed_hash
from auth.audit_checkpoints import BadLine, Checkpoint
from auth.audit_keys import AuditKey
from db.engine import database_identity
from db.models import AuditEvent


class Finding(enum.StrEnum):
    EDITED = "edited"
    INSERTED = "inserted"
    REMOVED = "removed"
    RECHAINED = "re-chained"
    TRUNCATED = "truncated"
    UNKNOWN_KEY = "unknown key"
    CHECKPOINT_ALTERED = "checkpoint altered"


@dataclass(frozen=True)
class VerifyResult:
    intact: bool
    rows_checked: int
    checkpoints_checked: int = 0
    broken_id: int | None = None
    finding: Finding | None = None
    reason: str = ""
    # The last event checked, when the chain is intact: the head a new checkpoint anchors.
    head: tuple[int, str] | None = None

    def message(self) -> str:
        if self.intact:
            events = f"{self.rows_checked} event{'' if self.rows_checked == 1 else 's'}"
            anchored = (
                f"against {self.checkpoints_checked} checkpoint{'' if self.checkpoints_checked == 1 else 's'}"
                if self.checkpoints_checked
                else "(no checkpoint yet: removal of the newest events can be found from now on)"
            )
            return f"Audit chain intact: {events} checked {anchored}."
        where = f"event id {self.broken_id}" if self.broken_id is not None else "the checkpoint file"
        return f"Audit chain BROKEN at {where} ({self.finding}): {self.reason}"


def verify_events(
    events: Iterable[AuditEvent],
    keys: Mapping[str, AuditKey],
    checkpoints: Iterable[Checkpoint] = (),
    bad_lines: Iterable[BadLine] = (),
) -> VerifyResult:
    """The first problem in these events (in id order) against these keys and checkpoints."""
    by_event: dict[int, list[Checkpoint]] = defaultdict(list)
    for checkpoint in checkpoints:
        by_event[checkpoint.event_id].append(checkpoint)
    checked = sum(len(found) for found in by_event.values())
    prev = GENESIS_HASH
    count = 0
    last_id = 0
    keyed_seen = False
    for event in events:
        count += 1
        last_id = event.id
        problem = _problem(event, prev, keys, keyed_seen)
        if problem is None:
            for checkpoint in by_event.pop(event.id, ()):
                if checkpoint.event_hash != event.hash:
                    problem = (
                        Finding.RECHAINED,
                        f"it differs from the checkpoint of {checkpoint.when()} (line {checkpoint.line}): "
                        "the chain was made again from this event or an earlier one",
                    )
        if problem is not None:
            return VerifyResult(False, count, checked, event.id, *problem)
        keyed_seen = keyed_seen or event.key_id is not None
        prev = event.hash
    bad = next(iter(bad_lines), None)
    if bad is not None:
        finding = Finding.UNKNOWN_KEY if bad.unknown_key else Finding.CHECKPOINT_ALTERED
        where = f"line {bad.line} of {audit_checkpoints.path()}"
        return VerifyResult(False, count, checked, None, finding, f"{where}: {bad.reason}")
    if by_event:
        missing = min(by_event)
        checkpoint = by_event[missing][0]
        if missing > last_id:
            reason = (
                f"the chain ends at event {last_id}, but the checkpoint of {checkpoint.when()} (line "
                f"{checkpoint.line}) saw event {missing}: the newest events were removed"
            )
            return VerifyResult(False, count, checked, missing, Finding.TRUNCATED, reason)
        reason = f"the checkpoint of {checkpoint.when()} (line {checkpoint.line}) saw it, and it is gone"
        return VerifyResult(False, count, checked, missing, Finding.REMOVED, reason)
    return VerifyResult(True, count, checked, head=(last_id, prev) if count else None)


def _problem(
    event: AuditEvent, prev: str, keys: Mapping[str, AuditKey], keyed_seen: bool
) -> tuple[Finding, str] | None:
    """What is wrong with this event, given the hash of the event before it in the chain, if anything."""
    payload = event_payload(event)
    if event.key_id is None:
        if keyed_seen:
            return (
                Finding.INSERTED,
                "it has no key although events before it do: it was put in, or the chain was made again "
                "from here, without the key",
            )
        expected = chain_hash(event.prev_hash, payload)
    else:
        key = keys.get(event.key_id)
        if key is None:
            return (
                Finding.UNKNOWN_KEY,
                f"it is signed with key id {event.key_id!r}, which this verifier does not hold: give retired "
                f"keys in {audit_keys.RETIRED_VARIABLE}",
            )
        expected = keyed_hash(key, event.prev_hash, payload)
    content_ok = expected == event.hash
    link_ok = event.prev_hash == prev
    if not content_ok and link_ok:
        return (
            Finding.EDITED,
            "its content does not match its hash: the event was edited (or put in) by someone without "
            "the key",
        )
    if not content_ok:
        return (
            Finding.INSERTED,
            "neither its content nor its link to the event before matches: it was put in, or the chain was "
            "made again from here",
        )
    if not link_ok:
        return Finding.REMOVED, "it is intact, but the event it follows is missing: events were removed"
    return None


def verify(session: Session, *, checkpoint: bool = True) -> VerifyResult:
    """Check this database's whole chain; when it is intact (and `checkpoint`), anchor its head."""
    keys = audit_keys.load()
    database = database_identity(session)
    checkpoints, bad = audit_checkpoints.read(database, keys.by_id)
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000))
    result = verify_events(events, keys.by_id, checkpoints, bad)
    if result.intact and checkpoint and result.head is not None:
        audit_checkpoints.append(database, *result.head, keys.current)
    return result


def write_checkpoint(session: Session) -> int | None:
    """Append a checkpoint of the chain's head as it is now; the event id, or None for an empty chain."""
    head = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    if head is None:
        return None
    audit_checkpoints.append(database_identity(session), head.id, head.hash, audit_keys.load().current)
    return int(head.id)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv not in (["verify"], ["checkpoint"]):
        print("usage: python -m auth.audit_verify verify | checkpoint", file=sys.stderr)
        return 2
    from db.engine import transaction

    try:
        with transaction() as session:
            if argv == ["checkpoint"]:
                event_id = write_checkpoint(session)
                print("No events yet." if event_id is None else f"Checkpoint written at event {event_id}.")
                return 0
            result = verify(session)
    except audit_keys.AuditKeyProblem as problem:
        print(problem, file=sys.stderr)
        return 2
    print(result.message())
    return 0 if result.intact else 1


__all__ = ["Finding", "VerifyResult", "main", "verify", "verify_events", "write_checkpoint"]


if __name__ == "__main__":
    raise SystemExit(main())
