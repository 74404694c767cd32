from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from labsvc.config import ConfigError
from routing import RateLimit, load_routes, parse_routes, render_upstream_path

UPSTREAMS = {"catalog", "orders"}
ROUTES_FILE = Path(__file__).resolve().parents[3] / "services" / "gateway" / "routes.yaml"


def doc(**route: Any) -> dict[str, Any]:
    base = {"method": "GET", "path": "/api/x/{id}", "upstream": "catalog", "upstream_path": "/x/{id}"}
    return {
        "defaults": {"timeout_s": 1.0, "retries": 0, "rate_limit": {"rate_per_s": 5, "burst": 10}},
        "routes": [{**base, **route}],
    }


def test_shipped_routes_file_is_valid_and_ordered() -> None:
    routes = load_routes(ROUTES_FILE, {"catalog", "orders", "inventory", "payments", "payment-provider"})
    paths = [r.path for r in routes]
    # The literal search path must be registered before the {id} template.
    assert paths.index("/api/products/search") < paths.index("/api/products/{id}")
    assert all(r.retries == 0 for r in routes if r.method != "GET")
    checkout = next(r for r in routes if r.path == "/api/checkout")
    assert (checkout.method, checkout.upstream, checkout.upstream_path) == (
        "POST",
        "orders",
        "/orders/checkout",
    )


def test_defaults_merge_and_route_overrides() -> None:
    (route,) = parse_routes(doc(timeout_s=3, rate_limit={"rate_per_s": 1.5, "burst": 2}), UPSTREAMS)
    assert route.timeout_s == 3.0
    assert route.retries == 0
    assert route.rate_limit == RateLimit(1.5, 2)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"method": "POST", "retries": 1}, "only allowed on GET"),
        ({"upstream": "nowhere"}, "unknown upstream 'nowhere'"),
        ({"upstream_path": "/x/{sku}"}, "sku not in path"),
        ({"timeout_s": 0}, "timeout_s"),
        ({"retries": 9}, "retries must be between 0 and 5"),
        ({"method": "PATCH"}, "method must be one of"),
        ({"path": "api/x"}, "must start with '/'"),
        ({"rate_limit": {"rate_per_s": 0, "burst": 1}}, "rate_per_s > 0"),
        ({"colour": "red"}, "unknown key(s) colour"),
        ({"retries": True}, "'retries' is missing or not a int"),
    ],
)
def test_invalid_routes_name_the_problem(override: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match="routes\\[0\\]") as info:
        parse_routes(doc(**override), UPSTREAMS)
    assert message in str(info.value)


def test_duplicate_routes_are_rejected() -> None:
    document = doc()
    document["routes"].append(dict(document["routes"][0]))
    with pytest.raises(ConfigError, match=re.escape("duplicate route GET /api/x/{id}")):
        parse_routes(document, UPSTREAMS)


def test_empty_document_is_rejected() -> None:
    with pytest.raises(ConfigError, match="non-empty 'routes' list"):
        parse_routes({}, UPSTREAMS)


def test_upstream_path_substitutes_and_quotes_params() -> None:
    assert render_upstream_path("/products/{id}", {"id": "42"}) == "/products/42"
    assert render_upstream_path("/a/{x}/b/{y}", {"x": "1", "y": "a b/c"}) == "/a/1/b/a%20b%2Fc"


def test_unreadable_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "routes.yaml"
    with pytest.raises(ConfigError, match=str(missing)):
        load_routes(missing, UPSTREAMS)
    missing.write_text("routes: [unclosed")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_routes(missing, UPSTREAMS)
