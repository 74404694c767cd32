"""The keeper: one detached process per fault that reverts it at its deadline or on TERM.

Started by :func:`lab.faults.engine.inject` in its own session, so neither Ctrl-C in the
terminal nor the death of `lab` (even SIGKILL) stops it. It exits once the fault is reverted,
by itself or by anyone else (`lab fault revert`, `lab down`).
"""

from __future__ import annotations

import signal
import sys
import time
import types

from lab.faults.engine import revert
from lab.faults.ledger import Ledger
from lab.settings import Settings

POLL_SECONDS = 0.5


class _Stop(Exception):
    pass


def _on_signal(signum: int, _frame: types.FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def keep(fault_id: str) -> None:
    settings = Settings.from_env()
    ledger = Ledger(settings.state_dir)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    by = "keeper at deadline"
    try:
        while True:
            record = ledger.read(fault_id)
            if not record.open:
                return  # reverted by someone else
            if record.expired:
                break
            time.sleep(min(POLL_SECONDS, max(0.05, record.deadline - time.time())))
    except _Stop as stop:
        by = f"keeper on {stop}"
    # Ignore further signals: a revert half done is worse than one a moment late.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    record = revert(settings, fault_id, by=by)
    print(f"{time.strftime('%H:%M:%S')} fault {fault_id}: {record.status} by {by}", flush=True)


if __name__ == "__main__":
    keep(sys.argv[1])
