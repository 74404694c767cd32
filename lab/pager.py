"""The lab's pager (services/pager), read over its port on 127.0.0.1: what paged and warned."""

from __future__ import annotations

from typing import Literal

import requests
from pydantic import BaseModel, ValidationError

from lab.errors import LabError
from lab.settings import Settings


class PagedAlert(BaseModel):
    """One alert as of the latest notification the pager received about it."""

    status: Literal["firing", "resolved"]
    channel: Literal["page", "warning"]
    labels: dict[str, str]
    annotations: dict[str, str]
    received_at: float
    first_received_at: float

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "?")


class _Alerts(BaseModel):
    alerts: list[PagedAlert]


class PagerUnavailable(LabError):
    """The pager does not answer (the lab is down, or the pager is)."""


def pager_alerts(settings: Settings, *, timeout: float = 5) -> list[PagedAlert]:
    """Every alert the pager heard of, newest first."""
    url = f"{settings.url('pager')}/alerts"
    try:
        resp = requests.get(url, timeout=timeout)
        resp.raise_for_status()
        return _Alerts.model_validate_json(resp.content).alerts
    except requests.RequestException as exc:
        raise PagerUnavailable(f"the pager at {url} did not answer ({exc.__class__.__name__}): is the lab up?") from exc
    except ValidationError as exc:
        raise LabError(f"the pager at {url} answered with an unexpected body") from exc
