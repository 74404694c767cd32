"""A run's plan: the scenario's timeline with its seeded randomisation resolved."""

from __future__ import annotations

import random
from typing import Any

from lab.scenarios.model import Scenario

#: Real-incident communication cadence (PagerDuty's incident-response guide): the first
#: stakeholder message within 5 minutes of the page, then at least every 20 minutes.
FIRST_UPDATE_S = 5 * 60
UPDATE_EVERY_S = 20 * 60


def resolve_plan(scenario: Scenario, seed: int, time_scale: float) -> dict[str, Any]:
    """JSON-ready steps (offsets, targets and parameters chosen by ``seed``) and deadlines."""
    rng = random.Random(seed)
    variations = {r.step: r for r in scenario.randomise}
    steps = []
    component = scenario.answer.component
    for step in scenario.timeline:
        entry: dict[str, Any] = {"id": step.id, "at": float(step.at)}
        fault = step.fault
        if fault is not None:
            kind = "inject" if step.inject else "red_herring" if step.red_herring else "monitoring_gap"
            target, params = fault.target, dict(fault.params)
            variation = variations.get(step.id)
            if variation is not None:
                if variation.targets:
                    target = rng.choice(variation.targets)
                    if step.inject and fault.target == component:
                        component = target  # the root cause moves with its fault
                for name, choices in variation.params.items():
                    params[name] = rng.choice(choices)
                if variation.onset is not None:
                    entry["at"] = round(rng.uniform(float(variation.onset[0]), float(variation.onset[1])), 1)
            entry |= {"kind": kind, "fault": fault.fault, "target": target, "params": params,
                      "duration": float(fault.duration)}  # fmt: skip
        else:
            entry |= {"kind": "escalation", "text": step.escalation}
        steps.append(entry)
    return {
        "steps": sorted(steps, key=lambda s: s["at"]),
        "answer": {
            "component": component,
            "cause": scenario.answer.cause,
            "contributing": list(scenario.answer.contributing),
        },
        "messages": [{"at": float(m.at), "from": m.sender, "text": m.text} for m in scenario.messages],
        "first_update_within": FIRST_UPDATE_S * time_scale,
        "update_every": UPDATE_EVERY_S * time_scale,
    }
