"""Helpers for tests against a running lab (ours, and users' own scenario tests).

They reach the fleet the way a trainee would: real psql and redis-cli inside the data
containers, HTTP to the gateway and Prometheus on 127.0.0.1.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from lab import labels
from lab.docker import engine
from lab.errors import LabError
from lab.platforms.compose import PROJECT_LABEL
from lab.settings import Settings

T = TypeVar("T")


def container_of(settings: Settings, service: str) -> Any:
    """The running container of ``service`` in this lab."""
    filters = {
        "label": [
            labels.MANAGED_FILTER,
            f"{PROJECT_LABEL}={settings.project}",
            f"{labels.SERVICE}={service}",
        ]
    }
    found = engine().containers.list(filters=filters)
    if not found:
        raise LabError(f"no running container for service {service!r} in {settings.project}")
    return found[0]


def exec_in(settings: Settings, service: str, argv: list[str]) -> str:
    """Run a command in a service's container; return stdout, raise on a non-zero exit."""
    result = container_of(settings, service).exec_run(argv, demux=True)
    out, err = result.output
    if result.exit_code != 0:
        raise LabError(f"{' '.join(argv[:2])} in {service} exited {result.exit_code}: {(err or b'').decode()}")
    return (out or b"").decode()


def psql(settings: Settings, sql: str) -> str:
    """One SQL statement through the real psql in the postgres container; rows as text."""
    argv = ["psql", "-h", "127.0.0.1", "-U", "lab", "-d", "shop", "-tAX", "-v", "ON_ERROR_STOP=1", "-c", sql]
    return exec_in(settings, "postgres", ["env", "PGPASSWORD=lab", *argv]).strip()


def redis_cli(settings: Settings, *args: str) -> str:
    return exec_in(settings, "redis", ["redis-cli", "--no-raw", *args]).strip()


def wait_for(check: Callable[[], T | None], *, timeout: float, interval: float = 0.5, what: str = "condition") -> T:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # the thing polled may fail until ready
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}" + (f": {last}" if last else ""))
