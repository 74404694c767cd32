"""The scenario file format, validated: `scenarios/<tier>/<id>/scenario.yaml`.

Errors name the file, the field and what is wrong (see :func:`lab.scenarios.loader.load`).
A scenario names faults by their registry name (`lab fault list`), never by Python path.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, model_validator

from lab.errors import LabError
from lab.faults.durations import parse_duration
from lab.scenarios.taxonomy import CAUSES, Level, Pattern, Tier


def _seconds(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except LabError as exc:
            raise ValueError(str(exc)) from None
    raise ValueError("use a duration such as 30s, 5m or 1h")


def _offset(value: Any) -> float:
    # Offsets may be 0 (at the start); durations may not.
    if value in (0, "0", "0s"):
        return 0.0
    return _seconds(value)


Duration = Annotated[Any, AfterValidator(_seconds)]
Offset = Annotated[Any, AfterValidator(_offset)]


def _cause(value: str) -> str:
    if value not in CAUSES:
        raise ValueError(f"unknown cause {value!r}; causes: {', '.join(CAUSES)}")
    return value


Cause = Annotated[str, AfterValidator(_cause)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class InspiredBy(Strict):
    company: str
    date: dt.date
    summary: str = Field(max_length=300)
    source: HttpUrl


class FaultStep(Strict):
    """A fault from the library, injected at ``at`` for ``duration``."""

    fault: str
    target: str
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    duration: Duration = "10m"


class Step(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    at: Offset = 0
    inject: FaultStep | None = None
    red_herring: FaultStep | None = None
    escalation: str | None = None
    monitoring_gap: FaultStep | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [k for k in ("inject", "red_herring", "escalation", "monitoring_gap") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"step {self.id!r} needs exactly one of inject, red_herring, escalation, monitoring_gap")
        return self

    @property
    def fault(self) -> FaultStep | None:
        return self.inject or self.red_herring or self.monitoring_gap


class Answer(Strict):
    component: str
    cause: Cause
    contributing: list[Cause] = Field(default_factory=list)


class StateCheck(Strict):
    """A check where SLOs are not enough, run in a service's container: exit 0 means ok."""

    name: str
    service: str
    argv: list[str] = Field(min_length=1)


class Recovery(Strict):
    slos: list[str] = Field(min_length=1)
    hold: Duration = "60s"
    within: Duration = "10m"
    checks: list[StateCheck] = Field(default_factory=list)


class SolutionStep(Strict):
    """One executable step of the reference solution."""

    describe: str
    revert: str | None = None  # a timeline step id: undo that fault
    restart: str | None = None  # a service to restart
    exec: StateCheck | None = None  # a command in a service's container

    @model_validator(mode="after")
    def _one_action(self) -> SolutionStep:
        if sum(x is not None for x in (self.revert, self.restart, self.exec)) != 1:
            raise ValueError(f"solution step {self.describe!r} needs exactly one of revert, restart, exec")
        return self


class Hint(Strict):
    text: str
    penalty: int = Field(ge=0, le=50)


class Message(Strict):
    at: Offset
    sender: str = Field(alias="from")
    text: str


class Weights(Strict):
    acknowledge: float = Field(10, ge=0)
    diagnose: float = Field(30, ge=0)
    recover: float = Field(35, ge=0)
    budget: float = Field(15, ge=0)
    communication: float = Field(10, ge=0)


class Randomise(Strict):
    """Seeded variation: which service a fault hits, its parameters, when it starts."""

    step: str
    targets: list[str] = Field(default_factory=list)
    params: dict[str, list[str | int | float]] = Field(default_factory=dict)
    onset: tuple[Offset, Offset] | None = None


class Scenario(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,60}$")
    title: str = Field(min_length=5, max_length=100)
    inspired_by: InspiredBy
    tier: Tier
    levels: list[Level] = Field(min_length=1)
    difficulty: int = Field(ge=1, le=5)
    patterns: list[Pattern] = Field(min_length=1)
    briefing: str = Field(min_length=20)
    slos: list[str] = Field(min_length=1)
    detection: Duration = "90s"  # the symptom must show within this time of the first fault
    timeline: list[Step] = Field(min_length=1)
    answer: Answer
    recovery: Recovery
    solution: list[SolutionStep] = Field(min_length=1)
    hints: list[Hint] = Field(default_factory=list)
    messages: list[Message] = Field(default_factory=list)
    scoring: Weights = Weights()
    randomise: list[Randomise] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        ids = [s.id for s in self.timeline]
        if len(ids) != len(set(ids)):
            raise ValueError("timeline step ids must be unique")
        if not any(s.inject for s in self.timeline):
            raise ValueError("timeline needs at least one inject step (the incident itself)")
        for step in self.solution:
            if step.revert is not None and step.revert not in ids:
                raise ValueError(f"solution reverts unknown step {step.revert!r}; steps: {', '.join(ids)}")
        for r in self.randomise:
            if r.step not in ids:
                raise ValueError(f"randomise names unknown step {r.step!r}")
        if re.search(r"\b(" + "|".join(map(re.escape, (self.answer.cause,))) + r")\b", self.briefing):
            raise ValueError("briefing gives away the cause: say the symptom, never the cause")
        return self

    def fault_steps(self) -> list[Step]:
        return [s for s in self.timeline if s.fault is not None]
