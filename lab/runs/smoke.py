"""`lab smoke`: prove each scenario breaks something and its reference solution fixes it.

For each scenario: reset and check the baseline, run the timeline, require the symptom (an SLO
breach that pages) within the detection window, have a scripted perfect responder acknowledge,
update stakeholders, diagnose correctly and apply the reference solution, require sustained
recovery within the recovery window and a passing grade, then check the fleet is back to its
baseline with no fault left behind.
"""

from __future__ import annotations

import contextlib
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lab.errors import LabError
from lab.faults import active, revert
from lab.grading.score import LEVEL_THRESHOLDS
from lab.runs.engine import finish, pick_scenario, record, start_run, wait_for_page
from lab.runs.sli import SloReader
from lab.runs.store import RunStore
from lab.scenarios.model import Scenario
from lab.settings import Settings
from lab.testing import container_of, exec_in, wait_for


@dataclass
class SmokeResult:
    scenario: str
    ok: bool
    seconds: float
    detection_s: float | None = None
    recovery_s: float | None = None
    score: float | None = None
    run_id: str | None = None
    failure: str | None = None
    steps: list[str] = field(default_factory=list)


def _hardest_level(scenario: Scenario) -> str:
    return min(scenario.levels, key=lambda level: LEVEL_THRESHOLDS[level].recover_minutes)


def _apply_solution(settings: Settings, scenario: Scenario, run_id: str) -> None:
    store = RunStore(settings.state_dir)
    faults = {d["step"]: d["fault"] for _, kind, d in store.events(run_id) if kind == "inject"}
    for step in scenario.solution:
        if step.revert is not None:
            revert(settings, faults[step.revert], by="reference solution")
        elif step.restart is not None:
            container_of(settings, step.restart).restart(timeout=10)
        elif step.exec is not None:
            exec_in(settings, step.exec.service, step.exec.argv)


def smoke_one(settings: Settings, scenario_id: str, *, seed: int = 1, status: Callable[[str], None]) -> SmokeResult:
    started = time.monotonic()
    result = SmokeResult(scenario_id, ok=False, seconds=0)
    try:
        scenario = pick_scenario(settings, scenario_id, None, seed)
        run = start_run(settings, scenario, seed=seed, mode="smoke", level=_hardest_level(scenario), status=status)
        result.run_id = run.id
        status(f"{scenario_id}: waiting for the symptom")
        wait_for_page(settings, run)
        store = RunStore(settings.state_dir)
        events = store.events(run.id)
        first_inject = min(t for t, kind, d in events if kind == "inject" and d.get("role") == "inject")
        page = next(t for t, kind, _ in events if kind == "page")
        result.detection_s = round(page - first_inject, 1)
        answer = run.plan["answer"]
        record(settings, "ack")
        record(settings, "update", text="Investigating elevated errors; next update soon.")
        record(settings, "diagnose", component=answer["component"], cause=answer["cause"], note="smoke")
        status(f"{scenario_id}: applying the reference solution")
        fixed_at = time.time()
        _apply_solution(settings, scenario, run.id)
        reader = SloReader(settings)
        last_update = time.time()
        hold, within = float(scenario.recovery.hold), float(scenario.recovery.within)
        green_since: float | None = None
        while True:
            now = time.time()
            if now - last_update > run.plan["update_every"] / 2:
                record(settings, "update", text="Mitigation applied; watching recovery.")
                last_update = now
            green_since = (green_since or now) if reader.all_green(list(scenario.recovery.slos)) else None
            if green_since is not None and now - green_since >= hold:
                break
            if now - fixed_at > within:
                raise LabError(f"SLOs did not recover and hold {hold:.0f}s within {within:.0f}s of the fix")
            time.sleep(2)
        result.recovery_s = round(green_since - fixed_at, 1)
        for check in scenario.recovery.checks:
            exec_in(settings, check.service, check.argv)  # raises naming the check when it fails
        record(settings, "update", text="Resolved.")
        finished = finish(settings, "resolving")
        card = finished.scorecard or {}
        result.score = card.get("score")
        if not card.get("passed"):
            raise LabError(f"the perfect responder did not pass: {'; '.join(card.get('reasons', []))}")
        if active(settings):
            raise LabError(f"faults still active after the run: {[r.id for r in active(settings)]}")
        wait_for(lambda: reader.all_green(list(scenario.slos)), timeout=60, interval=2, what="the baseline SLOs")
        result.ok = True
    except (LabError, AssertionError) as exc:
        result.failure = str(exc)
        with contextlib.suppress(LabError, AssertionError):  # no run left open, or it ends by itself
            finish(settings, "aborting", timeout=120)
    result.seconds = round(time.monotonic() - started, 1)
    return result


def write_junit(results: list[SmokeResult], path: Path) -> None:
    suite = ET.Element(
        "testsuite", name="lab smoke", tests=str(len(results)),
        failures=str(sum(not r.ok for r in results)), time=f"{sum(r.seconds for r in results):.1f}",
    )  # fmt: skip
    for r in results:
        case = ET.SubElement(suite, "testcase", classname="scenarios", name=r.scenario, time=f"{r.seconds:.1f}")
        if not r.ok:
            ET.SubElement(case, "failure", message=r.failure or "failed").text = r.failure
        ET.SubElement(
            case, "system-out"
        ).text = f"run={r.run_id} detection_s={r.detection_s} recovery_s={r.recovery_s} score={r.score}"
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
