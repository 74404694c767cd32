"""Data faults on the real Postgres and Redis."""

from __future__ import annotations

import time

import pytest
import requests

from lab.errors import LabError
from lab.faults import inject, plan, revert
from lab.platforms import Platform
from lab.settings import Settings
from lab.testing import psql, redis_cli, wait_for

from .cases import FaultCase, checkout_status, fleet_healthy, run_case

pytestmark = pytest.mark.docker

_SEARCH = "EXPLAIN SELECT id FROM products WHERE search @@ plainto_tsquery('english', 'lamp')"
_SEARCH_INDEX = "SELECT indexdef FROM pg_indexes WHERE indexname = 'products_search_idx'"


def cache_header(settings: Settings, product: int) -> str:
    response = requests.get(f"{settings.url('gateway')}/api/products/{product}", timeout=10)
    return response.headers.get("X-Cache", "")


def cache_keeps_emptying(settings: Settings) -> bool:
    """A product read twice is cached; a second later the repeating flush has emptied it again."""
    cache_header(settings, 11)
    if cache_header(settings, 11) != "hit":
        return False
    time.sleep(1.2)
    return cache_header(settings, 11) == "miss"


def writes_refused_for_memory(settings: Settings) -> bool:
    try:
        out = redis_cli(settings, "set", "lab:probe", "1")
    except LabError as exc:
        out = str(exc)
    return "OOM" in out


CASES: dict[str, FaultCase] = {
    "pg-connection-exhaustion": FaultCase(target="postgres", effect=lambda s: checkout_status(s) >= 500),
    "pg-lock-contention": FaultCase(target="postgres", effect=lambda s: checkout_status(s) in (0, 502, 503, 504)),
    "pg-drop-index": FaultCase(target="postgres", effect=lambda s: "Seq Scan on products" in psql(s, _SEARCH)),
    "redis-flush": FaultCase(target="redis", params={"every_s": "1"}, effect=cache_keeps_emptying),
    "redis-maxmemory": FaultCase(target="redis", params={"maxmemory": "256kb"}, effect=writes_refused_for_memory),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_data_fault(name: str, fleet: Platform, settings: Settings) -> None:
    run_case(settings, fleet, name, CASES[name])


def test_dropped_index_is_recreated_exactly(fleet: Platform, settings: Settings) -> None:
    before = psql(settings, _SEARCH_INDEX)
    record = inject(settings, plan(settings, "pg-drop-index", "postgres", {}), duration=60)
    assert psql(settings, _SEARCH_INDEX) == ""
    revert(settings, record.id)
    assert psql(settings, _SEARCH_INDEX) == before
    assert "products_search_idx" in psql(settings, _SEARCH)


def test_data_faults_leave_no_client_or_setting_behind(fleet: Platform, settings: Settings) -> None:
    wait_for(lambda: fleet_healthy(fleet), timeout=60, what="a healthy fleet")
    sessions = psql(settings, "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'lab-fault-%'")
    assert sessions == "0"
    assert psql(settings, "SELECT count(*) FROM pg_locks WHERE NOT granted") == "0"
    assert redis_cli(settings, "config", "get", "maxmemory").split()[-1].strip('"') == str(128 * 1024**2)
    assert checkout_status(settings) == 201


@pytest.mark.parametrize(
    ("name", "target", "params", "message"),
    [
        ("pg-drop-index", "postgres", {"index": "products_pkey"}, "backs a constraint"),
        ("pg-drop-index", "postgres", {"index": "no_such_idx"}, "no index 'no_such_idx'"),
        ("pg-lock-contention", "redis", {}, "acts on postgres, not redis"),
        ("redis-maxmemory", "redis", {"maxmemory": "0"}, "param 'maxmemory'"),
        ("redis-flush", "redis", {"scope": "some"}, "param 'scope'"),
    ],
)
def test_bad_data_parameters_are_refused(
    name: str, target: str, params: dict[str, str], message: str, fleet: Platform, settings: Settings
) -> None:
    with pytest.raises(LabError, match=message):
        plan(settings, name, target, params)
