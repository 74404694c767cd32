"""Observability on the real fleet: every dashboard query returns data, exporters export the
lab's own containers only, Grafana degrades to one line, Locust changes live."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from lab.dashboards import dashboards_dir
from lab.grafana import admin_password
from lab.platforms import Platform
from lab.prometheus import query
from lab.settings import Settings
from lab.slo import load_slos, slo_path
from lab.testing import wait_for

pytestmark = pytest.mark.docker


def _lab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lab", *args], capture_output=True, text=True, env=dict(os.environ), timeout=120
    )


def _panel_queries(settings: Settings) -> list[tuple[str, str]]:
    found = []
    for path in sorted(dashboards_dir(settings.root).glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                found.append((f"{path.name}: {panel['title']} [{target['refId']}]", target["expr"]))
    return found


def test_every_dashboard_query_is_valid_and_returns_data(fleet: Platform, settings: Settings) -> None:
    queries = _panel_queries(settings)
    assert len(queries) >= 30

    def empty() -> list[str]:
        return [name for name, expr in queries if not query(settings, expr)]

    # Rates need two scrapes and the slower windows a little history: wait until all answer.
    wait_for(lambda: not empty(), timeout=120, interval=5, what=f"every panel to return data (still empty: {empty()})")


def test_container_metrics_cover_exactly_this_labs_containers(fleet: Platform, settings: Settings) -> None:
    wait_for(lambda: query(settings, "container_running"), timeout=60, what="container metrics")
    exported = {s.labels["name"] for s in query(settings, "container_running")}
    assert exported == {c.name for c in fleet.containers()}
    limits = {s.labels["service"]: s.value for s in query(settings, "container_spec_memory_limit_bytes")}
    assert limits["gateway"] == 128 * 1024**2  # compose/lab.yaml's mem_limit, read from the cgroup
    cpu = query(settings, 'rate(container_cpu_usage_seconds_total{service="gateway"}[1m])')
    assert cpu and cpu[0].value > 0


def test_grafana_runs_or_up_says_why_not_in_one_line(fleet: Platform, settings: Settings) -> None:
    password = admin_password(settings)
    assert password != "admin" and len(password) >= 16
    notices = getattr(fleet, "notices", [])
    if "grafana" in fleet.services():
        assert not notices
    else:
        assert len(notices) == 1 and "Grafana is not available" in notices[0] and "\n" not in notices[0]


def test_load_runs_from_up_and_changes_live(fleet: Platform, settings: Settings) -> None:
    def locust() -> dict[str, object]:
        out = _lab("load")
        assert out.returncode == 0, out.stderr
        return {"text": out.stdout}

    wait_for(lambda: "running" in str(locust()["text"]), timeout=60, what="Locust to be running from `lab up`")
    try:
        assert _lab("load", "--users", "16", "--spawn-rate", "8").returncode == 0
        wait_for(lambda: "16 users" in str(locust()["text"]), timeout=30, what="16 users")
        assert _lab("load", "stop").returncode == 0
        wait_for(lambda: "stopped" in str(locust()["text"]), timeout=30, what="Locust to stop")
        assert _lab("load", "start").returncode == 0  # back at the last figures set
        wait_for(lambda: "16 users" in str(locust()["text"]), timeout=30, what="16 users again")
        gateway = 'sum(rate(http_requests_total{service="gateway"}[20s]))'
        wait_for(lambda: query(settings, gateway)[0].value > 3, timeout=60, what="traffic through the gateway")
    finally:
        _lab("load", "--users", "10", "--spawn-rate", "5")


def test_status_shows_every_slo_and_alerts_reads_the_pager(fleet: Platform, settings: Settings) -> None:
    wait_for(lambda: query(settings, "slo:error_budget_remaining:ratio"), timeout=60, what="SLO recording rules")
    status = _lab("status")
    assert status.returncode == 0, status.stderr
    for slo in load_slos(slo_path(settings.root)).slos:
        assert slo.name in status.stdout
    assert "budget" in status.stdout
    alerts = _lab("alerts", "--all")
    assert alerts.returncode == 0, alerts.stderr
