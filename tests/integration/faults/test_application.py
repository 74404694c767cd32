"""Application faults on real containers: runtime switches, a bad deploy, a crash loop.

Each effect is seen from outside: statuses and latency through the gateway, memory in docker
stats, request counts in a service's own /metrics, the image in docker inspect. After revert
the same measure is back at its baseline.
"""

from __future__ import annotations

import re
import time

import pytest
import requests

from lab.faults.admin_api import clear_switch, put_switch
from lab.faults.targets import resolve_target
from lab.images import image_specs
from lab.platforms import Platform
from lab.settings import Settings
from lab.testing import container_of, exec_in, wait_for

from .cases import Check, FaultCase, checkout_status, gateway_status, run_case

pytestmark = pytest.mark.docker

MIB = 1024 * 1024


def _seconds(settings: Settings, path: str, *, timeout: float = 5) -> float:
    """How long the gateway takes to answer ``path`` (``timeout`` when it does not)."""
    started = time.monotonic()
    try:
        requests.get(f"{settings.url('gateway')}{path}", timeout=timeout)
    except requests.RequestException:
        return timeout
    return time.monotonic() - started


def _memory_mib(settings: Settings, service: str) -> float:
    """The container's memory as `docker stats` shows it (usage less inactive page cache)."""
    stats = container_of(settings, service).stats(stream=False)["memory_stats"]
    detail = stats.get("stats", {})
    inactive = detail.get("total_inactive_file", detail.get("inactive_file", 0))
    return float(stats["usage"] - inactive) / MIB


def _catalog_503s(settings: Settings) -> float:
    text = exec_in(settings, "catalog", ["curl", "-fsS", "http://127.0.0.1:8000/metrics"])
    total = 0.0
    for labels, value in re.findall(r"^http_requests_total\{(.*)\} (\S+)$", text, re.M):
        if 'route="/products/{id}"' in labels and 'status="503"' in labels:
            total += float(value)
    return total


def _catalog_calls_per_failing_request(settings: Settings) -> float:
    """Calls the gateway makes to catalog for one request while catalog answers 503."""
    catalog = resolve_target(settings, "catalog")
    put_switch(catalog, "error_rate", {"route": "/products/{id}", "rate": 1.0, "status": 503})
    try:
        before = _catalog_503s(settings)
        gateway_status(settings, "/api/products/5")
        return _catalog_503s(settings) - before
    finally:
        clear_switch(catalog, "error_rate")


def _image_of(settings: Settings, service: str) -> str:
    return str(container_of(settings, service).attrs["Config"]["Image"])


def _restarts(settings: Settings, service: str) -> int:
    return int(container_of(settings, service).attrs["RestartCount"])


def _crash_looping(settings: Settings) -> bool:
    return _restarts(settings, "payments") >= 2 and checkout_status(settings) >= 500


CASES: dict[str, FaultCase] = {
    "error-rate": FaultCase(
        target="catalog",
        params={"route": "/products/{id}", "rate": "1", "status": "500"},
        effect=lambda s: gateway_status(s, "/api/products/2") == 500,
    ),
    "slow-path": FaultCase(
        target="catalog",
        params={"route": "/products/{id}", "ms": "700"},
        effect=lambda s: _seconds(s, "/api/products/2") >= 0.7,
    ),
    "app-memory-leak": FaultCase(
        target="catalog",
        params={"mb_per_s": "20", "max_mb": "60"},
        effect=lambda s: _memory_mib(s, "catalog") >= 85,
    ),
    "retry-storm": FaultCase(
        target="gateway",
        params={"retries": "10"},
        effect=lambda s: _catalog_calls_per_failing_request(s) >= 11,
    ),
    "bad-config": FaultCase(
        target="gateway",
        effect=lambda s: _seconds(s, "/api/products/search?q=lamp", timeout=2) >= 2,
    ),
    "bad-deploy": FaultCase(
        target="orders",
        params={"route": "/orders/checkout"},
        effect=lambda s: "-bad-" in _image_of(s, "orders") and checkout_status(s) == 500,
    ),
    "crash-loop": FaultCase(target="payments", effect=_crash_looping),
}

# After revert, the measure is back at its baseline (run_case already checks browse/checkout).
GONE: dict[str, Check] = {
    "slow-path": lambda s: _seconds(s, "/api/products/2") < 0.5,
    "app-memory-leak": lambda s: _memory_mib(s, "catalog") < 70,
    "retry-storm": lambda s: _catalog_calls_per_failing_request(s) == 3,  # the route's 2 retries
    "bad-config": lambda s: _seconds(s, "/api/products/search?q=lamp", timeout=2) < 1,
    "bad-deploy": lambda s: _image_of(s, "orders") == image_specs(s.root)["orders"].ref,
    "crash-loop": lambda s: _restarts(s, "payments") == 0,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_application_fault(name: str, fleet: Platform, settings: Settings) -> None:
    run_case(settings, fleet, name, CASES[name])
    if name in GONE:
        wait_for(lambda: GONE[name](settings), timeout=30, what=f"the effect of {name} to be gone")


def test_bad_config_page_size_makes_catalog_lists_huge(fleet: Platform, settings: Settings) -> None:
    def page_bytes() -> int:
        return len(requests.get(f"{settings.url('gateway')}/api/products?page=1", timeout=10).content)

    baseline = page_bytes()
    run_case(
        settings,
        fleet,
        "bad-config",
        FaultCase(target="catalog", effect=lambda s: page_bytes() > 100 * baseline),
    )
    assert page_bytes() < 2 * baseline
