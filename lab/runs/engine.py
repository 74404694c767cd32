"""Runs: start a scenario, take the trainee's actions, finish with a scorecard.

One run at a time per lab. `lab run` resets the fleet to its baseline, checks the baseline
SLOs are green, starts the run daemon (detached) and returns once the trainee is paged, so the
terminal is free for real tools. A run whose daemon died is marked crashed at the next `lab`
command, its faults reverted and its record kept.
"""

from __future__ import annotations

import os
import random
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from lab.errors import LabError
from lab.faults import revert, revert_all
from lab.platforms import get_platform
from lab.runs.plan import resolve_plan
from lab.runs.sli import SloReader
from lab.runs.store import Run, RunStore
from lab.scenarios import check_references, load_all
from lab.scenarios.catalogue import known_slos
from lab.scenarios.model import Scenario
from lab.settings import Settings
from lab.testing import wait_for

DEFAULT_TIME_SCALE = 0.25  # a 60-minute level threshold becomes 15 minutes


def _scenarios(settings: Settings) -> dict[str, tuple[Path, Scenario]]:
    return load_all(settings.root / "scenarios")


def pick_scenario(settings: Settings, scenario_id: str | None, level: str | None, seed: int) -> Scenario:
    scenarios = _scenarios(settings)
    if scenario_id is None:  # assessment: a random scenario for the level, no preview
        pool = sorted(sid for sid, (_, s) in scenarios.items() if level in s.levels)
        if not pool:
            raise LabError(f"no scenario for level {level!r}")
        scenario_id = random.Random(seed).choice(pool)
    if scenario_id not in scenarios:
        raise LabError(f"unknown scenario {scenario_id!r}: see `lab scenario list`")
    path, scenario = scenarios[scenario_id]
    check_references(path, scenario, get_platform(settings).services(), known_slos(settings.root))
    return scenario


def reconcile(settings: Settings) -> list[Run]:
    """Mark runs whose daemon died as crashed and revert their faults; keep their records."""
    store = RunStore(settings.state_dir)
    crashed = []
    for run in store.runs():
        if run.open and not _alive(run.runner_pid):
            for fault_id in store.fault_ids(run.id):
                revert(settings, fault_id, by=f"run {run.id} crashed")
            store.update(run.id, status="crashed", ended=time.time(), error="the run daemon died")
            crashed.append(store.get(run.id))
    return crashed


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        return b"lab.runs.daemon" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def current_run(settings: Settings) -> Run:
    run = RunStore(settings.state_dir).current()
    if run is None:
        raise LabError("no run in progress: start one with `lab run SCENARIO`")
    return run


def start_run(
    settings: Settings,
    scenario: Scenario,
    *,
    seed: int,
    mode: str,
    level: str,
    time_scale: float = DEFAULT_TIME_SCALE,
    status: Callable[[str], None] = lambda _: None,
) -> Run:
    store = RunStore(settings.state_dir)
    reconcile(settings)
    if (open_run := store.current()) is not None:
        raise LabError(f"run {open_run.id} ({open_run.scenario}) is in progress: `lab resolve` or `lab abort` it first")
    status("resetting the fleet to its baseline")
    revert_all(settings, by="lab run (reset)")
    get_platform(settings).up(status=status)
    reader = SloReader(settings)
    status("checking the baseline SLOs are green")
    wait_for(lambda: reader.all_green(scenario.slos), timeout=120, interval=2, what="baseline SLOs to be green")
    plan = resolve_plan(scenario, seed, time_scale) | {
        "slos": list(scenario.slos),
        "recovery_slos": list(scenario.recovery.slos),
        "hold": float(scenario.recovery.hold),
        "detection": float(scenario.detection),
        "max_duration": float(scenario.recovery.within) + max(s["at"] for s in resolve_plan(scenario, seed, 1)["steps"])
        + float(scenario.detection),
    }  # fmt: skip
    run = Run(
        id=f"{scenario.id[:24]}-{secrets.token_hex(3)}", scenario=scenario.id, seed=seed, mode=mode, level=level,
        time_scale=time_scale, started=time.time(), ended=None, status="starting", runner_pid=None, plan=plan,
        scorecard=None, error=None,
    )  # fmt: skip
    store.create(run)
    log = (settings.state_dir / f"run-{run.id}.log").open("a")
    proc = subprocess.Popen(
        [sys.executable, "-m", "lab.runs.daemon", run.id],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
        env={**os.environ, "LAB_PROJECT": settings.project},
    )  # fmt: skip
    log.close()
    store.update(run.id, runner_pid=proc.pid)
    return store.get(run.id)


def wait_for_page(settings: Settings, run: Run) -> str:
    """Block until the run's first SLO breach pages; fail if the symptom never shows."""
    store = RunStore(settings.state_dir)
    first_fault = min((s["at"] for s in run.plan["steps"] if s.get("kind") == "inject"), default=0.0)
    limit = first_fault + run.plan["detection"]

    def paged() -> str | None:
        for _, kind, data in store.events(run.id):
            if kind == "page":
                return str(data.get("text", "paged"))
        if not store.get(run.id).open:
            raise LabError(f"run {run.id} ended before paging: {store.get(run.id).error or store.get(run.id).status}")
        return None

    try:
        return wait_for(paged, timeout=limit + 10, interval=1, what=f"the symptom of {run.scenario}")
    except AssertionError:
        abort(settings)
        raise LabError(
            f"scenario {run.scenario}: no SLO breached within {limit:.0f}s of the start; run aborted, faults reverted"
        ) from None


def record(settings: Settings, kind: str, **data: str) -> tuple[Run, float]:
    run = current_run(settings)
    t = RunStore(settings.state_dir).add_event(run.id, kind, at=None, **data)
    return run, t - run.started


def next_hint(settings: Settings) -> tuple[str, int] | None:
    run = current_run(settings)
    store = RunStore(settings.state_dir)
    used = sum(1 for _, kind, _ in store.events(run.id) if kind == "hint")
    _, scenario = _scenarios(settings)[run.scenario]
    if used >= len(scenario.hints):
        return None
    hint = scenario.hints[used]
    store.add_event(run.id, "hint", text=hint.text, penalty=hint.penalty)
    return hint.text, hint.penalty


def finish(settings: Settings, how: str, *, timeout: float = 600) -> Run:
    """Resolve (wait for recovery to hold, then grade) or abort the current run."""
    run = current_run(settings)
    store = RunStore(settings.state_dir)
    store.add_event(run.id, "resolve" if how == "resolving" else "abort")
    store.update(run.id, status=how)
    wait_for(lambda: not store.get(run.id).open, timeout=timeout, interval=1, what=f"run {run.id} to finish")
    return store.get(run.id)


def abort(settings: Settings) -> Run:
    return finish(settings, "aborting")
