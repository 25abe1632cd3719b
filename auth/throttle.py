"""How many password sign-ins are tried, per client address and in all, before the form waits.

The lock-out (auth/accounts.py) protects one account from guessing; this protects the portal from
someone trying many accounts, or many guesses from one place, and its processors from the argon2 work each
try costs. A refused try does no password work and writes nothing: a flood must not fill the audit trail.
Kept in this process (one Streamlit server); a restart forgets it, which only ever lets people in sooner.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

PER_ADDRESS = 20  # tries per address per window: a person mistyping does not come near it
OVERALL = 200  # tries from everywhere per window
WINDOW_SECONDS = 60.0
TOO_MANY = "Too many sign-in attempts. Please wait a minute, then try again."


class SignInThrottle:
    def __init__(
        self,
        per_address: int = PER_ADDRESS,
        overall: int = OVERALL,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_address, self._overall, self._window, self._clock = per_address, overall, window, clock
        self._lock = threading.Lock()
        self._all: deque[float] = deque()
        self._by_address: dict[str, deque[float]] = {}

    def admit(self, address: str | None) -> bool:
        """Count a try from `address`; False when it must wait, in which case it is not counted. A try
        whose address is unknown (Streamlit gives none) counts only towards the overall limit: lumping
        every such try under one address would let one person lock everyone else out."""
        now = self._clock()
        cutoff = now - self._window
        with self._lock:
            while self._all and self._all[0] <= cutoff:
                self._all.popleft()
            mine = self._by_address.setdefault(address, deque()) if address else None
            while mine and mine[0] <= cutoff:
                mine.popleft()
            if (mine is not None and len(mine) >= self._per_address) or len(self._all) >= self._overall:
                return False
            if mine is not None:
                mine.append(now)
            self._all.append(now)
            # Forget addresses with nothing in the window, so the map stays as small as the traffic.
            for other in [a for a, times in self._by_address.items() if not times and a != address]:
                del self._by_address[other]
            return True


THROTTLE = SignInThrottle()
