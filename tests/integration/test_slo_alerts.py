"""SLOs and alerts on the real fleet: quiet at baseline, a page for a hard-down checkout
dependency that reaches the lab's pager and resolves after a restart, a warning for a
filling Postgres volume.

Runs in file order: the two-minute baseline first, then the faults.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from lab.platforms import Platform
from lab.prometheus import query
from lab.settings import Settings
from lab.slo import load_slos, slo_path
from lab.slo.state import slo_states
from lab.testing import container_of, exec_in, wait_for

pytestmark = pytest.mark.docker

#: The documented bound (README): a hard-down checkout dependency pages within this.
PAGE_BOUND_S = 60
#: And the page resolves within this after the dependency is back.
RESOLVE_BOUND_S = 120
BASELINE_S = 120


def _notifications(settings: Settings) -> list[dict[str, Any]]:
    resp = requests.get(f"{settings.url('pager')}/notifications", timeout=5)
    resp.raise_for_status()
    notifications: list[dict[str, Any]] = resp.json()["notifications"]
    return notifications


def _received(settings: Settings, channel: str, status: str, since: float, **labels: str) -> float | None:
    """When the pager first got a ``channel`` notification with a matching alert, after ``since``."""
    for n in _notifications(settings):
        if n["channel"] != channel or n["received_at"] < since:
            continue
        for alert in n["alerts"]:
            if alert["status"] == status and all(alert["labels"].get(k) == v for k, v in labels.items()):
                return float(n["received_at"])
    return None


def _wait_until_traffic(settings: Settings) -> None:
    rate = 'sum(rate(http_requests_total{service="gateway",route="/api/checkout"}[30s]))'
    wait_for(
        lambda: (r := query(settings, rate)) and r[0].value > 0.2, timeout=120, interval=2, what="checkout traffic"
    )


def test_at_baseline_every_slo_stays_green_and_nothing_pages(fleet: Platform, settings: Settings) -> None:
    _wait_until_traffic(settings)
    # Earlier tests inject faults: start once their pages have resolved (the fleet has settled).
    paging = 'ALERTS{alertname="ErrorBudgetBurn",alertstate="firing",severity="page"}'
    wait_for(lambda: not query(settings, paging), timeout=240, interval=5, what="pages of earlier tests to resolve")
    slos = load_slos(slo_path(settings.root))
    start = time.time()
    paging: list[str] = []
    tickets: set[str] = set()
    while time.time() - start < BASELINE_S:
        for state in slo_states(settings, slos):
            assert state.sli is not None, f"{state.name} has no SLI data"
            if state.burning == "page":
                paging.append(f"{state.name} at +{time.time() - start:.0f}s")
            elif state.burning:
                tickets.add(state.name)
        time.sleep(5)
    # Green means no SLO burns fast enough to page. Slow-burn tickets (warnings) may still
    # carry the fleet's start-up in their 36-minute window; they are reported, not failed.
    print(f"baseline: tickets open for {sorted(tickets) or 'no SLO'}")
    assert not paging, f"SLOs burned fast enough to page at baseline: {paging}"
    pages = [n for n in _notifications(settings) if n["channel"] == "page" and n["received_at"] >= start]
    assert not pages, f"the pager was paged at baseline: {pages}"


def test_a_hard_down_checkout_dependency_pages_and_resolves_after_restart(fleet: Platform, settings: Settings) -> None:
    _wait_until_traffic(settings)
    orders = container_of(settings, "orders")
    killed_at = time.time()
    orders.kill()
    try:
        paged_at = wait_for(
            lambda: _received(settings, "page", "firing", killed_at, alertname="ErrorBudgetBurn", slo="availability"),
            timeout=PAGE_BOUND_S,
            interval=0.5,
            what="the availability page at the pager",
        )
        print(f"detection: page {paged_at - killed_at:.1f}s after docker kill")
        # The cause shows up too, as a warning, not a page (ServiceDown waits 15 s itself).
        wait_for(
            lambda: _received(settings, "warning", "firing", killed_at, alertname="ServiceDown", service="orders"),
            timeout=60,
            interval=0.5,
            what="the ServiceDown warning for orders",
        )
    finally:
        orders.start()
    restarted_at = time.time()
    wait_for(
        lambda: _received(settings, "page", "resolved", restarted_at, alertname="ErrorBudgetBurn", slo="availability"),
        timeout=RESOLVE_BOUND_S,
        interval=1,
        what="the availability page to resolve",
    )


def test_filling_the_postgres_volume_past_the_threshold_warns(fleet: Platform, settings: Settings) -> None:
    used = query(settings, 'lab_volume_used_bytes{volume="postgres-data"}')[0].value
    capacity = query(settings, 'lab_volume_capacity_bytes{volume="postgres-data"}')[0].value
    fill = int(capacity * 0.85 - used)
    assert fill > 0, f"the volume is already {used / capacity:.0%} full"
    started = time.time()
    filler = "/var/lib/postgresql/data/lab-test-fill.bin"
    exec_in(settings, "postgres", ["fallocate", "-l", str(fill), filler])
    try:
        wait_for(
            lambda: _received(
                settings, "warning", "firing", started, alertname="VolumeNearlyFull", volume="postgres-data"
            ),
            timeout=90,
            interval=1,
            what="the VolumeNearlyFull warning at the pager",
        )
        assert not _received(settings, "page", "firing", started, alertname="VolumeNearlyFull")
    finally:
        exec_in(settings, "postgres", ["rm", "-f", filler])
