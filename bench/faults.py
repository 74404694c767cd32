"""Fault benchmarks: inject and revert latency per fault type, and SIGKILL-to-revert time.

Prints one JSON object. Each fault is exercised the way its real-container test does (the
``CASES`` of ``tests/integration/faults/test_*.py``: target and parameters), on its own lab
(project ``incident-lab-bench-faults``, ports shifted by 21000).

    python bench/faults.py [--runs 5] [--only kill,pause]
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from lab.settings import Settings, use_separate_lab  # noqa: E402

use_separate_lab("incident-lab-bench-faults", port_shift=21000)

from lab.faults import inject, plan, revert  # noqa: E402
from lab.platforms import get_platform  # noqa: E402
from lab.testing import container_of, wait_for  # noqa: E402
from tests.integration.faults.cases import FaultCase, fleet_healthy  # noqa: E402


def _cases() -> dict[str, FaultCase]:
    cases: dict[str, FaultCase] = {}
    package = ROOT / "tests" / "integration" / "faults"
    for module in pkgutil.iter_modules([str(package)]):
        if module.name.startswith("test_"):
            cases |= getattr(importlib.import_module(f"tests.integration.faults.{module.name}"), "CASES", {})
    return cases


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ordered) * 1000, 1), "p95_ms": round(p95 * 1000, 1)}


def _measure(settings: Settings, name: str, case: FaultCase, runs: int) -> dict[str, object]:
    platform = get_platform(settings)
    injects, reverts = [], []
    for _ in range(runs):
        wait_for(lambda: fleet_healthy(platform), timeout=120, what="a healthy fleet")
        fault = plan(settings, name, case.target, case.params)
        start = time.monotonic()
        record = inject(settings, fault, duration=300)
        injects.append(time.monotonic() - start)
        start = time.monotonic()
        revert(settings, record.id, by="bench")
        reverts.append(time.monotonic() - start)
    return {"inject": _summary(injects), "revert": _summary(reverts), "runs": runs}


def _sigkill_to_revert(settings: Settings, duration: float = 5) -> dict[str, float]:
    """Kill `lab` (SIGKILL) mid-fault; how long after the deadline is the fault gone?"""
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab", "fault", "inject", "pause", "-t", "payment-provider",
         "-d", f"{duration}s", "--wait"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    target = container_of(settings, "payment-provider")
    wait_for(lambda: (target.reload(), target.status == "paused")[1], timeout=30, what="the pause")
    injected = time.monotonic()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    wait_for(
        lambda: (target.reload(), target.status == "running")[1], timeout=duration + 30, interval=0.1, what="revert"
    )
    gone = time.monotonic() - injected
    return {"duration_s": duration, "gone_after_s": round(gone, 2), "past_deadline_s": round(gone - duration, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated fault names")
    args = parser.parse_args()
    settings = Settings.from_env()
    platform = get_platform(settings)
    platform.up(status=lambda _: None, timeout=900)
    cases = _cases()
    wanted = [n for n in args.only.split(",") if n] or sorted(cases)
    result: dict[str, object] = {"project": settings.project, "faults": {}}
    try:
        result["faults"] = {name: _measure(settings, name, cases[name], args.runs) for name in wanted}
        result["sigkill_to_revert"] = _sigkill_to_revert(settings)
    finally:
        platform.down(volumes=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
