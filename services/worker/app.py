"""worker: fulfils paid orders from the `orders.events` stream.

Consumer group `worker` (created with MKSTREAM if absent). Each order_paid
event marks the order 'fulfilled' and writes an email notification in one
transaction, then is XACKed. An event is acked only after its transaction
commits, so a crash or a Postgres outage leaves it pending: on (re)start the
consumer first re-reads its own pending entries, and periodically XAUTOCLAIMs
entries a dead consumer left behind. Redelivery is harmless: the UPDATE only
moves 'paid' orders and notifications are unique per (order, kind).
HTTP (/healthz, /readyz, /metrics, /admin/faults) is served on PORT.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import redis.asyncio as redis
from aiohttp import web
from labsvc import metrics
from labsvc.config import Settings, env_int, env_str
from labsvc.db import Database
from labsvc.http import DB_KEY, REDIS_KEY, SETTINGS_KEY, create_app, run, with_postgres, with_redis
from labsvc.logging import get_logger
from redis.exceptions import RedisError, ResponseError

STREAM = "orders.events"
GROUP = "worker"
EVENT_TYPES = frozenset({"order_paid"})
LAG_FALLBACK_MAX = 10_000
log = get_logger("worker")


@dataclass(frozen=True)
class WorkerConfig:
    consumer: str
    batch_size: int
    # Below the Redis client's 2 s socket timeout, or a quiet stream reads as an error.
    block_ms: int
    notify_latency_ms: int
    claim_idle_ms: int
    lag_poll_s: int
    error_backoff_ms: int

    @classmethod
    def from_env(cls) -> WorkerConfig:
        env = os.environ
        return cls(
            consumer=env_str(env, "WORKER_CONSUMER", socket.gethostname()),
            batch_size=env_int(env, "WORKER_BATCH_SIZE", 20, minimum=1, maximum=1000),
            block_ms=env_int(env, "WORKER_BLOCK_MS", 1000, minimum=10, maximum=1500),
            notify_latency_ms=env_int(env, "WORKER_NOTIFY_LATENCY_MS", 5, maximum=60_000),
            claim_idle_ms=env_int(env, "WORKER_CLAIM_IDLE_MS", 60_000, minimum=1000),
            lag_poll_s=env_int(env, "WORKER_LAG_POLL_S", 5, minimum=1),
            error_backoff_ms=env_int(env, "WORKER_ERROR_BACKOFF_MS", 1000, minimum=10),
        )


class TransientError(Exception):
    """Processing failed for a reason that may pass (database down): retry later."""


class Consumer:
    def __init__(self, db: Database, client: redis.Redis, config: WorkerConfig) -> None:
        self.db = db
        self.redis = client
        self.config = config

    async def ensure_group(self) -> None:
        try:
            await self.redis.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
            log.info("group_created", stream=STREAM, group=GROUP)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def run(self, stop: asyncio.Event) -> None:
        # "0" replays this consumer's own pending entries; ">" reads new ones.
        cursor = "0"
        group_ready = False
        loop = asyncio.get_running_loop()
        next_claim = loop.time()
        while not stop.is_set():
            try:
                if not group_ready:
                    await self.ensure_group()
                    group_ready = True
                if loop.time() >= next_claim:
                    await self.claim_abandoned()
                    next_claim = loop.time() + self.config.claim_idle_ms / 1000
                # RESP2 reply: [[stream, [(entry_id, fields), ...]]]; redis-py's hints describe RESP3.
                reply: Any = await self.redis.xreadgroup(
                    GROUP,
                    self.config.consumer,
                    {STREAM: cursor},
                    count=self.config.batch_size,
                    block=self.config.block_ms,
                )
                entries: list[tuple[str, dict[str, str]]] = reply[0][1] if reply else []
                if cursor == "0" and not entries:
                    cursor = ">"
                for entry_id, fields in entries:
                    await self.handle(entry_id, fields)
            except (RedisError, OSError, TransientError) as exc:
                if isinstance(exc, ResponseError) and "NOGROUP" in str(exc):
                    group_ready = False  # the stream or group was deleted under us
                log.warning("consume_failed", error=f"{type(exc).__name__}: {exc}")
                cursor = "0"
                await _sleep_unless(stop, self.config.error_backoff_ms / 1000)
            except Exception:
                log.exception("consume_crashed")
                cursor = "0"
                await _sleep_unless(stop, self.config.error_backoff_ms / 1000)

    async def claim_abandoned(self) -> None:
        """Take over entries another consumer (a killed container) left pending."""
        reply: Any = await self.redis.xautoclaim(
            STREAM,
            GROUP,
            self.config.consumer,
            min_idle_time=self.config.claim_idle_ms,
            start_id="0-0",
            count=100,
        )
        claimed = reply[1]
        if claimed:
            log.info("claimed_abandoned_entries", count=len(claimed))
            for entry_id, fields in claimed:
                if fields is not None:
                    await self.handle(entry_id, fields)

    async def handle(self, entry_id: str, fields: dict[str, str]) -> None:
        # Only known types become label values: a stray producer can't add series.
        event_type = fields.get("type") if fields.get("type") in EVENT_TYPES else "unknown"
        if event_type != "order_paid" or not fields.get("order_id", "").isdigit():
            log.warning("event_skipped", entry_id=entry_id, fields=fields)
            outcome = "skipped"
        else:
            try:
                outcome = await self.fulfil(int(fields["order_id"]))
            except Exception as exc:
                metrics.WORKER_EVENTS_PROCESSED.labels(event_type, "error").inc()
                raise TransientError(f"entry {entry_id}: {type(exc).__name__}: {exc}") from exc
        await self.redis.xack(STREAM, GROUP, entry_id)
        metrics.WORKER_EVENTS_PROCESSED.labels(event_type, outcome).inc()

    async def fulfil(self, order_id: int) -> str:
        # Stands for rendering and handing the email to a mail service.
        await asyncio.sleep(self.config.notify_latency_ms / 1000)
        async with self.db.transaction("fulfil_order") as conn:
            recipient = await conn.fetchval(
                "UPDATE orders o SET status = 'fulfilled', fulfilled_at = now(), updated_at = now() "
                "FROM users u WHERE o.id = $1 AND o.status = 'paid' AND u.id = o.user_id RETURNING u.email",
                order_id,
            )
            if recipient is None:
                return "skipped"  # unknown, already fulfilled (a redelivery) or cancelled
            await conn.execute(
                "INSERT INTO notifications (order_id, channel, kind, recipient) "
                "VALUES ($1, 'email', 'order_fulfilled', $2) ON CONFLICT (order_id, kind) DO NOTHING",
                order_id,
                recipient,
            )
        log.info("order_fulfilled", order_id=order_id)
        return "ok"

    async def poll_lag(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.update_lag()
            except (RedisError, OSError) as exc:
                log.debug("lag_poll_failed", error=str(exc))
            await _sleep_unless(stop, self.config.lag_poll_s)

    async def update_lag(self) -> None:
        groups = await self.redis.xinfo_groups(STREAM)
        group = next((g for g in groups if g.get("name") == GROUP), None)
        if group is None:
            return
        metrics.WORKER_STREAM_PENDING.set(group.get("pending", 0))
        lag = group.get("lag")
        if lag is None:
            # Redis < 7, or 7 after trimming/deletion: count undelivered entries
            # after the group's last-delivered id (bounded, so this stays cheap).
            undelivered: Any = await self.redis.xrange(
                STREAM, min=f"({group['last-delivered-id']}", count=LAG_FALLBACK_MAX
            )
            lag = len(undelivered)
        metrics.WORKER_STREAM_LAG.set(lag)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def build_app(settings: Settings) -> web.Application:
    config = WorkerConfig.from_env()
    app = create_app(settings)
    with_postgres(app)
    with_redis(app)
    metrics.enable(metrics.WORKER_STREAM_LAG, metrics.WORKER_STREAM_PENDING, metrics.WORKER_EVENTS_PROCESSED)

    async def consume(app: web.Application) -> AsyncIterator[None]:
        # Appended after with_postgres / with_redis: started after them, stopped before them.
        consumer = Consumer(app[DB_KEY], app[REDIS_KEY], config)
        stop = asyncio.Event()
        tasks = [asyncio.create_task(consumer.run(stop)), asyncio.create_task(consumer.poll_lag(stop))]
        log.info("consumer_started", consumer=config.consumer, stream=STREAM, group=GROUP)
        yield
        stop.set()
        # Let the current event finish (it is acked or stays pending), then give up.
        _done, pending = await asyncio.wait(tasks, timeout=app[SETTINGS_KEY].shutdown_grace_s)
        for task in pending:
            task.cancel()
        log.info("consumer_stopped")

    app.cleanup_ctx.append(consume)
    return app


if __name__ == "__main__":
    run(build_app)
