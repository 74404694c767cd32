"""Inject and revert faults, with the ledger and the keeper making revert certain.

Order of events for an injection:
1. validate the fault type, parameters, duration and target (nothing happens on bad input);
2. ``prepare()`` records what revert needs; the ledger entry is written (status injecting);
3. a keeper process, detached from the terminal, is started: it reverts at the deadline or
   on TERM, even if this process dies (SIGKILL included);
4. ``inject()`` acts; if it fails or is interrupted (Ctrl-C), revert runs at once.

Every `lab` start calls :func:`revert_stale`: whatever is past its deadline or has lost its
keeper is reverted then.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from lab.errors import LabError
from lab.faults.base import Fault, FaultContext, Target
from lab.faults.ledger import FaultRecord, Ledger
from lab.faults.registry import get_fault
from lab.faults.targets import resolve_target
from lab.images import image_specs
from lab.settings import Settings


def parse_params(fault: type[Fault], raw: dict[str, str]) -> BaseModel:
    """Validate ``k=v`` parameters; the error names the fault, the parameter and the problem."""
    try:
        return fault.Params.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "parameters"
        given = f" (got {first['input']!r})" if "input" in first and where != "parameters" else ""
        raise LabError(f"fault {fault.name}: param {where!r}: {first['msg']}{given}") from None


def _context(settings: Settings, fault_id: str) -> FaultContext:
    return FaultContext(settings=settings, fault_id=fault_id, base_image=image_specs(settings.root)["base"].ref)


def _instance(settings: Settings, record: FaultRecord) -> Fault:
    cls = get_fault(record.fault)
    target = Target(record.service, record.container_id, record.container_name)
    params = cls.Params.model_validate(record.params)
    return cls(_context(settings, record.id), target, params, dict(record.state))


def plan(settings: Settings, fault_name: str, service: str, raw_params: dict[str, str]) -> Fault:
    """A ready-to-inject fault, fully validated, with its revert state prepared."""
    cls = get_fault(fault_name)
    params = parse_params(cls, raw_params)
    target = resolve_target(settings, service)
    fault_id = f"{cls.name}-{secrets.token_hex(3)}"
    fault = cls(_context(settings, fault_id), target, params, {})
    fault.prepare()
    return fault


def inject(settings: Settings, fault: Fault, duration: float) -> FaultRecord:
    ledger = Ledger(settings.state_dir)
    now = time.time()
    record = FaultRecord(
        id=fault.ctx.fault_id,
        fault=fault.name,
        service=fault.target.service,
        container_id=fault.target.container_id,
        container_name=fault.target.container_name,
        params=fault.params.model_dump(mode="json"),
        state=fault.state,
        created=now,
        deadline=now + duration,
        status="injecting",
    )
    ledger.write(record)
    record.keeper_pid = _start_keeper(settings, record.id)
    ledger.write(record)
    try:
        fault.inject()
    except BaseException as exc:  # Ctrl-C included: never leave a half-injected fault
        _revert(settings, ledger, record.id, by="failed inject", error=f"{exc.__class__.__name__}: {exc}")
        if isinstance(exc, LabError | KeyboardInterrupt):
            raise
        raise LabError(f"fault {fault.name} on {fault.target.service} failed and was reverted: {exc}") from exc
    record.state = fault.state  # inject may add detail (a helper container's id)
    record.status = "active"
    ledger.write(record)
    return record


def _start_keeper(settings: Settings, fault_id: str) -> int:
    """A detached process that reverts the fault at its deadline or on TERM."""
    log = (settings.state_dir / "faults" / f"{fault_id}.keeper.log").open("a")
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab.faults.keeper", fault_id],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,  # out of the terminal's process group: Ctrl-C does not reach it
        env={**os.environ, "LAB_PROJECT": settings.project},
        close_fds=True,
    )
    log.close()
    return proc.pid


def _revert(settings: Settings, ledger: Ledger, fault_id: str, *, by: str, error: str | None = None) -> FaultRecord:
    with ledger.locked(fault_id):
        record = ledger.read(fault_id)
        if not record.open:
            return record
        # Each fault decides what a gone container means (a redeployed service has a new one).
        _instance(settings, record).revert()
        record.status = "failed" if error else "reverted"
        record.error = error
        record.reverted_at = time.time()
        record.reverted_by = by
        ledger.write(record)
    return record


def revert(settings: Settings, fault_id: str, *, by: str = "lab fault revert") -> FaultRecord:
    return _revert(settings, Ledger(settings.state_dir), fault_id, by=by)


def revert_all(settings: Settings, *, by: str = "lab fault revert --all") -> list[FaultRecord]:
    ledger = Ledger(settings.state_dir)
    return [_revert(settings, ledger, r.id, by=by) for r in ledger.open_records()]


def keeper_alive(record: FaultRecord) -> bool:
    if record.keeper_pid is None:
        return False
    try:
        cmdline = Path(f"/proc/{record.keeper_pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"lab.faults.keeper" in cmdline and record.id.encode() in cmdline


def revert_stale(settings: Settings) -> list[FaultRecord]:
    """Revert faults past their deadline or whose keeper is gone (called at every lab start)."""
    ledger = Ledger(settings.state_dir)
    stale = [r for r in ledger.open_records() if r.expired or not keeper_alive(r)]
    return [_revert(settings, ledger, r.id, by="lab start (expired or orphaned)") for r in stale]


def active(settings: Settings) -> list[FaultRecord]:
    return Ledger(settings.state_dir).open_records()


def describe_record(settings: Settings, record: FaultRecord) -> str:
    return _instance(settings, record).describe()


def record_summary(record: FaultRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "fault": record.fault,
        "target": record.service,
        "status": record.status,
        "remaining_s": max(0, round(record.deadline - time.time())),
    }
