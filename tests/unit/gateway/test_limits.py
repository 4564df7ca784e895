"""The token buckets of the rate limit."""

from __future__ import annotations

from stadskamer.gateway.rest.limits import TokenBuckets


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=2.0, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == 1
    assert buckets.take("b") == 0
    clock.now += 0.5
    assert buckets.take("a") == 0
    assert buckets.take("a") == 1


def test_a_slow_rate_asks_for_a_longer_wait_and_refills_only_to_the_burst() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=0.25, burst=1, clock=clock)
    assert buckets.take("a") == 0
    assert buckets.take("a") == 4
    clock.now += 1000
    assert [buckets.take("a") for _ in range(2)] == [0, 4]
