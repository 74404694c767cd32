"""The gateway's routes file: parsed and validated into `Route`s.

Format (YAML; see routes.yaml): `defaults` (timeout_s, retries, rate_limit)
merged into every entry of `routes`; each route names a method, a public
`path` template, an `upstream` service and the `upstream_path` template its
`{params}` are substituted into. Routes match in file order, so a literal path
(`/api/products/search`) must come before a template that would also match it
(`/api/products/{id}`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from labsvc.config import ConfigError

METHODS = ("GET", "POST", "PUT", "DELETE")
_PARAM_RE = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class RateLimit:
    rate_per_s: float
    burst: int


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    upstream: str
    upstream_path: str
    timeout_s: float
    retries: int
    rate_limit: RateLimit


def render_upstream_path(template: str, params: Mapping[str, str]) -> str:
    """`/products/{id}` + {"id": "7"} -> `/products/7`; values are URL-quoted."""
    return _PARAM_RE.sub(lambda m: quote(params[m.group(1)], safe=""), template)


def _field(where: str, entry: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ConfigError(f"{where}: '{key}' is missing or not a {getattr(kind, '__name__', kind)}")
    return value


def _rate_limit(where: str, raw: Any) -> RateLimit:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'rate_limit' must be a mapping with rate_per_s and burst")
    rate = _field(where, raw, "rate_per_s", (int, float))
    burst = _field(where, raw, "burst", int)
    if rate <= 0 or burst < 1:
        raise ConfigError(f"{where}: rate_limit needs rate_per_s > 0 and burst >= 1")
    return RateLimit(float(rate), burst)


def parse_routes(doc: Any, upstreams: Collection[str], source: str = "routes") -> list[Route]:
    if not isinstance(doc, dict) or not isinstance(doc.get("routes"), list) or not doc["routes"]:
        raise ConfigError(f"{source}: expected a mapping with a non-empty 'routes' list")
    defaults = doc.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise ConfigError(f"{source}: 'defaults' must be a mapping")
    unknown = set(doc) - {"defaults", "routes"}
    if unknown:
        raise ConfigError(f"{source}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    routes: list[Route] = []
    seen: set[tuple[str, str]] = set()
    for index, raw in enumerate(doc["routes"]):
        where = f"{source}: routes[{index}]"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: must be a mapping")
        entry = {**defaults, **raw}
        extra = set(entry) - {
            "method",
            "path",
            "upstream",
            "upstream_path",
            "timeout_s",
            "retries",
            "rate_limit",
        }
        if extra:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
        method = _field(where, entry, "method", str).upper()
        path = _field(where, entry, "path", str)
        upstream = _field(where, entry, "upstream", str)
        upstream_path = _field(where, entry, "upstream_path", str)
        timeout_s = float(_field(where, entry, "timeout_s", (int, float)))
        retries = _field(where, entry, "retries", int)
        if method not in METHODS:
            raise ConfigError(f"{where}: method must be one of {', '.join(METHODS)}")
        if not path.startswith("/") or not upstream_path.startswith("/"):
            raise ConfigError(f"{where}: 'path' and 'upstream_path' must start with '/'")
        if upstream not in upstreams:
            raise ConfigError(f"{where}: unknown upstream {upstream!r}; known: {', '.join(sorted(upstreams))}")
        missing = set(_PARAM_RE.findall(upstream_path)) - set(_PARAM_RE.findall(path))
        if missing:
            raise ConfigError(f"{where}: upstream_path uses {', '.join(sorted(missing))} not in path")
        if not 0 < timeout_s <= 60:
            raise ConfigError(f"{where}: timeout_s must be in (0, 60]")
        if not 0 <= retries <= 5:
            raise ConfigError(f"{where}: retries must be between 0 and 5")
        # Retrying a POST could place an order twice: only idempotent reads retry.
        if retries and method != "GET":
            raise ConfigError(f"{where}: retries are only allowed on GET routes")
        if (method, path) in seen:
            raise ConfigError(f"{where}: duplicate route {method} {path}")
        seen.add((method, path))
        routes.append(
            Route(
                method,
                path,
                upstream,
                upstream_path,
                timeout_s,
                retries,
                _rate_limit(where, entry.get("rate_limit")),
            )
        )
    return routes


def load_routes(path: Path, upstreams: Collection[str]) -> list[Route]:
    try:
        doc = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read routes file: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    return parse_routes(doc, upstreams, source=str(path))
