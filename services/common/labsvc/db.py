"""Postgres access through one asyncpg pool per process.

Queries are named so `db_query_duration_seconds{query}` says which one got
slow; the time includes waiting for a free connection, which is where pool
saturation shows up first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from labsvc import metrics
from labsvc.config import Settings


class Database:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @classmethod
    async def connect(cls, settings: Settings) -> Database:
        # min_size=0: start without Postgres and connect on first use, so a
        # service comes up (live, not ready) while the database is still down.
        pool = await asyncpg.create_pool(
            settings.require_database_url(),
            min_size=0,
            max_size=settings.db_pool_max,
            command_timeout=10,
            timeout=5,
            max_inactive_connection_lifetime=60,
        )
        metrics.enable(metrics.DB_POOL_IN_USE, metrics.DB_POOL_MAX, metrics.DB_QUERY_DURATION)
        metrics.DB_POOL_IN_USE.set_function(lambda: pool.get_size() - pool.get_idle_size())
        metrics.DB_POOL_MAX.set(pool.get_max_size())
        return cls(pool)

    async def close(self, timeout_s: float) -> None:
        try:
            await asyncio.wait_for(self.pool.close(), timeout_s)
        except TimeoutError:
            self.pool.terminate()

    @asynccontextmanager
    async def timed(self, query: str) -> AsyncIterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            metrics.DB_QUERY_DURATION.labels(query).observe(time.perf_counter() - started)

    @asynccontextmanager
    async def transaction(self, query: str) -> AsyncIterator[asyncpg.Connection]:
        """A connection inside a transaction; the whole transaction is timed as `query`."""
        async with self.timed(query), self.pool.acquire() as conn, conn.transaction():
            yield conn

    async def fetch(self, query: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self.timed(query):
            rows: list[asyncpg.Record] = await self.pool.fetch(sql, *args)
            return rows

    async def fetchrow(self, query: str, sql: str, *args: Any) -> asyncpg.Record | None:
        async with self.timed(query):
            return await self.pool.fetchrow(sql, *args)

    async def fetchval(self, query: str, sql: str, *args: Any) -> Any:
        async with self.timed(query):
            return await self.pool.fetchval(sql, *args)

    async def execute(self, query: str, sql: str, *args: Any) -> str:
        async with self.timed(query):
            status: str = await self.pool.execute(sql, *args)
            return status

    async def ping(self) -> None:
        await self.pool.fetchval("SELECT 1", timeout=1)
