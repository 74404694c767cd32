"""The real fleet, brought up once per test run under its own project name and ports.

Tests never touch a lab the user may have running: they use the project ``incident-lab-test``
and ports 18xxx on 127.0.0.1. At the end the fleet is taken down with its volumes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

TEST_ENV = {
    "LAB_PROJECT": "incident-lab-test",
    "LAB_GATEWAY_PORT": "18080",
    "LAB_PROMETHEUS_PORT": "19090",
    "LAB_ALERTMANAGER_PORT": "19093",
    "LAB_GRAFANA_PORT": "13000",
    "LAB_LOCUST_PORT": "18089",
}
os.environ.update(TEST_ENV)

from lab.platforms import Platform, get_platform  # noqa: E402
from lab.settings import Settings  # noqa: E402


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def platform(settings: Settings) -> Platform:
    return get_platform(settings)


@pytest.fixture(scope="session")
def fleet(settings: Settings, platform: Platform) -> Iterator[Platform]:
    """A healthy fleet for the whole run (images built first if missing)."""
    platform.up(status=lambda msg: print(f"lab up: {msg}", flush=True), timeout=600)
    yield platform
    platform.down(volumes=True)
