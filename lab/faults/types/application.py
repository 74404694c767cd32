"""Application faults: the runtime fault switches of our services, flipped from inside.

Each fault turns on one switch of the target's ``/admin/faults`` (see lab.faults.admin_api)
and its revert turns off that switch only. Injecting refuses a switch that is already on,
so one fault's revert never clears another's.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from lab.errors import LabError
from lab.faults.admin_api import active_switches, clear_switch, put_switch, require_switches
from lab.faults.base import Fault
from lab.faults.registry import register

ROUTE = Field(
    "*",
    pattern=r"^(\*|/\S{0,200})$",
    description="a route template of the target, e.g. /products/{id}; * for every route",
)
#: Services whose requests go to other services through the shared client (retries apply).
CALLERS = ("gateway", "orders", "payments")
#: Per service: the runtime config key bad-config sets, and its classic bad value.
#: The regex reads like a harmless "block .php probes" WAF rule, but its nested quantifier
#: backtracks exponentially on every path that does not end in .php (Cloudflare, 2019-07-02).
BAD_CONFIG: dict[str, tuple[str, str]] = {
    "gateway": ("request_filter", r"^(?:[\w/?=&.%-]+)+\.php$"),
    "catalog": ("page_size", "5000"),
}


class SwitchFault(Fault):
    """A fault that is one runtime switch of the target service."""

    switch: ClassVar[str]
    targets: ClassVar[tuple[str, ...] | None] = None  # None: every Python service

    def switch_params(self) -> dict[str, Any]:
        return self.params.model_dump(mode="json")

    def prepare(self) -> None:
        service = self.target.service
        require_switches(self.ctx.settings, self.name, service, list(self.targets) if self.targets else None)
        if self.switch in active_switches(self.target):
            raise LabError(f"{service} already has its {self.switch} switch on: revert that first")
        self.state["switch"] = self.switch

    def inject(self) -> None:
        put_switch(self.target, self.switch, self.switch_params())

    def revert(self) -> None:
        clear_switch(self.target, self.switch)


class ErrorRateParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    route: str = ROUTE
    rate: float = Field(0.5, gt=0, le=1, description="fraction of requests that fail")
    status: int = Field(500, ge=400, le=599, description="the HTTP status they fail with")


@register
class ErrorRate(SwitchFault):
    name = "error-rate"
    family = "application"
    summary = "A fraction of a route's requests fail with an HTTP error, inside the service."
    effect = "that share of requests through the gateway to the route answer the status (5xx ratio up)"
    Params = ErrorRateParams
    switch = "error_rate"

    def describe(self) -> str:
        assert isinstance(self.params, ErrorRateParams)
        p = self.params
        return f"make {p.rate:.0%} of {self.target.service}'s {p.route} requests fail with {p.status}"


class SlowPathParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    route: str = ROUTE
    ms: int = Field(500, ge=1, le=60_000, description="delay added to each request, ms")


@register
class SlowPath(SwitchFault):
    name = "slow-path"
    family = "application"
    summary = "A route's code path gets slower: every request waits before it is handled."
    effect = "requests to the route take ms longer through the gateway; past its timeout they get 504"
    Params = SlowPathParams
    switch = "latency"

    def describe(self) -> str:
        assert isinstance(self.params, SlowPathParams)
        return f"add {self.params.ms} ms to {self.target.service}'s {self.params.route} requests"


class MemoryLeakParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mb_per_s: float = Field(2.0, ge=0.1, le=100, description="MiB leaked per second")
    max_mb: int = Field(64, ge=1, le=4096, description="the leak stops growing here, MiB")


@register
class AppMemoryLeak(SwitchFault):
    name = "app-memory-leak"
    family = "application"
    summary = "The service's process leaks resident memory at a steady rate, up to a ceiling."
    effect = "the container's memory (docker stats) grows by mb_per_s; past its limit it is OOM-killed"
    Params = MemoryLeakParams
    switch = "memory_leak"

    def describe(self) -> str:
        assert isinstance(self.params, MemoryLeakParams)
        p = self.params
        return f"leak {p.mb_per_s:g} MiB/s in {self.target.service}'s process, up to {p.max_mb} MiB"


class RetryStormParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    retries: int = Field(10, ge=1, le=100, description="immediate retries of each failed call")


@register
class RetryStorm(SwitchFault):
    name = "retry-storm"
    family = "application"
    summary = "The service retries every failed downstream call at once, without backoff or jitter."
    effect = "when a dependency fails or slows, the calls to it multiply by retries+1 (its /metrics counts)"
    Params = RetryStormParams
    switch = "retry_storm"
    targets = CALLERS

    def describe(self) -> str:
        assert isinstance(self.params, RetryStormParams)
        return f"make {self.target.service} retry failed calls {self.params.retries} times at once, no backoff"


class BadConfigParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str | None = Field(
        None,
        max_length=500,
        description="the pushed value; default: gateway's backtracking regex, catalog's page_size 5000",
    )


@register
class BadConfig(SwitchFault):
    name = "bad-config"
    family = "application"
    summary = "Push a config value the service accepts and then misbehaves on (hot reload)."
    effect = (
        "gateway: a backtracking request_filter pins its CPU, requests stall or time out; "
        "catalog: page_size 5000 makes every product list huge and slow"
    )
    Params = BadConfigParams
    switch = "config"
    targets = tuple(BAD_CONFIG)

    def _key_value(self) -> tuple[str, str | int]:
        assert isinstance(self.params, BadConfigParams)
        key, default = BAD_CONFIG[self.target.service]
        raw = default if self.params.value is None else self.params.value
        bad = f"fault bad-config: param 'value': {self.target.service}'s {key}"
        if key == "page_size":
            if not raw.isdigit() or int(raw) < 1:
                raise LabError(f"{bad} must be a positive integer (got {raw!r})")
            return key, int(raw)
        try:
            re.compile(raw)
        except re.error as exc:
            raise LabError(f"{bad} must be a valid regex: {exc}") from None
        return key, raw

    def prepare(self) -> None:
        super().prepare()
        self._key_value()

    def switch_params(self) -> dict[str, Any]:
        key, value = self._key_value()
        return {key: value}

    def describe(self) -> str:
        key, value = self._key_value() if self.target.service in BAD_CONFIG else ("?", "?")
        return f"push {key}={value!r} to {self.target.service}'s runtime config"
