import datetime as dt

from auth.audit import GENESIS_HASH, chain_hash
from clinical.canonical import canonical_json


def test_canonical_json_is_independent_of_key_order():
    assert canonical_json({"b": 1, "a": "é"}) == canonical_json({"a": "é", "b": 1}) == '{"a":"é","b":1}'


def test_canonical_json_writes_datetimes_in_utc():
    local = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert canonical_json({"t": local}) == '{"t":"2026-11-30T08:00:00+00:00"}'


def test_hash_depends_on_previous_hash_and_content():
    payload = {"action": "sign_in", "actor_name": "nurse"}
    first = chain_hash(GENESIS_HASH, payload)
    assert len(first) == 64
    assert chain_hash("1" * 64, payload) != first
    assert chain_hash(GENESIS_HASH, payload | {"actor_name": "nurse2"}) != first
