"""The grader's view of the SLOs: each SLO's short-window error ratio, from Prometheus.

Scenarios may not impair this channel: they cannot target Prometheus or the gateway's and
worker's scrapes with monitoring gaps (the scenario loader refuses it), so a gap changes what
the trainee sees, never what the grader sees.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab.errors import LabError
from lab.prometheus import query
from lab.settings import Settings
from lab.slo import SloFile, load_slos, slo_path
from lab.slo.rules import error_ratio_name


@dataclass(frozen=True)
class SloReading:
    ok: bool
    burn: float  # error ratio / error budget: 1.0 spends the budget exactly over the period
    error_ratio: float | None  # None: no traffic in the window


class SloReader:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.slos: SloFile = load_slos(slo_path(settings.root))
        self.window = min(self.slos.windows())
        self.metric = error_ratio_name(self.window)

    @property
    def budget_window(self) -> float:
        return float(self.slos.period_seconds)

    def read(self) -> dict[str, SloReading]:
        """Every SLO now. An SLO without data (no traffic) counts as green, not as breached."""
        ratios = {s.labels.get("slo", ""): s.value for s in query(self.settings, self.metric)}
        readings = {}
        for slo in self.slos.slos:
            ratio = ratios.get(slo.name)
            if ratio is not None and ratio != ratio:  # NaN: no requests in the window
                ratio = None
            burn = 0.0 if ratio is None else ratio / slo.budget
            readings[slo.name] = SloReading(ok=ratio is None or ratio <= slo.budget, burn=burn, error_ratio=ratio)
        return readings

    def all_green(self, names: list[str]) -> bool:
        try:
            readings = self.read()
        except LabError:
            return False
        return all(readings[name].ok for name in names)
