"""The hook into aioice's consent freshness (media/patches/aioice_consent.py): guards, and RFC 7675 expiry on
real ICE.

Two real aioice connections talk over the machine's host addresses. Their timing is scaled down (STUN RTO
0.05 s instead of 0.5 s, a check every ~0.1 s instead of ~5 s, consent timeout 1.5 s instead of 30 s), and
the answering side can be told to answer consent checks late or not at all.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import inspect

import pytest
from aioice import ice, stun

from media import patches
from media.patches import aioice_consent
from tests.media.peers import run_scenario

RTO = 0.05
INTERVAL = 0.1
TIMEOUT = 1.5


@pytest.fixture
def fast_consent(monkeypatch: pytest.MonkeyPatch) -> None:
    """Consent timing scaled down about tenfold, for both aioice's own check and the hook's."""
    monkeypatch.setattr(stun, "RETRY_RTO", RTO)
    monkeypatch.setattr(ice, "CONSENT_INTERVAL", INTERVAL)
    monkeypatch.setattr(aioice_consent, "CONSENT_INTERVAL", INTERVAL)
    monkeypatch.setattr(aioice_consent, "CONSENT_TIMEOUT", TIMEOUT)


@pytest.fixture
def hooked() -> None:
    was = aioice_consent.installed()
    aioice_consent.install()
    yield
    if not was:
        aioice_consent.uninstall()


@pytest.fixture
def unhooked() -> None:
    """aioice without the hook for the test; put back afterwards if it was there. Request it before
    monkeypatch, so that monkeypatch's changes are undone before the hook goes back on."""
    was = aioice_consent.installed()
    aioice_consent.uninstall()
    yield
    if was:
        aioice_consent.install()


def _answer_with_delay(connection: ice.Connection, delay: float | None) -> None:
    """Make `connection` answer every STUN request `delay` seconds late (never, for None)."""
    original = connection.request_received

    def request_received(message, addr, protocol) -> None:  # noqa: ANN001
        if delay is None:
            return
        asyncio.get_running_loop().call_later(delay, original, message, addr, protocol)

    connection.request_received = request_received  # type: ignore[method-assign]


async def _connected_pair() -> tuple[ice.Connection, ice.Connection]:
    a = ice.Connection(ice_controlling=True, components=1, use_ipv6=False)
    b = ice.Connection(ice_controlling=False, components=1, use_ipv6=False)
    await asyncio.gather(a.gather_candidates(), b.gather_candidates())
    for this, other in ((a, b), (b, a)):
        for candidate in other.local_candidates:
            await this.add_remote_candidate(candidate)
        await this.add_remote_candidate(None)
        this.remote_username, this.remote_password = other.local_username, other.local_password
    await asyncio.wait_for(asyncio.gather(a.connect(), b.connect()), 10)
    return a, b


async def _alive_after(delay: float | None, seconds: float) -> tuple[bool, float]:
    """Connect, let b answer consent checks `delay` late, and report whether a still checks consent after
    `seconds` (and when it stopped)."""
    a, b = await _connected_pair()
    loop = asyncio.get_running_loop()
    start = loop.time()
    _answer_with_delay(b, delay)
    stopped_at = None
    try:
        while loop.time() - start < seconds:
            await asyncio.sleep(0.05)
            task = a._query_consent_task
            if task is None or task.done():
                stopped_at = loop.time() - start
                break
        return stopped_at is None, stopped_at if stopped_at is not None else seconds
    finally:
        await a.close()
        await b.close()


def test_aioice_is_the_pinned_version_with_the_expected_internals():
    assert importlib.metadata.version("aioice") == aioice_consent.PINNED_AIOICE
    aioice_consent.check_versions()
    # Installed with every other hook, where the app starts its media (portal/room_hub.py).
    assert "aioice_consent.install()" in inspect.getsource(patches.install_all)


def test_install_is_idempotent_and_uninstall_restores_aioice(unhooked: None):
    original = ice.Connection.query_consent
    aioice_consent.install()
    aioice_consent.install()
    assert ice.Connection.query_consent is aioice_consent.query_consent
    assert aioice_consent._REGISTRY.original_query_consent is original, "install wrapped its own hook"
    aioice_consent.uninstall()
    assert ice.Connection.query_consent is original


def test_another_aioice_version_is_refused_with_a_clear_message(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "9.9.9")
    with pytest.raises(RuntimeError, match=r"checked against aioice 0\.13\.0, but aioice 9\.9\.9"):
        aioice_consent.check_versions()


def test_a_changed_query_consent_is_refused(unhooked: None, monkeypatch: pytest.MonkeyPatch):
    async def query_consent(self, interval):  # noqa: ANN001 - what a future aioice might do
        pass

    monkeypatch.setattr(ice.Connection, "query_consent", query_consent)
    with pytest.raises(RuntimeError, match="query_consent has parameters"):
        aioice_consent.install()
    assert ice.Connection.query_consent is query_consent, "a refused hook must leave aioice alone"


def test_a_query_consent_that_already_retries_is_refused(unhooked: None, monkeypatch: pytest.MonkeyPatch):
    async def query_consent(self):  # noqa: ANN001 - a future aioice that fixed it differently
        await asyncio.sleep(1)

    monkeypatch.setattr(ice.Connection, "query_consent", query_consent)
    with pytest.raises(RuntimeError, match="no longer contains 'retransmissions=0'"):
        aioice_consent.check_versions()


def test_consent_expires_thirty_seconds_after_the_last_answer():
    assert aioice_consent.CONSENT_TIMEOUT == 30.0
    assert not aioice_consent.consent_expired(last_fresh=100.0, now=129.9)
    assert aioice_consent.consent_expired(last_fresh=100.0, now=130.0)
    # A check gives up before the next one is due, so checks never pile up on a pair.
    assert aioice_consent.CHECK_LIFETIME < aioice_consent.CONSENT_INTERVAL * 0.8
    lifetime = sum(0.5 * 2**i for i in range(aioice_consent.CHECK_RETRANSMISSIONS + 1))
    assert lifetime == aioice_consent.CHECK_LIFETIME


def test_without_the_hook_late_answers_close_a_healthy_connection(fast_consent: None, unhooked: None):
    """The bug: aioice waits one RTO for each check, so answers that come 1.6 RTO late count as none."""
    alive, stopped_at = run_scenario(_alive_after(delay=RTO * 1.6, seconds=3.0))
    assert not alive, "aioice's own consent check was expected to give up on late answers"
    assert stopped_at < 3.0


def test_with_the_hook_late_answers_keep_the_connection(fast_consent: None, hooked: None):
    alive, _ = run_scenario(_alive_after(delay=RTO * 1.6, seconds=TIMEOUT * 2.5))
    assert alive, "a connection whose peer answers consent checks late was closed"


def test_with_the_hook_silence_closes_the_connection_after_the_consent_timeout(
    fast_consent: None, hooked: None
):
    alive, stopped_at = run_scenario(_alive_after(delay=None, seconds=TIMEOUT * 4))
    assert not alive, "a peer that never answers must lose consent"
    # Not before the consent timeout. How soon after it is consent_expired's rule (tested on its own above);
    # a wall-clock bound here was a speed limit that a loaded machine could fail.
    assert stopped_at >= TIMEOUT, f"consent was lost {stopped_at:.2f} s in, before the {TIMEOUT} s timeout"
