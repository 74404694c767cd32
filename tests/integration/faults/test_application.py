"""Application faults on real containers: runtime switches, a bad deploy, a crash loop.

Each effect is seen from outside: statuses and latency through the gateway, memory in docker
stats, request counts in a service's own /metrics, the image in docker inspect. After revert
the same measure is back at its baseline.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from lab.faults import inject, plan, revert
from lab.faults.admin_api import active_switches, clear_switch, put_switch
from lab.faults.ledger import Ledger
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


def _lab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lab", *args], capture_output=True, text=True, timeout=120)


def _crash_setting_gone(settings: Settings) -> bool:
    c = container_of(settings, "payments")
    return "LOG_LEVEL=TRACE" not in c.attrs["Config"]["Env"] and c.status == "running"


def test_sigkill_of_lab_mid_crash_loop_still_redeploys_by_the_deadline(fleet: Platform, settings: Settings) -> None:
    """The keeper, alone, recreates the service through Compose once `lab` is gone."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab", "fault", "inject", "crash-loop", "-t", "payments", "-d", "10s", "--wait"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for(lambda: _restarts(settings, "payments") >= 1, timeout=30, what="the crash loop")
    started = time.monotonic()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert not _crash_setting_gone(settings), "the fault must outlive the killed lab process"
    wait_for(lambda: _crash_setting_gone(settings), timeout=10 + 5, what="the redeploy by the deadline")
    assert time.monotonic() - started <= 10 + 5
    record = Ledger(settings.state_dir).records()[-1]
    assert record.status == "reverted" and record.reverted_by == "keeper at deadline"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["error-rate", "-t", "postgres"], "postgres has no such runtime switch"),
        (["error-rate", "-t", "catalog", "-p", "rate=2"], "param 'rate'"),
        (["retry-storm", "-t", "catalog"], "catalog has no such runtime switch"),
        (["bad-config", "-t", "orders"], "orders has no such runtime switch"),
        (["bad-config", "-t", "catalog", "-p", "value=lots"], "positive integer"),
        (["app-memory-leak", "-t", "catalog", "-p", "max_mb=10000000"], "param 'max_mb'"),
        (["bad-deploy", "-t", "orders", "-p", "route=/nowhere"], "not a route of orders"),
        (["crash-loop", "-t", "redis"], "redis has no such runtime switch"),
    ],
)
def test_bad_input_injects_nothing(fleet: Platform, settings: Settings, args: list[str], needle: str) -> None:
    before = len(Ledger(settings.state_dir).records())
    states = {c.service: (c.state, c.restarts, c.image) for c in fleet.containers()}
    out = _lab("fault", "inject", *args)
    assert out.returncode != 0
    assert needle in " ".join(out.stderr.split()), out.stderr
    assert "Traceback" not in out.stderr
    assert len(Ledger(settings.state_dir).records()) == before
    assert {c.service: (c.state, c.restarts, c.image) for c in fleet.containers()} == states


def test_a_route_the_service_refuses_leaves_no_switch_on(fleet: Platform, settings: Settings) -> None:
    out = _lab("fault", "inject", "slow-path", "-t", "catalog", "-p", "route=/nowhere")
    assert out.returncode != 0
    assert "unknown route '/nowhere'" in " ".join(out.stderr.split())
    assert active_switches(resolve_target(settings, "catalog")) == {}
    assert not Ledger(settings.state_dir).open_records()


def test_a_gateway_stalled_by_bad_config_is_still_reverted_quickly(fleet: Platform, settings: Settings) -> None:
    """Its event loop is stuck in the regex and cannot answer DELETE: revert restarts it."""
    record = inject(settings, plan(settings, "bad-config", "gateway", {}), duration=120)
    # A long query keeps the regex backtracking for far longer than any test.
    assert _seconds(settings, "/api/products/search?q=wireless+noise+cancelling+headphones", timeout=2) >= 2
    started = time.monotonic()
    assert revert(settings, record.id).status == "reverted"
    assert time.monotonic() - started < 10
    wait_for(lambda: _seconds(settings, "/api/products/search?q=lamp", timeout=2) < 1, timeout=30, what="search")
