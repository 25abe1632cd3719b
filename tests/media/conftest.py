"""A MediaHub per test, closed afterwards; client peers run on each test's own asyncio.run() loop."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from media.hub import MediaHub


@pytest.fixture
def hub() -> Iterator[MediaHub]:
    # A long heartbeat limit: media tests do not heartbeat; the roster tests make their own hub.
    h = MediaHub(drop_after=120)
    try:
        yield h
    finally:
        h.close()
