"""The grader's arithmetic, kept pure so it is tested on recorded series.

Times are seconds since the run started. The grader feeds in SLI samples (polled every few
seconds) and events (page, ack, diagnoses, updates, hints, resolve, collateral actions); out
comes a :class:`Scorecard`.

Definitions:
- impact start: the first sample in which any SLO in play is breached;
- time to acknowledge: first ``ack`` after the page;
- time to diagnose: first correct diagnosis (component and cause) after the page;
- time to recover: from impact start to the start of the first window of ``hold`` seconds in
  which every recovery SLO stays green (sustained recovery, not a lucky sample);
- error budget burned: the sum of each sample's burn rate times its interval, over the SLO
  window (scaled to lab time), as a fraction of the budget;
- RCA accuracy: correct diagnoses over all diagnoses, a contributing factor counting half;
- communication: the share of update deadlines met (the first within ``first_update_within``
  of the page, then one every ``update_every``) until the incident is resolved.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Literal

EventKind = Literal["page", "ack", "diagnose", "update", "hint", "resolve", "collateral", "inject"]


@dataclass(frozen=True)
class SliSample:
    t: float
    ok: dict[str, bool]  # SLO name -> within objective now
    burn: dict[str, float] = field(default_factory=dict)  # SLO name -> error-budget burn rate


@dataclass(frozen=True)
class Event:
    t: float
    kind: EventKind
    component: str = ""
    cause: str = ""
    text: str = ""
    penalty: int = 0


@dataclass(frozen=True)
class LevelThreshold:
    recover_minutes: float
    rca_accuracy: float


#: Real-incident thresholds per level; multiplied by the run's time scale for short slots.
LEVEL_THRESHOLDS: dict[str, LevelThreshold] = {
    "junior": LevelThreshold(60, 0.70),
    "mid": LevelThreshold(45, 0.85),
    "senior": LevelThreshold(30, 0.95),
    "incident-commander": LevelThreshold(20, 0.95),
}


@dataclass(frozen=True)
class Expectations:
    component: str
    cause: str
    contributing: tuple[str, ...]
    slos: tuple[str, ...]  # SLOs in play
    recovery_slos: tuple[str, ...]
    hold: float
    budget_window: float  # the SLO window in lab seconds
    first_update_within: float  # communication cadence, lab seconds
    update_every: float
    weights: dict[str, float]
    level: str
    time_scale: float  # 1.0 = real time; 0.1 = a 60-minute threshold becomes 6 minutes


@dataclass(frozen=True)
class Scorecard:
    impact_start: float | None
    paged_at: float | None
    time_to_acknowledge: float | None
    time_to_diagnose: float | None
    time_to_recover: float | None
    budget_burned: float  # fraction of the error budget
    rca_accuracy: float
    wrong_diagnoses: int
    hints_used: int
    hint_penalty: int
    updates: int
    cadence_met: float  # share of update deadlines met
    collateral: tuple[str, ...]
    components: dict[str, float]  # component -> 0..1
    score: float  # 0..100
    level: str
    passed: bool
    reasons: tuple[str, ...]


def impact_start(samples: list[SliSample], slos: tuple[str, ...]) -> float | None:
    for s in samples:
        if any(not s.ok.get(name, True) for name in slos):
            return s.t
    return None


def recovered_at(samples: list[SliSample], slos: tuple[str, ...], after: float, hold: float) -> float | None:
    """Start of the first window of ``hold`` seconds after ``after`` with every SLO green."""
    start: float | None = None
    for s in samples:
        if s.t < after:
            continue
        if all(s.ok.get(name, False) for name in slos):
            start = s.t if start is None else start
            if s.t - start >= hold:
                return start
        else:
            start = None
    return None


def budget_burned(samples: list[SliSample], slos: tuple[str, ...], window: float) -> float:
    """Error budget used, as a fraction: sum of burn rate x interval over the SLO window."""
    used = 0.0
    for prev, cur in itertools.pairwise(samples):
        burn = max((prev.burn.get(name, 0.0) for name in slos), default=0.0)
        used += burn * (cur.t - prev.t)
    return used / window if window > 0 else 0.0


def _cadence(updates: list[float], paged: float, end: float, first_within: float, every: float) -> float:
    deadlines = [paged + first_within]
    while deadlines[-1] + every < end:
        deadlines.append(deadlines[-1] + every)
    met, previous = 0, paged
    for deadline in deadlines:
        if any(previous <= t <= deadline for t in updates):
            met += 1
        previous = deadline
    return met / len(deadlines)


def _time_score(elapsed: float | None, target: float) -> float:
    """1 at once, 0.5 at the target, falling towards 0 after it; 0 when it never happened."""
    if elapsed is None:
        return 0.0
    return max(0.0, 1.0 - 0.5 * elapsed / target) if elapsed <= target else max(0.0, 0.5 * (2 - elapsed / target))


def grade(samples: list[SliSample], events: list[Event], exp: Expectations) -> Scorecard:
    samples = sorted(samples, key=lambda s: s.t)
    events = sorted(events, key=lambda e: e.t)
    threshold = LEVEL_THRESHOLDS[exp.level]
    recover_target = threshold.recover_minutes * 60 * exp.time_scale
    end = max([s.t for s in samples] + [e.t for e in events] + [0.0])

    paged = next((e.t for e in events if e.kind == "page"), None)
    impact = impact_start(samples, exp.slos)
    ack = next((e.t for e in events if e.kind == "ack" and paged is not None and e.t >= paged), None)
    diagnoses = [e for e in events if e.kind == "diagnose"]
    right = [d for d in diagnoses if d.component == exp.component and d.cause == exp.cause]
    partial = [d for d in diagnoses if d not in right and d.cause in exp.contributing]
    accuracy = (len(right) + 0.5 * len(partial)) / len(diagnoses) if diagnoses else 0.0
    first_right = right[0].t if right else None
    start = impact if impact is not None else paged
    recovered = recovered_at(samples, exp.recovery_slos, start, exp.hold) if start is not None else None
    burned = budget_burned(samples, exp.slos, exp.budget_window)
    hints = [e for e in events if e.kind == "hint"]
    updates = [e.t for e in events if e.kind == "update"]
    # Stakeholders need updates until the incident is resolved (or recovery has held).
    resolved = next((e.t for e in events if e.kind == "resolve"), None)
    comms_end = resolved if resolved is not None else recovered + exp.hold if recovered is not None else end
    cadence = (
        _cadence(updates, paged, comms_end, exp.first_update_within, exp.update_every) if paged is not None else 0.0
    )

    tta = ack - paged if ack is not None and paged is not None else None
    ttd = first_right - paged if first_right is not None and paged is not None else None
    ttr = recovered - start if recovered is not None and start is not None else None
    components = {
        "acknowledge": _time_score(tta, exp.first_update_within),
        "diagnose": accuracy * (0.5 + 0.5 * _time_score(ttd, recover_target)) if right else 0.5 * accuracy,
        "recover": _time_score(ttr, recover_target),
        "budget": max(0.0, 1.0 - burned),
        "communication": cadence,
    }
    total_weight = sum(exp.weights.values()) or 1.0
    raw = sum(exp.weights.get(name, 0.0) * value for name, value in components.items()) / total_weight * 100
    penalty = sum(h.penalty for h in hints)
    score = max(0.0, raw - penalty)

    reasons = []
    if ttr is None:
        reasons.append("the SLOs did not recover and hold")
    elif ttr > recover_target:
        reasons.append(f"recovery took {ttr / 60:.1f} min; {exp.level} needs {recover_target / 60:.1f} min")
    if accuracy < threshold.rca_accuracy:
        reasons.append(f"RCA accuracy {accuracy:.0%}; {exp.level} needs {threshold.rca_accuracy:.0%}")
    if exp.level == "incident-commander" and cadence < 1.0:
        reasons.append(f"stakeholder updates met {cadence:.0%} of their deadlines; commanders need all")
    return Scorecard(
        impact_start=impact,
        paged_at=paged,
        time_to_acknowledge=tta,
        time_to_diagnose=ttd,
        time_to_recover=ttr,
        budget_burned=burned,
        rca_accuracy=accuracy,
        wrong_diagnoses=len(diagnoses) - len(right) - len(partial),
        hints_used=len(hints),
        hint_penalty=penalty,
        updates=len(updates),
        cadence_met=cadence,
        collateral=tuple(e.text for e in events if e.kind == "collateral"),
        components=components,
        score=round(score, 1),
        level=exp.level,
        passed=not reasons,
        reasons=tuple(reasons),
    )
