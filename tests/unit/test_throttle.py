"""Sign-in tries are limited per client address and in all (auth/throttle.py), on a fake clock."""

from __future__ import annotations

from auth.throttle import SignInThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_one_address_waits_after_its_limit_and_others_carry_on():
    clock = Clock()
    throttle = SignInThrottle(per_address=3, overall=100, window=60, clock=clock)
    assert [throttle.admit("10.0.0.5") for _ in range(4)] == [True, True, True, False]
    assert throttle.admit("10.0.0.6"), "another address must not wait for the first one's guesses"
    clock.now = 61
    assert throttle.admit("10.0.0.5"), "after the window the address may try again"


def test_everyone_waits_when_the_portal_as_a_whole_is_flooded():
    clock = Clock()
    throttle = SignInThrottle(per_address=100, overall=5, window=60, clock=clock)
    assert all(throttle.admit(f"10.0.0.{n}") for n in range(5))
    assert not throttle.admit("10.0.1.1") and not throttle.admit(None)


def test_an_unknown_address_counts_only_towards_the_overall_limit():
    throttle = SignInThrottle(per_address=2, overall=10, window=60, clock=Clock())
    assert all(throttle.admit(None) for _ in range(5)), "unknown addresses are not one address"
    assert [throttle.admit(None) for _ in range(6)] == [True] * 5 + [False]
