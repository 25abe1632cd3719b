"""The one kind of in-process cache: a bounded map shared by every session of the process.

Streamlit runs each browser session in a thread of one process, so a cache that serves them all needs a
lock; cachetools supplies the bounded maps (it is not thread-safe by itself). Below every layer that uses
it (components, auth, services) and imports nothing of ours.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Generic, Literal, TypeVar

import cachetools

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Eviction = Literal["least_recently_used", "least_recently_put"]


class SharedCache(Generic[K, V]):
    """At most `size` entries; when full, a put drops the entry first in line.

    evict="least_recently_used": a get or a put sends its entry to the back of the line.
    evict="least_recently_put": only a put does (a get leaves the line as it is), for a map of when
    something last happened, where looking it up is not a use.
    """

    def __init__(self, size: int, *, evict: Eviction = "least_recently_used") -> None:
        # cachetools' FIFOCache sends a key that is put again to the back, so it is least recently put.
        kind = cachetools.LRUCache if evict == "least_recently_used" else cachetools.FIFOCache
        self._entries: cachetools.Cache[K, V] = kind(maxsize=size)
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
