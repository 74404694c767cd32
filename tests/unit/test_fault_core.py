"""The fault engine's logic: durations, parameter errors, the ledger."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lab.errors import LabError
from lab.faults import get_fault
from lab.faults.durations import parse_duration
from lab.faults.engine import parse_params
from lab.faults.ledger import FaultRecord, Ledger


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("5m", 300), ("1h", 3600), ("2.5", 2.5), ("45", 45)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "needle"), [("-5s", "positive"), ("0s", "between"), ("7h", "between"), ("x", "use")])
def test_bad_durations_name_the_problem(text: str, needle: str) -> None:
    with pytest.raises(LabError, match=needle):
        parse_duration(text)


def test_param_errors_name_the_fault_and_parameter() -> None:
    with pytest.raises(LabError, match=r"fault kill: param 'signal': .*unknown signal"):
        parse_params(get_fault("kill"), {"signal": "SIGNOPE"})
    with pytest.raises(LabError, match=r"param 'bogus'"):
        parse_params(get_fault("kill"), {"bogus": "1"})


def test_params_are_coerced_from_strings() -> None:
    params = parse_params(get_fault("kill"), {"signal": "term", "restart": "false"})
    assert params.model_dump() == {"signal": "SIGTERM", "restart": False}


def _record(fault_id: str, deadline: float) -> FaultRecord:
    return FaultRecord(
        id=fault_id, fault="stop", service="payments", container_id="abc", container_name="x",
        params={}, state={"before": 1}, created=time.time(), deadline=deadline, status="injecting",
    )  # fmt: skip


def test_ledger_round_trip_and_history(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.write(_record("stop-aaaaaa", time.time() + 60))
    ledger.write(_record("stop-bbbbbb", time.time() - 1))
    assert [r.id for r in ledger.open_records()] == ["stop-aaaaaa", "stop-bbbbbb"]
    assert ledger.read("stop-bbbbbb").expired and not ledger.read("stop-aaaaaa").expired
    closed = ledger.read("stop-aaaaaa")
    closed.status = "reverted"
    ledger.write(closed)
    assert [r.id for r in ledger.open_records()] == ["stop-bbbbbb"]
    assert len(ledger.records()) == 2  # reverted records stay as history
    assert not list(tmp_path.glob("faults/*.tmp"))


def test_ledger_ignores_damaged_files_and_refuses_odd_ids(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    (tmp_path / "faults" / "junk.json").write_text("{not json")
    assert ledger.records() == []
    with pytest.raises(LabError):
        ledger.read("../etc/passwd")
