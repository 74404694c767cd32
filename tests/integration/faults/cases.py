"""How every fault type is proven on real containers: inject, see the effect from outside,
revert, see the fleet back at its baseline.

Each family's test module defines ``CASES: dict[str, FaultCase]`` (fault name to case) and
runs them with :func:`run_case`. A unit test checks that every registered fault has a case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from lab.faults import inject, plan, revert
from lab.faults.ledger import Ledger
from lab.platforms import Platform
from lab.settings import Settings
from lab.testing import wait_for

Check = Callable[[Settings], object]


@dataclass(frozen=True)
class FaultCase:
    target: str
    effect: Check  # returns truthy once the fault's effect is visible from outside
    params: dict[str, str] = field(default_factory=dict)
    effect_timeout: float = 30
    recovery_timeout: float = 60


def gateway_status(settings: Settings, path: str, *, timeout: float = 10) -> int:
    try:
        return requests.get(f"{settings.url('gateway')}{path}", timeout=timeout).status_code
    except requests.RequestException:
        return 0  # no answer at all


def checkout_status(settings: Settings, *, timeout: float = 15) -> int:
    body = {"user_id": 7, "items": [{"product_id": 99, "quantity": 1}]}
    try:
        return requests.post(f"{settings.url('gateway')}/api/checkout", json=body, timeout=timeout).status_code
    except requests.RequestException:
        return 0


def fleet_healthy(platform: Platform) -> bool:
    states = platform.containers()
    return len(states) == len(platform.services()) and all(c.ok for c in states)


def run_case(settings: Settings, platform: Platform, name: str, case: FaultCase) -> None:
    assert fleet_healthy(platform), "the fleet must be healthy before a fault"
    fault = plan(settings, name, case.target, case.params)
    record = inject(settings, fault, duration=300)
    try:
        wait_for(lambda: case.effect(settings), timeout=case.effect_timeout, what=f"the effect of {name}")
    finally:
        reverted = revert(settings, record.id, by="test")
    assert reverted.status == "reverted"
    assert not Ledger(settings.state_dir).read(record.id).open
    wait_for(lambda: fleet_healthy(platform), timeout=case.recovery_timeout, what=f"the fleet to recover from {name}")
    wait_for(
        lambda: gateway_status(settings, "/api/products/1") == 200 and checkout_status(settings) == 201,
        timeout=case.recovery_timeout,
        what=f"browse and checkout to work again after {name}",
    )
