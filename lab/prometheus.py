"""The one Prometheus query helper: instant queries over the HTTP API on 127.0.0.1."""

from __future__ import annotations

from typing import Literal

import requests
from pydantic import BaseModel, ValidationError

from lab.errors import LabError
from lab.settings import Settings


class _Series(BaseModel):
    metric: dict[str, str]
    value: tuple[float, str]


class _Data(BaseModel):
    resultType: Literal["vector"]  # noqa: N815 (Prometheus' field name)
    result: list[_Series]


class _Response(BaseModel):
    status: Literal["success", "error"]
    data: _Data | None = None
    error: str | None = None


class Sample(BaseModel):
    labels: dict[str, str]
    value: float


def query(settings: Settings, promql: str, *, timeout: float = 5) -> list[Sample]:
    """Evaluate ``promql`` now; raise :class:`LabError` naming the query when it fails."""
    url = f"{settings.url('prometheus')}/api/v1/query"
    try:
        resp = requests.get(url, params={"query": promql}, timeout=timeout)
        parsed = _Response.model_validate_json(resp.content)
    except requests.RequestException as exc:
        raise LabError(f"Prometheus at {url} did not answer: {exc.__class__.__name__}") from exc
    except ValidationError as exc:
        raise LabError(f"Prometheus answered {resp.status_code} with an unexpected body") from exc
    if parsed.status != "success" or parsed.data is None:
        raise LabError(f"Prometheus rejected {promql!r}: {parsed.error}")
    return [Sample(labels=s.metric, value=float(s.value[1])) for s in parsed.data.result]


def by_label(samples: list[Sample], label: str) -> dict[str, float]:
    return {s.labels.get(label, ""): s.value for s in samples}
