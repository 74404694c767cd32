"""Each SLO's state now, from the real Prometheus: SLI, error budget left, burning or not."""

from __future__ import annotations

from dataclasses import dataclass

from lab.prometheus import by_label, query
from lab.settings import Settings
from lab.slo.model import SloFile, format_duration
from lab.slo.rules import ALERT, BUDGET_REMAINING, error_ratio_name

_FIRING = f'max by (slo, severity) (ALERTS{{alertname="{ALERT}",alertstate="firing"}})'


@dataclass(frozen=True)
class SloState:
    name: str
    objective: float
    window: str  # the window of `sli` (lab time)
    sli: float | None  # share of good events over `window`; None without data
    budget_left: float | None  # share of the period's error budget left (negative: overspent)
    burning: str | None  # "page" or "ticket" while a burn alert fires

    @property
    def ok(self) -> bool:
        return self.burning is None


def slo_states(settings: Settings, slos: SloFile) -> list[SloState]:
    window = min(slos.scaled(a.long) for a in slos.burn_alerts)
    ratios = by_label(query(settings, error_ratio_name(window)), "slo")
    budgets = by_label(query(settings, BUDGET_REMAINING), "slo")
    firing: dict[str, str] = {}
    for sample in query(settings, _FIRING):
        name, severity = sample.labels.get("slo", ""), sample.labels.get("severity", "")
        if firing.get(name) != "page":
            firing[name] = severity
    states = []
    for slo in slos.slos:
        ratio = ratios.get(slo.name)
        states.append(
            SloState(
                name=slo.name,
                objective=slo.objective,
                window=format_duration(window),
                sli=None if ratio is None or ratio != ratio else 1 - ratio,  # NaN: no traffic
                budget_left=budgets.get(slo.name),
                burning=firing.get(slo.name),
            )
        )
    return states
