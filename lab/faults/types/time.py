"""Time faults: one container's clock, skewed with libfaketime.

libfaketime works from inside the process (LD_PRELOAD), so the service is recreated with it in
its environment, and recreated again as the fleet defines it on revert. The container id
changes both times: revert acts on the service, never on the container recorded at inject.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lab import labels
from lab.docker import engine
from lab.faults.base import Fault
from lab.faults.registry import register
from lab.platforms import get_platform
from lab.platforms.compose import PROJECT_LABEL

# $LIB is expanded by the dynamic loader (lib/x86_64-linux-gnu, lib/aarch64-linux-gnu, ...).
# The MT build is the one for threaded programs (Python's executor threads, Postgres' workers).
FAKETIME_LIB = "/usr/$LIB/faketime/libfaketimeMT.so.1"
MARKER = "LAB_CLOCK_SKEW_FAULT"
MAX_SKEW_SECONDS = 366 * 86400
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def skew_seconds(text: str) -> int:
    """``+2h``, ``-30m``, ``+90s``, ``-1d`` or ``+45`` (seconds) as signed seconds."""
    match = re.fullmatch(r"([+-])(\d+)([smhd]?)", text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an offset: use a sign, a number and s, m, h or d (e.g. +2h, -30m)")
    seconds = int(match.group(2)) * _UNITS[match.group(3) or "s"]
    return -seconds if match.group(1) == "-" else seconds


class ClockSkewParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offset: str = Field(description="how far the clock is moved, e.g. +2h, -30m, +1d (at most a year)")

    @field_validator("offset")
    @classmethod
    def _sane_offset(cls, value: str) -> str:
        seconds = skew_seconds(value)
        if seconds == 0 or abs(seconds) > MAX_SKEW_SECONDS:
            raise ValueError(f"{value!r} is out of bounds: a non-zero offset of at most a year")
        return f"{seconds:+d}"


@register
class ClockSkew(Fault):
    name = "clock-skew"
    family = "time"
    summary = "Move one service's wall clock by an offset (libfaketime; the container is recreated)."
    effect = "the service's Date headers, log timestamps and now() are off by the offset; its monotonic clock is not"
    Params = ClockSkewParams

    @property
    def offset(self) -> str:
        assert isinstance(self.params, ClockSkewParams)
        return self.params.offset

    def describe(self) -> str:
        return f"recreate {self.target.service} with its wall clock {self.offset}s off (libfaketime)"

    def environment(self) -> dict[str, str]:
        return {
            "LD_PRELOAD": FAKETIME_LIB,
            "FAKETIME": self.offset,
            # Timers and timeouts keep real time: only what the service reads as the date moves.
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            MARKER: self.ctx.fault_id,
        }

    def inject(self) -> None:
        get_platform(self.ctx.settings).recreate(self.target.service, env=self.environment())

    def revert(self) -> None:
        # Only while the service's container is the one this fault made: a lab that is down, or a
        # service recreated since (by `lab up`, or by another fault), has nothing of ours to undo.
        if self._skewed_by_this_fault():
            get_platform(self.ctx.settings).recreate(self.target.service)

    def _skewed_by_this_fault(self) -> bool:
        filters = {
            "label": [
                labels.MANAGED_FILTER,
                f"{PROJECT_LABEL}={self.ctx.settings.project}",
                f"{labels.SERVICE}={self.target.service}",
            ]
        }
        for found in engine().containers.list(all=True, filters=filters):
            if f"{MARKER}={self.ctx.fault_id}" in (found.attrs["Config"].get("Env") or []):
                return True
        return False
