"""The lab's Grafana dashboards, written as data here and rendered to grafana/dashboards/*.json.

`python -m lab.dashboards` rewrites the JSON files; a unit test fails when they and this module
disagree, and an integration test runs every panel's query against the real Prometheus. Every
query returns data on a healthy fleet (``or ... * 0`` where a series only exists once something
goes wrong), so an empty panel always means something.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
_HTTP = 'job="services"'


@dataclass(frozen=True)
class Panel:
    title: str
    targets: dict[str, str]  # legend -> PromQL
    unit: str = "short"
    kind: str = "timeseries"  # or "stat"
    description: str = ""


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    panels: list[Panel] = field(default_factory=list)


def _ratio_or_zero(bad: str, total: str, by: str) -> str:
    return f"(sum by ({by}) ({bad}) or sum by ({by}) ({total}) * 0) / sum by ({by}) ({total})"


DASHBOARDS = [
    Dashboard(
        "lab-overview",
        "Fleet overview: SLOs",
        "Every SLO of prometheus/slos.yaml: SLI, burn rate per alert window, error budget left, alerts firing.",
        [
            Panel("SLI over 30s (lab time)", {"{{slo}}": "1 - slo:error_ratio:rate30s"}, "percentunit", "stat"),
            Panel(
                "Error budget left (6h SLO period)",
                {"{{slo}}": "slo:error_budget_remaining:ratio"},
                "percentunit",
                "stat",
            ),
            Panel(
                "Burn rate, page windows (fast: 30s/20s at 14.4x)",
                {
                    "{{slo}} 30s": "slo:error_ratio:rate30s / on (slo) (1 - slo:objective:ratio)",
                    "{{slo}} 20s": "slo:error_ratio:rate20s / on (slo) (1 - slo:objective:ratio)",
                },
            ),
            Panel(
                "Burn rate, slow windows (3m at 6x, 12m at 3x, 36m at 1x)",
                {
                    "{{slo}} 3m": "slo:error_ratio:rate3m / on (slo) (1 - slo:objective:ratio)",
                    "{{slo}} 12m": "slo:error_ratio:rate12m / on (slo) (1 - slo:objective:ratio)",
                    "{{slo}} 36m": "slo:error_ratio:rate36m / on (slo) (1 - slo:objective:ratio)",
                },
            ),
            Panel(
                "Alerts firing",
                {
                    "{{severity}}": 'count by (severity) (ALERTS{alertstate="firing"}) '
                    'or label_replace(vector(0), "severity", "none", "", "")'
                },
                kind="stat",
            ),
        ],
    ),
    Dashboard(
        "lab-red",
        "Services: rate, errors, duration",
        "RED per service, from each service's own http_* metrics.",
        [
            Panel(
                "Requests/s", {"{{service}}": f"sum by (service) (rate(http_requests_total{{{_HTTP}}}[1m]))"}, "reqps"
            ),
            Panel(
                "Error ratio (5xx)",
                {
                    "{{service}}": _ratio_or_zero(
                        f'rate(http_requests_total{{{_HTTP},status=~"5.."}}[1m])',
                        f"rate(http_requests_total{{{_HTTP}}}[1m])",
                        "service",
                    )
                },
                "percentunit",
            ),
            Panel(
                "p95 duration",
                {
                    "{{service}}": "histogram_quantile(0.95, sum by (service, le) "
                    f"(rate(http_request_duration_seconds_bucket{{{_HTTP}}}[1m])))"
                },
                "s",
            ),
            Panel(
                "p99 duration",
                {
                    "{{service}}": "histogram_quantile(0.99, sum by (service, le) "
                    f"(rate(http_request_duration_seconds_bucket{{{_HTTP}}}[1m])))"
                },
                "s",
            ),
            Panel(
                "Gateway p95 by route",
                {
                    "{{route}}": "histogram_quantile(0.95, sum by (route, le) "
                    '(rate(http_request_duration_seconds_bucket{service="gateway"}[1m])))'
                },
                "s",
            ),
            Panel(
                "Upstream calls by outcome",
                {
                    "{{service}} -> {{upstream}} {{status}}": "sum by (service, upstream, status) "
                    "(rate(upstream_requests_total[1m]))"
                },
                "reqps",
            ),
        ],
    ),
    Dashboard(
        "lab-postgres",
        "Postgres",
        "postgres_exporter, the services' pools and query durations, and the data volume's fill.",
        [
            Panel("Up", {"postgres": "pg_up"}, kind="stat"),
            Panel("Backends", {"{{datname}}": 'pg_stat_database_numbackends{datname="shop"}'}),
            Panel(
                "Transactions/s",
                {
                    "commit": 'rate(pg_stat_database_xact_commit{datname="shop"}[1m])',
                    "rollback": 'rate(pg_stat_database_xact_rollback{datname="shop"}[1m])',
                },
            ),
            Panel(
                "Pool use by service",
                {"{{service}}": "db_pool_connections_in_use / db_pool_connections_max"},
                "percentunit",
            ),
            Panel(
                "p95 query duration",
                {
                    "{{service}} {{query}}": "histogram_quantile(0.95, sum by (service, query, le) "
                    "(rate(db_query_duration_seconds_bucket[1m])))"
                },
                "s",
            ),
            Panel("Database size", {"{{datname}}": 'pg_database_size_bytes{datname="shop"}'}, "bytes"),
            Panel(
                "Data volume fill (warning at 80 %)",
                {"{{volume}}": 'lab_volume_used_bytes{volume="postgres-data"} / lab_volume_capacity_bytes'},
                "percentunit",
            ),
        ],
    ),
    Dashboard(
        "lab-redis",
        "Redis",
        "redis_exporter and the catalog's cache-aside hit ratio.",
        [
            Panel("Up", {"redis": "redis_up"}, kind="stat"),
            Panel("Commands/s", {"redis": "rate(redis_commands_processed_total[1m])"}),
            Panel("Clients", {"redis": "redis_connected_clients"}),
            Panel("Memory used", {"redis": "redis_memory_used_bytes"}, "bytes"),
            Panel(
                "Cache hit ratio (catalog)",
                {
                    "{{service}}": _ratio_or_zero(
                        'rate(cache_requests_total{result="hit"}[1m])', "rate(cache_requests_total[1m])", "service"
                    )
                },
                "percentunit",
            ),
            Panel(
                "Pool use by service",
                {"{{service}}": "redis_pool_connections_in_use / redis_pool_connections_max"},
                "percentunit",
            ),
        ],
    ),
    Dashboard(
        "lab-worker",
        "Worker and stream",
        "The order-events stream: the worker's own view and Redis' (which stays up when the worker is down).",
        [
            Panel("Lag (worker)", {"lag": "worker_stream_lag", "pending": "worker_stream_pending"}),
            Panel("Stream length (Redis)", {"{{stream}}": 'redis_stream_length{stream="orders.events"}'}),
            Panel(
                "Pending in group (Redis)", {"{{group}}": 'redis_stream_group_messages_pending{stream="orders.events"}'}
            ),
            Panel(
                "Events processed/s",
                {"{{outcome}}": "sum by (outcome) (rate(worker_events_processed_total[1m])) or vector(0)"},
            ),
            Panel("Freshness SLI (1 = lag within bound)", {"{{slo}}": "slo:freshness_good:bool"}, kind="stat"),
        ],
    ),
    Dashboard(
        "lab-containers",
        "Containers",
        "Per container (container-exporter, cgroups read-only): CPU and throttling, memory against limit, "
        "restarts, OOM kills.",
        [
            Panel("CPU (cores)", {"{{service}}": "sum by (service) (rate(container_cpu_usage_seconds_total[1m]))"}),
            Panel(
                "CPU throttled (share of periods)",
                {
                    "{{service}}": "sum by (service) (rate(container_cpu_cfs_throttled_periods_total[1m])) "
                    "/ sum by (service) (rate(container_cpu_cfs_periods_total[1m]) > 0)"
                },
                "percentunit",
            ),
            Panel(
                "Memory against limit",
                {"{{service}}": "container_memory_working_set_bytes / container_spec_memory_limit_bytes"},
                "percentunit",
            ),
            Panel("Memory (working set)", {"{{service}}": "container_memory_working_set_bytes"}, "bytes"),
            Panel("Restarts (10 min)", {"{{service}}": "increase(container_restarts_total[10m])"}),
            Panel(
                "OOM kills",
                {
                    "{{service}}": "container_last_oom_killed"
                    " + (increase(container_oom_events_total[10m]) or container_last_oom_killed * 0)"
                },
            ),
            Panel(
                "Host CPU busy",
                {
                    "host": 'sum(rate(node_cpu_seconds_total{mode!="idle"}[1m]))'
                    ' / count(node_cpu_seconds_total{mode="idle"})'
                },
                "percentunit",
            ),
            Panel("Host memory available", {"host": "node_memory_MemAvailable_bytes"}, "bytes"),
        ],
    ),
]


def _panel_json(panel: Panel, index: int) -> dict[str, Any]:
    width = 8 if panel.kind == "stat" else 12
    per_row = 24 // width
    return {
        "id": index + 1,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": DATASOURCE,
        "gridPos": {"h": 8, "w": width, "x": (index % per_row) * width, "y": (index // per_row) * 8},
        "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
        "options": {},
        "targets": [
            {"refId": chr(ord("A") + i), "datasource": DATASOURCE, "expr": expr, "legendFormat": legend}
            for i, (legend, expr) in enumerate(panel.targets.items())
        ],
    }


def render(dashboard: Dashboard) -> str:
    doc = {
        "uid": dashboard.uid,
        "title": dashboard.title,
        "description": dashboard.description,
        "tags": ["incident-lab"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "5s",
        "time": {"from": "now-15m", "to": "now"},
        "panels": [_panel_json(p, i) for i, p in enumerate(dashboard.panels)],
    }
    return json.dumps(doc, indent=2) + "\n"


def dashboards_dir(root: Path) -> Path:
    return root / "grafana" / "dashboards"


def main() -> None:
    root = Path(__file__).resolve().parent.parent
    for dashboard in DASHBOARDS:
        target = dashboards_dir(root) / f"{dashboard.uid}.json"
        target.write_text(render(dashboard))
        print(f"wrote {target.relative_to(root)}")


if __name__ == "__main__":
    main()
