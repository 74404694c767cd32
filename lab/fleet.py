"""The fleet's state as a user sees it: containers joined with their traffic from Prometheus."""

from __future__ import annotations

from dataclasses import dataclass

from lab.errors import LabError
from lab.platforms import ContainerState, Platform
from lab.prometheus import by_label, query
from lab.settings import Settings

REQUEST_RATE = "sum by (service) (rate(http_requests_total[1m]))"
ERROR_RATIO = (
    'sum by (service) (rate(http_requests_total{status=~"5.."}[1m])) / sum by (service) (rate(http_requests_total[1m]))'
)


@dataclass(frozen=True)
class ServiceStatus:
    container: ContainerState
    request_rate: float | None
    error_ratio: float | None


def fleet_status(settings: Settings, platform: Platform) -> tuple[list[ServiceStatus], str | None]:
    """Each container with its request rate and error ratio; the second value says why
    traffic figures are missing, when they are."""
    containers = platform.containers()
    try:
        rates = by_label(query(settings, REQUEST_RATE), "service")
        errors = by_label(query(settings, ERROR_RATIO), "service")
        problem = None
    except LabError as exc:
        rates, errors, problem = {}, {}, str(exc)
    return [ServiceStatus(c, rates.get(c.service), errors.get(c.service)) for c in containers], problem
