from __future__ import annotations

import pytest

from lab.platforms import Platform
from lab.testing import wait_for

from .cases import fleet_healthy


@pytest.fixture(autouse=True)
def healthy_fleet(fleet: Platform) -> Platform:
    """Each fault test starts from a healthy fleet (the previous one may still be recovering)."""
    wait_for(lambda: fleet_healthy(fleet), timeout=90, what="a healthy fleet before the test")
    return fleet
