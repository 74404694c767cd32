"""Runs on real containers: a trainee's incident end to end, crashes, Ctrl-C, and smoke."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.faults import active
from lab.platforms import Platform
from lab.runs.store import RunStore
from lab.scenarios import load_all
from lab.settings import Settings
from lab.testing import wait_for

pytestmark = pytest.mark.docker


@pytest.fixture(autouse=True)
def no_run_left_open(settings: Settings) -> Iterator[None]:
    """Whatever happens in a test, no incident stays open to disturb the next one."""
    yield
    if RunStore(settings.state_dir).current() is not None:
        _lab("abort")


def _lab(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lab", *args], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


def test_a_trainee_works_an_incident_end_to_end(fleet: Platform, settings: Settings) -> None:
    started = _lab("run", "github-2018-partition", "--seed", "3", "--level", "junior")
    assert started.returncode == 0, started.stderr
    assert "PAGE" in started.stdout
    run = RunStore(settings.state_dir).latest()

    second = _lab("run", "aws-2025-dns-empty-record")
    assert second.returncode == 1
    assert f"run {run.id} (github-2018-partition) is in progress" in second.stderr

    assert _lab("ack").returncode == 0
    assert _lab("update", "Checkout failing; investigating.").returncode == 0
    assert _lab("diagnose", "-c", "postgres", "-k", "disk-full").returncode == 0  # wrong
    assert _lab("diagnose", "-c", "orders", "-k", "network-partition").returncode == 0
    hint = _lab("hint")
    assert hint.returncode == 0 and "hint" in hint.stdout
    bad = _lab("diagnose", "-c", "orders", "-k", "gremlins")
    assert bad.returncode == 1 and "--cause 'gremlins'" in bad.stderr

    # The fix a trainee makes (the partition's rule removed), then the claim of resolution.
    assert _lab("fault", "revert", "--all").returncode == 0
    resolved = _lab("resolve")
    assert resolved.returncode == 0, resolved.stderr
    assert "Score" in resolved.stdout

    finished = RunStore(settings.state_dir).get(run.id)
    assert finished.status == "resolved"
    card = finished.scorecard or {}
    assert card["rca_accuracy"] == 0.5 and card["wrong_diagnoses"] == 1 and card["hints_used"] == 1
    assert card["time_to_acknowledge"] is not None and card["time_to_recover"] is not None
    reports = settings.state_dir / "reports"
    assert json.loads((reports / f"{run.id}.json").read_text())["scorecard"]["rca_accuracy"] == 0.5
    assert (reports / f"{run.id}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "## Timeline" in (reports / f"{run.id}.md").read_text()
    assert not active(settings)


def test_a_crashed_runner_is_noticed_its_faults_reverted_and_its_record_kept(
    fleet: Platform, settings: Settings
) -> None:
    assert _lab("run", "github-2018-partition", "--seed", "4").returncode == 0
    run = RunStore(settings.state_dir).latest()
    assert run.runner_pid is not None and active(settings)
    os.kill(run.runner_pid, signal.SIGKILL)
    wait_for(lambda: not Path(f"/proc/{run.runner_pid}").exists(), timeout=10, what="the daemon to die")

    status = _lab("status")
    assert f"run {run.id} (github-2018-partition) had crashed" in status.stderr
    assert RunStore(settings.state_dir).get(run.id).status == "crashed"
    assert not active(settings)


def test_ctrl_c_while_waiting_for_the_page_aborts_the_run(fleet: Platform, settings: Settings) -> None:
    before = len(RunStore(settings.state_dir).runs())
    proc = subprocess.Popen([sys.executable, "-m", "lab", "run", "github-2018-partition", "--seed", "5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    store = RunStore(settings.state_dir)

    def injected() -> bool:
        runs = store.runs()
        return len(runs) > before and any(kind == "inject" for _, kind, _ in store.events(runs[-1].id))

    wait_for(injected, timeout=180, what="the run's first fault")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 130, err
    assert store.latest().status == "aborted"
    assert not active(settings)


@pytest.mark.timeout(3600)  # every scenario in turn: about 90 s each
def test_every_scenario_passes_smoke(fleet: Platform, settings: Settings, tmp_path: Path) -> None:
    junit = tmp_path / "smoke.xml"
    proc = _lab("smoke", "--all", "--junit", str(junit), timeout=3600)
    suite = ET.parse(junit).getroot()
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == set(load_all(settings.root / "scenarios"))
    failed = {
        name: case.find("failure").get("message") for name, case in cases.items() if case.find("failure") is not None
    }  # type: ignore[union-attr]
    assert not failed, failed
    assert proc.returncode == 0, proc.stderr
    assert len(cases) >= 12
