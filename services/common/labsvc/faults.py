"""Runtime fault switches, flipped over `PUT /admin/faults` by the fault library.

`parse_switches` turns the JSON body into typed switches or raises `FaultError`
with a message fit for a 400; `FaultSwitches` holds the active ones, keeps the
`app_fault_active` gauge in step, and runs the memory leak while it is on.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from labsvc import metrics

ANY_ROUTE = "*"
MIB = 1024 * 1024


class FaultError(ValueError):
    """The fault request is malformed; the message says which field and why."""


@dataclass(frozen=True)
class ErrorRate:
    route: str
    rate: float
    status: int


@dataclass(frozen=True)
class Latency:
    route: str
    ms: int


@dataclass(frozen=True)
class MemoryLeak:
    mb_per_s: float
    # A ceiling so a forgotten switch cannot take the host down with the container.
    max_mb: int


@dataclass(frozen=True)
class RetryStorm:
    retries: int


@dataclass(frozen=True)
class ConfigOverride:
    values: dict[str, Any]


Switch = ErrorRate | Latency | MemoryLeak | RetryStorm | ConfigOverride
# A config key's validator returns the accepted value or raises FaultError.
ConfigValidator = Callable[[Any], Any]

SWITCH_NAMES = ("error_rate", "latency", "memory_leak", "retry_storm", "config")


def _number(params: Mapping[str, Any], key: str, lo: float, hi: float, default: float | None = None) -> float:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FaultError(f"'{key}' must be a number between {lo} and {hi}")
    if not lo <= value <= hi:
        raise FaultError(f"'{key}' must be between {lo} and {hi}, got {value}")
    return float(value)


def _route(params: Mapping[str, Any], known_routes: frozenset[str]) -> str:
    route = params.get("route")
    if not isinstance(route, str) or not route:
        raise FaultError("'route' must be a route template such as '/api/products/{id}', or '*'")
    if route != ANY_ROUTE and known_routes and route not in known_routes:
        raise FaultError(f"unknown route {route!r}; known routes: {', '.join(sorted(known_routes))}")
    return route


def _check_keys(name: str, params: Mapping[str, Any], allowed: Iterable[str]) -> None:
    extra = set(params) - set(allowed)
    if extra:
        raise FaultError(f"{name}: unknown field(s) {', '.join(sorted(extra))}")


def parse_switch(
    name: str,
    params: Any,
    *,
    known_routes: frozenset[str] = frozenset(),
    config_keys: Mapping[str, ConfigValidator] | None = None,
) -> Switch:
    if not isinstance(params, dict):
        raise FaultError(f"{name}: parameters must be a JSON object")
    if name == "error_rate":
        _check_keys(name, params, ("route", "rate", "status"))
        status = _number(params, "status", 400, 599, default=500)
        if status != int(status):
            raise FaultError("'status' must be an integer HTTP status")
        return ErrorRate(_route(params, known_routes), _number(params, "rate", 0, 1), int(status))
    if name == "latency":
        _check_keys(name, params, ("route", "ms"))
        return Latency(_route(params, known_routes), int(_number(params, "ms", 0, 60_000)))
    if name == "memory_leak":
        _check_keys(name, params, ("mb_per_s", "max_mb"))
        return MemoryLeak(_number(params, "mb_per_s", 0.1, 100), int(_number(params, "max_mb", 1, 4096, default=1024)))
    if name == "retry_storm":
        _check_keys(name, params, ("retries",))
        return RetryStorm(int(_number(params, "retries", 1, 100, default=10)))
    if name == "config":
        return ConfigOverride(_parse_config(params, config_keys or {}))
    raise FaultError(f"unknown fault {name!r}; supported: {', '.join(SWITCH_NAMES)}")


def _parse_config(params: Mapping[str, Any], config_keys: Mapping[str, ConfigValidator]) -> dict[str, Any]:
    if not config_keys:
        raise FaultError("config: this service has no runtime config keys")
    if not params:
        raise FaultError(f"config: give at least one of {', '.join(sorted(config_keys))}")
    values = {}
    for key, value in params.items():
        validator = config_keys.get(key)
        if validator is None:
            raise FaultError(f"config: unknown key {key!r}; known: {', '.join(sorted(config_keys))}")
        values[key] = validator(value)
    return values


def parse_switches(
    body: Any,
    *,
    known_routes: frozenset[str] = frozenset(),
    config_keys: Mapping[str, ConfigValidator] | None = None,
) -> dict[str, Switch]:
    """`{"latency": {"route": "*", "ms": 200}, ...}` -> typed switches, all or nothing."""
    if not isinstance(body, dict) or not body:
        raise FaultError(f"body must be a non-empty JSON object keyed by fault name ({', '.join(SWITCH_NAMES)})")
    return {
        name: parse_switch(name, params, known_routes=known_routes, config_keys=config_keys)
        for name, params in body.items()
    }


def positive_int(key: str) -> ConfigValidator:
    def validate(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise FaultError(f"config: {key!r} must be a positive integer")
        return value

    return validate


def compilable_regex(key: str) -> ConfigValidator:
    # Only syntax is checked, as in a real config pipeline: a pattern that
    # backtracks catastrophically is accepted, which is the point of the fault.
    def validate(value: Any) -> str:
        if not isinstance(value, str):
            raise FaultError(f"config: {key!r} must be a string")
        try:
            re.compile(value)
        except re.error as exc:
            raise FaultError(f"config: {key!r} is not a valid regex: {exc}") from None
        return value

    return validate


class FaultSwitches:
    def __init__(self, config_keys: Mapping[str, ConfigValidator] | None = None) -> None:
        self.config_keys = dict(config_keys or {})
        self.known_routes: frozenset[str] = frozenset()
        self._active: dict[str, Switch] = {}
        self._leak_task: asyncio.Task[None] | None = None
        self._leaked: list[bytes] = []
        for name in SWITCH_NAMES:
            metrics.FAULT_ACTIVE.labels(name).set(0)

    def parse(self, body: Any) -> dict[str, Switch]:
        return parse_switches(body, known_routes=self.known_routes, config_keys=self.config_keys)

    def apply(self, switches: Mapping[str, Switch]) -> None:
        for name, switch in switches.items():
            self._active[name] = switch
            metrics.FAULT_ACTIVE.labels(name).set(1)
            if isinstance(switch, MemoryLeak):
                self._restart_leak(switch)

    def clear(self, name: str | None = None) -> None:
        names = list(self._active) if name is None else [name]
        for each in names:
            if self._active.pop(each, None) is not None:
                metrics.FAULT_ACTIVE.labels(each).set(0)
            if each == "memory_leak":
                self._stop_leak()

    def snapshot(self) -> dict[str, Any]:
        state = {name: asdict(switch) for name, switch in self._active.items()}
        if "config" in state:
            state["config"] = state["config"]["values"]
        if "memory_leak" in state:
            state["memory_leak"]["held_mb"] = sum(map(len, self._leaked)) // MIB
        return state

    def error_for(self, route: str) -> ErrorRate | None:
        switch = self._active.get("error_rate")
        if isinstance(switch, ErrorRate) and switch.route in (route, ANY_ROUTE):
            return switch
        return None

    def latency_for(self, route: str) -> float:
        switch = self._active.get("latency")
        if isinstance(switch, Latency) and switch.route in (route, ANY_ROUTE):
            return switch.ms / 1000
        return 0.0

    def storm_retries(self) -> int | None:
        switch = self._active.get("retry_storm")
        return switch.retries if isinstance(switch, RetryStorm) else None

    def config_value(self, key: str, default: Any) -> Any:
        switch = self._active.get("config")
        if isinstance(switch, ConfigOverride):
            return switch.values.get(key, default)
        return default

    def _restart_leak(self, leak: MemoryLeak) -> None:
        self._stop_leak()
        self._leak_task = asyncio.get_running_loop().create_task(self._leak(leak))

    def _stop_leak(self) -> None:
        if self._leak_task is not None:
            self._leak_task.cancel()
            self._leak_task = None
        self._leaked.clear()

    async def _leak(self, leak: MemoryLeak) -> None:
        chunk = int(leak.mb_per_s * MIB)
        while sum(map(len, self._leaked)) + chunk <= leak.max_mb * MIB:
            # bytes * n writes every byte, so the pages are resident, not just reserved.
            self._leaked.append(b"\xa5" * chunk)
            await asyncio.sleep(1)


# One process-wide instance: the HTTP layer reads it per request and the
# downstream client reads it per call.
SWITCHES = FaultSwitches()
