"""One lab command at a time may change the fleet: a second one is refused, not queued."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lab.errors import LabError


@contextmanager
def fleet_lock(state_dir: Path, action: str) -> Iterator[None]:
    """Hold the fleet lock for ``action``; the kernel frees it if the process dies."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "fleet.lock"
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another lab command"
            raise LabError(f"the fleet is busy ({holder}): wait for it or stop it first") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"`lab {action}`, pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
