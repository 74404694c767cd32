"""Time faults on real containers: the skewed service's clock, read from another container."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import pytest

from lab.platforms import Platform
from lab.settings import Settings
from lab.testing import exec_in

from .cases import FaultCase, run_case

pytestmark = pytest.mark.docker

SKEW_S = 2 * 3600


def clock_offset(settings: Settings, service: str) -> float:
    """How far ``service``'s clock is from the host's, by the Date header of its /healthz as
    fetched by the gateway over the backend network (the gateway's own clock plays no part)."""
    headers = exec_in(
        settings, "gateway", ["curl", "-sS", "-o", "/dev/null", "-D", "-", f"http://{service}:8000/healthz"]
    )
    date = next(line.split(":", 1)[1] for line in headers.splitlines() if line.lower().startswith("date:"))
    return parsedate_to_datetime(date.strip()).timestamp() - time.time()


CASES: dict[str, FaultCase] = {
    "clock-skew": FaultCase(
        target="catalog",
        params={"offset": "+2h"},
        effect=lambda s: abs(clock_offset(s, "catalog") - SKEW_S) < 120,
        effect_timeout=90,
        recovery_timeout=120,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_time_fault(name: str, fleet: Platform, settings: Settings) -> None:
    run_case(settings, fleet, name, CASES[name])
    assert abs(clock_offset(settings, CASES[name].target)) < 60, "the clock must be back after revert"
