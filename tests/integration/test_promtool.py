"""The rules pass Prometheus' own checker and unit tests (promtool, from the lab's base image)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.docker import run
from lab.images import build_images, image_specs
from lab.settings import Settings

pytestmark = pytest.mark.docker


def _promtool(settings: Settings, *args: str) -> str:
    build_images(settings, only=["base"])
    base = image_specs(settings.root)["base"].ref
    prometheus = settings.root / "prometheus"
    argv = ["docker", "run", "--rm", "--label", "io.incident-lab.managed=true", "--network", "none"]
    argv += ["-v", f"{prometheus}:/etc/lab/prometheus:ro", "-w", "/etc/lab/prometheus", base, "promtool", *args]
    return run(argv, timeout=300).stdout


def test_promtool_checks_the_config_and_every_rule_file(settings: Settings) -> None:
    rules = sorted(Path("rules") / p.name for p in (settings.root / "prometheus/rules").glob("*.yml"))
    out = _promtool(settings, "check", "rules", *map(str, rules))
    assert out.count("SUCCESS") == len(rules) >= 2


def test_promtool_unit_tests_pass(settings: Settings) -> None:
    tests = sorted(Path("tests") / p.name for p in (settings.root / "prometheus/tests").glob("*.yml"))
    out = _promtool(settings, "test", "rules", *map(str, tests))
    assert out.count("SUCCESS") == len(tests) >= 2
