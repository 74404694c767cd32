"""SLO benchmarks: capacity with every SLO green, detection latency of a hard-down dependency,
and the lab's memory at rest (observability and load included).

Prints one JSON object (progress goes to stderr). Runs its own lab (project
``incident-lab-bench``, ports 28xxx) so it never disturbs a lab in use.

- capacity: Locust users are raised step by step; each step is held, then measured over its
  last 30 s through the gateway (requests/s, p95 and p99 from the gateway's histogram). A step
  is green when no SLO pages and every SLO's error ratio over the step stays within its error
  budget (burn rate <= 1). The highest green step is the capacity.
- detection: ``docker kill`` of ``orders`` (on the checkout path) until the availability page
  reaches the pager, then ``docker start`` and wait for the page to resolve; median of tries.

    python bench/slo.py [--steps 50,100,150,200,250,300] [--hold 60] [--tries 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

from lab.settings import use_separate_lab

use_separate_lab("incident-lab-bench", port_shift=20000)

import requests  # noqa: E402
from rich.console import Console  # noqa: E402

from lab.load import set_load  # noqa: E402
from lab.platforms import get_platform  # noqa: E402
from lab.prometheus import query  # noqa: E402
from lab.settings import Settings  # noqa: E402
from lab.slo import load_slos, slo_path  # noqa: E402
from lab.testing import container_of, wait_for  # noqa: E402

console = Console(stderr=True)
GATEWAY = 'service="gateway",job="services"'


def _value(settings: Settings, promql: str) -> float | None:
    samples = query(settings, promql)
    return round(samples[0].value, 4) if samples and samples[0].value == samples[0].value else None


def _step(settings: Settings, users: int, hold: float) -> dict[str, Any]:
    set_load(settings, users, spawn_rate=max(10.0, users / 5))
    time.sleep(hold)
    slos = load_slos(slo_path(settings.root))
    burns = {}
    for slo in slos.slos:
        ratio = _value(settings, f'slo:error_ratio:rate30s{{slo="{slo.name}"}}')
        burns[slo.name] = None if ratio is None else round(ratio / slo.budget, 2)
    pages = query(settings, 'ALERTS{alertname="ErrorBudgetBurn",alertstate="firing",severity="page"}')
    quantile = "histogram_quantile({q}, sum by (le) (rate(http_request_duration_seconds_bucket{{{sel}}}[30s])))"
    return {
        "users": users,
        "gateway_rps": _value(settings, f"sum(rate(http_requests_total{{{GATEWAY}}}[30s]))"),
        "p95_s": _value(settings, quantile.format(q=0.95, sel=GATEWAY)),
        "p99_s": _value(settings, quantile.format(q=0.99, sel=GATEWAY)),
        "burn_rates": burns,
        "paging": sorted({s.labels.get("slo", "") for s in pages}),
        "green": not pages and all(b is not None and b <= 1 for b in burns.values()),
    }


def _page_event(settings: Settings, status: str, since: float) -> float | None:
    resp = requests.get(f"{settings.url('pager')}/notifications", timeout=5)
    for n in resp.json()["notifications"]:
        if n["channel"] == "page" and n["received_at"] >= since:
            for alert in n["alerts"]:
                if alert["status"] == status and alert["labels"].get("slo") == "availability":
                    return float(n["received_at"])
    return None


def _detection_try(settings: Settings) -> dict[str, float]:
    ok = 'ALERTS{alertname="ErrorBudgetBurn",slo="availability",severity="page"}'
    wait_for(lambda: not query(settings, ok), timeout=300, interval=2, what="availability to stop paging")
    time.sleep(10)
    orders = container_of(settings, "orders")
    killed = time.time()
    orders.kill()
    try:
        paged = wait_for(lambda: _page_event(settings, "firing", killed), timeout=180, interval=0.25, what="the page")
    finally:
        orders.start()
    restarted = time.time()
    resolved = wait_for(lambda: _page_event(settings, "resolved", restarted), timeout=300, interval=0.5, what="resolve")
    return {"page_s": round(paged - killed, 1), "resolve_s": round(resolved - restarted, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="50,100,150,200,250,300", help="Locust users per step")
    parser.add_argument("--hold", type=float, default=60, help="seconds each step is held before measuring")
    parser.add_argument("--tries", type=int, default=5, help="kills for the detection median")
    parser.add_argument("--keep", action="store_true", help="leave the bench lab running")
    args = parser.parse_args()

    settings = Settings.from_env()
    platform = get_platform(settings)
    result: dict[str, Any] = {"project": settings.project, "cpus": os.cpu_count()}
    with console.status("bench: starting the lab") as spinner:
        platform.up(status=lambda m: spinner.update(f"bench: lab up: {m}"), timeout=900)
        spinner.update("bench: settling at baseline load (60 s)")
        time.sleep(60)
        result["memory_at_rest_mib"] = round(
            (_value(settings, "sum(container_memory_working_set_bytes)") or 0) / 1024**2, 1
        )
        result["grafana"] = "grafana" in platform.services()

        steps = []
        for users in (int(u) for u in args.steps.split(",")):
            spinner.update(f"bench: capacity: {users} users for {args.hold:.0f}s")
            step = _step(settings, users, args.hold)
            steps.append(step)
            console.print(f"  {users} users: {step['gateway_rps']} req/s, p95 {step['p95_s']}s, green={step['green']}")
            if not step["green"]:
                break
        green = [s for s in steps if s["green"]]
        result["capacity"] = {"best_green": green[-1] if green else None, "steps": steps}

        set_load(settings, 10, 5)
        tries = []
        for i in range(args.tries):
            spinner.update(f"bench: detection try {i + 1}/{args.tries}")
            tries.append(_detection_try(settings))
            console.print(f"  try {i + 1}: paged after {tries[-1]['page_s']}s, resolved {tries[-1]['resolve_s']}s")
        result["detection"] = {
            "killed": "orders",
            "page_median_s": statistics.median(t["page_s"] for t in tries),
            "resolve_median_s": statistics.median(t["resolve_s"] for t in tries),
            "tries": tries,
        }
        if not args.keep:
            spinner.update("bench: taking the lab down")
            platform.down(volumes=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
