"""Calls to other services: per-call timeout, bounded retries, request-id propagation.

Every attempt is counted in `upstream_requests_total{upstream,status}` with
status the HTTP code, `timeout` or `error`. Failures that never produced a
response raise `UpstreamTimeout` / `UpstreamUnavailable`; labsvc.http turns
those into 504 / 502. While the `retry_storm` fault is on, every failure of
every method is retried at once, many times: the misbehaving client that
turns a small outage into an overload.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from labsvc import faults, metrics
from labsvc.logging import get_logger, request_id_var

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRYABLE_STATUSES = frozenset({502, 503, 504})

log = get_logger("labsvc.client")
_session: aiohttp.ClientSession | None = None


class UpstreamError(Exception):
    def __init__(self, upstream: str, detail: str) -> None:
        super().__init__(f"{upstream}: {detail}")
        self.upstream = upstream
        self.detail = detail


class UpstreamTimeout(UpstreamError):
    """No response within the call's timeout."""


class UpstreamUnavailable(UpstreamError):
    """Connection refused, reset or DNS failure: the upstream could not be reached."""


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 0
    base_s: float = 0.05
    cap_s: float = 1.0
    # Only GET/HEAD/OPTIONS retry by default; a POST may retry when the callee
    # deduplicates it (e.g. an Idempotency-Key header).
    retry_non_idempotent: bool = False


def backoff_delays(policy: RetryPolicy, rng: random.Random) -> list[float]:
    """Sleep before each retry: exponential with full jitter, capped.

    Full jitter (uniform in [0, min(cap, base * 2**n)]) spreads retries of many
    clients apart instead of having them hit a recovering upstream in waves.
    """
    return [rng.uniform(0, min(policy.cap_s, policy.base_s * 2**n)) for n in range(policy.retries)]


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    body: bytes
    content_type: str
    headers: Mapping[str, str]

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def _get_session() -> aiohttp.ClientSession:
    global _session
    if _session is None or _session.closed:
        # One pooled session per process; created lazily inside the running loop.
        _session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100))
    return _session


async def close_session() -> None:
    global _session
    if _session is not None:
        await _session.close()
        _session = None


class Downstream:
    def __init__(self, name: str, base_url: str, *, timeout_s: float, policy: RetryPolicy | None = None) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.policy = policy or RetryPolicy()
        self._rng = random.Random()

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
        policy: RetryPolicy | None = None,
    ) -> UpstreamResponse:
        policy = policy or self.policy
        storm = faults.SWITCHES.storm_retries()
        if storm is not None:
            delays, retry_any = [0.0] * storm, True
        else:
            retry_any = False
            retryable = method in IDEMPOTENT_METHODS or policy.retry_non_idempotent
            delays = backoff_delays(policy, self._rng) if retryable else []
        send_headers = dict(headers or {})
        request_id = request_id_var.get()
        if request_id is not None:
            send_headers["X-Request-ID"] = request_id
        timeout = aiohttp.ClientTimeout(total=timeout_s or self.timeout_s)
        url = self.base_url + path
        for attempt in range(len(delays) + 1):
            last = attempt == len(delays)
            try:
                response = await self._attempt(method, url, json_body, data, params, send_headers, timeout)
            except UpstreamError as exc:
                if last:
                    raise
                log.warning("upstream_retry", upstream=self.name, attempt=attempt + 1, reason=exc.detail)
            else:
                if last or not (response.status in RETRYABLE_STATUSES or (retry_any and response.status >= 500)):
                    return response
                log.warning("upstream_retry", upstream=self.name, attempt=attempt + 1, status=response.status)
            await asyncio.sleep(delays[attempt])
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _attempt(
        self,
        method: str,
        url: str,
        json_body: Any,
        data: bytes | None,
        params: Mapping[str, str] | None,
        headers: dict[str, str],
        timeout: aiohttp.ClientTimeout,
    ) -> UpstreamResponse:
        started = time.perf_counter()
        status = "error"
        try:
            async with _get_session().request(
                method, url, json=json_body, data=data, params=params, headers=headers, timeout=timeout
            ) as resp:
                body = await resp.read()
                status = str(resp.status)
                return UpstreamResponse(resp.status, body, resp.content_type, dict(resp.headers))
        except TimeoutError:
            status = "timeout"
            raise UpstreamTimeout(self.name, f"no response within {timeout.total}s") from None
        except aiohttp.ClientError as exc:
            raise UpstreamUnavailable(self.name, f"{type(exc).__name__}: {exc}") from None
        finally:
            metrics.UPSTREAM_REQUESTS.labels(self.name, status).inc()
            metrics.UPSTREAM_DURATION.labels(self.name).observe(time.perf_counter() - started)
