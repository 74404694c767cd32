"""Grade a stored run: its samples and events through the grader's arithmetic."""

from __future__ import annotations

import dataclasses
from typing import Any

from lab.grading.score import Expectations, grade
from lab.runs.sli import SloReader
from lab.runs.store import RunStore
from lab.scenarios import load_all
from lab.settings import Settings


def grade_run(settings: Settings, store: RunStore, run_id: str) -> dict[str, Any]:
    run = store.get(run_id)
    _, scenario = load_all(settings.root / "scenarios")[run.scenario]
    answer = run.plan["answer"]
    expectations = Expectations(
        component=answer["component"],
        cause=answer["cause"],
        contributing=tuple(answer["contributing"]),
        slos=tuple(run.plan["slos"]),
        recovery_slos=tuple(scenario.recovery.slos),
        hold=float(scenario.recovery.hold),
        budget_window=SloReader(settings).budget_window,
        first_update_within=run.plan["first_update_within"],
        update_every=run.plan["update_every"],
        weights=scenario.scoring.model_dump(),
        level=run.level,
        time_scale=run.time_scale,
    )
    samples, events = store.grading_inputs(run)
    return dataclasses.asdict(grade(samples, events, expectations))
