from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from typing import Any

import pytest
from labsvc import client, faults
from labsvc.client import Downstream, RetryPolicy, UpstreamResponse, UpstreamUnavailable, backoff_delays


def test_backoff_is_capped_exponential_full_jitter() -> None:
    policy = RetryPolicy(retries=6, base_s=0.1, cap_s=1.0)
    ceilings = [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
    for seed in range(50):
        delays = backoff_delays(policy, random.Random(seed))
        assert len(delays) == 6
        assert all(0 <= d <= c for d, c in zip(delays, ceilings, strict=True))


def test_backoff_jitter_spreads_clients() -> None:
    policy = RetryPolicy(retries=1, base_s=1.0, cap_s=1.0)
    firsts = {round(backoff_delays(policy, random.Random(seed))[0], 6) for seed in range(20)}
    assert len(firsts) == 20


def test_no_retries_means_no_delays() -> None:
    assert backoff_delays(RetryPolicy(), random.Random(0)) == []


def ok(status: int = 200) -> UpstreamResponse:
    return UpstreamResponse(status, b"{}", "application/json", {})


class Scripted(Downstream):
    """A Downstream whose attempts replay a script instead of using the network."""

    def __init__(self, outcomes: list[Any], policy: RetryPolicy) -> None:
        super().__init__("test", "http://test", timeout_s=1.0, policy=policy)
        self.outcomes: Iterator[Any] = iter(outcomes)
        self.attempts = 0

    async def _attempt(self, *args: Any) -> UpstreamResponse:
        self.attempts += 1
        outcome = next(self.outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(client.asyncio, "sleep", fake_sleep)
    yield slept
    faults.SWITCHES.clear()


def run(downstream: Downstream, method: str = "GET") -> UpstreamResponse:
    return asyncio.run(downstream.request(method, "/x"))


def test_get_retries_connection_errors_and_503_then_succeeds() -> None:
    down = Scripted([UpstreamUnavailable("test", "refused"), ok(503), ok(200)], RetryPolicy(retries=2))
    assert run(down).status == 200
    assert down.attempts == 3


def test_last_attempt_error_is_raised() -> None:
    down = Scripted([UpstreamUnavailable("test", "refused")] * 2, RetryPolicy(retries=1))
    with pytest.raises(UpstreamUnavailable):
        run(down)


def test_client_errors_and_500_are_not_retried() -> None:
    for status in (404, 409, 500):
        down = Scripted([ok(status), ok(200)], RetryPolicy(retries=3))
        assert run(down).status == status
        assert down.attempts == 1


def test_post_is_not_retried_unless_marked_safe() -> None:
    down = Scripted([ok(503), ok(200)], RetryPolicy(retries=3))
    assert run(down, "POST").status == 503
    safe = Scripted([ok(503), ok(200)], RetryPolicy(retries=3, retry_non_idempotent=True))
    assert run(safe, "POST").status == 200


def test_retry_storm_retries_everything_immediately(no_sleep: list[float]) -> None:
    faults.SWITCHES.apply({"retry_storm": faults.RetryStorm(retries=5)})
    down = Scripted([ok(500)] * 6, RetryPolicy(retries=0))
    assert run(down, "POST").status == 500
    assert down.attempts == 6
    assert no_sleep == [0.0] * 5
