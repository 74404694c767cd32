"""Data faults on the real Redis: a flush under load (cache stampede), a lower maxmemory.

Both go through the real redis-cli inside the Redis container. The flush can repeat (a loop
inside the container, marked like every in-container fault process) to keep the stampede
going for the fault's duration; maxmemory records the values it replaces and sets them back.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lab.errors import LabError
from lab.faults import datastore, inside
from lab.faults.base import Fault
from lab.faults.docker_ops import container
from lab.faults.registry import register
from lab.faults.sizes import human, parse_size

# The catalog's cache keys all start with `catalog:` and carry a TTL; the orders stream does not.
_FLUSH = {
    "cache": "redis-cli --scan --pattern 'catalog:*' | xargs -r redis-cli del > /dev/null",
    "all": "redis-cli flushall > /dev/null",
}


class FlushParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: Literal["cache", "all"] = Field("cache", description="cache: the catalog's keys; all: FLUSHALL")
    every_s: float = Field(0, ge=0, le=3600, description="flush again every N seconds until revert; 0: once")

    @field_validator("every_s")
    @classmethod
    def _sane(cls, value: float) -> float:
        if 0 < value < 0.5:
            raise ValueError("must be 0 (once) or at least 0.5 s")
        return value


@register
class RedisFlush(Fault):
    name = "redis-flush"
    family = "data"
    summary = "Flush Redis under load (the catalog's cache, or FLUSHALL), once or repeatedly: a cache stampede."
    effect = "responses carry X-Cache: miss, the cache miss ratio jumps and the reads land on Postgres"
    Params = FlushParams

    def prepare(self) -> None:
        datastore.require(self.target, self.name, "redis")

    def describe(self) -> str:
        assert isinstance(self.params, FlushParams)
        what = "the catalog's cache keys" if self.params.scope == "cache" else "everything (FLUSHALL)"
        when = f"every {self.params.every_s:g}s until revert" if self.params.every_s else "once"
        return f"flush {what} in redis {when}"

    def inject(self) -> None:
        assert isinstance(self.params, FlushParams)
        flush = _FLUSH[self.params.scope]
        code, out = inside.exec_sh(self.target, flush)
        if code != 0:
            raise LabError(f"flush in redis failed: {out}")
        if self.params.every_s:
            loop = f"while sleep {self.params.every_s:g}; do {flush}; done"
            inside.start(self.target, self.ctx.fault_id, ["sh", "-c", loop])

    def revert(self) -> None:
        # A flush cannot be undone: the cache refills from Postgres. Stop the repeating flush.
        inside.kill(self.ctx, self.target)


_POLICIES = Literal[
    "noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random",
    "volatile-ttl",
]  # fmt: skip


class MaxmemoryParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    maxmemory: str = Field("1mb", description="the new limit, e.g. 1mb, 512kb (at least 64kb)")
    policy: _POLICIES | None = Field(None, description="also change maxmemory-policy (default: keep it)")

    @field_validator("maxmemory")
    @classmethod
    def _bounded(cls, value: str) -> str:
        if parse_size(value) < 64 * 1024:
            raise ValueError("must be at least 64kb (0 would mean no limit at all)")
        return value


@register
class RedisMaxmemory(Fault):
    name = "redis-maxmemory"
    family = "data"
    summary = "Lower Redis's maxmemory at runtime (CONFIG SET), optionally its eviction policy; revert restores both."
    effect = "INFO stats evicted_keys climbs, the cache hit ratio falls; below the data's size writes fail with OOM"
    Params = MaxmemoryParams

    def prepare(self) -> None:
        assert isinstance(self.params, MaxmemoryParams)
        datastore.require(self.target, self.name, "redis")
        current = int(datastore.redis_cli(self.target, "config", "get", "maxmemory").split()[-1].strip('"'))
        policy = datastore.redis_cli(self.target, "config", "get", "maxmemory-policy").split()[-1].strip('"')
        wanted = parse_size(self.params.maxmemory)
        if current and wanted >= current:
            raise LabError(
                f"fault redis-maxmemory: param 'maxmemory': {self.params.maxmemory} is not below "
                f"the current {human(current)}"
            )
        self.state |= {"maxmemory": current, "policy": policy}

    def describe(self) -> str:
        assert isinstance(self.params, MaxmemoryParams)
        before = human(int(self.state.get("maxmemory", 0)))
        policy = f", policy {self.params.policy}" if self.params.policy else ""
        return f"set redis maxmemory to {self.params.maxmemory} (from {before}){policy}"

    def inject(self) -> None:
        assert isinstance(self.params, MaxmemoryParams)
        if self.params.policy:
            datastore.redis_cli(self.target, "config", "set", "maxmemory-policy", self.params.policy)
        datastore.redis_cli(self.target, "config", "set", "maxmemory", str(parse_size(self.params.maxmemory)))

    def revert(self) -> None:
        c = container(self.target)
        if c is None or c.status != "running":
            return  # a restarted Redis reads its own configuration file again
        datastore.redis_cli(self.target, "config", "set", "maxmemory", str(self.state["maxmemory"]))
        datastore.redis_cli(self.target, "config", "set", "maxmemory-policy", str(self.state["policy"]))
