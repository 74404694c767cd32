"""The fault ledger: a crash-safe record of every injection, written before the fault acts.

One JSON file per fault under ``<state dir>/faults/``, replaced atomically (write, fsync,
rename, fsync the folder), so a crash at any moment leaves either the old record or the new
one. A record is never forgotten until its fault is reverted; reverted records are kept as
history. A per-fault lock keeps two reverters (the keeper and `lab fault revert`) apart.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from lab.errors import LabError

Status = Literal["injecting", "active", "reverted", "failed"]


class FaultRecord(BaseModel):
    id: str
    fault: str
    service: str
    container_id: str
    container_name: str
    params: dict[str, Any]
    state: dict[str, Any]  # what revert needs, recorded before inject acts
    created: float
    deadline: float
    status: Status
    keeper_pid: int | None = None
    reverted_at: float | None = None
    reverted_by: str | None = None
    error: str | None = None

    @property
    def open(self) -> bool:
        return self.status in ("injecting", "active")

    @property
    def expired(self) -> bool:
        return time.time() >= self.deadline


class Ledger:
    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "faults"
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, fault_id: str) -> Path:
        if not fault_id.replace("-", "").isalnum():
            raise LabError(f"{fault_id!r} is not a fault id")
        return self.root / f"{fault_id}.json"

    def write(self, record: FaultRecord) -> None:
        target = self.path(record.id)
        tmp = target.with_suffix(".tmp")
        with tmp.open("w") as handle:
            handle.write(record.model_dump_json(indent=2))
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(target)
        dir_fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def read(self, fault_id: str) -> FaultRecord:
        path = self.path(fault_id)
        if not path.exists():
            raise LabError(f"no fault with id {fault_id!r}: see `lab fault active`")
        return FaultRecord.model_validate_json(path.read_text())

    def records(self) -> list[FaultRecord]:
        found = []
        for path in sorted(self.root.glob("*.json")):
            try:
                found.append(FaultRecord.model_validate_json(path.read_text()))
            except (ValueError, json.JSONDecodeError):
                continue  # a foreign or damaged file is not ours to act on
        return sorted(found, key=lambda r: r.created)

    def open_records(self) -> list[FaultRecord]:
        return [r for r in self.records() if r.open]

    @contextmanager
    def locked(self, fault_id: str) -> Iterator[None]:
        """Exclusive hold on one fault's record while it is reverted."""
        with (self.root / f"{fault_id}.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
