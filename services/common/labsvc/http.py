"""The aiohttp app every service is built on.

`create_app` adds the middleware (request id, metrics + access log, fault
injection, error mapping) and the infrastructure endpoints: /healthz, /readyz,
/metrics and /admin/faults. `with_postgres` / `with_redis` attach a pool and its
readiness check. `run` starts the server; aiohttp's own graceful shutdown on
SIGTERM stops listening, drains in-flight requests for SHUTDOWN_GRACE_S, then
runs the cleanup contexts that close the pools.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from labsvc import client, faults, metrics
from labsvc import logging as lablog
from labsvc.config import ConfigError, Settings

if TYPE_CHECKING:
    import redis.asyncio as redis

    from labsvc.db import Database

# A readiness check passes unless it raises (or times out); its result is ignored.
Check = Callable[[], Awaitable[object]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SETTINGS_KEY = web.AppKey("settings", Settings)
CHECKS_KEY = web.AppKey("readiness_checks", dict)
DB_KEY: web.AppKey[Database] = web.AppKey("database")
REDIS_KEY: web.AppKey[redis.Redis] = web.AppKey("redis")

# Not product traffic: kept out of the http_* metrics, the access log and faults.
INFRA_ROUTES = frozenset({"/healthz", "/readyz", "/metrics", "/admin/faults", "/admin/faults/{name}"})
UNMATCHED_ROUTE = "unmatched"
READY_CHECK_TIMEOUT_S = 1.5
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

log = lablog.get_logger("labsvc.http")


class ApiError(Exception):
    """Raised by handlers; rendered as `{"error": code, ...fields}` with `status`."""

    def __init__(self, status: int, error: str, **fields: Any) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.fields = fields


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, default=_encode, separators=(",", ":"))


def _encode(value: Any) -> str:
    # Records carry datetimes and UUIDs: ISO 8601 for the former, str for the rest.
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else str(value)


async def read_json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "bad_request", detail="body must be valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", detail="body must be a JSON object")
    return body


def route_label(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED_ROUTE


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    incoming = request.headers.get("X-Request-ID", "")
    # An untrusted header goes into every log line: accept only a sane token.
    request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
    token = lablog.request_id_var.set(request_id)
    try:
        response = await handler(request)
        response.headers["X-Request-ID"] = request_id
        return response
    finally:
        lablog.request_id_var.reset(token)


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = route_label(request)
    if route in INFRA_ROUTES:
        return await handler(request)
    metrics.HTTP_IN_FLIGHT.inc()
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        elapsed = time.perf_counter() - started
        metrics.HTTP_IN_FLIGHT.dec()
        metrics.HTTP_REQUESTS.labels(route, request.method, str(status)).inc()
        metrics.HTTP_DURATION.labels(route, request.method).observe(elapsed)
        log.info(
            "request",
            method=request.method,
            route=route,
            path=request.path_qs,
            status=status,
            duration_ms=round(elapsed * 1000, 2),
        )


@web.middleware
async def inject_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = route_label(request)
    if route in INFRA_ROUTES or route == UNMATCHED_ROUTE:
        return await handler(request)
    delay = faults.SWITCHES.latency_for(route)
    if delay:
        await asyncio.sleep(delay)
    error = faults.SWITCHES.error_for(route)
    if error is not None and random.random() < error.rate:
        return json_response({"error": "injected_fault", "fault": "error_rate"}, status=error.status)
    return await handler(request)


@web.middleware
async def map_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Innermost: every outcome becomes a JSON response, so the outer layers see a status."""
    try:
        return await handler(request)
    except ApiError as exc:
        return json_response({"error": exc.error, **exc.fields}, status=exc.status)
    except web.HTTPException as exc:
        return json_response({"error": exc.reason}, status=exc.status)
    except client.UpstreamTimeout as exc:
        log.warning("upstream_timeout", upstream=exc.upstream, detail=exc.detail)
        return json_response({"error": "upstream_timeout", "upstream": exc.upstream}, status=504)
    except client.UpstreamUnavailable as exc:
        log.warning("upstream_unavailable", upstream=exc.upstream, detail=exc.detail)
        return json_response({"error": "upstream_unavailable", "upstream": exc.upstream}, status=502)
    except Exception:
        log.exception("unhandled_error", route=route_label(request))
        return json_response({"error": "internal_error"}, status=500)


async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    checks: dict[str, Check] = request.app[CHECKS_KEY]
    names = list(checks)
    results = await asyncio.gather(
        *(asyncio.wait_for(checks[name](), READY_CHECK_TIMEOUT_S) for name in names), return_exceptions=True
    )
    report = {
        name: _describe(result) if isinstance(result, BaseException) else "ok"
        for name, result in zip(names, results, strict=True)
    }
    failing = [name for name, outcome in report.items() if outcome != "ok"]
    if failing:
        return json_response({"status": "unready", "failing": failing, "checks": report}, status=503)
    return json_response({"status": "ready", "checks": report})


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return f"timeout after {READY_CHECK_TIMEOUT_S}s"
    return f"{type(exc).__name__}: {exc}"[:300]


async def metrics_endpoint(request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def get_faults(request: web.Request) -> web.Response:
    return json_response(faults.SWITCHES.snapshot())


async def put_faults(request: web.Request) -> web.Response:
    body = await read_json(request)
    try:
        switches = faults.SWITCHES.parse(body)
    except faults.FaultError as exc:
        raise ApiError(400, "invalid_fault", detail=str(exc)) from None
    faults.SWITCHES.apply(switches)
    log.warning("fault_switched_on", faults=sorted(switches))
    return json_response(faults.SWITCHES.snapshot())


async def delete_faults(request: web.Request) -> web.Response:
    name = request.match_info.get("name")
    if name is not None and name not in faults.SWITCH_NAMES:
        raise ApiError(
            400,
            "invalid_fault",
            detail=f"unknown fault {name!r}; supported: {', '.join(faults.SWITCH_NAMES)}",
        )
    faults.SWITCHES.clear(name)
    log.warning("fault_switched_off", faults=name or "all")
    return json_response(faults.SWITCHES.snapshot())


def create_app(
    settings: Settings, *, config_keys: Mapping[str, faults.ConfigValidator] | None = None
) -> web.Application:
    app = web.Application(
        middlewares=[request_context, observe, inject_faults, map_errors], client_max_size=1024 * 1024
    )
    app[SETTINGS_KEY] = settings
    app[CHECKS_KEY] = {}
    faults.SWITCHES.config_keys = dict(config_keys or {})
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_endpoint)
    app.router.add_get("/admin/faults", get_faults)
    app.router.add_put("/admin/faults", put_faults)
    app.router.add_delete("/admin/faults", delete_faults)
    app.router.add_delete("/admin/faults/{name}", delete_faults)
    app.on_startup.append(_record_known_routes)
    app.on_shutdown.append(_log_shutdown)
    app.on_cleanup.append(lambda _app: client.close_session())
    return app


def add_readiness_check(app: web.Application, name: str, check: Check) -> None:
    app[CHECKS_KEY][name] = check


def with_postgres(app: web.Application) -> None:
    """Open the asyncpg pool at startup, check it in /readyz, close it last."""

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        from labsvc.db import Database  # imported here: services without a DB never load asyncpg

        settings = app[SETTINGS_KEY]
        database = await Database.connect(settings)
        app[DB_KEY] = database
        add_readiness_check(app, "postgres", database.ping)
        yield
        await database.close(settings.shutdown_grace_s)

    app.cleanup_ctx.append(lifecycle)


def with_redis(app: web.Application) -> None:
    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        from labsvc import cache  # imported here: services without Redis never load redis-py

        client_ = cache.connect(app[SETTINGS_KEY])
        app[REDIS_KEY] = client_
        add_readiness_check(app, "redis", client_.ping)
        yield
        await client_.aclose()
        await client_.connection_pool.disconnect()

    app.cleanup_ctx.append(lifecycle)


async def _record_known_routes(app: web.Application) -> None:
    # After every route is added: the fault API rejects routes the service doesn't have.
    faults.SWITCHES.known_routes = frozenset(
        r.canonical for r in app.router.resources() if r.canonical not in INFRA_ROUTES
    )
    log.info("started", port=app[SETTINGS_KEY].port, routes=sorted(faults.SWITCHES.known_routes))


async def _log_shutdown(app: web.Application) -> None:
    log.info("shutting_down", grace_s=app[SETTINGS_KEY].shutdown_grace_s)


def run(build: Callable[[Settings], web.Application]) -> None:
    """Entry point of every service: settings from env, JSON logs, serve until SIGTERM."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(json.dumps({"level": "error", "event": "bad_config", "detail": str(exc)}), flush=True)
        sys.exit(2)
    lablog.configure(settings.service_name, settings.log_level)
    try:
        app = build(settings)
    except ConfigError as exc:
        log.error("bad_config", detail=str(exc))
        sys.exit(2)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        shutdown_timeout=settings.shutdown_grace_s,
        access_log=None,
        print=None,
        handle_signals=True,
    )
    log.info("stopped")
