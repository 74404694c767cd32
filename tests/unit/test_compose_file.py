"""The Compose file keeps the lab's safety rules: labels, loopback ports, limits, health."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from lab import labels
from lab.docker import compose_binary

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "compose" / "lab.yaml"


def _rendered() -> dict[str, Any]:
    """The file as Compose itself resolves it (anchors, merges, variables)."""
    env = dict(os.environ)
    for name in (
        "BASE",
        "POSTGRES",
        "REDIS",
        "CATALOG",
        "INVENTORY",
        "PAYMENT_PROVIDER",
        "PAYMENTS",
        "ORDERS",
        "WORKER",
        "GATEWAY",
        "PAGER",
        "CONTAINER_EXPORTER",
        "LOAD",
    ):
        env[f"LAB_IMAGE_{name}"] = f"incident-lab/{name.lower()}:test"
    env["LAB_GRAFANA_PASSWORD"] = "test-password"
    out = subprocess.run(
        [compose_binary(), "-f", str(COMPOSE), "config", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rendered: dict[str, Any] = json.loads(out)
    return rendered


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return _rendered()


def test_compose_validates_the_file(config: dict[str, Any]) -> None:
    assert {"gateway", "postgres", "redis", "prometheus"} <= set(config["services"])


def test_every_service_is_labelled_as_the_labs(config: dict[str, Any]) -> None:
    for name, svc in config["services"].items():
        assert svc["labels"][labels.MANAGED] == "true", name
        assert svc["labels"][labels.SERVICE] == name, name


def test_published_ports_bind_to_loopback_only(config: dict[str, Any]) -> None:
    published = 0
    for name, svc in config["services"].items():
        for port in svc.get("ports", []):
            published += 1
            assert port["host_ip"] == "127.0.0.1", f"{name} publishes on {port['host_ip']}"
    assert published >= 2  # gateway and prometheus at least


def test_every_container_has_limits_and_a_healthcheck(config: dict[str, Any]) -> None:
    for name, svc in config["services"].items():
        assert svc.get("mem_limit"), f"{name} has no memory limit"
        assert svc.get("cpus"), f"{name} has no CPU limit"
        # pid-exhaustion acts within this limit; without it, it would use up the host's PIDs.
        assert svc.get("pids_limit"), f"{name} has no PID limit"
        assert svc.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_backend_has_no_route_out_and_only_the_edge_is_published(config: dict[str, Any]) -> None:
    assert config["networks"]["backend"].get("internal") is True
    for name, svc in config["services"].items():
        if svc.get("ports"):
            assert "edge" in svc["networks"], name
        else:
            assert "edge" not in svc.get("networks", {}), f"{name} is on the edge without a reason"


def test_networks_and_volumes_are_labelled() -> None:
    raw = yaml.safe_load(COMPOSE.read_text())
    for section in ("networks", "volumes"):
        for name, spec in raw[section].items():
            assert spec["labels"][labels.MANAGED] == "true", f"{section}.{name}"
