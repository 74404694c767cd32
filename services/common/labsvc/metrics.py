"""The metric names every service shares; Prometheus rules depend on them.

No `service` label: Prometheus labels each scrape job with the service.
HTTP, upstream and fault metrics are registered by every service. Dependency
metrics (DB, Redis, cache, worker) are created unregistered and `enable()`d by
the module that uses them, so a service never exports a gauge it cannot fill.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1, 2, 5, 10)

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests served, by route template.", ["route", "method", "status"]
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to serve an HTTP request, by route template.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
HTTP_IN_FLIGHT = Gauge("http_requests_in_flight", "HTTP requests being served now.")

UPSTREAM_REQUESTS = Counter(
    "upstream_requests_total",
    "Calls to downstream services, one per attempt; status is the HTTP code, 'timeout' or 'error'.",
    ["upstream", "status"],
)
UPSTREAM_DURATION = Histogram(
    "upstream_request_duration_seconds",
    "Duration of one attempt of a downstream call.",
    ["upstream"],
    buckets=LATENCY_BUCKETS,
)

FAULT_ACTIVE = Gauge("app_fault_active", "1 while a runtime fault switch is on.", ["name"])

DB_POOL_IN_USE = Gauge("db_pool_connections_in_use", "Postgres connections checked out of the pool.", registry=None)
DB_POOL_MAX = Gauge("db_pool_connections_max", "Postgres pool size limit.", registry=None)
DB_QUERY_DURATION = Histogram(
    "db_query_duration_seconds",
    "Duration of a named query or transaction, including the wait for a pooled connection.",
    ["query"],
    buckets=LATENCY_BUCKETS,
    registry=None,
)

REDIS_POOL_IN_USE = Gauge("redis_pool_connections_in_use", "Redis connections checked out of the pool.", registry=None)
REDIS_POOL_MAX = Gauge("redis_pool_connections_max", "Redis pool size limit.", registry=None)

CACHE_REQUESTS = Counter(
    "cache_requests_total",
    "Cache-aside lookups; a Redis error counts as a miss.",
    ["result"],
    registry=None,
)

WORKER_STREAM_LAG = Gauge("worker_stream_lag", "Stream entries not yet delivered to the consumer group.", registry=None)
WORKER_STREAM_PENDING = Gauge(
    "worker_stream_pending", "Entries delivered to the group but not yet acknowledged.", registry=None
)
WORKER_EVENTS_PROCESSED = Counter(
    "worker_events_processed_total",
    "Stream events handled; outcome is ok, skipped or error.",
    ["type", "outcome"],
    registry=None,
)

_enabled: set[Collector] = set()


def enable(*collectors: Collector) -> None:
    """Register dependency metrics once, however many times a module asks."""
    for collector in collectors:
        if collector not in _enabled:
            REGISTRY.register(collector)
            _enabled.add(collector)
