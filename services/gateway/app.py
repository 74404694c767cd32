"""gateway: the only entry point; proxies /api/* routes to the services behind it.

Routes, timeouts, retries and rate limits come from the routes file
(GATEWAY_ROUTES, default routes.yaml next to this file); see routing.py.
Upstream statuses pass through; an upstream timeout becomes 504 and an
unreachable upstream 502 (labsvc.http).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from aiohttp import web
from labsvc import faults
from labsvc.client import Downstream, RetryPolicy
from labsvc.config import Settings, env_str
from labsvc.http import Handler, create_app, json_response, run
from ratelimit import TokenBucket
from routing import Route, load_routes, render_upstream_path

# Upstream response headers the client may rely on; hop-by-hop ones are dropped.
PASSED_HEADERS = ("X-Cache", "Retry-After", "Location")
CONFIG_KEYS = {
    # A WAF-style filter applied to every request's path and query: requests it
    # matches get 403. A pattern that backtracks catastrophically stalls the
    # event loop for every request (the Cloudflare outage of July 2019).
    # E.g. "^([a-z/]+)+$" costs ~40 ms per /api/products/search?... request on
    # one core; "^(?:[a-z/?=%0-9]+)+x$" takes minutes and stalls the gateway.
    "request_filter": faults.compilable_regex("request_filter"),
}


def make_proxy(route: Route, upstream: Downstream) -> Handler:
    bucket = TokenBucket(route.rate_limit.rate_per_s, route.rate_limit.burst, time.monotonic())
    policy = RetryPolicy(retries=route.retries)

    async def proxy(request: web.Request) -> web.StreamResponse:
        now = time.monotonic()
        if not bucket.try_take(now):
            retry_after = bucket.retry_after_s(now)
            return json_response(
                {"error": "rate_limited", "retry_after_s": round(retry_after, 3)},
                status=429,
                headers={"Retry-After": str(max(1, round(retry_after)))},
            )
        request_filter = faults.SWITCHES.config_value("request_filter", None)
        if request_filter is not None and re.search(request_filter, request.path_qs):
            return json_response({"error": "blocked_by_request_filter"}, status=403)
        body = await request.read() if request.body_exists else None
        headers = {"Content-Type": request.content_type} if body else None
        response = await upstream.request(
            route.method,
            render_upstream_path(route.upstream_path, request.match_info),
            data=body,
            params=request.query,
            headers=headers,
            timeout_s=route.timeout_s,
            policy=policy,
        )
        passed = {name: response.headers[name] for name in PASSED_HEADERS if name in response.headers}
        return web.Response(
            status=response.status, body=response.body, content_type=response.content_type, headers=passed
        )

    return proxy


def build_app(settings: Settings) -> web.Application:
    upstream_urls = {
        "catalog": settings.catalog_url,
        "orders": settings.orders_url,
        "inventory": settings.inventory_url,
        "payments": settings.payments_url,
        "payment-provider": settings.provider_url,
    }
    default_routes = str(Path(__file__).with_name("routes.yaml"))
    routes_file = Path(env_str(os.environ, "GATEWAY_ROUTES", default_routes))
    routes = load_routes(routes_file, upstream_urls)
    app = create_app(settings, config_keys=CONFIG_KEYS)
    upstreams = {name: Downstream(name, url, timeout_s=2.0) for name, url in upstream_urls.items()}
    for route in routes:
        app.router.add_route(route.method, route.path, make_proxy(route, upstreams[route.upstream]))
    return app


if __name__ == "__main__":
    run(build_app)
