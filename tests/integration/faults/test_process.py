"""Process faults on real containers."""

from __future__ import annotations

import pytest

from lab.platforms import Platform
from lab.settings import Settings
from lab.testing import container_of

from .cases import FaultCase, checkout_status, gateway_status, run_case

pytestmark = pytest.mark.docker


def _restarted(settings: Settings) -> bool:
    # The kill is seen from outside as a restart counted by Docker.
    return int(container_of(settings, "payments").attrs["RestartCount"]) >= 1


CASES: dict[str, FaultCase] = {
    "kill": FaultCase(target="payments", effect=_restarted),
    "stop": FaultCase(target="inventory", effect=lambda s: checkout_status(s) >= 500),
    "pause": FaultCase(target="catalog", effect=lambda s: gateway_status(s, "/api/products/3") == 504),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_process_fault(name: str, fleet: Platform, settings: Settings) -> None:
    run_case(settings, fleet, name, CASES[name])
