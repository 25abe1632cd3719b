"""A MediaHub per test, closed afterwards; client peers run on each test's own asyncio.run() loop. The hooks
into aiortc, aioice and streamlit-webrtc are installed once, as the app installs them at start-up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from media import patches
from media.hub import MediaHub


@pytest.fixture
def hub() -> Iterator[MediaHub]:
    # A long heartbeat limit: media tests do not heartbeat; the roster tests make their own hub.
    h = MediaHub(drop_after=120)
    try:
        yield h
    finally:
        h.close()


def _no_streamlit_hub() -> MediaHub:
    raise RuntimeError("the media tests run no streamlit-webrtc component")


@pytest.fixture(scope="session", autouse=True)
def _hooks_installed() -> None:
    # What portal/room_hub.py does before it makes the app's hub: without it the hub decodes and re-encodes.
    patches.install_all(_no_streamlit_hub)
