"""Redis through one bounded, blocking connection pool per process.

A BlockingConnectionPool makes callers wait (up to a timeout) for a free
connection instead of failing at once, so saturation shows up as latency and
in `redis_pool_connections_in_use`, as it would with a real client pool.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

from labsvc import metrics
from labsvc.config import Settings
from labsvc.logging import get_logger

log = get_logger("labsvc.cache")


def connect(settings: Settings) -> redis.Redis:
    pool = redis.BlockingConnectionPool.from_url(
        settings.require_redis_url(),
        max_connections=settings.redis_pool_max,
        timeout=2,
        socket_timeout=2,
        socket_connect_timeout=2,
        decode_responses=True,
    )
    metrics.enable(metrics.REDIS_POOL_IN_USE, metrics.REDIS_POOL_MAX)
    # redis-py keeps no public in-use count; the private set is stable across 5.x-8.x.
    metrics.REDIS_POOL_IN_USE.set_function(lambda: len(getattr(pool, "_in_use_connections", ())))
    metrics.REDIS_POOL_MAX.set(settings.redis_pool_max)
    return redis.Redis(connection_pool=pool)


class JsonCache:
    """Cache-aside for JSON documents: every key carries a TTL.

    The TTL matters beyond freshness: Redis runs with `volatile-lru`, so only
    keys with a TTL may be evicted and the worker's stream never is. A Redis
    error is logged and served as a miss: the cache must not take reads down.
    """

    def __init__(self, client: redis.Redis, ttl_s: int) -> None:
        self.client = client
        self.ttl_s = ttl_s
        metrics.enable(metrics.CACHE_REQUESTS)
        for result in ("hit", "miss"):
            metrics.CACHE_REQUESTS.labels(result)

    async def get_or_load(self, key: str, load: Callable[[], Awaitable[Any]]) -> tuple[Any, bool]:
        """Return (value, hit). A loaded value of None is not cached."""
        try:
            cached = await self.client.get(key)
        except RedisError as exc:
            log.warning("cache_read_failed", key=key, error=str(exc))
            cached = None
        if cached is not None:
            metrics.CACHE_REQUESTS.labels("hit").inc()
            return json.loads(cached), True
        metrics.CACHE_REQUESTS.labels("miss").inc()
        value = await load()
        if value is not None:
            try:
                await self.client.set(key, json.dumps(value, separators=(",", ":")), ex=self.ttl_s)
            except RedisError as exc:
                log.warning("cache_write_failed", key=key, error=str(exc))
        return value, False
