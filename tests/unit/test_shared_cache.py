"""shared_cache.SharedCache: bounded, with the eviction order each user relies on, safe across threads."""

from __future__ import annotations

import threading

from shared_cache import SharedCache


def test_least_recently_used_keeps_what_was_just_read():
    cache: SharedCache[str, int] = SharedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3), "b was used least recently"


def test_least_recently_put_ignores_reads_but_not_a_second_put():
    cache: SharedCache[str, int] = SharedCache(2, evict="least_recently_put")
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, 2, 3), "a was put longest ago"
    cache.put("b", 20)
    cache.put("d", 4)
    assert (cache.get("b"), cache.get("c"), cache.get("d")) == (20, None, 4), "putting b again renewed it"


def test_clear_forgets_everything():
    cache: SharedCache[int, int] = SharedCache(4)
    for i in range(4):
        cache.put(i, i)
    cache.clear()
    assert len(cache) == 0 and cache.get(0) is None


def test_many_threads_never_grow_it_past_its_size():
    cache: SharedCache[tuple[int, int], int] = SharedCache(50)

    def work(thread: int) -> None:
        for i in range(2000):
            cache.put((thread, i % 80), i)
            cache.get((thread, (i * 7) % 80))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 50
