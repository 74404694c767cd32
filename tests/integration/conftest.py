"""The real fleet, brought up once per test run under its own project name and ports.

Tests never touch a lab the user may have running: they use the project ``incident-lab-test``
and the usual ports shifted by 10000 (gateway on 127.0.0.1:18080). At the end the fleet is taken
down with its volumes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from lab.settings import use_separate_lab

# Two test runs on one machine (say, two checkouts) keep apart by setting both of these.
_PROJECT = os.environ.get("LAB_TEST_PROJECT", "incident-lab-test")
_SHIFT = int(os.environ.get("LAB_TEST_PORT_SHIFT", "10000"))
use_separate_lab(_PROJECT, _SHIFT, override=True)

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
