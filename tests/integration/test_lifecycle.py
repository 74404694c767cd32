"""`lab down` leaves nothing behind, `lab up` comes back warm; the CLI around a real fleet."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab import labels
from lab.docker import engine
from lab.images import image_specs
from lab.platforms import Platform
from lab.platforms.compose import PROJECT_LABEL
from lab.settings import Settings

pytestmark = pytest.mark.docker


def _lab(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lab", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=timeout,
    )


def _leftovers(settings: Settings) -> dict[str, list[str]]:
    client = engine()
    filters = {"label": [f"{PROJECT_LABEL}={settings.project}"]}
    return {
        "containers": [c.name for c in client.containers.list(all=True, filters=filters)],
        "networks": [n.name for n in client.networks.list(filters=filters)],
    }


def test_down_leaves_nothing_and_up_restores_the_fleet(fleet: Platform, settings: Settings) -> None:
    down = _lab("down")
    assert down.returncode == 0, down.stderr
    assert _leftovers(settings) == {"containers": [], "networks": []}

    up = _lab("up")
    assert up.returncode == 0, up.stderr
    assert "127.0.0.1" in up.stdout
    assert all(c.ok for c in fleet.containers())


def test_status_lists_every_service_with_its_health(fleet: Platform) -> None:
    proc = _lab("status")
    assert proc.returncode == 0, proc.stderr
    for service in fleet.services():
        assert service in proc.stdout


def test_logs_are_structured_json_and_unknown_services_are_refused(fleet: Platform) -> None:
    proc = _lab("logs", "gateway", "--tail", "20")
    assert proc.returncode == 0, proc.stderr
    assert any(line.startswith("{") for line in proc.stdout.splitlines())

    bad = _lab("logs", "nonesuch")
    assert bad.returncode == 1
    assert "unknown service 'nonesuch'" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_doctor_reports_what_this_host_can_do(fleet: Platform) -> None:
    proc = _lab("doctor")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Docker engine" in proc.stdout
    assert "kernel: tbf" in proc.stdout


def test_unchanged_images_rebuild_nothing(fleet: Platform) -> None:
    proc = _lab("images", "build")
    assert proc.returncode == 0, proc.stderr
    assert "every image is up to date" in proc.stdout


def test_images_survive_a_save_and_load_round_trip(fleet: Platform, settings: Settings, tmp_path: Path) -> None:
    archive = tmp_path / "lab-images.tar"
    saved = _lab("images", "save", str(archive))
    assert saved.returncode == 0, saved.stderr
    # Drop one tag (the container keeps running on the image id), then load it back.
    ref = image_specs(settings.root)["payment-provider"].ref
    engine().images.remove(ref, force=True, noprune=True)
    loaded = _lab("images", "load", str(archive))
    assert loaded.returncode == 0, loaded.stderr
    image = engine().images.get(ref)
    assert image.labels[labels.MANAGED] == "true"
