from __future__ import annotations

from typing import Any

import pytest
from labsvc import faults
from labsvc.faults import ErrorRate, FaultError, FaultSwitches, Latency, RetryStorm, parse_switches

ROUTES = frozenset({"/api/products/{id}", "/api/checkout"})


def test_error_rate_defaults_status_500() -> None:
    parsed = parse_switches({"error_rate": {"route": "/api/checkout", "rate": 0.5}}, known_routes=ROUTES)
    assert parsed == {"error_rate": ErrorRate("/api/checkout", 0.5, 500)}


def test_several_switches_in_one_body() -> None:
    parsed = parse_switches({"latency": {"route": "*", "ms": 250}, "retry_storm": {}}, known_routes=ROUTES)
    assert parsed == {"latency": Latency("*", 250), "retry_storm": RetryStorm(10)}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "non-empty JSON object"),
        ([], "non-empty JSON object"),
        ({"explode": {}}, "unknown fault 'explode'"),
        ({"error_rate": {"route": "/api/checkout", "rate": 2}}, "'rate' must be between 0 and 1"),
        ({"error_rate": {"route": "/api/checkout", "rate": "0.5"}}, "'rate' must be a number"),
        (
            {"error_rate": {"route": "/api/checkout", "rate": 0.5, "status": 200}},
            "'status' must be between 400",
        ),
        ({"error_rate": {"route": "/api/checkout", "rate": 0.5, "status": 500.5}}, "integer HTTP status"),
        ({"error_rate": {"route": "/nope", "rate": 0.5}}, "unknown route '/nope'"),
        ({"latency": {"ms": 10}}, "'route' must be a route template"),
        ({"latency": {"route": "*", "ms": -1}}, "'ms' must be between 0"),
        ({"latency": {"route": "*", "ms": 10, "extra": 1}}, "unknown field(s) extra"),
        ({"memory_leak": {"mb_per_s": 500}}, "'mb_per_s' must be between"),
        ({"retry_storm": {"retries": True}}, "'retries' must be a number"),
        ({"latency": "fast"}, "parameters must be a JSON object"),
        ({"config": {"page_size": 10}}, "no runtime config keys"),
    ],
)
def test_invalid_bodies_explain_themselves(body: Any, message: str) -> None:
    with pytest.raises(FaultError) as info:
        parse_switches(body, known_routes=ROUTES)
    assert message in str(info.value)


def test_config_keys_are_validated_per_service() -> None:
    keys = {
        "page_size": faults.positive_int("page_size"),
        "request_filter": faults.compilable_regex("request_filter"),
    }
    parsed = parse_switches({"config": {"page_size": 100000}}, config_keys=keys)
    assert parsed["config"] == faults.ConfigOverride({"page_size": 100000})
    # Only syntax is checked: a catastrophically backtracking pattern is accepted.
    assert parse_switches({"config": {"request_filter": "^(a+)+$"}}, config_keys=keys)
    for bad, message in [
        ({"page_size": 0}, "positive integer"),
        ({"request_filter": "(oops"}, "not a valid regex"),
        ({"colour": 1}, "unknown key 'colour'"),
        ({}, "give at least one of"),
    ]:
        with pytest.raises(FaultError, match=message):
            parse_switches({"config": bad}, config_keys=keys)


def test_switches_track_state_and_gauge() -> None:
    switches = FaultSwitches()
    switches.known_routes = ROUTES
    switches.apply(switches.parse({"error_rate": {"route": "/api/checkout", "rate": 1}, "retry_storm": {"retries": 3}}))
    assert switches.error_for("/api/checkout") == ErrorRate("/api/checkout", 1.0, 500)
    assert switches.error_for("/api/products/{id}") is None
    assert switches.storm_retries() == 3
    assert faults.metrics.FAULT_ACTIVE.labels("retry_storm")._value.get() == 1
    switches.clear("retry_storm")
    assert switches.storm_retries() is None
    assert faults.metrics.FAULT_ACTIVE.labels("retry_storm")._value.get() == 0
    switches.clear()
    assert switches.snapshot() == {}
    assert faults.metrics.FAULT_ACTIVE.labels("error_rate")._value.get() == 0


def test_wildcard_latency_and_config_fallback() -> None:
    switches = FaultSwitches({"page_size": faults.positive_int("page_size")})
    assert switches.latency_for("/x") == 0.0
    assert switches.config_value("page_size", 20) == 20
    switches.apply(switches.parse({"latency": {"route": "*", "ms": 1500}, "config": {"page_size": 7}}))
    assert switches.latency_for("/anything") == 1.5
    assert switches.config_value("page_size", 20) == 7
    assert switches.snapshot()["config"] == {"page_size": 7}
    switches.clear()
