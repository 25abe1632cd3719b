"""A small hook into aioice: ICE consent expires as RFC 7675 says, 30 s after the last answered check.

aioice 0.13.0's Connection.query_consent sends a consent check (a STUN binding request on each nominated
pair) every 4-6 s, each a single attempt with a 0.5 s timeout (retransmissions=0), and closes the connection
after six failed checks in a row. A reply that comes later than 0.5 s is thrown away: its transaction is gone.
On a loaded machine that is what happens to healthy connections: the hub's event loop lags 0.3-2.2 s and the
browsers are slow too, so Chrome's replies arrive, late, and aioice closes a connection that is alive. The
browser then sees "failed", stops that component and starts a new peer connection: a black gap, and a new
round of signalling for the page.

RFC 7675 (section 5.1) says consent is lost when no check has been answered for 30 seconds. query_consent
here does just that: a check every 4-6 s (as aioice), each a STUN transaction that retransmits (RTO 0.5 s,
doubling) and stays open for CHECK_LIFETIME seconds, so a late reply to any transmission still counts; and
the connection is closed only once no check on a pair has been answered for CONSENT_TIMEOUT seconds.

The hook replaces aioice.ice.Connection.query_consent (the coroutine connect() starts once ICE completes). It
is tied to aioice 0.13.0: install() refuses any other version, and checks the signatures and the bits of
source it relies on. Like media/patches/aiortc_forwarding.py, it is process-wide: every aioice connection in
the process (the hub's and, in tests, the client peers') follows RFC 7675.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from aioice import ice, stun

from media.patches import pins

logger = logging.getLogger(__name__)

PINNED_AIOICE = "0.13.0"

# RFC 7675 section 5.1: consent expires 30 s after the last successful consent check.
CONSENT_TIMEOUT = 30.0
# Checks are sent every CONSENT_INTERVAL * (0.8 .. 1.2) seconds, as aioice does (RFC 7675: 4-6 s).
CONSENT_INTERVAL = 5.0
# Each check retransmits after 0.5 s and 1.5 s (stun.Transaction doubles its RTO from 0.5 s) and gives up
# 3.5 s after it was first sent: a reply to any of the three transmissions, however late within that, counts.
CHECK_RETRANSMISSIONS = 2
CHECK_LIFETIME = 3.5

_EXPECTED_QUERY_CONSENT = ["self"]
_EXPECTED_BUILD_REQUEST = ["self", "pair", "nominate"]
_EXPECTED_REQUEST = ["self", "request", "addr", "integrity_key", "retransmissions"]
# Source fragments the hook relies on: connect() starts query_consent as a task and stores it where close()
# cancels it; the original is the single-attempt check this module replaces.
_CONNECT_STARTS = "self._query_consent_task = asyncio.create_task(self.query_consent())"
_CLOSE_CANCELS = "self._query_consent_task.cancel()"
_INIT_HOLDS = ("self._nominated", "self._query_consent_task", "self.remote_password")
_ORIGINAL_CHECKS = ("retransmissions=0", "CONSENT_FAILURES")


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.original_query_consent: Callable[..., Coroutine[Any, Any, None]] | None = None


_REGISTRY = _Registry()


def consent_expired(last_fresh: float, now: float, timeout: float | None = None) -> bool:
    """Whether consent is lost: no check answered for `timeout` (default CONSENT_TIMEOUT) seconds."""
    return now - last_fresh >= (CONSENT_TIMEOUT if timeout is None else timeout)


async def _check(connection: ice.Connection, pair: Any) -> bool:
    """One consent check on a nominated pair: True when it was answered (late replies included)."""
    request = connection.build_request(pair, nominate=False)
    try:
        await pair.protocol.request(
            request,
            pair.remote_addr,
            integrity_key=connection.remote_password.encode("utf8"),
            retransmissions=CHECK_RETRANSMISSIONS,
        )
    except stun.TransactionError:  # timed out (TransactionTimeout) or an error response (TransactionFailed)
        return False
    except (ConnectionError, OSError):  # the socket went away under us: no answer
        return False
    return True


async def query_consent(self: ice.Connection) -> None:
    """Periodically check consent (RFC 7675); close the connection when it has expired.

    Replaces aioice.ice.Connection.query_consent: consent on a pair stays fresh for CONSENT_TIMEOUT seconds
    after its last answered check, and each check accepts a late answer for up to CHECK_LIFETIME seconds.
    """
    assert self.remote_password is not None  # as aioice: checks only start once connect() has it
    loop = asyncio.get_running_loop()
    started = loop.time()
    last_fresh: dict[int, float] = {}
    while True:
        await asyncio.sleep(CONSENT_INTERVAL * (0.8 + 0.4 * random.random()))
        for component, pair in list(self._nominated.items()):
            if await _check(self, pair):
                last_fresh[component] = loop.time()
                continue
            logger.debug("Connection(%s) consent check on %s not answered", getattr(self, "_id", "?"), pair)
            if consent_expired(last_fresh.get(component, started), loop.time()):
                logger.info(
                    "Connection(%s) consent to send expired: no consent check on %s answered for %.0f s "
                    "(check list: %s)",
                    getattr(self, "_id", "?"),
                    pair,
                    loop.time() - last_fresh.get(component, started),
                    [(str(p), p.state.name, p.nominated) for p in getattr(self, "_check_list", [])],
                )
                self._query_consent_task = None  # as aioice: close() must not cancel this very task
                await self.close()
                return


def check_versions() -> None:
    """Refuse to hook an aioice whose internals we have not checked."""
    pins.require_pinned(
        "aioice",
        PINNED_AIOICE,
        "media.patches.aioice_consent",
        "Re-check aioice.ice.Connection.query_consent, then update PINNED_AIOICE.",
    )
    original = _REGISTRY.original_query_consent or ice.Connection.query_consent
    checks = [
        ("aioice.ice.Connection.query_consent", original, _EXPECTED_QUERY_CONSENT),
        ("aioice.ice.Connection.build_request", ice.Connection.build_request, _EXPECTED_BUILD_REQUEST),
        ("aioice.ice.StunProtocol.request", ice.StunProtocol.request, _EXPECTED_REQUEST),
    ]
    for name, fn, expected in checks:
        if pins.params(fn) != expected:
            raise RuntimeError(
                f"{name} has parameters {pins.params(fn)}, expected {expected}; aioice changed"
            )
    if not inspect.iscoroutinefunction(original):
        raise RuntimeError("aioice.ice.Connection.query_consent is no longer a coroutine; aioice changed")
    sources = [
        ("Connection.connect", ice.Connection.connect, (_CONNECT_STARTS,)),
        ("Connection.close", ice.Connection.close, (_CLOSE_CANCELS,)),
        ("Connection.__init__", ice.Connection.__init__, _INIT_HOLDS),
        ("Connection.query_consent", original, _ORIGINAL_CHECKS),
    ]
    for name, fn, fragments in sources:
        source = inspect.getsource(fn)
        for fragment in fragments:
            if fragment not in source:
                raise RuntimeError(f"aioice.ice.{name} no longer contains {fragment!r}; aioice changed")
    if not issubclass(stun.TransactionTimeout, stun.TransactionError):
        raise RuntimeError("aioice.stun.TransactionTimeout is no longer a TransactionError; aioice changed")


def installed() -> bool:
    return ice.Connection.query_consent is query_consent


def install() -> None:
    """Install the hook (idempotent, thread-safe)."""
    with _REGISTRY.lock:
        if installed():
            return
        check_versions()
        _REGISTRY.original_query_consent = ice.Connection.query_consent
        ice.Connection.query_consent = query_consent  # type: ignore[method-assign]


def uninstall() -> None:
    """Put aioice back as it was (tests)."""
    with _REGISTRY.lock:
        if not installed():
            return
        ice.Connection.query_consent = _REGISTRY.original_query_consent  # type: ignore[method-assign]
        _REGISTRY.original_query_consent = None


__all__ = [
    "CHECK_LIFETIME",
    "CHECK_RETRANSMISSIONS",
    "CONSENT_INTERVAL",
    "CONSENT_TIMEOUT",
    "PINNED_AIOICE",
    "check_versions",
    "consent_expired",
    "install",
    "installed",
    "query_consent",
    "uninstall",
]
