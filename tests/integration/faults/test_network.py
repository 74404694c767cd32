"""Network faults on real containers: seen from the host through the gateway, and in the
target's own namespace (the lab's chain in `iptables -S`, its qdisc in `tc qdisc show`)."""

from __future__ import annotations

import itertools
import random
import signal
import statistics
import subprocess
import sys
import time
from typing import Any

import pytest
import requests

from lab.docker import engine
from lab.faults import inject, plan, revert
from lab.faults.base import FaultContext
from lab.faults.docker_ops import in_netns
from lab.faults.ledger import Ledger
from lab.faults.targets import resolve_target
from lab.images import image_specs
from lab.platforms import Platform
from lab.settings import Settings
from lab.testing import exec_in, wait_for

from .cases import FaultCase, checkout_status, fleet_healthy, run_case

pytestmark = pytest.mark.docker

# Product ids no other request of this run asked for: a catalog cache miss goes to Postgres.
_fresh_ids = itertools.count(random.randrange(1000, 4000))
DELAY_MS = 300


def timed_get(settings: Settings, path: str, *, timeout: float = 10) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        status = requests.get(f"{settings.url('gateway')}{path}", timeout=timeout).status_code
    except requests.RequestException:
        status = 0
    return status, time.perf_counter() - started


def fresh_product(settings: Settings) -> tuple[int, float]:
    return timed_get(settings, f"/api/products/{next(_fresh_ids)}")


def in_target_netns(settings: Settings, service: str, script: str) -> str:
    ctx = FaultContext(settings=settings, fault_id="test", base_image=image_specs(settings.root)["base"].ref)
    return in_netns(ctx, resolve_target(settings, service), script)


def lab_chains(settings: Settings, service: str) -> str:
    return in_target_netns(settings, service, "iptables -S; iptables -t nat -S")


def resolves(settings: Settings, service: str, name: str) -> bool:
    try:
        exec_in(settings, service, ["getent", "hosts", name])
    except Exception:
        return False
    return True


def _partitioned(settings: Settings) -> bool:
    return "-N LAB-partition-" in lab_chains(settings, "orders") and checkout_status(settings) in (0, 502, 503, 504)


def _lossy(settings: Settings) -> bool:
    results = [timed_get(settings, "/api/products/1") for _ in range(6)]
    return any(status != 200 or seconds >= 0.2 for status, seconds in results)


def _throttled(settings: Settings) -> bool:
    # About 4.3 kB of JSON at 16 kbit/s (2 kB/s) past a 1.6 kB burst: over a second.
    status, seconds = timed_get(settings, "/api/products?page=1")
    return status == 200 and seconds >= 1.0


def _delayed(settings: Settings) -> bool:
    status, seconds = fresh_product(settings)
    return status == 200 and seconds >= DELAY_MS / 1000


def _unresolvable(settings: Settings) -> bool:
    status, _ = fresh_product(settings)
    return status >= 500 and not resolves(settings, "catalog", "postgres") and resolves(settings, "catalog", "redis")


CASES: dict[str, FaultCase] = {
    "partition": FaultCase(target="orders", params={"peer": "inventory"}, effect=_partitioned),
    "packet-loss": FaultCase(target="catalog", params={"percent": "40"}, effect=_lossy),
    "bandwidth": FaultCase(target="gateway", params={"rate": "16kbit"}, effect=_throttled),
    "latency": FaultCase(
        target="catalog", params={"peer": "postgres", "ms": str(DELAY_MS), "jitter_ms": "50"}, effect=_delayed
    ),
    "dns-failure": FaultCase(target="catalog", params={"name": "postgres"}, effect=_unresolvable),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_network_fault(name: str, fleet: Platform, settings: Settings) -> None:
    run_case(settings, fleet, name, CASES[name])
    assert "LAB-" not in lab_chains(settings, CASES[name].target), "revert must remove the lab's chains"


def _median_fresh(settings: Settings, n: int = 5) -> float:
    results = [fresh_product(settings) for _ in range(n)]
    assert all(status == 200 for status, _ in results), results
    return statistics.median(seconds for _, seconds in results)


def test_latency_without_netem_delays_the_real_request_path(fleet: Platform, settings: Settings) -> None:
    """gateway -> catalog -> postgres slows by at least the delay, through the proxy, and recovers."""
    baseline = _median_fresh(settings)
    fault = plan(settings, "latency", "catalog", {"peer": "postgres", "ms": str(DELAY_MS), "mode": "proxy"})
    record = inject(settings, fault, duration=120)
    try:
        time.sleep(1)
        fresh_product(settings)  # the first query opens new pooled connections through the proxy
        delayed = _median_fresh(settings)
    finally:
        revert(settings, record.id, by="test")
    time.sleep(1)
    fresh_product(settings)
    after = _median_fresh(settings)
    assert delayed - baseline >= DELAY_MS / 1000, (baseline, delayed)
    assert after < baseline + 0.1, (baseline, after)


def test_revert_removes_only_its_own_chain(fleet: Platform, settings: Settings) -> None:
    """Two faults on one target: reverting one leaves the other's rules in force."""
    assert fleet_healthy(fleet)
    loss = inject(settings, plan(settings, "packet-loss", "payments", {"percent": "1"}), duration=120)
    partition = plan(settings, "partition", "payments", {"peer": "payment-provider"})
    cut = inject(settings, partition, duration=120)
    try:
        revert(settings, cut.id, by="test")
        partition.revert()  # idempotent: nothing left to remove is no error
        chains = lab_chains(settings, "payments")
        assert f"-N LAB-{loss.id}" in chains and f"LAB-{cut.id}" not in chains
    finally:
        revert(settings, loss.id, by="test")
    assert "LAB-" not in lab_chains(settings, "payments")


def _lab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lab", *args], capture_output=True, text=True, timeout=120)


def _helpers(fault_id: str) -> list[Any]:
    return engine().containers.list(all=True, filters={"label": f"io.incident-lab.fault={fault_id}"})


def test_sigkill_of_lab_still_removes_the_latency_proxy_by_the_deadline(fleet: Platform, settings: Settings) -> None:
    argv = ["fault", "inject", "latency", "-t", "orders", "-p", "peer=payments", "-p", "ms=200", "-d", "8s", "--wait"]
    proc = subprocess.Popen([sys.executable, "-m", "lab", *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    record = wait_for(
        lambda: next((r for r in Ledger(settings.state_dir).open_records() if r.status == "active"), None),
        timeout=30,
        what="the latency fault to be active",
    )
    assert _helpers(record.id) and "REDIRECT" in lab_chains(settings, "orders")
    started = time.monotonic()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    wait_for(lambda: not Ledger(settings.state_dir).read(record.id).open, timeout=8 + 5, what="revert by deadline")
    assert time.monotonic() - started <= 8 + 5
    assert not _helpers(record.id) and "LAB-" not in lab_chains(settings, "orders")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["partition", "-t", "orders", "-p", "peer=nonesuch"], "unknown service 'nonesuch'"),
        (["partition", "-t", "orders", "-p", "peer=orders"], "is the target itself"),
        (["bandwidth", "-t", "gateway", "-p", "rate=10tbit"], "not a rate"),
        (["bandwidth", "-t", "gateway", "-p", "rate=1bit"], "out of bounds"),
        (["packet-loss", "-t", "catalog", "-p", "percent=-3"], "'percent'"),
        (["latency", "-t", "catalog", "-p", "peer=postgres", "-p", "ms=lots"], "'ms'"),
        (["dns-failure", "-t", "catalog", "-p", "name=postgres", "-p", "how=maybe"], "'how'"),
        (["clock-skew", "-t", "catalog", "-p", "offset=+900d"], "out of bounds"),
    ],
)
def test_bad_network_and_time_params_inject_nothing(
    fleet: Platform, settings: Settings, args: list[str], needle: str
) -> None:
    before = len(Ledger(settings.state_dir).records())
    out = _lab("fault", "inject", *args)
    assert out.returncode != 0 and needle in out.stderr and "Traceback" not in out.stderr, out.stderr
    assert len(Ledger(settings.state_dir).records()) == before
    assert not engine().containers.list(filters={"label": "io.incident-lab.fault"})
