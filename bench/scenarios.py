"""Scenario benchmarks: smoke time per scenario (reset included), detection latency (first
fault to the page) and the run daemon's CPU use while it polls the SLOs.

Prints one JSON object. Runs its own lab (project ``incident-lab-bench-scenarios``, ports
shifted by 22000).

    python bench/scenarios.py [ID ...]       # default: every scenario
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lab.settings import Settings, use_separate_lab

use_separate_lab("incident-lab-bench-scenarios", port_shift=22000)

from lab.platforms import get_platform  # noqa: E402
from lab.runs.smoke import smoke_one  # noqa: E402
from lab.runs.store import RunStore  # noqa: E402
from lab.scenarios import load_all  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*")
    args = parser.parse_args()
    settings = Settings.from_env()
    wanted = args.scenarios or sorted(load_all(settings.root / "scenarios"))
    store = RunStore(settings.state_dir)
    results: dict[str, dict[str, object]] = {}
    try:
        for sid in wanted:
            r = smoke_one(settings, sid, status=lambda _: None)
            cost = next((d for _, k, d in store.events(r.run_id) if k == "runner-cost"), None) if r.run_id else None
            cpu = round(100 * cost["cpu_s"] / cost["wall_s"], 2) if cost else None
            results[sid] = {
                "ok": r.ok,
                "smoke_s": r.seconds,
                "detection_s": r.detection_s,
                "recovery_s": r.recovery_s,
                "runner_cpu_percent_of_a_core": cpu,
                "failure": r.failure,
            }
    finally:
        get_platform(settings).down(volumes=True)
    smoke = [float(v["smoke_s"]) for v in results.values()]  # type: ignore[arg-type]
    cpu_values = [
        float(v["runner_cpu_percent_of_a_core"])
        for v in results.values()
        if v["runner_cpu_percent_of_a_core"] is not None
    ]  # type: ignore[arg-type]
    summary = {
        "smoke_s_median": statistics.median(smoke) if smoke else None,
        "smoke_s_max": max(smoke, default=None),
        "runner_cpu_percent_median": statistics.median(cpu_values) if cpu_values else None,
    }
    print(json.dumps({"project": settings.project, "summary": summary, "scenarios": results}, indent=2))


if __name__ == "__main__":
    main()
