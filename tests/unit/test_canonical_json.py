"""The canonical JSON's bytes are pinned: stored audit chains and sign-off hashes were taken over them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from auth.audit import GENESIS_HASH, chain_hash
from clinical import goals_of_care as gc
from clinical.canonical import canonical_json, canonical_sha256, sha256_hex

# Every kind of value a payload holds today: non-ASCII text (accents, typographic quotes, an emoji, a line
# separator), escapes, None, booleans, whole numbers, floats, a date and an aware datetime (via the
# default), nested dicts and lists, and keys whose order by code point differs from other orders.
PAYLOAD = {
    "text": 'Voir la mer à Étretat — “Ma” 😀 \u2028 "quoted" \\ tab\t',
    "none": None,
    "yes": True,
    "no": False,
    "whole": 7,
    "negative": -3,
    "one": 1.0,
    "tenth": 0.1,
    "huge": 1e21,
    "tiny": 5e-324,
    "half": -2.5,
    "day": dt.date(2026, 11, 30),
    "at": dt.datetime(2026, 11, 30, 10, 0, 5, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    "nested": {"b": [1, {"z": None, "a": "ü"}], "a": [], "é": {}, "Z": "upper before lower"},
    "😀": "an astral key sorts after ｡ by code point (not by UTF-16 units)",
    "｡": 1,
}

# Written by the code before the reshape (auth.audit.canonical_json at 4b1efc2), not by the code under test.
PINNED = (
    '{"at":"2026-11-30T08:00:05.123456+00:00","day":"2026-11-30","half":-2.5,"huge":1e+21,"negative":-3,'
    '"nested":{"Z":"upper before lower","a":[],"b":[1,{"a":"ü","z":null}],"é":{}},"no":false,"none":null,'
    '"one":1.0,"tenth":0.1,"text":"Voir la mer à Étretat — “Ma” 😀 \u2028 \\"quoted\\" \\\\ tab\\t",'
    '"tiny":5e-324,"whole":7,"yes":true,'
    '"｡":1,"😀":"an astral key sorts after ｡ by code point (not by UTF-16 units)"}'
)


def test_the_bytes_of_every_kind_of_value_are_pinned():
    assert canonical_json(PAYLOAD) == PINNED, "stored audit chains and sign-off hashes would stop verifying"
    assert canonical_sha256(PAYLOAD) == hashlib.sha256(PINNED.encode("utf-8")).hexdigest()


def test_the_output_is_the_standard_library_encoder_with_sorted_keys_and_no_spaces():
    plain = {k: v for k, v in PAYLOAD.items() if not isinstance(v, dt.date)}
    assert canonical_json(plain) == json.dumps(
        plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def test_floats_that_json_cannot_spell_are_written_as_python_always_wrote_them():
    assert canonical_json({"x": float("nan"), "y": float("inf")}) == '{"x":NaN,"y":Infinity}'


def test_anything_else_is_refused():
    with pytest.raises(TypeError, match="set"):
        canonical_json({"x": {1, 2}})


def test_both_hashes_use_the_one_canonical_json():
    assert chain_hash(GENESIS_HASH, PAYLOAD) == sha256_hex(GENESIS_HASH + PINNED)
    goc, plan = {"hopes": "Étretat", "when": None}, [{"id": 1, "due": "2026-12-01", "done": False}]
    assert gc.canonical_content(goc, plan) == canonical_json({"goals_of_care": goc, "plan": plan})
    assert gc.content_hash(goc, plan) == sha256_hex(gc.canonical_content(goc, plan))
