"""The SLO file (prometheus/slos.yaml) as a validated model, and lab-time window scaling."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lab.errors import LabError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^(\d+)([smhd])$")


class SloFileError(LabError):
    """The SLO file is missing or invalid."""


def parse_duration(text: str) -> int:
    """Seconds in a duration such as ``30s``, ``5m``, ``6h`` or ``30d``."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration like 30s, 5m, 6h or 30d")
    return int(match.group(1)) * _UNITS[match.group(2)]


def format_duration(seconds: int) -> str:
    """The shortest Prometheus duration for ``seconds`` (180 -> ``3m``)."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Duration = Annotated[str, Field(pattern=_DURATION.pattern)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AvailabilitySli(_Strict):
    """Share of a service's HTTP responses that are not 5xx (the service down counts as all bad)."""

    kind: Literal["availability"]
    service: str


class LatencySli(_Strict):
    """Share of requests to some routes served within a histogram bucket's bound."""

    kind: Literal["latency"]
    service: str
    method: Literal["GET", "POST", "PUT", "DELETE"]
    routes: list[str] = Field(min_length=1)
    threshold_s: float = Field(gt=0)


class FreshnessSli(_Strict):
    """Share of time a gauge (a queue's lag) stays at or under a bound."""

    kind: Literal["freshness"]
    service: str
    metric: str = Field(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
    bound: float = Field(ge=0)


Sli = Annotated[AvailabilitySli | LatencySli | FreshnessSli, Field(discriminator="kind")]


class Slo(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    description: str
    objective: float = Field(gt=0, lt=1)
    sli: Sli

    @property
    def budget(self) -> float:
        """The error budget as a ratio (0.005 for 99.5 %), rounded to hide float noise."""
        return round(1 - self.objective, 9)


class BurnAlert(_Strict):
    severity: Literal["page", "ticket"]
    long: Duration
    short: Duration
    burn_rate: float = Field(gt=0)


class SloFile(_Strict):
    lab_hour: Duration
    min_window: Duration
    period: Duration
    burn_alerts: list[BurnAlert] = Field(min_length=1)
    slos: list[Slo] = Field(min_length=1)

    @field_validator("slos")
    @classmethod
    def _unique_names(cls, slos: list[Slo]) -> list[Slo]:
        names = [s.name for s in slos]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"SLO names must be unique: {', '.join(duplicates)}")
        return slos

    @model_validator(mode="after")
    def _long_windows_are_longer(self) -> SloFile:
        for alert in self.burn_alerts:
            if parse_duration(alert.long) <= parse_duration(alert.short):
                raise ValueError(f"burn alert {alert.long}/{alert.short}: the long window must be longer")
        return self

    def scaled(self, workbook: str) -> int:
        """Seconds in the lab for a Workbook duration, never under ``min_window``."""
        seconds = round(parse_duration(workbook) / 3600 * parse_duration(self.lab_hour))
        return max(seconds, parse_duration(self.min_window))

    def windows(self) -> list[int]:
        """Every window a rule needs (lab seconds), shortest first; the period last."""
        found = {self.scaled(d) for a in self.burn_alerts for d in (a.long, a.short)}
        return sorted(found | {self.period_seconds})

    @property
    def period_seconds(self) -> int:
        return self.scaled(self.period)

    def slo(self, name: str) -> Slo:
        for slo in self.slos:
            if slo.name == name:
                return slo
        raise SloFileError(f"no SLO named {name!r}; SLOs: {', '.join(s.name for s in self.slos)}")


def slo_path(root: Path) -> Path:
    return root / "prometheus" / "slos.yaml"


def load_slos(path: Path) -> SloFile:
    """The SLO file, validated; one line naming the file and the field at fault otherwise."""
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise SloFileError(f"{path}: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise SloFileError(f"{path}: not valid YAML ({exc.__class__.__name__})") from exc
    try:
        return SloFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise SloFileError(f"{path}: {where}: {first['msg']}") from exc
