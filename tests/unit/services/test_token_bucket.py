from __future__ import annotations

import pytest
from ratelimit import TokenBucket


def test_burst_is_available_at_once_then_refused() -> None:
    bucket = TokenBucket(rate_per_s=10, burst=3, now=0.0)
    assert [bucket.try_take(0.0) for _ in range(4)] == [True, True, True, False]


def test_tokens_refill_at_rate() -> None:
    bucket = TokenBucket(rate_per_s=10, burst=1, now=0.0)
    assert bucket.try_take(0.0)
    assert not bucket.try_take(0.05)
    assert bucket.try_take(0.1)


def test_refill_never_exceeds_burst() -> None:
    bucket = TokenBucket(rate_per_s=100, burst=2, now=0.0)
    taken = [bucket.try_take(1000.0) for _ in range(3)]
    assert taken == [True, True, False]


def test_clock_going_backwards_does_not_drain_or_refill() -> None:
    bucket = TokenBucket(rate_per_s=1, burst=1, now=10.0)
    assert bucket.try_take(10.0)
    assert not bucket.try_take(5.0)
    assert bucket.try_take(11.0)


def test_retry_after_is_time_to_next_token() -> None:
    bucket = TokenBucket(rate_per_s=4, burst=1, now=0.0)
    bucket.try_take(0.0)
    assert bucket.retry_after_s(0.0) == pytest.approx(0.25)
    assert bucket.retry_after_s(0.25) == pytest.approx(0.0)


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0)])
def test_invalid_parameters_are_rejected(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate_per_s=rate, burst=burst, now=0.0)
