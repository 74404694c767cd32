"""Faults are contained and always reverted: SIGKILL of `lab`, lost keepers, decoys, bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from lab.docker import engine
from lab.faults.ledger import Ledger
from lab.images import image_specs
from lab.platforms import Platform
from lab.settings import Settings
from lab.testing import container_of, wait_for

pytestmark = pytest.mark.docker


def _lab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lab", *args], capture_output=True, text=True, timeout=120)


def _status(settings: Settings, service: str) -> str:
    c = container_of(settings, service) if service else None
    assert c is not None
    c.reload()
    return str(c.status)


def _newest_record_id(settings: Settings) -> str:
    return Ledger(settings.state_dir).records()[-1].id


def test_sigkill_of_lab_mid_fault_still_reverts_by_the_deadline(fleet: Platform, settings: Settings) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab", "fault", "inject", "pause", "-t", "payment-provider", "-d", "8s", "--wait"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    wait_for(lambda: _status(settings, "payment-provider") == "paused", timeout=30, what="the pause")
    started = time.monotonic()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert _status(settings, "payment-provider") == "paused", "the fault must outlive the killed lab process"
    wait_for(lambda: _status(settings, "payment-provider") == "running", timeout=8 + 5, what="revert by deadline")
    assert time.monotonic() - started <= 8 + 5
    record = Ledger(settings.state_dir).read(_newest_record_id(settings))
    assert record.status == "reverted" and record.reverted_by == "keeper at deadline"


def test_ctrl_c_reverts_a_waited_fault_at_once(fleet: Platform, settings: Settings) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab", "fault", "inject", "pause", "-t", "payment-provider", "-d", "5m", "--wait"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    wait_for(lambda: _status(settings, "payment-provider") == "paused", timeout=30, what="the pause")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert _status(settings, "payment-provider") == "running"
    assert "Traceback" not in err.decode()


def test_a_fault_whose_keeper_died_is_reverted_by_the_next_lab_start(fleet: Platform, settings: Settings) -> None:
    out = _lab("fault", "inject", "pause", "-t", "payment-provider", "-d", "5m")
    assert out.returncode == 0, out.stderr
    record = Ledger(settings.state_dir).read(_newest_record_id(settings))
    assert record.keeper_pid is not None
    os.kill(record.keeper_pid, signal.SIGKILL)
    wait_for(
        lambda: not os.path.exists(f"/proc/{record.keeper_pid}/cmdline") or _zombie(record.keeper_pid),
        timeout=10,
        what="the keeper to die",
    )
    assert _status(settings, "payment-provider") == "paused"
    listing = _lab("fault", "active")  # any lab start reverts orphaned faults
    assert listing.returncode == 0, listing.stderr
    assert "reverted stale fault" in listing.stderr
    assert _status(settings, "payment-provider") == "running"


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] == "Z"
    except OSError:
        return True


@pytest.fixture()
def decoy(settings: Settings) -> Iterator[Any]:
    """A container without the lab's labels, named like a lab service."""
    base = image_specs(settings.root)["base"].ref
    c = engine().containers.run(base, ["sleep", "600"], name=f"decoy-{uuid.uuid4().hex[:6]}", detach=True)
    yield c
    c.remove(force=True)


def test_a_decoy_without_the_labs_labels_is_never_touched(fleet: Platform, settings: Settings, decoy: Any) -> None:
    for target in (decoy.name, decoy.id):
        out = _lab("fault", "inject", "stop", "-t", target, "-d", "30s")
        assert out.returncode == 1
        assert "unknown service" in out.stderr and "Traceback" not in out.stderr
    assert _lab("fault", "inject", "pause", "-t", "redis", "-d", "60s").returncode == 0
    assert _lab("fault", "revert", "--all").returncode == 0
    decoy.reload()
    assert decoy.status == "running"
    assert _status(settings, "redis") == "running"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["stop", "-t", "payments", "-d", "-5s"], "must be positive"),
        (["stop", "-t", "payments", "-d", "soon"], "duration 'soon'"),
        (["stop", "-t", "payments", "-d", "30d"], "duration '30d'"),
        (["stop", "-t", "nonesuch"], "unknown service 'nonesuch'"),
        (["nonesuch", "-t", "payments"], "unknown fault type 'nonesuch'"),
        (["kill", "-t", "payments", "-p", "signal=SIGFOO"], "unknown signal"),
        (["kill", "-t", "payments", "-p", "restart=perhaps"], "restart"),
        (["kill", "-t", "payments", "-p", "colour=blue"], "colour"),
        (["kill", "-t", "payments", "-p", "novalue"], "key=value"),
    ],
)
def test_bad_input_injects_nothing(fleet: Platform, settings: Settings, args: list[str], needle: str) -> None:
    before = len(Ledger(settings.state_dir).records())
    states = {c.service: (c.state, c.restarts) for c in fleet.containers()}
    out = _lab("fault", "inject", *args)
    assert out.returncode != 0
    assert needle in out.stderr, out.stderr
    assert "Traceback" not in out.stderr
    assert len(Ledger(settings.state_dir).records()) == before
    assert {c.service: (c.state, c.restarts) for c in fleet.containers()} == states
